"""The HTTP side of ASGI: turns a connection's messages into a request for
the app, and the app's response into messages.

The request body is pulled from ``receive`` only when the app reads it.
Sync response bodies (Flask generators) are iterated on the request's worker
thread, async ones on the loop. Nothing above this module sees an ASGI
message.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import typing as t

from werkzeug.exceptions import ClientDisconnected

from .._concurrency import current_lease, new_lease, register_loop, run_sync_in
from ..wrappers.body import Body
from ..wrappers.response import headers_to_send

if t.TYPE_CHECKING:
    from ..app import Pottle
    from ..wrappers import Response

Scope = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[dict[str, t.Any]]]
Send = t.Callable[[dict[str, t.Any]], t.Awaitable[None]]

_END = object()
_NO_BODY_STATUS = frozenset({204, 304})


class ASGIHTTPConnection:
    """One HTTP request/response exchange."""

    def __init__(self, app: Pottle, scope: Scope, receive: Receive, send: Send) -> None:
        self.app = app
        self.scope = scope
        self.receive = receive
        self.send = send
        self._started = False
        self._body_context: contextvars.Context | None = None

    async def __call__(self) -> None:
        register_loop(asyncio.get_running_loop())
        app = self.app
        request = app.request_class.from_scope(self.scope, self._make_body())
        app._configure_request(request)
        # A caller blocked on this request (the sync test client) runs its
        # sync code itself; otherwise take a worker thread when needed.
        outer = current_lease()
        lease = outer if outer is not None and outer.borrowed else new_lease()
        try:
            await app.handle_http(request, self.send_response)
        except Exception:
            # Propagated (testing/debug, or an error while sending): the
            # client still gets an answer if none started.
            if not self._started:
                await self._send_plain_500()
            raise
        finally:
            lease.release()

    def _make_body(self) -> Body:
        headers = self.scope["headers"]
        declared: int | None = None
        chunked = False
        for name, value in headers:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if declared == 0 or (declared is None and not chunked and self._is_http1()):
            return Body(None, 0)
        return Body(self._chunks(), declared)

    def _is_http1(self) -> bool:
        return self.scope.get("http_version", "1.1") in ("1.0", "1.1")

    async def _chunks(self) -> t.AsyncIterator[bytes]:
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def send_response(self, response: Response) -> None:
        """Send ``response``'s status, headers and body."""
        status = response.status_code
        await self.send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": headers_to_send(response),
            }
        )
        self._started = True
        try:
            if (
                self.scope["method"] == "HEAD"
                or status in _NO_BODY_STATUS
                or status < 200
            ):
                pass
            elif response.is_sequence:
                await self._body(b"".join(response.iter_encoded()), more=False)
                return
            elif response.is_async:
                await self._send_async_body(response)
            else:
                await self._send_sync_body(response)
            await self._body(b"", more=False)
        finally:
            await self._close(response)

    async def _body(self, data: bytes, more: bool) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def _send_async_body(self, response: Response) -> None:
        charset = "utf-8"
        async for chunk in response.response:  # type: ignore[union-attr]
            if isinstance(chunk, str):
                chunk = chunk.encode(charset)
            if chunk:
                await self._body(chunk, more=True)

    async def _send_sync_body(self, response: Response) -> None:
        # Each step may run user code (a generator): keep it off the loop, on
        # this request's worker thread, always in the same context (a
        # generator that pushes a context pops it in a later step).
        iterator = iter(response.iter_encoded())
        context = self._body_context = contextvars.copy_context()
        while (chunk := await run_sync_in(context, next, iterator, _END)) is not _END:
            if chunk:
                await self._body(t.cast(bytes, chunk), more=True)

    async def _close(self, response: Response) -> None:
        body = response.response
        if hasattr(body, "aclose"):
            await body.aclose()
        if response.is_sequence and not response._on_close:
            return
        # close() may finish a user generator (its finally) or call the
        # call_on_close functions: user code, so off the loop.
        await run_sync_in(self._body_context, response.close)

    async def _send_plain_500(self) -> None:
        content_type, body = "text/plain; charset=utf-8", b"Internal Server Error"
        exc = sys.exc_info()[1]
        # Debug mode only: the traceback page shows source code.
        if exc is not None and self.app.debug:
            from ..debug import traceback_page

            accept = dict(self.scope["headers"]).get(b"accept", b"")
            content_type, body = traceback_page(
                exc, self.scope["method"], self.scope["path"], accept.decode("latin-1")
            )
        await self.send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        self._started = True
        await self._body(body, more=False)
