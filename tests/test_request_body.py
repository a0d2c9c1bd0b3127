"""Request bodies through the app: limits while bytes arrive, timeouts,
backpressure (nothing pulled that nobody reads), streaming routes, and the
sync/async access rules."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from pottle import Pottle, current_app, make_response, request
from rawasgi import Exchange


def post(
    app: Pottle, path: str, headers: list[tuple[bytes, bytes]] | None = None
) -> Exchange:
    return Exchange(app, "POST", path, headers or [])


def chunked() -> list[tuple[bytes, bytes]]:
    return [(b"transfer-encoding", b"chunked")]


def sized(n: int) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", str(n).encode())]


@pytest.fixture
def app() -> Pottle:
    app = Pottle(__name__)

    @app.post("/read")
    async def read() -> str:
        return str(len(await request.get_data()))

    @app.post("/read-sync")
    def read_sync() -> str:
        return str(len(request.get_data()))

    @app.post("/ignore")
    async def ignore() -> str:
        return "ignored"

    @app.post("/ignore-sync")
    def ignore_sync() -> str:
        return "ignored"

    return app


# -- MAX_CONTENT_LENGTH -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/read", "/read-sync"])
def test_declared_length_over_the_limit_is_413_without_reading(
    app: Pottle, path: str
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100

    async def main() -> Exchange:
        ex = post(app, path, sized(10_000_000))
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.status == 413
    assert ex.receives == 0


@pytest.mark.parametrize("path", ["/read", "/read-sync"])
def test_chunked_body_over_the_limit_is_413_as_it_arrives(
    app: Pottle, path: str
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000

    async def main() -> Exchange:
        ex = post(app, path, chunked())
        for _ in range(100):
            ex.push(b"x" * 300, more=True)
        ex.push(b"")
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.status == 413
    # Stopped at the chunk that crossed the limit.
    assert ex.receives == 4


def test_per_request_override_of_max_content_length(app: Pottle) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/big")
    async def big() -> str:
        request.max_content_length = 100_000
        return str(len(await request.get_data()))

    client = app.test_client()
    assert client.post("/read", data=b"x" * 50).status_code == 413
    assert client.post("/big", data=b"x" * 50_000).data == b"50000"


def test_no_limit_when_max_content_length_is_none(app: Pottle) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None
    assert app.test_client().post("/read", data=b"x" * 300_000).data == b"300000"


# -- BODY_TIMEOUT -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/read", "/read-sync"])
def test_a_body_that_stops_arriving_is_408(app: Pottle, path: str) -> None:
    app.config["BODY_TIMEOUT"] = 0.1
    app.config["BODY_PREFETCH_SIZE"] = 0

    async def main() -> Exchange:
        ex = post(app, path, sized(1000))
        ex.push(b"x" * 10, more=True)
        await ex.run()
        return ex

    assert asyncio.run(main()).status == 408


def test_prefetch_waits_no_longer_than_body_timeout(app: Pottle) -> None:
    # An async view that never reads still runs once the prefetch gives up.
    app.config["BODY_TIMEOUT"] = 0.1

    async def main() -> Exchange:
        ex = post(app, "/ignore", chunked())
        ex.push(b"x", more=True)
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert (ex.status, ex.body) == (200, b"ignored")


# -- backpressure: nothing is pulled that nobody reads ----------------------------


def test_sync_view_that_ignores_the_body_pulls_nothing(app: Pottle) -> None:
    async def main() -> Exchange:
        ex = post(app, "/ignore-sync", chunked())
        for _ in range(50):
            ex.push(b"x" * 64 * 1024, more=True)
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert (ex.status, ex.receives) == (200, 0)


def test_async_view_that_ignores_the_body_pulls_only_the_prefetch_window(
    app: Pottle,
) -> None:
    app.config["BODY_PREFETCH_SIZE"] = 100 * 1024

    async def main() -> Exchange:
        ex = post(app, "/ignore", chunked())
        for _ in range(50):
            ex.push(b"x" * 64 * 1024, more=True)
        await ex.run()
        return ex

    ex = asyncio.run(main())
    # 64 KiB chunks: two cross 100 KiB; 48 stay with the server.
    assert (ex.status, ex.receives) == (200, 2)


def test_async_view_with_a_declared_large_body_pulls_nothing(app: Pottle) -> None:
    async def main() -> Exchange:
        ex = post(app, "/ignore", sized(10 * 1024 * 1024))
        ex.push(b"x" * 64 * 1024, more=True)
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert (ex.status, ex.receives) == (200, 0)


# -- streaming routes -------------------------------------------------------------


def test_stream_route_reads_chunks_as_they_arrive() -> None:
    app = Pottle(__name__)
    seen: list[int] = []

    @app.post("/upload", stream=True)
    async def upload() -> str:
        total = 0
        async for chunk in request.body:
            total += len(chunk)
            seen.append(total)
        return str(total)

    async def main() -> Exchange:
        ex = post(app, "/upload", chunked())
        ex.start()
        for i in range(1, 6):
            ex.push(b"x" * 1000, more=True)
            # The view has the chunk before the next one exists: nothing is
            # buffered ahead of it.
            await ex.until(lambda i=i: len(seen) == i)
            assert ex.receives == i + 1  # and the one waiting for the next
        ex.push(b"")
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert (ex.status, ex.body) == (200, b"5000")


def test_stream_route_is_not_prefetched_even_when_small() -> None:
    app = Pottle(__name__)
    before: list[int] = []

    @app.post("/upload", stream=True)
    async def upload() -> str:
        before.append(request.body.buffered)
        return str(sum([len(c) async for c in request.body]))

    rv = app.test_client().post("/upload", data=b"abc")
    assert (rv.data, before) == (b"3", [0])


def test_stream_route_over_the_limit_is_413() -> None:
    app = Pottle(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1000

    @app.post("/upload", stream=True)
    async def upload() -> str:
        return str(sum([len(c) async for c in request.body]))

    async def main(headers: list[tuple[bytes, bytes]]) -> Exchange:
        ex = post(app, "/upload", headers)
        for _ in range(10):
            ex.push(b"x" * 500, more=True)
        ex.push(b"")
        await ex.run()
        return ex

    assert asyncio.run(main(sized(5000))).status == 413
    assert asyncio.run(main(chunked())).status == 413


def test_stream_route_can_raise_its_own_limit() -> None:
    app = Pottle(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 10

    @app.post("/upload", stream=True)
    async def upload() -> str:
        request.max_content_length = None
        return str(sum([len(c) async for c in request.body]))

    assert app.test_client().post("/upload", data=b"x" * 200_000).data == b"200000"


def test_sync_view_streams_with_request_stream() -> None:
    app = Pottle(__name__)
    sizes: list[int] = []

    @app.post("/upload", stream=True)
    def upload() -> str:
        while chunk := request.stream.read(10_000):
            sizes.append(len(chunk))
        return str(len(request.get_data()))

    rv = app.test_client().post("/upload", data=b"x" * 100_000)
    assert rv.data == b"0"  # consumed, as in Flask
    assert sum(sizes) == 100_000
    assert max(sizes) <= 10_000


def test_stream_once() -> None:
    app = Pottle(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/upload", stream=True)
    async def upload() -> str:
        async for _ in request.body:
            pass
        return str(len(await request.get_data()))

    assert app.test_client().post("/upload", data=b"abc").status_code == 500


# -- disconnects while the body arrives -------------------------------------------


@pytest.mark.parametrize("path", ["/read", "/read-sync"])
def test_disconnect_mid_body_ends_the_request_quietly(app: Pottle, path: str) -> None:
    torn_down: list[BaseException | None] = []
    app.teardown_request(torn_down.append)

    async def main() -> Exchange:
        ex = post(app, path, sized(1000))
        ex.push(b"x" * 10, more=True)
        ex.disconnect()
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.status in (None, 400)
    assert len(torn_down) == 1


# -- sync and async access --------------------------------------------------------


def test_sync_access_in_an_async_view_uses_the_prefetched_body() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> t.Any:
        return {"data": request.get_data(as_text=True), "json": request.get_json()}

    rv = app.test_client().post("/", json={"a": 1})
    assert rv.json == {"data": '{"a": 1}', "json": {"a": 1}}


def test_request_stream_of_a_received_body() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> bytes:
        return bytes(request.stream.read())

    assert app.test_client().post("/", data=b"hello").data == b"hello"


def test_get_data_as_text_replaces_invalid_utf8() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> str:
        return repr(await request.get_data(as_text=True))

    rv = app.test_client().post("/", data=b"a\xffb")
    assert rv.data.decode() == repr("a\ufffdb")


def test_await_body_directly() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> bytes:
        return await request.body

    assert app.test_client().post("/", data=b"raw").data == b"raw"


def test_disconnect_during_the_prefetch_cancels_the_view() -> None:
    app = Pottle(__name__)
    ran: list[str] = []

    @app.post("/")
    async def view() -> str:
        ran.append("view")
        await asyncio.sleep(0)
        ran.append("after")
        return "done"

    async def main() -> Exchange:
        ex = post(app, "/", chunked())
        ex.push(b"x", more=True)
        ex.disconnect()
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert ex.sent == []
    assert "after" not in ran


def _through_ensure_sync(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    # Flask-Login's login_required, flask_jwt_extended's jwt_required...
    def decorated(**kwargs: t.Any) -> t.Any:
        return current_app.ensure_sync(view)(**kwargs)

    return decorated


def _through_make_response(view: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    # Flask-Cors's cross_origin.
    def decorated(**kwargs: t.Any) -> t.Any:
        return make_response(view(**kwargs))

    return decorated


@pytest.mark.parametrize("decorator", [_through_ensure_sync, _through_make_response])
def test_sync_access_in_an_async_view_under_a_sync_decorator(
    decorator: t.Callable[..., t.Any],
) -> None:
    # The view is sync to the pipeline, so no prefetch happens before it;
    # the crossing back to the loop receives the small body instead.
    app = Pottle(__name__)

    async def view() -> t.Any:
        return {"json": request.get_json(silent=True), "form": dict(request.form)}

    app.add_url_rule("/", view_func=decorator(view), methods=["POST"])
    client = app.test_client()
    assert client.post("/", json={"a": 1}).json == {"json": {"a": 1}, "form": {}}
    rv = client.post("/", data={"b": "2"})
    assert rv.json == {"json": None, "form": {"b": "2"}}


def test_ensure_sync_on_the_loop_refuses_and_leaks_no_coroutine() -> None:
    # The body is past the prefetch window, so it is still pending when the
    # async view calls ensure_sync (which cannot block the loop).
    app = Pottle(__name__)
    app.testing = True
    app.config["BODY_PREFETCH_SIZE"] = 4

    async def work() -> int:
        return 1

    @app.post("/")
    async def view() -> str:
        return str(current_app.ensure_sync(work)())

    with pytest.raises(RuntimeError, match="Cannot block the event loop thread"):
        app.test_client().post("/", data=b"more than four bytes")
