"""The app's serving life (a mixin of :class:`~pottle.Pottle`): the serving
hooks run at startup and shutdown, background tasks, and the connections in
flight that shutdown waits for.

Shutdown runs in this order: ``shutdown_event`` is set; in-flight requests
and websockets finish (or the server cancels them); background tasks finish
or are cancelled after ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``; the
``while_serving`` generators resume, last first; the ``after_serving``
functions run. Only the ASGI lifespan layer and ``test_app`` drive it.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import typing as t

from ._concurrency import _target_loop, current_lease, new_lease, pool
from ._pipeline import Send, Steps, call_async, pipeline_method, step
from .signals import got_background_exception, got_serving_exception

if t.TYPE_CHECKING:
    from .app import Pottle
    from .config import Config

_ServingGen = t.AsyncGenerator[t.Any, None]


class Lifecycle:
    """Startup, shutdown and background tasks, for :class:`~pottle.Pottle`."""

    if t.TYPE_CHECKING:
        config: Config
        logger: t.Any
        before_serving_funcs: list[t.Callable[[], t.Any]]
        after_serving_funcs: list[t.Callable[[], t.Any]]
        while_serving_gens: list[t.Callable[[], _ServingGen]]
        background_tasks: set[asyncio.Task[None]]
        shutdown_event: asyncio.Event
        _in_flight: set[asyncio.Task[t.Any]]
        _serving_gens: list[_ServingGen]

    # -- startup and shutdown -------------------------------------------------

    async def startup(self) -> None:
        """Run the ``before_serving`` functions, then the ``while_serving``
        generators up to their ``yield``, in an app context. Called by the
        server's lifespan startup (or ``test_app``). A failure sends
        :data:`got_serving_exception`, unwinds the generators already
        started, and is raised."""
        app = t.cast("Pottle", self)
        if self.shutdown_event.is_set():  # serving again (tests): a fresh event
            self.shutdown_event = asyncio.Event()
        async with app.app_context():
            try:
                pool.max_workers = _worker_threads(app.config["WORKER_THREADS"])
                for func in self.before_serving_funcs:
                    await call_async(func)
                for gen_func in self.while_serving_gens:
                    gen = gen_func()
                    if not inspect.isasyncgen(gen):
                        if inspect.iscoroutine(gen):
                            gen.close()
                        raise TypeError(
                            f"The while_serving function {gen_func!r} must be an"
                            " async generator function (async def with one yield)."
                        )
                    await gen.__anext__()
                    self._serving_gens.append(t.cast(_ServingGen, gen))
            except Exception as e:
                await step(app, app, "handle_serving_exception", e)
                await self._stop_serving_gens()
                raise

    async def shutdown(self) -> None:
        """Stop serving, in the order of the module docstring. Every hook
        runs even if one fails; each failure sends
        :data:`got_serving_exception`, and the first is raised at the end."""
        app = t.cast("Pottle", self)
        self.shutdown_event.set()
        await self._wait_for(self._in_flight, None)
        await self._finish_background_tasks()
        async with app.app_context():
            errors = await self._stop_serving_gens()
            for func in self.after_serving_funcs:
                try:
                    await call_async(func)
                except Exception as e:
                    await step(app, app, "handle_serving_exception", e)
                    errors.append(e)
        if errors:
            raise errors[0]

    async def _stop_serving_gens(self) -> list[Exception]:
        """Resume the started ``while_serving`` generators, last first."""
        app = t.cast("Pottle", self)
        errors: list[Exception] = []
        while self._serving_gens:
            gen = self._serving_gens.pop()
            try:
                await gen.__anext__()
            except StopAsyncIteration:
                continue
            except Exception as e:
                error: Exception = e
            else:
                await gen.aclose()
                error = RuntimeError(
                    f"The while_serving generator {gen!r} did not stop after its"
                    " yield; it must yield exactly once."
                )
            await step(app, app, "handle_serving_exception", error)
            errors.append(error)
        return errors

    @pipeline_method
    def handle_serving_exception(self, e: Exception) -> Steps[None]:
        """Send :data:`got_serving_exception` and log a serving hook's
        failure."""
        if got_serving_exception.receivers:
            yield Send(got_serving_exception, exception=e)
        self.logger.error("Exception in a serving hook", exc_info=e)

    # -- in-flight connections ------------------------------------------------

    async def _track(self, connection: t.Callable[[], t.Awaitable[None]]) -> None:
        """Run a connection, counted as in flight until it ends."""
        task = t.cast("asyncio.Task[t.Any]", asyncio.current_task())
        in_flight = self._in_flight
        in_flight.add(task)
        try:
            await connection()
        finally:
            in_flight.discard(task)

    # -- background tasks -----------------------------------------------------

    def add_background_task(
        self, func: t.Callable[..., t.Any], *args: t.Any, **kwargs: t.Any
    ) -> None:
        """Run ``func(*args, **kwargs)`` in the background, in a new app
        context; the current request or websocket does not wait for it.

        ``func`` may be sync (it runs on a worker thread) or async. The task
        does not see the request or the caller's context variables: pass
        what it needs as arguments. Its exception is logged and sends
        :data:`got_background_exception`, and affects nothing else. Shutdown
        waits for the task up to ``BACKGROUND_TASK_SHUTDOWN_TIMEOUT``
        seconds, then cancels it. Callable from async code, sync views and
        other threads.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # A sync view's worker thread (or any thread): the app's loop.
            loop = _target_loop(current_lease())
            loop.call_soon_threadsafe(self._start_background, func, args, kwargs)
        else:
            self._start_background(func, args, kwargs)

    def _start_background(
        self,
        func: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
    ) -> None:
        task = asyncio.get_running_loop().create_task(
            self._run_background(func, args, kwargs), context=contextvars.Context()
        )
        self.background_tasks.add(task)
        task.add_done_callback(self.background_tasks.discard)

    async def _run_background(
        self,
        func: t.Callable[..., t.Any],
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
    ) -> None:
        app = t.cast("Pottle", self)
        # One worker thread for the task's sync code, hooks included (a
        # connection opened by the task can be closed in teardown).
        lease = new_lease()
        try:
            async with app.app_context():
                try:
                    await call_async(func, *args, **kwargs)
                except Exception as e:
                    await step(app, app, "handle_background_exception", e)
        except Exception:
            self.logger.exception("Exception while ending a background task")
        finally:
            lease.release()

    @pipeline_method
    def handle_background_exception(self, e: Exception) -> Steps[None]:
        """Send :data:`got_background_exception` and log the failure of a
        background task."""
        if got_background_exception.receivers:
            yield Send(got_background_exception, exception=e)
        self.logger.error("Exception in a background task", exc_info=e)

    async def _finish_background_tasks(self) -> None:
        """Wait for the background tasks (and the ones they start) up to the
        timeout, then cancel the rest and wait for them to end. Sync code in
        a thread cannot be interrupted: a sync task still running holds the
        shutdown up until it returns (or the server's shutdown timeout)."""
        timeout = self.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"]
        if not await self._wait_for(self.background_tasks, timeout):
            for task in self._on_this_loop(self.background_tasks):
                task.cancel()
            await self._wait_for(self.background_tasks, None)

    async def _wait_for(
        self, tasks: set[asyncio.Task[t.Any]], timeout: float | None
    ) -> bool:
        """Wait until ``tasks`` (a live set) has none left on this loop, at
        most ``timeout`` seconds; whether it emptied."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while pending := self._on_this_loop(tasks):
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            await asyncio.wait(pending, timeout=remaining)
        return True

    @staticmethod
    def _on_this_loop(tasks: set[asyncio.Task[t.Any]]) -> set[asyncio.Task[t.Any]]:
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        return {
            task for task in tasks if task.get_loop() is loop and task is not current
        }


def _worker_threads(value: t.Any) -> int:
    """``WORKER_THREADS``, checked: the most threads that run sync user code
    at once (one per request that has sync code)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"WORKER_THREADS must be a whole number of threads, at least 1,"
            f" not {value!r}."
        )
    return value
