"""The websocket side of ASGI: runs one connection's handler and is the
channel its websocket object sends and receives through.

Received messages wait in a bounded inbox. Once ``max_queue`` messages wait,
nothing more is pulled from the server, so a handler that does not read
pushes back on the client instead of growing memory. When the client goes
away, a handler waiting in ``receive()`` gets ``WebsocketDisconnect``; one
doing anything else is cancelled, as Quart does. Nothing above this module
sees an ASGI message.
"""

from __future__ import annotations

import asyncio
import typing as t
import warnings
from collections import deque

from werkzeug.http import HTTP_STATUS_CODES

from .._concurrency import new_lease, register_loop, run_sync
from .._pipeline import to_worker
from ..signals import websocket_received, websocket_sent
from ..wrappers.response import headers_to_send
from ..wrappers.websocket import WebsocketDisconnect
from .http import Receive, Scope, Send

if t.TYPE_CHECKING:
    from ..app import Pottle
    from ..wrappers import Response, Websocket

_DENIAL_EXTENSION = "websocket.http.response"


class _Inbox:
    """Messages received and not yet read: ``put`` waits while ``limit``
    messages wait. ``get`` returns ``None`` once closed and empty."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.closed = False
        self._items: deque[str | bytes] = deque()
        self._has_items = asyncio.Event()
        self._has_room = asyncio.Event()

    async def put(self, item: str | bytes) -> None:
        while len(self._items) >= self.limit and not self.closed:
            self._has_room.clear()
            await self._has_room.wait()
        if not self.closed:
            self._items.append(item)
            self._has_items.set()

    async def get(self) -> str | bytes | None:
        while not self._items:
            if self.closed:
                return None
            self._has_items.clear()
            await self._has_items.wait()
        item = self._items.popleft()
        self._has_room.set()
        return item

    def close(self) -> None:
        self.closed = True
        self._has_items.set()
        self._has_room.set()


class ASGIWebsocketConnection:
    """One websocket connection (see the module docstring)."""

    def __init__(self, app: Pottle, scope: Scope, receive: Receive, send: Send) -> None:
        self.app = app
        self.scope = scope
        self.receive_message = receive
        self.send_message = send
        #: Whether the handshake was accepted.
        self.accepted = False
        #: Whether the connection is closed (or the handshake denied).
        self.closed = False
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.max_message_size: int | None = None
        self._inbox = _Inbox(32)
        self._handler: asyncio.Task[None] | None = None
        self._handler_returned = False
        self._receivers: set[asyncio.Task[t.Any] | None] = set()
        self._cancelled_on_close = False
        version = scope.get("asgi", {}).get("spec_version", "2.0")
        self._spec = tuple(int(part) for part in version.split("."))

    @property
    def max_queue(self) -> int:
        return self._inbox.limit

    @max_queue.setter
    def max_queue(self, value: int) -> None:
        self._inbox.limit = value

    async def __call__(self) -> None:
        register_loop(asyncio.get_running_loop())
        if (await self.receive_message())["type"] != "websocket.connect":
            return
        # A websocket may stay open for hours, so it never holds a worker
        # thread: a closed lease lends one per sync call.
        new_lease().release()
        websocket = self.app.websocket_class.from_scope(self.scope, self)
        self.app._configure_websocket(websocket)
        # The handler first: it must be running (inside _handle) before the
        # reader can cancel it.
        self._handler = asyncio.create_task(self._handle(websocket))
        reader = asyncio.create_task(self._read())
        try:
            await self._handler
        finally:
            reader.cancel()
            await asyncio.wait([reader])
            if not reader.cancelled() and reader.exception() is not None:
                raise t.cast(BaseException, reader.exception())

    async def _handle(self, websocket: Websocket) -> None:
        try:
            await self.app.handle_websocket(websocket, self.finish)
        except WebsocketDisconnect:
            pass  # a receive() after the handler (an after hook): the client left
        except asyncio.CancelledError:
            task = t.cast("asyncio.Task[None]", asyncio.current_task())
            if self._cancelled_on_close and task.cancelling() <= 1:
                task.uncancel()  # our own cancel: the client left, all is well
                return
            await self._close_quietly(1001, "Going Away")  # the server stops
            raise
        except Exception:
            # Propagated (testing/debug) or failed while finishing: the
            # client still gets an ending.
            await self._close_quietly(1011, "Internal Server Error")
            raise

    async def _read(self) -> None:
        while True:
            message = await self.receive_message()
            kind = message["type"]
            if kind == "websocket.receive":
                data = message.get("text")
                if data is None:
                    data = message.get("bytes") or b""
                if _too_big(data, self.max_message_size):
                    if self._mark_closed(1009, "Message Too Big"):
                        self._stop_handler()
                        await self._send_close(1009, "Message Too Big")
                    return
                await self._inbox.put(data)
            elif kind == "websocket.disconnect":
                if self._mark_closed(message.get("code", 1005), message.get("reason")):
                    self._stop_handler()
                return

    def _mark_closed(self, code: int | None, reason: str | None) -> bool:
        """Record the end of the connection; False if it had already ended."""
        if self.closed:
            return False
        self.closed = True
        self.close_code, self.close_reason = code, reason or ""
        self._inbox.close()
        return True

    def _stop_handler(self) -> None:
        # A handler waiting in receive() gets WebsocketDisconnect there;
        # anything else it awaits cannot reach the client any more. Once it
        # has returned, the after hooks and teardown run undisturbed.
        handler = self._handler
        if (
            handler is not None
            and not self._handler_returned
            and not handler.done()
            and handler not in self._receivers
        ):
            self._cancelled_on_close = True
            handler.cancel("websocket closed")

    # -- the channel a Websocket uses -----------------------------------------

    async def accept(
        self, headers: list[tuple[bytes, bytes]], subprotocol: str | None
    ) -> None:
        if self.accepted or self.closed:
            return
        self.accepted = True  # before awaiting: another task may send too
        message: dict[str, t.Any] = {
            "type": "websocket.accept",
            "subprotocol": subprotocol,
        }
        if headers:
            if self._spec < (2, 1):
                warnings.warn(
                    "The ASGI server does not support websocket accept headers;"
                    " they were not sent.",
                    stacklevel=3,
                )
            else:
                message["headers"] = headers
        await self.send_message(message)

    async def receive(self) -> str | bytes:
        task = asyncio.current_task()
        self._receivers.add(task)
        try:
            if not self.accepted:
                await self.accept([], None)
            data = await self._inbox.get()
            if data is None:
                raise WebsocketDisconnect(
                    self.close_code or 1006, self.close_reason or ""
                )
            if websocket_received.receivers:
                await websocket_received.send_async(
                    self.app, _sync_wrapper=to_worker, data=data
                )
            return data
        finally:
            self._receivers.discard(task)

    async def send(self, data: str | bytes) -> None:
        if not self.accepted:
            await self.accept([], None)
        if self.closed:
            return
        key = "text" if isinstance(data, str) else "bytes"
        try:
            await self.send_message({"type": "websocket.send", key: data})
        except OSError:
            # uvicorn raises ClientDisconnected (an OSError) once the client
            # has gone, before the disconnect message reaches us.
            if self._mark_closed(1006, ""):
                self._stop_handler()
            return
        if websocket_sent.receivers:
            await websocket_sent.send_async(
                self.app, _sync_wrapper=to_worker, data=data
            )

    async def close(self, code: int, reason: str) -> None:
        if self._mark_closed(code, reason):
            await self._send_close(code, reason)

    def handler_returned(self) -> None:
        self._handler_returned = True

    # -- ending the connection ------------------------------------------------

    async def finish(self, response: Response | None) -> None:
        """End the connection after the handler: close it (the code follows
        the response's status), or deny the handshake with ``response``."""
        if self.closed:
            return
        if self.accepted:
            await self.close(*_close_for(response))
        elif response is not None and _DENIAL_EXTENSION in self._extensions():
            await self._deny(response)
        else:
            await self.close(1000, "")  # before accept: the server answers 403

    def _extensions(self) -> dict[str, t.Any]:
        return self.scope.get("extensions") or {}

    async def _deny(self, response: Response) -> None:
        self._mark_closed(None, None)
        if response.is_async:
            body = await response.get_data()
        elif response.is_sequence:
            body = response.get_data()
        else:  # a generator may run user code: keep it off the loop
            body = await run_sync(response.get_data)
        await self.send_message(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": headers_to_send(response),
            }
        )
        await self.send_message(
            {"type": "websocket.http.response.body", "body": body, "more_body": False}
        )

    async def _send_close(self, code: int, reason: str) -> None:
        message: dict[str, t.Any] = {"type": "websocket.close", "code": code}
        if reason and self._spec >= (2, 3):
            message["reason"] = reason
        await self.send_message(message)

    async def _close_quietly(self, code: int, reason: str) -> None:
        """Tell the client the connection ends, on an error path: a plain
        500 before the handshake is accepted, a close frame after."""
        if not self._mark_closed(code, reason):
            return
        try:
            if self.accepted or _DENIAL_EXTENSION not in self._extensions():
                await self._send_close(code, reason)
                return
            body = reason.encode()
            await self.send_message(
                {
                    "type": "websocket.http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await self.send_message(
                {"type": "websocket.http.response.body", "body": body}
            )
        except Exception:
            pass  # the connection is already broken


def _too_big(data: str | bytes, limit: int | None) -> bool:
    if limit is None:
        return False
    if len(data) > limit:
        return True
    # A character is up to 4 bytes of UTF-8: encode only when that matters.
    return (
        isinstance(data, str) and len(data) * 4 > limit and len(data.encode()) > limit
    )


def _close_for(response: Response | None) -> tuple[int, str]:
    """The close code for the handler's outcome after the handshake: 1000,
    or 1008 (policy violation) for a 4xx response and 1011 for a 5xx."""
    if response is None or response.status_code < 400:
        return 1000, ""
    code = 1008 if response.status_code < 500 else 1011
    return code, HTTP_STATUS_CODES.get(response.status_code, "")
