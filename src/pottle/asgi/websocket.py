"""The websocket side of ASGI (placeholder until websocket routes land)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from ..app import Pottle


class ASGIWebsocketConnection:
    """One websocket connection."""

    def __init__(
        self,
        app: Pottle,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send

    async def __call__(self) -> None:
        await self.receive()  # websocket.connect
        await self.send({"type": "websocket.close", "code": 1000})
