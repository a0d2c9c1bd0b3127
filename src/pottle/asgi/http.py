"""The HTTP side of ASGI: turns a connection's messages into a request for
the app, and the app's response into messages.

The request body is pulled from ``receive`` only when the app reads it.
Once the body is complete (or there is none), a watcher waits for
``http.disconnect`` and cancels the request's work; it never takes body
chunks from a reader. Sync response bodies (Flask generators) are iterated
on the request's worker thread, async ones on the loop. Nothing above this
module sees an ASGI message.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import typing as t
import weakref

from werkzeug.exceptions import ClientDisconnected

from .._concurrency import (
    current_lease,
    new_lease,
    register_loop,
    run_sync_in,
    runs_on_loop,
)
from ..wrappers.body import Body
from ..wrappers.response import headers_to_send

if t.TYPE_CHECKING:
    from ..app import Pottle
    from ..wrappers import Request, Response

Scope = dict[str, t.Any]
Message = dict[str, t.Any]
Receive = t.Callable[[], t.Awaitable[Message]]
Send = t.Callable[[Message], t.Awaitable[None]]

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
        self._finishing = False
        self._body_context: contextvars.Context | None = None
        self._request: Request | None = None
        self._task: asyncio.Task[t.Any] | None = None
        self._receiver = _Receiver(receive, self._client_gone)
        self._watch_due = False
        self._scheduled = False
        self._disconnected = False
        self._cancelled = False

    async def __call__(self) -> None:
        register_loop(asyncio.get_running_loop())
        app = self.app
        task = self._task = t.cast("asyncio.Task[t.Any]", asyncio.current_task())
        request = app.request_class.from_scope(self.scope, self._make_body())
        self._request = request
        app._configure_request(request)
        # A caller blocked on this request (the sync test client) runs its
        # sync code itself; otherwise take a worker thread when needed.
        outer = current_lease()
        lease = outer if outer is not None and outer.borrowed else new_lease()
        if self._receiver.may_watch:
            self._watch_later()
        try:
            await app.handle_http(request, self.send_response)
        except asyncio.CancelledError:
            # Ours (the client left) ends quietly; anyone else's propagates.
            if self._cancelled:
                self._cancelled = False
                if task.uncancel() == 0:
                    return
            raise
        except Exception:
            # Propagated: testing/debug, an error while sending, or a teardown
            # function's. Once the answer is out, the error is raised even if
            # the client has gone since, so the server logs it.
            if self._disconnected and not self._finishing:
                return  # the client left before its answer: nobody to tell
            if not self._started:  # the client still gets an answer
                await self._send_plain_500()
            raise
        finally:
            if self._cancelled:  # delivered, but swallowed by user code
                task.uncancel()
            if self._scheduled:
                _Sweeper.of(asyncio.get_running_loop()).discard(self)
            self._receiver.stop()
            lease.release()

    # -- the request body -------------------------------------------------------

    def _make_body(self) -> Body:
        declared: int | None = None
        chunked = False
        for name, value in self.scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if declared is None and not chunked:
            if self.scope.get("http_version", "1.1") in ("1.0", "1.1"):
                declared = 0
            else:
                # HTTP/2 and later frame the body: whether there is one shows
                # in the first message, which the watcher may look at.
                self._receiver.lookahead = True
        if declared == 0:
            self._receiver.body_done = True
            return Body(None, 0)
        return Body(self._chunks(), declared)

    async def _chunks(self) -> t.AsyncIterator[bytes]:
        receiver = self._receiver
        while True:
            message = await receiver.next_message()
            if message["type"] == "http.disconnect":
                # The reader gets a 400 it may handle; the request's work is
                # cancelled as it would be by the watcher.
                self._client_gone()
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            if not message.get("more_body", False):
                receiver.body_done = True
                self._watch_later()
                if chunk:
                    yield chunk
                return
            if chunk:
                yield chunk

    # -- disconnects -------------------------------------------------------------

    def _watch_later(self) -> None:
        """Watch for a disconnect if the request is still running at the
        next sweep (see :class:`_Sweeper`)."""
        if self._watch_due:
            self._receiver.watch()
        elif not self._scheduled:
            self._scheduled = True
            _Sweeper.of(asyncio.get_running_loop()).add(self)

    def _watch_now(self) -> None:
        self._watch_due = True
        self._receiver.watch()

    def _client_gone(self) -> None:
        self._disconnected = True
        request = self._request
        if (
            self._finishing
            or self._cancelled
            or self._task is None
            or (request is not None and not request.cancel_on_disconnect)
        ):
            return
        self._cancelled = True
        self._task.cancel()

    # -- the response ----------------------------------------------------------

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
                await self._finish(b"".join(response.iter_encoded()))
                return
            elif not await self._stream(response):
                # Timed out: left unfinished, so the server drops the
                # connection rather than pass a cut body off as complete.
                return
            await self._finish(b"")
        finally:
            await self._close(response)

    async def _body(self, data: bytes, more: bool) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def _finish(self, data: bytes) -> None:
        # From here on a disconnect no longer cancels: the answer is out.
        self._finishing = True
        await self._body(data, more=False)

    async def _stream(self, response: Response) -> bool:
        """Send a streamed body within the response's timeout; False if the
        timeout cut it short."""
        self._watch_now()  # a stream may run for long: watch from the start
        timeout = getattr(response, "timeout", ...)
        if timeout is ...:
            timeout = self.app.config["RESPONSE_TIMEOUT"]
        try:
            async with asyncio.timeout(timeout) as scope:
                if response.is_async:
                    await self._send_async_body(response)
                else:
                    await self._send_sync_body(response)
        except TimeoutError:
            if not scope.expired():
                raise
            self.app.logger.warning(
                "Stopped sending the response to %s %s after %s seconds"
                " (RESPONSE_TIMEOUT, or the response's timeout).",
                self.scope["method"],
                self.scope["path"],
                timeout,
            )
            return False
        return True

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
        close = getattr(body, "close", None)
        # close() may finish a user generator (its finally) or call the
        # call_on_close functions: user code, so off the loop.
        if response._on_close or (close is not None and not runs_on_loop(close)):
            await run_sync_in(self._body_context, response.close)
        elif close is not None:
            close()

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


def _ignore() -> None:
    pass


class _Receiver:
    """The one caller of ``receive``, shared by the body reader and the
    disconnect watcher.

    The watcher receives only once the body is complete, or to look at the
    first message of an HTTP/2 request (is there a body?); a body message it
    receives is handed to the reader, never dropped.
    """

    def __init__(self, receive: Receive, on_disconnect: t.Callable[[], None]) -> None:
        self.receive = receive
        self.on_disconnect = on_disconnect
        #: The body has been received in full (or there is none).
        self.body_done = False
        #: The watcher may look ahead at the first message (HTTP/2).
        self.lookahead = False
        self._looked = False
        self._early: Message | None = None
        self._lock: asyncio.Lock | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def may_watch(self) -> bool:
        return self.body_done or (self.lookahead and not self._looked)

    async def next_message(self) -> Message:
        """The next message for the body reader."""
        if not self.lookahead:
            # No watcher runs before the body is complete: nobody to share with.
            return await self.receive()
        if self._early is None:
            async with self._turn():
                if self._early is None:
                    return await self.receive()
        message, self._early = self._early, None
        return message

    def _turn(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def watch(self) -> None:
        """Start the watcher, if it may run and is not running."""
        if self.may_watch and (self._watcher is None or self._watcher.done()):
            self._watcher = asyncio.create_task(self._watch())

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            # Its CancelledError will hold the watcher's frame, whose self is
            # this receiver: forget the task, or the two form a cycle.
            self._watcher = None
        # The request is over: drop the connection's callback, which would
        # keep the connection, and its request, alive in a reference cycle.
        self.on_disconnect = _ignore

    async def _watch(self) -> None:
        while True:
            try:
                async with self._turn():
                    if self._early is not None and not self.body_done:
                        return  # the reader has yet to take the last one
                    message = await self.receive()
            except Exception:
                return  # a server that fails receive() after the end
            if message["type"] == "http.disconnect":
                self.on_disconnect()
                return
            if self.body_done:
                continue
            self._early = message
            if message.get("body") or message.get("more_body", False):
                # A body: the reader takes it, and watching resumes once the
                # body is complete.
                self._looked = True
                return
            self.body_done = True


class _Sweeper:
    """Starts disconnect watchers for the requests of one loop that are still
    running after :attr:`interval` seconds (a streamed response starts its
    own at once).

    A watcher is a task; most requests end long before one would be of use,
    so they only join a set here, and one timer per loop does the rest.
    """

    #: Seconds between sweeps: the longest a disconnect goes unnoticed.
    interval = 0.05
    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Sweeper]
    _by_loop = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: dict[ASGIHTTPConnection, None] = {}
        self.timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Sweeper:
        sweeper = cls._by_loop.get(loop)
        if sweeper is None:
            sweeper = cls._by_loop[loop] = cls(loop)
        return sweeper

    def add(self, connection: ASGIHTTPConnection) -> None:
        self.waiting[connection] = None
        if self.timer is None:
            self.timer = self.loop.call_later(self.interval, self.sweep)

    def discard(self, connection: ASGIHTTPConnection) -> None:
        self.waiting.pop(connection, None)

    def sweep(self) -> None:
        due, self.waiting = self.waiting, {}
        self.timer = None
        for connection in due:
            connection._watch_now()
