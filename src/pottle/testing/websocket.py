"""``client.websocket(...)``: a websocket connection to the app over real
ASGI messages, the test playing both the server and the client.

``with client.websocket("/ws") as ws:`` runs the app on the background loop
and each call (``ws.send``, ``ws.receive``) blocks until done; ``async with``
runs it on the test's loop and each call is awaited.
"""

from __future__ import annotations

import asyncio
import typing as t

from werkzeug.datastructures import Headers

from .._concurrency import block_on, portal

if t.TYPE_CHECKING:
    from types import TracebackType

    from ..app import Pottle
    from ..wrappers import Response

T = t.TypeVar("T")
_CLOSED: t.Any = object()


class WebsocketResponseError(Exception):
    """The app denied the handshake; :attr:`response` is its HTTP answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(f"The websocket was denied: {response.status}")
        #: The response that denied the handshake.
        self.response = response


class WebsocketDisconnectError(Exception):
    """The app closed the connection (or its handler ended)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        #: The close code the app sent.
        self.code = code
        #: The close reason the app sent.
        self.reason = reason


class TestWebsocketConnection:
    """The client end of a websocket to the app (see the module docstring).

    Entering it performs the handshake: it raises
    :exc:`WebsocketResponseError` if the app denies it. Leaving it closes
    the connection with code 1000, waits for the handler to end and raises
    the handler's exception if it propagated (``TESTING``).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, app: Pottle, scope: dict[str, t.Any]) -> None:
        self.app = app
        self.scope = scope
        #: Whether the app accepted the handshake.
        self.accepted = False
        #: The subprotocol the app chose.
        self.subprotocol: str | None = None
        #: The extra headers the app sent with the accept.
        self.accept_headers = Headers()
        #: The close code the app sent, once it closed.
        self.close_code: int | None = None
        #: The close reason the app sent, once it closed.
        self.close_reason: str | None = None
        #: The response that denied the handshake, if it was denied.
        self.response: Response | None = None
        self._sync = False
        self._disconnected = False
        self._denial: dict[str, t.Any] | None = None
        self._denial_body = bytearray()
        self._to_app: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self._to_client: asyncio.Queue[t.Any] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._handshake: asyncio.Future[None] | None = None

    # -- the client's calls (blocking with ``with``, awaitable otherwise) -----

    def send(self, data: str | bytes) -> t.Any:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        return self._call(self._send(data))

    def receive(self) -> t.Any:
        """The next message the app sent.

        :raises WebsocketDisconnectError: the app closed the connection.
        """
        return self._call(self._receive())

    def send_json(self, value: t.Any) -> t.Any:
        """Send ``value`` as a JSON text message."""
        return self._call(self._send(self.app.json.dumps(value)))

    def receive_json(self) -> t.Any:
        """The next message, parsed as JSON."""
        return self._call(self._receive_json())

    def close(self, code: int = 1000, reason: str = "") -> t.Any:
        """Close the connection from the client's side (the app sees this
        code and reason) and wait for the handler to end."""
        return self._call(self._close(code, reason))

    def _call(self, coro: t.Coroutine[t.Any, t.Any, T]) -> t.Any:
        if self._sync:
            return block_on(coro, loop=portal())
        return coro

    async def _send(self, data: str | bytes) -> None:
        self._require_open()
        key = "text" if isinstance(data, str) else "bytes"
        await self._to_app.put({"type": "websocket.receive", key: data})

    async def _receive(self) -> str | bytes:
        data = await self._to_client.get()
        if data is _CLOSED:
            self._to_client.put_nowait(_CLOSED)
            self._raise_app_error()
            self._require_open()
        return t.cast("str | bytes", data)

    async def _receive_json(self) -> t.Any:
        return self.app.json.loads(await self._receive())

    async def _close(self, code: int, reason: str) -> None:
        if not self._disconnected:
            self._disconnected = True
            disconnect = {"type": "websocket.disconnect", "code": code}
            if reason:
                disconnect["reason"] = reason
            await self._to_app.put(disconnect)
        if self._task is not None:
            await asyncio.wait([self._task])
        self._raise_app_error()

    def _require_open(self) -> None:
        if self.close_code is not None or self._disconnected:
            raise WebsocketDisconnectError(
                self.close_code or 1006, self.close_reason or ""
            )

    def _raise_app_error(self) -> None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                raise error

    # -- the handshake --------------------------------------------------------

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        self._handshake = loop.create_future()
        self._to_app.put_nowait({"type": "websocket.connect"})
        self._task = loop.create_task(
            self.app(self.scope, self._to_app.get, self._from_app)
        )
        self._task.add_done_callback(self._app_ended)
        await asyncio.wait([self._handshake])
        if self.accepted:
            return
        await asyncio.wait([self._task])
        self._raise_app_error()
        if self.response is None:
            self.response = self.app.response_class("", 500)
        raise WebsocketResponseError(self.response)

    async def _from_app(self, message: dict[str, t.Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted = True
            self.subprotocol = message.get("subprotocol")
            self.accept_headers = _decode(message.get("headers", []))
            self._settle_handshake()
        elif kind == "websocket.send":
            text = message.get("text")
            self._to_client.put_nowait(text if text is not None else message["bytes"])
        elif kind == "websocket.close":
            if not self.accepted:  # a close before accept is a 403 (ASGI spec)
                self.response = self.app.response_class("", 403)
            self.close_code = message.get("code", 1000)
            self.close_reason = message.get("reason") or ""
            self._app_ended()
        elif kind == "websocket.http.response.start":
            self._denial = message
        elif kind == "websocket.http.response.body" and self._denial is not None:
            self._denial_body += message.get("body", b"")
            if not message.get("more_body", False):
                self.response = self.app.response_class(
                    bytes(self._denial_body),
                    self._denial["status"],
                    _decode(self._denial.get("headers", [])),
                )
                self._app_ended()

    def _app_ended(self, _task: t.Any = None) -> None:
        self._to_client.put_nowait(_CLOSED)
        self._settle_handshake()

    def _settle_handshake(self) -> None:
        if self._handshake is not None and not self._handshake.done():
            self._handshake.set_result(None)

    # -- with / async with ----------------------------------------------------

    def __enter__(self) -> TestWebsocketConnection:
        self._sync = True
        block_on(self._open(), loop=portal())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(block_on(self._end(), loop=portal()), exc_value)

    async def __aenter__(self) -> TestWebsocketConnection:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(await self._end(), exc_value)

    async def _end(self) -> BaseException | None:
        try:
            await self._close(1000, "")
        except Exception as e:
            return e
        return None

    @staticmethod
    def _finish(app_error: BaseException | None, exc: BaseException | None) -> None:
        # The handler's error explains a test failure better than the
        # disconnect it caused; any other test failure stands.
        if app_error is not None and (
            exc is None or isinstance(exc, WebsocketDisconnectError)
        ):
            raise app_error


def websocket_scope(
    http_scope: dict[str, t.Any], subprotocols: t.Sequence[str] | None
) -> dict[str, t.Any]:
    """The ASGI websocket scope for a test's HTTP-shaped scope, as Hypercorn
    would make it (it offers the HTTP denial response extension)."""
    scope = {
        key: value
        for key, value in http_scope.items()
        if key not in ("method", "_pottle.environ")
    }
    scheme = scope.get("scheme", "http")
    headers = list(scope["headers"])
    headers += [(b"connection", b"Upgrade"), (b"upgrade", b"websocket")]
    if subprotocols:
        headers.append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
    scope.update(
        type="websocket",
        asgi={"version": "3.0", "spec_version": "2.3"},
        scheme={"http": "ws", "https": "wss"}.get(scheme, scheme),
        headers=headers,
        subprotocols=list(subprotocols or ()),
        extensions={"websocket.http.response": {}},
    )
    return scope


def _decode(headers: t.Iterable[tuple[bytes, bytes]]) -> Headers:
    return Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers])
