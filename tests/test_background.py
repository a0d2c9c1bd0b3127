"""``add_background_task``: contexts, threads, failures, and how shutdown
waits for and then cancels background tasks."""

from __future__ import annotations

import asyncio
import logging
import threading
import typing as t

import pytest

import pottle
from pottle import current_app, g


def test_async_and_sync_tasks_run_in_a_fresh_app_context(app: pottle.Pottle) -> None:
    seen: list[t.Any] = []

    async def async_task(value: int, *, key: str) -> None:
        seen.append(
            ("async", value, key, current_app.name, pottle.has_request_context())
        )

    def sync_task(value: int) -> None:
        seen.append(("sync", value, threading.current_thread().name, "x" in g))

    @app.route("/")
    async def index() -> str:
        g.x = 1
        app.add_background_task(async_task, 1, key="k")
        app.add_background_task(sync_task, 2)
        return ""

    with app.test_app() as test_app:
        test_app.test_client().get("/")
    by_kind = {item[0]: item[1:] for item in seen}
    assert by_kind["async"] == (1, "k", app.name, False)
    value, thread, has_x = by_kind["sync"]
    assert (value, has_x) == (2, False)
    assert thread.startswith("pottle-worker")


def test_added_from_a_sync_view(app: pottle.Pottle) -> None:
    done = []

    async def task() -> None:
        done.append(asyncio.get_running_loop() is app.extensions["loop"])

    @app.before_serving
    async def remember_loop() -> None:
        app.extensions["loop"] = asyncio.get_running_loop()

    @app.route("/")
    def index() -> str:
        app.add_background_task(task)
        return ""

    with app.test_app() as test_app:
        test_app.test_client().get("/")
    assert done == [True]


def test_the_task_is_kept_until_done(app: pottle.Pottle) -> None:
    release = asyncio.Event()
    counts = []

    async def task() -> None:
        await release.wait()

    async def main() -> None:
        async with app.test_app():
            async with app.app_context():
                app.add_background_task(task)
            counts.append(len(app.background_tasks))
            release.set()
            for _ in range(10):  # let it finish and its done callbacks run
                await asyncio.sleep(0)
            counts.append(len(app.background_tasks))

    asyncio.run(main())
    assert counts == [1, 0]


def test_a_failure_is_logged_and_signalled(
    app: pottle.Pottle, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[Exception] = []
    finished: list[str] = []

    def broken() -> None:
        raise ZeroDivisionError("in the background")

    async def fine() -> None:
        finished.append("fine")

    def on_error(sender: t.Any, exception: Exception) -> None:
        errors.append(exception)

    with pottle.got_background_exception.connected_to(on_error, app):
        with caplog.at_level(logging.ERROR):
            with app.test_app():
                app.add_background_task(broken)
                app.add_background_task(fine)
    assert [type(e) for e in errors] == [ZeroDivisionError]
    assert finished == ["fine"]
    assert "Exception in a background task" in caplog.text
    assert "in the background" in caplog.text


def test_shutdown_waits_for_tasks_and_those_they_start(app: pottle.Pottle) -> None:
    events: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0)
        events.append("second")

    async def first() -> None:
        await asyncio.sleep(0)
        current_app.add_background_task(second)
        events.append("first")

    @app.after_serving
    def after() -> None:
        events.append(f"after_serving, {len(app.background_tasks)} left")

    async def main() -> None:
        async with app.test_app():
            app.add_background_task(first)

    asyncio.run(main())
    assert events == ["first", "second", "after_serving, 0 left"]


def test_shutdown_cancels_tasks_after_the_timeout(app: pottle.Pottle) -> None:
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 0
    events: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("cancelled")
            raise

    @app.after_serving
    def after() -> None:
        events.append("after_serving")

    async def main() -> None:
        async with app.test_app():
            app.add_background_task(forever)
            await asyncio.sleep(0)

    asyncio.run(main())
    assert events == ["cancelled", "after_serving"]


def test_shutdown_event_lets_tasks_stop_early(app: pottle.Pottle) -> None:
    events: list[str] = []

    async def poller() -> None:
        await current_app.shutdown_event.wait()
        events.append("noticed shutdown")

    async def main() -> None:
        async with app.test_app():
            app.add_background_task(poller)
            await asyncio.sleep(0)

    asyncio.run(main())
    assert events == ["noticed shutdown"]


def test_teardown_appcontext_runs_on_the_task_thread(app: pottle.Pottle) -> None:
    threads: list[str] = []

    def task() -> None:
        g.thread = threading.current_thread().name

    @app.teardown_appcontext
    def teardown(exc: BaseException | None) -> None:
        if "thread" in g:
            threads.append(f"{g.thread == threading.current_thread().name}")

    with app.test_app():
        app.add_background_task(task)
    assert threads == ["True"]
