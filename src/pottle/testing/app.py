"""``app.test_app()``: plays the server's part in the ASGI lifespan, so a test
runs with the serving hooks started and stopped around it.

``async with`` runs the app on the test's loop; ``with`` runs it on the
background loop the sync test client uses, so both see the same app state.
"""

from __future__ import annotations

import asyncio
import typing as t

from .._concurrency import block_on, portal

if t.TYPE_CHECKING:
    from types import TracebackType

    from ..app import Pottle
    from .client import PottleClient


class LifespanError(Exception):
    """The app reported that its startup or shutdown failed."""


class TestApp:
    """Starts the app on entry (``before_serving``, ``while_serving``) and
    shuts it down on exit (waiting for background tasks, then
    ``after_serving``).

    :param app: the application.
    :param startup_timeout: seconds allowed for the startup.
    :param shutdown_timeout: seconds allowed for the shutdown.
    """

    __test__ = False  # not a pytest test class

    def __init__(
        self, app: Pottle, startup_timeout: float = 60, shutdown_timeout: float = 60
    ) -> None:
        self.app = app
        self.startup_timeout = startup_timeout
        self.shutdown_timeout = shutdown_timeout
        self._messages: asyncio.Queue[dict[str, t.Any]] | None = None
        self._replies: asyncio.Queue[dict[str, t.Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    def test_client(self, **kwargs: t.Any) -> PottleClient:
        """A test client for the app (see ``app.test_client``)."""
        return self.app.test_client(**kwargs)

    async def startup(self) -> None:
        """Send the lifespan startup and wait for the app's answer.

        :raises LifespanError: the startup failed.
        """
        self._messages, self._replies = asyncio.Queue(), asyncio.Queue()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": {},
        }
        self._task = asyncio.create_task(
            self.app(scope, self._messages.get, self._replies.put)
        )
        await self._exchange("startup", self.startup_timeout)

    async def shutdown(self) -> None:
        """Send the lifespan shutdown and wait for the app's answer.

        :raises LifespanError: the shutdown failed.
        """
        await self._exchange("shutdown", self.shutdown_timeout)
        if self._task is not None:
            await self._task

    async def _exchange(self, phase: str, timeout: float) -> None:
        if self._messages is None or self._replies is None or self._task is None:
            raise RuntimeError("The test app was not started.")
        await self._messages.put({"type": f"lifespan.{phase}"})
        reply = asyncio.create_task(self._replies.get())
        try:
            done, _ = await asyncio.wait(
                [reply, self._task], timeout=timeout, return_when="FIRST_COMPLETED"
            )
        finally:
            reply.cancel()
        if reply in done:
            message = reply.result()
            if message["type"] == f"lifespan.{phase}.failed":
                raise LifespanError(f"The app's {phase} failed: {message['message']}")
        elif self._task in done:
            self._task.result()  # the lifespan itself raised: show that
            raise LifespanError(f"The app stopped its lifespan during {phase}.")
        else:
            raise LifespanError(f"The app's {phase} took more than {timeout} s.")

    async def __aenter__(self) -> TestApp:
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.shutdown()

    def __enter__(self) -> TestApp:
        block_on(self.startup(), loop=portal())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        block_on(self.shutdown(), loop=portal())
