"""The websocket object: werkzeug's sans-IO request (URL, headers, cookies)
plus the messages of the connection.

The IO goes through a :class:`WebsocketChannel` that the ASGI layer passes
in; this module never speaks ASGI and never imports the app, contexts or
globals (limits are set on the object by the app).
"""

from __future__ import annotations

import asyncio
import typing as t

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest

from .. import json
from .routed import RoutedRequest, scope_parts

if t.TYPE_CHECKING:
    pass

HeadersValue = Headers | t.Mapping[str, str] | t.Iterable[tuple[str, str]]


class WebsocketDisconnect(asyncio.CancelledError):
    """Raised by :meth:`Websocket.receive` when the connection is closed: the
    client went away, or pottle closed it (a message over the size limit).

    It is an :exc:`asyncio.CancelledError`, so a handler written for Quart
    (which cancels the handler when the client leaves) still cleans up in
    ``except CancelledError`` and ``finally``. Left uncaught, it ends the
    handler as if it returned ``None``.

    :param code: the close code the server reported (1000 normal, 1001 going
        away, 1006 abnormal, 1009 message too big...).
    :param reason: the close reason, or ``""``.
    """

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        #: The websocket close code.
        self.code = code
        #: The close reason (``""`` when none was given).
        self.reason = reason


class WebsocketChannel(t.Protocol):
    """What a :class:`Websocket` needs from the server side (the ASGI layer)."""

    accepted: bool
    close_code: int | None
    close_reason: str | None
    max_message_size: int | None
    max_queue: int

    async def accept(
        self, headers: list[tuple[bytes, bytes]], subprotocol: str | None
    ) -> None: ...

    async def receive(self) -> str | bytes: ...

    async def send(self, data: str | bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...

    def handler_returned(self) -> None: ...


class Websocket(RoutedRequest):
    """The websocket object used by default in pottle (``websocket`` in a
    websocket handler).

    It has the request's URL, header and cookie attributes (``args``,
    ``headers``, ``cookies``, ``url``, ``host``...) and its routing
    attributes (``endpoint``, ``blueprint``, ``view_args``), plus the
    messages. :meth:`send` and :meth:`receive` accept the connection first if
    the handler has not called :meth:`accept`.
    """

    #: The module or provider used by the JSON methods; the app sets its own.
    json_module: t.Any = json
    #: Whether the app is in debug mode (chooses error detail).
    debug: bool = False

    def __init__(
        self,
        scheme: str,
        server: tuple[str, int | None] | None,
        root_path: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        remote_addr: str | None,
        channel: WebsocketChannel,
        subprotocols: t.Iterable[str] = (),
        scope: dict[str, t.Any] | None = None,
        http_version: str = "1.1",
    ) -> None:
        super().__init__(
            "GET", scheme, server, root_path, path, query_string, headers, remote_addr
        )
        self._channel = channel
        #: The subprotocols the client offered, in its order of preference.
        self.requested_subprotocols: list[str] = list(subprotocols)
        #: The ASGI connection scope this websocket came from.
        self.scope: dict[str, t.Any] = scope if scope is not None else {}
        #: The HTTP version of the handshake (``"1.1"``, ``"2"``...).
        self.http_version = http_version

    @classmethod
    def from_scope(cls, scope: dict[str, t.Any], channel: WebsocketChannel) -> t.Self:
        """Build a websocket from an ASGI websocket scope."""
        parts = scope_parts(scope)
        return cls(
            scope.get("scheme", "ws"),
            parts.server,
            parts.root_path,
            parts.path,
            parts.query_string,
            parts.headers,
            parts.remote_addr,
            channel,
            subprotocols=scope.get("subprotocols", ()),
            scope=scope,
            http_version=scope.get("http_version", "1.1"),
        )

    # -- state and limits -----------------------------------------------------

    @property
    def accepted(self) -> bool:
        """Whether the handshake was accepted."""
        return self._channel.accepted

    @property
    def close_code(self) -> int | None:
        """The close code once the connection is closed (by either side), as
        the server reported it; ``None`` while it is open."""
        return self._channel.close_code

    @property
    def close_reason(self) -> str | None:
        """The close reason once the connection is closed (``""`` if none)."""
        return self._channel.close_reason

    @property
    def max_message_size(self) -> int | None:
        """A received message larger than this (in bytes) closes the
        connection with code 1009. ``None`` leaves only the server's limit.
        Set it (in a ``before_websocket`` hook) to change it for this
        connection."""
        return self._channel.max_message_size

    @max_message_size.setter
    def max_message_size(self, value: int | None) -> None:
        self._channel.max_message_size = value

    @property
    def max_queue(self) -> int:
        """How many received messages may wait for :meth:`receive`; beyond
        that, nothing more is read from the client until the handler
        catches up."""
        return self._channel.max_queue

    @max_queue.setter
    def max_queue(self, value: int) -> None:
        if value < 1:
            raise ValueError("'max_queue' must be at least 1.")
        self._channel.max_queue = value

    # -- messages -------------------------------------------------------------

    async def accept(
        self, headers: HeadersValue | None = None, subprotocol: str | None = None
    ) -> None:
        """Accept the handshake. Does nothing if it is already accepted or
        the connection is closed.

        :param headers: extra headers for the handshake response.
        :param subprotocol: the subprotocol chosen, one of
            :attr:`requested_subprotocols`.
        """
        if subprotocol is not None and subprotocol not in self.requested_subprotocols:
            raise ValueError(
                f"Subprotocol {subprotocol!r} was not requested by the client"
                f" (it offered {self.requested_subprotocols!r})."
            )
        await self._channel.accept(_encode_headers(headers), subprotocol)

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text message, ``bytes`` for a
        binary one.

        :raises WebsocketDisconnect: the connection is closed; its ``code``
            and ``reason`` are also in :attr:`close_code` and
            :attr:`close_reason`.
        """
        return await self._channel.receive()

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message. Once the
        client has gone, this does nothing."""
        if not isinstance(data, (str, bytes, bytearray, memoryview)):
            raise TypeError(
                "A websocket message must be 'str' or 'bytes', not"
                f" {type(data).__name__!r}."
            )
        await self._channel.send(data if isinstance(data, str) else bytes(data))

    async def receive_json(self) -> t.Any:
        """The next message, parsed as JSON. Invalid JSON raises
        :exc:`~werkzeug.exceptions.BadRequest`, which closes the connection
        with code 1008 unless the handler catches it."""
        data = await self.receive()
        try:
            return self.json_module.loads(data)
        except (ValueError, RecursionError) as e:
            detail = f": {e}" if self.debug else "."
            raise BadRequest(f"The websocket message is not valid JSON{detail}") from e

    async def send_json(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Send a value as a JSON text message. Takes what ``jsonify`` takes:
        one value, several (a list), or keyword arguments (an object)."""
        if args and kwargs:
            raise TypeError("send_json() takes either args or kwargs, not both.")
        value: t.Any = kwargs or (args[0] if len(args) == 1 else list(args))
        await self.send(self.json_module.dumps(value))

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection. Before the handshake is accepted, this
        denies it (the server answers 403). Does nothing if it is already
        closed."""
        await self._channel.close(code, reason)

    def _handler_returned(self) -> None:
        # Called by the app once the handler is done: from now on a client
        # that leaves no longer cancels anything (after hooks, teardown).
        self._channel.handler_returned()


def _encode_headers(headers: HeadersValue | None) -> list[tuple[bytes, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, (Headers, t.Mapping)) else headers
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]
