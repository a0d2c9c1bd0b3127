"""Serving hooks, the ASGI lifespan and ``test_app``: order, contexts,
failures, and the shutdown order around in-flight connections."""

from __future__ import annotations

import asyncio
import threading
import typing as t

import pytest

import pottle
from pottle import Blueprint, current_app, websocket
from pottle.testing import LifespanError
from rawasgi import Exchange


def test_hook_order_and_shutdown_event(app: pottle.Pottle) -> None:
    events: list[str] = []

    @app.before_serving
    async def first() -> None:
        events.append("before 1")

    @app.before_serving
    def second() -> None:
        events.append("before 2")

    @app.while_serving
    async def outer() -> t.AsyncIterator[None]:
        events.append("while outer start")
        yield
        events.append("while outer stop")

    @app.while_serving
    async def inner() -> t.AsyncIterator[None]:
        events.append("while inner start")
        yield
        events.append(f"while inner stop {app.shutdown_event.is_set()}")

    @app.after_serving
    def after() -> None:
        events.append("after 1")

    @app.after_serving
    async def after_again() -> None:
        events.append("after 2")

    async def main() -> None:
        async with app.test_app():
            events.append("serving")

    asyncio.run(main())
    assert events == [
        "before 1",
        "before 2",
        "while outer start",
        "while inner start",
        "serving",
        "while inner stop True",
        "while outer stop",
        "after 1",
        "after 2",
    ]


def test_hooks_run_in_an_app_context_and_sync_ones_off_the_loop(
    app: pottle.Pottle,
) -> None:
    seen: list[t.Any] = []

    @app.before_serving
    def sync_hook() -> None:
        seen.append((current_app.name, threading.current_thread().name))

    @app.after_serving
    async def async_hook() -> None:
        seen.append((current_app.name, threading.current_thread().name))

    async def main() -> None:
        async with app.test_app():
            pass

    asyncio.run(main())
    (name, hook_thread), (name_again, loop_thread) = seen
    assert name == name_again == app.name
    assert hook_thread.startswith("pottle-worker")
    assert loop_thread == threading.current_thread().name


def test_blueprint_serving_hooks(app: pottle.Pottle) -> None:
    events: list[str] = []
    bp = Blueprint("bp", __name__)

    @bp.before_app_serving
    def start() -> None:
        events.append("start")

    @bp.while_app_serving
    async def around() -> t.AsyncIterator[None]:
        events.append("around")
        yield
        events.append("around end")

    @bp.after_app_serving
    def stop() -> None:
        events.append("stop")

    app.register_blueprint(bp)
    with app.test_app():
        pass
    assert events == ["start", "around", "around end", "stop"]


def test_sync_test_app_shares_the_client_loop(app: pottle.Pottle) -> None:
    @app.before_serving
    async def start() -> None:
        app.extensions["loop"] = asyncio.get_running_loop()

    @app.route("/")
    async def index() -> str:
        same = asyncio.get_running_loop() is app.extensions["loop"]
        return str(same)

    with app.test_app() as test_app:
        assert test_app.test_client().get("/").data == b"True"


# -- failures ---------------------------------------------------------------------


def test_startup_failure_is_reported_and_unwinds(app: pottle.Pottle) -> None:
    events: list[t.Any] = []

    @app.while_serving
    async def started() -> t.AsyncIterator[None]:
        events.append("started")
        yield
        events.append("unwound")

    @app.while_serving
    async def broken() -> t.AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    def on_error(sender: t.Any, exception: Exception) -> None:
        events.append(exception)

    with pottle.got_serving_exception.connected_to(on_error, app):
        with pytest.raises(LifespanError, match="RuntimeError: no database"):
            with app.test_app():
                pass
    assert events[0] == "started"
    assert isinstance(events[1], RuntimeError)
    assert events[2:] == ["unwound"]


def test_before_serving_failure(app: pottle.Pottle) -> None:
    @app.before_serving
    async def broken() -> None:
        raise ValueError("bad config")

    with pytest.raises(LifespanError, match="startup failed: ValueError: bad config"):
        with app.test_app():
            pass


def test_shutdown_runs_every_hook_and_reports_the_first_failure(
    app: pottle.Pottle,
) -> None:
    ran: list[str] = []
    errors: list[Exception] = []

    @app.after_serving
    def first() -> None:
        ran.append("first")
        raise KeyError("first")

    @app.after_serving
    def second() -> None:
        ran.append("second")
        raise KeyError("second")

    def on_error(sender: t.Any, exception: Exception) -> None:
        errors.append(exception)

    with pottle.got_serving_exception.connected_to(on_error, app):
        with pytest.raises(LifespanError, match="shutdown failed: KeyError: 'first'"):
            with app.test_app():
                pass
    assert ran == ["first", "second"]
    assert [e.args for e in errors] == [("first",), ("second",)]


def test_while_serving_must_be_an_async_generator(app: pottle.Pottle) -> None:
    @app.while_serving
    async def not_a_generator() -> None:
        pass

    with pytest.raises(LifespanError, match="must be an async generator"):
        with app.test_app():
            pass


def test_while_serving_must_yield_once(app: pottle.Pottle) -> None:
    @app.while_serving
    async def twice() -> t.AsyncIterator[None]:
        yield
        yield

    with pytest.raises(LifespanError, match="did not stop after its yield"):
        with app.test_app():
            pass


def test_lifespan_messages(app: pottle.Pottle) -> None:
    @app.before_serving
    def broken() -> None:
        raise OSError("port in use")

    async def main() -> list[dict[str, t.Any]]:
        sent: list[dict[str, t.Any]] = []
        messages = [{"type": "lifespan.startup"}]

        async def receive() -> dict[str, t.Any]:
            return messages.pop(0)

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        return sent

    assert asyncio.run(main()) == [
        {"type": "lifespan.startup.failed", "message": "OSError: port in use"}
    ]


# -- shutdown order ---------------------------------------------------------------


def test_shutdown_waits_for_in_flight_websockets(app: pottle.Pottle) -> None:
    events: list[str] = []
    entered = asyncio.Event()

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        entered.set()
        try:
            while True:
                await websocket.receive()
        finally:
            events.append("websocket closed")

    @app.after_serving
    def after() -> None:
        events.append("after_serving")

    async def main() -> None:
        test_app = app.test_app()
        await test_app.startup()
        async with test_app.test_client().websocket("/ws"):
            await entered.wait()
            shutdown = asyncio.create_task(test_app.shutdown())
            for _ in range(20):
                await asyncio.sleep(0)
            events.append(f"shutdown done: {shutdown.done()}")
        await shutdown

    asyncio.run(main())
    assert events == ["shutdown done: False", "websocket closed", "after_serving"]


@pytest.fixture
def restore_pool() -> t.Iterator[None]:
    from pottle._concurrency import pool

    size = pool.max_workers
    yield
    pool.max_workers = size


@pytest.mark.usefixtures("restore_pool")
def test_worker_threads_bounds_concurrent_sync_requests(app: pottle.Pottle) -> None:
    app.config["WORKER_THREADS"] = 2
    lock = threading.Lock()
    running = [0]
    most = [0]
    release = threading.Event()

    @app.get("/")
    def index() -> str:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
        return "ok"

    async def main() -> list[int | None]:
        async with app.test_app():
            # Straight through ASGI, as a server calls the app: the test
            # client would run sync code on a thread of its own.
            exchanges = [Exchange(app) for _ in range(4)]
            for exchange in exchanges:
                exchange.push(b"")
                exchange.start()
            # Two views start; the other two wait for a thread, not for them.
            for _ in range(200):
                if running[0] == 2:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)
            started = running[0]
            release.set()
            for exchange in exchanges:
                await exchange.run()
            return [started] + [exchange.status for exchange in exchanges]

    assert asyncio.run(main()) == [2, 200, 200, 200, 200]
    assert most[0] == 2


@pytest.mark.usefixtures("restore_pool")
@pytest.mark.parametrize("value", [0, -1, "8", 2.5, True, None])
def test_worker_threads_must_be_a_positive_int(
    app: pottle.Pottle, value: t.Any
) -> None:
    app.config["WORKER_THREADS"] = value

    async def main() -> None:
        async with app.test_app():
            pass

    with pytest.raises((LifespanError, ValueError), match="WORKER_THREADS"):
        asyncio.run(main())
