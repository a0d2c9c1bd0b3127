"""The lifespan side of ASGI (placeholder until serving hooks land)."""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from ..app import Pottle


class ASGILifespan:
    """The server's startup and shutdown."""

    def __init__(
        self,
        app: Pottle,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send

    async def __call__(self) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "lifespan.startup":
                await self.send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.send({"type": "lifespan.shutdown.complete"})
                return
