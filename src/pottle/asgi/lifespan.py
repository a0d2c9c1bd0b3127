"""The lifespan side of ASGI: the server's startup and shutdown messages,
turned into ``app.startup()`` and ``app.shutdown()``.

A failure is reported to the server with its message (Hypercorn then exits
non-zero); the traceback has already gone to the app's logger.
"""

from __future__ import annotations

import typing as t

from .http import Receive, Scope, Send

if t.TYPE_CHECKING:
    from ..app import Pottle


class ASGILifespan:
    """The server's startup and shutdown."""

    def __init__(self, app: Pottle, scope: Scope, receive: Receive, send: Send) -> None:
        self.app, self.scope, self.receive, self.send = app, scope, receive, send

    async def __call__(self) -> None:
        while True:
            message = await self.receive()
            if message["type"] == "lifespan.startup":
                if not await self._run("startup", self.app.startup):
                    return
            elif message["type"] == "lifespan.shutdown":
                await self._run("shutdown", self.app.shutdown)
                return

    async def _run(self, phase: str, hooks: t.Callable[[], t.Awaitable[None]]) -> bool:
        try:
            await hooks()
        except Exception as e:
            message = f"{type(e).__name__}: {e}"
            await self.send({"type": f"lifespan.{phase}.failed", "message": message})
            return False
        await self.send({"type": f"lifespan.{phase}.complete"})
        return True
