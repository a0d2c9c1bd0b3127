"""Concurrency guarantees: per-request isolation of contexts on one loop,
and one worker thread for all the sync code of a request."""

from __future__ import annotations

import asyncio
import random
import threading
import time
import typing as t

from pottle import Pottle, g, request
from pottle.testing.connections import HTTPTestConnection


def _scope(path: str) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }


async def _get(app: Pottle, path: str) -> tuple[int, bytes]:
    connection = HTTPTestConnection(app, _scope(path), b"")
    status, _headers, chunks = await connection.run()
    return int(status.split()[0]), b"".join(chunks)


def test_1000_concurrent_async_requests_keep_their_own_g() -> None:
    app = Pottle(__name__)

    @app.before_request
    async def remember() -> None:
        g.rid = request.view_args["rid"]  # type: ignore[index]

    @app.route("/<int:rid>")
    async def view(rid: int) -> str:
        await asyncio.sleep(random.random() / 100)
        assert request.view_args == {"rid": rid}
        return f"{rid}:{g.rid}"

    async def main() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(_get(app, f"/{i}") for i in range(1000)))

    results = asyncio.run(main())
    assert [body for _, body in results] == [f"{i}:{i}".encode() for i in range(1000)]
    assert {status for status, _ in results} == {200}


def test_concurrent_sync_requests_keep_their_own_g_and_thread() -> None:
    app = Pottle(__name__)
    seen: dict[int, set[int]] = {}
    lock = threading.Lock()

    def record(rid: int) -> None:
        with lock:
            seen.setdefault(rid, set()).add(threading.get_ident())

    @app.before_request
    def remember() -> None:
        g.rid = request.view_args["rid"]  # type: ignore[index]
        record(g.rid)

    @app.route("/<int:rid>")
    def view(rid: int) -> str:
        record(rid)
        return f"{rid}:{g.rid}"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        record(g.rid)

    async def main() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(_get(app, f"/{i}") for i in range(200)))

    results = asyncio.run(main())
    assert [body for _, body in results] == [f"{i}:{i}".encode() for i in range(200)]
    # each request's hook, view and teardown ran on one thread, not the loop's
    assert all(len(threads) == 1 for threads in seen.values())
    assert threading.get_ident() not in set().union(*seen.values())


def test_async_pipeline_never_uses_a_thread() -> None:
    app = Pottle(__name__)
    threads: set[int] = set()

    @app.before_request
    async def before() -> None:
        threads.add(threading.get_ident())

    @app.route("/")
    async def view() -> str:
        threads.add(threading.get_ident())
        return "ok"

    @app.after_request
    async def after(response: t.Any) -> t.Any:
        threads.add(threading.get_ident())
        return response

    async def main() -> tuple[int, bytes]:
        loop_thread = threading.get_ident()
        result = await _get(app, "/")
        assert threads == {loop_thread}
        return result

    assert asyncio.run(main()) == (200, b"ok")


def test_sync_code_of_a_request_shares_a_thread_with_async_in_between() -> None:
    app = Pottle(__name__)
    threads: list[tuple[str, int]] = []

    @app.before_request
    def before() -> None:
        threads.append(("before", threading.get_ident()))

    @app.route("/")
    async def view() -> str:
        await asyncio.sleep(0)
        threads.append(("view", threading.get_ident()))
        return "ok"

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        threads.append(("teardown", threading.get_ident()))

    async def main() -> tuple[int, bytes]:
        result = await _get(app, "/")
        return result

    assert asyncio.run(main()) == (200, b"ok")
    by_name = dict(threads)
    assert by_name["before"] == by_name["teardown"] != by_name["view"]


def test_contextvar_set_in_sync_hook_is_seen_by_async_view() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id")
    app = Pottle(__name__)

    @app.before_request
    def bind() -> None:
        var.set(request.args.get("id", "-"))

    @app.route("/")
    async def view() -> str:
        return var.get("unset")

    client = app.test_client()
    assert client.get("/?id=abc").data == b"abc"


def test_worker_pool_lends_at_most_max_workers_even_with_idle_threads() -> None:
    from pottle._concurrency import WorkerPool

    async def main() -> None:
        pool = WorkerPool(2)
        a, b = await pool.acquire(), await pool.acquire()
        pool.release(a)
        pool.release(b)  # two idle threads
        pool.max_workers = 1  # WORKER_THREADS lowered
        first = await pool.acquire()
        waiter = asyncio.ensure_future(pool.acquire())
        await asyncio.sleep(0.05)
        assert not waiter.done()  # an idle thread is there, but one is lent
        pool.release(first)
        second = await asyncio.wait_for(waiter, 5)
        assert second is first  # handed over, never back in the idle list
        pool.release(second)
        assert sorted(map(id, pool._idle)) == sorted(map(id, (a, b)))
        for worker in pool._idle:
            worker.submit(None)  # stop the threads

    asyncio.run(main())


def test_gathered_sync_calls_of_many_requests_share_one_thread_each() -> None:
    # Each request's gather children need the request's one worker thread.
    # If each child queued for a thread of its own, requests holding one
    # thread and waiting for a second would starve each other for good.
    from pottle._concurrency import WorkerPool

    app = Pottle(__name__)
    threads: set[int] = set()

    def work() -> int:
        threads.add(threading.get_ident())
        time.sleep(0.01)
        return 1

    @app.get("/")
    async def index() -> str:
        results = await asyncio.gather(
            app.ensure_async(work)(), app.ensure_async(work)()
        )
        return str(sum(results))

    async def main() -> list[tuple[int, bytes]]:
        from pottle import _concurrency

        saved, _concurrency.pool = _concurrency.pool, WorkerPool(1)
        try:
            return await asyncio.wait_for(
                asyncio.gather(*(_get(app, "/") for _ in range(4))), 10
            )
        finally:
            for worker in _concurrency.pool._idle:
                worker.submit(None)
            _concurrency.pool = saved

    assert asyncio.run(main()) == [(200, b"2")] * 4
    assert len(threads) == 1
