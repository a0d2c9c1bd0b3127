"""Streamed responses: sync and async generators, stream_with_context,
stream_template, RESPONSE_TIMEOUT, and what a client disconnect does
(cancel promptly, finalise generators, tear down exactly once, never a
500)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import typing as t

import pytest

from pottle import (
    Pottle,
    Response,
    request,
    stream_template_string,
    stream_with_context,
)
from rawasgi import Exchange


class Log:
    """What ran: generator finalisers, teardowns (per request id)."""

    def __init__(self) -> None:
        self.finalised: list[str] = []
        self.teardowns: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def finalise(self, rid: str) -> None:
        with self.lock:
            self.finalised.append(rid)


def make_app(log: Log) -> Pottle:
    app = Pottle(__name__)

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        with log.lock:
            log.teardowns.append((request.args.get("id", ""), type(exc).__name__))

    @app.get("/async")
    async def async_stream() -> t.Any:
        rid = request.args.get("id", "")

        async def gen() -> t.AsyncIterator[str]:
            try:
                while True:
                    yield "tick\n"
                    await asyncio.sleep(0.01)
            finally:
                log.finalise(rid)

        return gen()

    @app.get("/async-ctx")
    async def async_ctx_stream() -> t.Any:
        @stream_with_context
        async def gen() -> t.AsyncIterator[str]:
            try:
                while True:
                    yield request.args["id"] + "\n"
                    await asyncio.sleep(0.01)
            finally:
                log.finalise(request.args["id"])

        return gen()

    @app.get("/sync")
    def sync_stream() -> t.Any:
        rid = request.args.get("id", "")

        def gen() -> t.Iterator[str]:
            try:
                while True:
                    yield "tick\n"
                    time.sleep(0.01)
            finally:
                log.finalise(rid)

        return gen()

    @app.get("/sync-ctx")
    def sync_ctx_stream() -> t.Any:
        def gen() -> t.Iterator[str]:
            try:
                while True:
                    yield request.args["id"] + "\n"
                    time.sleep(0.01)
            finally:
                log.finalise(request.args["id"])

        return stream_with_context(gen())

    @app.get("/slow")
    async def slow() -> str:
        try:
            await asyncio.sleep(30)
        finally:
            log.finalise(request.args.get("id", ""))
        return "late"

    return app


def get(app: Pottle, path: str, rid: str = "") -> Exchange:
    ex = Exchange(app, "GET", path, query_string=f"id={rid}".encode())
    ex.push(b"")
    return ex


# -- plain streaming --------------------------------------------------------------


def test_generators_stream_with_the_request_context() -> None:
    app = Pottle(__name__)

    @app.get("/sync")
    def sync_view() -> t.Any:
        def gen() -> t.Iterator[str]:
            yield "a"
            yield request.args["x"]

        return stream_with_context(gen())

    @app.get("/async")
    async def async_view() -> t.Any:
        @stream_with_context
        async def gen() -> t.AsyncIterator[bytes]:
            yield b"a"
            yield request.args["x"].encode()

        return gen()

    @app.get("/plain")
    async def plain() -> t.Any:
        async def gen() -> t.AsyncIterator[str]:
            for part in ("x", "y", "z"):
                yield part

        return gen(), {"Content-Type": "text/plain"}

    client = app.test_client()
    assert client.get("/sync?x=b").data == b"ab"
    assert client.get("/async?x=b").data == b"ab"
    rv = client.get("/plain")
    assert (rv.data, rv.mimetype) == (b"xyz", "text/plain")


def test_chunks_are_sent_as_they_are_made() -> None:
    app = Pottle(__name__)
    release = asyncio.Event()

    @app.get("/")
    async def view() -> t.Any:
        async def gen() -> t.AsyncIterator[str]:
            yield "first"
            await release.wait()
            yield "second"

        return gen()

    async def main() -> Exchange:
        ex = get(app, "/")
        ex.start()
        await ex.until(lambda: ex.body == b"first")
        assert not ex.complete
        release.set()
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert (ex.body, ex.complete) == (b"firstsecond", True)


@pytest.mark.parametrize("awaited", [False, True])
def test_stream_template(awaited: bool) -> None:
    app = Pottle(__name__)

    @app.get("/")
    async def view() -> t.Any:
        source = "{% for i in range(3) %}{{ i }}{{ request.args['s'] }}{% endfor %}"
        if awaited:
            return await stream_template_string(source)
        return stream_template_string(source)

    assert app.test_client().get("/?s=;").data == b"0;1;2;"


def test_sync_stream_template_in_a_sync_view() -> None:
    app = Pottle(__name__)

    @app.get("/")
    def view() -> t.Any:
        return stream_template_string("{{ request.args['a'] }}-{{ 1 + 1 }}")

    assert app.test_client().get("/?a=x").data == b"x-2"


# -- RESPONSE_TIMEOUT -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync", "async-ctx", "sync-ctx"])
def test_response_timeout_stops_a_stream(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    log = Log()
    app = make_app(log)
    app.config["RESPONSE_TIMEOUT"] = 0.1

    async def main() -> Exchange:
        ex = get(app, f"/{kind}", "r1")
        await ex.run()
        return ex

    with caplog.at_level(logging.WARNING):
        ex = asyncio.run(main())
    assert ex.status == 200 and ex.body
    # Left unfinished, so the server drops the connection: a client never
    # mistakes a cut stream for a whole one.
    assert not ex.complete
    assert log.finalised == ["r1"]
    assert log.teardowns == [("r1", "NoneType")]
    assert "RESPONSE_TIMEOUT" in caplog.text


def test_per_response_timeout_overrides_the_config() -> None:
    app = Pottle(__name__)
    app.config["RESPONSE_TIMEOUT"] = 0.05

    @app.get("/")
    async def view() -> t.Any:
        async def gen() -> t.AsyncIterator[str]:
            for _ in range(3):
                await asyncio.sleep(0.05)
                yield "x"

        response = Response(gen())
        response.timeout = request.args.get("t", type=float)
        return response

    async def main(query: bytes) -> Exchange:
        ex = Exchange(app, "GET", "/", query_string=query)
        ex.push(b"")
        await ex.run()
        return ex

    unlimited = asyncio.run(main(b""))  # timeout=None: no limit
    assert (unlimited.body, unlimited.complete) == (b"xxx", True)
    short = asyncio.run(main(b"t=0.01"))
    assert short.complete is False


def test_response_timeout_does_not_apply_to_buffered_bodies() -> None:
    app = Pottle(__name__)
    app.config["RESPONSE_TIMEOUT"] = 0.01

    @app.get("/")
    async def view() -> str:
        await asyncio.sleep(0.05)  # the view's own time is not counted
        return "whole"

    assert app.test_client().get("/").data == b"whole"


# -- client disconnects -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["async", "sync", "async-ctx", "sync-ctx"])
def test_disconnect_finalises_a_stream_and_tears_down_once(kind: str) -> None:
    log = Log()
    app = make_app(log)

    async def main() -> Exchange:
        ex = get(app, f"/{kind}", "r1")
        ex.start()
        await ex.until(lambda: ex.body_messages >= 2)
        ex.disconnect()
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.status == 200 and not ex.complete
    assert log.finalised == ["r1"]
    assert log.teardowns == [("r1", "CancelledError")]


def test_disconnect_cancels_a_running_view() -> None:
    log = Log()
    app = make_app(log)

    async def main() -> Exchange:
        ex = get(app, "/slow", "r1")
        ex.start()
        await asyncio.sleep(0.01)
        ex.disconnect()
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.sent == []  # no response at all, certainly no 500
    assert log.finalised == ["r1"]
    assert log.teardowns == [("r1", "CancelledError")]


def test_view_may_opt_out_of_cancellation() -> None:
    app = Pottle(__name__)
    done: list[str] = []

    @app.get("/")
    async def view() -> str:
        request.cancel_on_disconnect = False
        await asyncio.sleep(0.2)
        done.append("finished")
        return "done"

    async def main() -> None:
        ex = get(app, "/")
        ex.start()
        await asyncio.sleep(0.01)
        ex.disconnect()
        await ex.run()

    asyncio.run(main())
    assert done == ["finished"]


@pytest.mark.parametrize("outcome", ["response", "propagated error"])
def test_disconnect_during_teardown_does_not_cut_it(outcome: str) -> None:
    app = Pottle(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = outcome == "propagated error"
    steps: list[str] = []
    started = asyncio.Event()

    @app.get("/")
    async def view() -> str:
        if outcome == "response":
            return "ok"
        raise ValueError("boom")

    @app.teardown_request
    async def slow_teardown(exc: BaseException | None) -> None:
        started.set()
        await asyncio.sleep(0.2)
        steps.append("first")

    @app.teardown_request
    def second(exc: BaseException | None) -> None:
        steps.append("second")

    async def main() -> None:
        ex = get(app, "/")
        ex.start()
        await started.wait()
        ex.disconnect()
        await ex.run()

    asyncio.run(main())
    assert sorted(steps) == ["first", "second"]


def test_teardown_error_after_the_answer_is_raised_when_the_client_left() -> None:
    """Only an error the client could not be told about ends quietly: once
    the response is out, a teardown error reaches the server (which logs
    it), even if the client has disconnected since."""
    app = Pottle(__name__)
    left = asyncio.Event()

    @app.get("/")
    async def view() -> str:
        return "ok"

    @app.teardown_request
    async def failing(exc: BaseException | None) -> None:
        await left.wait()
        # Until the disconnect watcher has taken the message.
        await ex.until(lambda: ex.inbox.empty())
        raise RuntimeError("teardown failed")

    async def main() -> None:
        ex.start()
        await ex.until(lambda: ex.complete)
        ex.disconnect()
        left.set()
        with pytest.raises(RuntimeError, match="teardown failed"):
            await ex.run()

    ex = get(app, "/")
    asyncio.run(main())
    assert ex.body == b"ok"


def test_cancelled_error_is_never_a_500() -> None:
    app = Pottle(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append(type(exc).__name__))

    @app.get("/")
    async def view() -> str:
        raise asyncio.CancelledError()

    async def main() -> Exchange:
        ex = get(app, "/")
        with pytest.raises(asyncio.CancelledError):
            await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.sent == []
    assert torn == ["CancelledError"]


def test_server_cancellation_propagates_after_teardown() -> None:
    app = Pottle(__name__)
    torn: list[str] = []
    app.teardown_request(lambda exc: torn.append(type(exc).__name__))

    @app.get("/")
    async def view() -> str:
        await asyncio.sleep(30)
        return "late"

    async def main() -> None:
        ex = get(app, "/")
        task = ex.start()
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert torn == ["CancelledError"]


def test_a_finished_response_is_not_cancelled_by_the_closing_client() -> None:
    # The test client (like a browser) goes away once the body is complete.
    log = Log()
    app = make_app(log)

    @app.get("/short")
    async def short() -> t.Any:
        async def gen() -> t.AsyncIterator[str]:
            yield "a"
            yield "b"

        return gen()

    rv = app.test_client().get("/short?id=s")
    assert rv.data == b"ab"
    assert log.teardowns == [("s", "NoneType")]


def test_disconnect_is_seen_on_http2_get_without_a_body() -> None:
    # HTTP/2 has no Content-Length for a GET; the watcher looks at the first
    # message, and hands any body it finds to the reader.
    log = Log()
    app = make_app(log)

    @app.post("/echo")
    async def echo() -> str:
        return (await request.get_data()).decode()

    async def main() -> tuple[Exchange, Exchange]:
        ex = Exchange(app, "GET", "/async", http_version="2", query_string=b"id=h2")
        ex.push(b"")
        ex.start()
        await ex.until(lambda: ex.body_messages >= 2)
        ex.disconnect()
        await ex.run()
        post = Exchange(app, "POST", "/echo", http_version="2")
        post.push(b"he", more=True)
        post.push(b"llo")
        await post.run()
        return ex, post

    ex, post = asyncio.run(main())
    assert log.finalised == ["h2"]
    assert post.body == b"hello"


def test_300_streams_aborted_at_once() -> None:
    log = Log()
    app = make_app(log)
    kinds = ["async"] * 135 + ["async-ctx"] * 135 + ["sync"] * 15 + ["sync-ctx"] * 15

    async def main() -> list[Exchange]:
        exchanges = [get(app, f"/{kind}", f"r{i}") for i, kind in enumerate(kinds)]
        for ex in exchanges:
            ex.start()
        for ex in exchanges:
            await ex.until(lambda ex=ex: ex.body_messages >= 1, timeout=30)
        for ex in exchanges:
            ex.disconnect()
        await asyncio.gather(*(ex.run(timeout=30) for ex in exchanges))
        return exchanges

    exchanges = asyncio.run(main())
    ids = sorted(f"r{i}" for i in range(len(kinds)))
    assert sorted(log.finalised) == ids
    assert sorted(rid for rid, _ in log.teardowns) == ids
    assert {exc for _, exc in log.teardowns} == {"CancelledError"}
    assert all(ex.status == 200 and not ex.complete for ex in exchanges)
