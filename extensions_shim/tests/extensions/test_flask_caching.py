"""Flask-Caching: cached views (sync and async), memoized functions, the
Jinja ``{% cache %}`` tag, and the hit header it adds at request time.

``cache.cached`` wraps a view in a sync function that calls it through
``app.ensure_sync``: pottle runs that wrapper, and so the cache backend, on
the request's worker thread, and an async view on the loop from there.
"""

from __future__ import annotations

import threading
import typing as t

import flask
import pytest
from cachelib import SimpleCache as CachelibSimpleCache
from flask_caching import Cache, CachedResponse
from flask_caching.backends import SimpleCache
from running import Threads, on_uvloop, run_on_uvloop

from conftest import make_view


def _cache(app: flask.Flask, **config: t.Any) -> Cache:
    return Cache(app, config={"CACHE_TYPE": "SimpleCache", **config})


def test_cached_views(style: str) -> None:
    app = flask.Flask(__name__)
    cache = _cache(app)
    calls: list[str] = []

    def page() -> str:
        calls.append("page")
        return f"page {len(calls)}"

    def search() -> str:
        calls.append("search")
        return f"{flask.request.args.get('q')} {len(calls)}"

    def missing() -> str:
        calls.append("missing")
        flask.abort(404)

    app.add_url_rule(
        "/page", view_func=cache.cached(timeout=60)(make_view(style, page))
    )
    app.add_url_rule(
        "/search",
        view_func=cache.cached(timeout=60, query_string=True)(make_view(style, search)),
    )
    app.add_url_rule(
        "/missing", view_func=cache.cached(timeout=60)(make_view(style, missing))
    )
    client = app.test_client()

    assert client.get("/page").data == client.get("/page").data == b"page 1"
    # query_string=True keys on the arguments, whatever their order.
    assert client.get("/search?q=a&x=1").data == b"a 2"
    assert client.get("/search?x=1&q=a").data == b"a 2"
    assert client.get("/search?q=b").data == b"b 3"
    # An HTTP error is cached too (re-raised on a hit), as Flask-Caching does.
    assert [client.get("/missing").status_code for _ in range(2)] == [404, 404]
    assert calls == ["page", "search", "search", "missing"]

    cache.delete("view//page")
    assert client.get("/page").data == b"page 5"


def test_cached_options(style: str) -> None:
    app = flask.Flask(__name__)
    cache = _cache(app)
    count = [0]

    def counted() -> t.Any:
        count[0] += 1
        if flask.request.args.get("short"):
            return CachedResponse(flask.make_response(str(count[0])), timeout=1)
        if flask.request.args.get("fail"):
            return f"failed {count[0]}", 500
        return str(count[0])

    app.add_url_rule(
        "/counted",
        view_func=cache.cached(
            timeout=60,
            query_string=True,
            unless=lambda: flask.request.headers.get("X-No-Cache") == "1",
            forced_update=lambda: flask.request.headers.get("X-Refresh") == "1",
            response_filter=lambda rv: not (isinstance(rv, tuple) and rv[1] >= 500),
        )(make_view(style, counted)),
    )
    client = app.test_client()

    assert client.get("/counted").data == client.get("/counted").data == b"1"
    assert client.get("/counted", headers={"X-No-Cache": "1"}).data == b"2"
    assert client.get("/counted", headers={"X-Refresh": "1"}).data == b"3"
    assert client.get("/counted").data == b"3"
    # response_filter keeps failures out of the cache.
    assert client.get("/counted?fail=1").data == b"failed 4"
    assert client.get("/counted?fail=1").data == b"failed 5"
    short = client.get("/counted?short=1")
    assert short.data == client.get("/counted?short=1").data == b"6"


def test_cache_backend_runs_off_the_loop(style: str) -> None:
    app = flask.Flask(__name__)
    RecordingCache.threads = threads = Threads(app)
    cache = Cache(app, config={"CACHE_TYPE": f"{__name__}.RecordingCache"})

    def expensive() -> str:
        return "expensive"

    app.add_url_rule(
        "/expensive", view_func=cache.cached(timeout=60)(make_view(style, expensive))
    )
    try:
        client = app.test_client()
        assert [client.get("/expensive").data for _ in range(2)] == [b"expensive"] * 2
    finally:
        RecordingCache.threads = None
    # The decorator is sync, so the backend runs on the worker thread, which
    # for the sync test client is this one, whether the view is async or not.
    assert threads.off_loop("get") == {threading.get_ident()}
    assert threads.off_loop("set") == {threading.get_ident()}


class RecordingCache(SimpleCache):
    """A backend for ``CACHE_TYPE`` that notes which threads call it."""

    threads: t.ClassVar[Threads | None] = None

    def get(self, key: str) -> t.Any:
        if self.threads is not None:
            self.threads.record("get")
        return super().get(key)

    def set(self, key: str, value: t.Any, timeout: int | None = None) -> t.Any:
        if self.threads is not None:
            self.threads.record("set")
        return super().set(key, value, timeout)


def test_memoize_and_delete_memoized(style: str) -> None:
    app = flask.Flask(__name__)
    cache = _cache(app)
    calls: list[tuple[int, int]] = []

    @cache.memoize(timeout=60)
    def add(a: int, b: int) -> int:
        calls.append((a, b))
        return a + b

    def total(a: int, b: int) -> str:
        return str(add(a, b))

    app.add_url_rule("/add/<int:a>/<int:b>", view_func=make_view(style, total))
    client = app.test_client()

    assert client.get("/add/1/2").data == client.get("/add/1/2").data == b"3"
    assert client.get("/add/2/2").data == b"4"
    assert calls == [(1, 2), (2, 2)]
    with app.app_context():
        cache.delete_memoized(add, 1, 2)
    client.get("/add/1/2")
    client.get("/add/2/2")
    assert calls == [(1, 2), (2, 2), (1, 2)]
    with app.app_context():
        cache.delete_memoized(add)
    client.get("/add/2/2")
    assert calls[-1] == (2, 2)


def test_memoize_an_async_function() -> None:
    # Flask-Caching calls the function through ensure_sync and returns its
    # value: from sync code that runs it on the loop; from async code, which
    # runs on the loop, it cannot wait, and says so (on Flask too, asgiref
    # refuses the same call).
    app = flask.Flask(__name__)
    app.testing = True
    cache = _cache(app)
    calls: list[int] = []

    @cache.memoize(timeout=60)
    async def square(n: int) -> int:
        calls.append(n)
        return n * n

    @app.route("/sync/<int:n>")
    def sync_view(n: int) -> str:
        return str(square(n))

    @app.route("/async/<int:n>")
    async def async_view(n: int) -> str:
        return str(square(n))

    client = app.test_client()
    assert client.get("/sync/3").data == client.get("/sync/3").data == b"9"
    assert calls == [3]
    with pytest.raises(RuntimeError, match="Cannot block the event loop thread"):
        client.get("/async/4")
    # A value memoized from sync code is served to async code.
    assert client.get("/async/3").data == b"9"


TEMPLATE = (
    "{% cache 60, 'sidebar', user %}sidebar for {{ user }}: {{ count() }}"
    "{% endcache %} / {{ count() }}"
)


def test_jinja_cache_tag(style: str) -> None:
    app = flask.Flask(__name__)
    _cache(app)
    counter = iter(range(1, 100))
    app.jinja_env.globals["count"] = lambda: next(counter)

    def sidebar(user: str) -> str:
        # In an async view too: the sync render runs the sync extension.
        return flask.render_template_string(TEMPLATE, user=user)

    app.add_url_rule("/sidebar/<user>", view_func=make_view(style, sidebar))
    client = app.test_client()

    assert client.get("/sidebar/ada").data == b"sidebar for ada: 1 / 2"
    assert client.get("/sidebar/ada").data == b"sidebar for ada: 1 / 3"
    assert client.get("/sidebar/bob").data == b"sidebar for bob: 4 / 5"


def test_jinja_cache_tag_in_an_awaited_render() -> None:
    # ``await render_template`` renders with Jinja's async mode, where the
    # tag's caller() returns a coroutine: the sync tag can serve fragments
    # but not store them. Fragments stored by sync renders are shared.
    app = flask.Flask(__name__)
    _cache(app)
    counter = iter(range(1, 100))
    app.jinja_env.globals["count"] = lambda: next(counter)

    @app.route("/sync")
    def sync_view() -> str:
        return flask.render_template_string(TEMPLATE, user="ada")

    @app.route("/awaited")
    async def awaited() -> str:
        return t.cast(str, await flask.render_template_string(TEMPLATE, user="ada"))

    client = app.test_client()
    assert client.get("/sync").data == b"sidebar for ada: 1 / 2"
    assert client.get("/awaited").data == b"sidebar for ada: 1 / 3"
    assert client.get("/awaited").data == b"sidebar for ada: 1 / 4"


def test_response_hit_indication(style: str) -> None:
    app = flask.Flask(__name__)
    cache = _cache(app)

    def hot() -> str:
        return "hot"

    def cold() -> str:
        return "cold"

    app.add_url_rule(
        "/hot",
        view_func=cache.cached(timeout=60, response_hit_indication=True)(
            make_view(style, hot)
        ),
    )
    app.add_url_rule("/cold", view_func=make_view(style, cold))
    client = app.test_client()

    assert "hit_cache" not in client.get("/hot").headers
    assert client.get("/hot").headers["hit_cache"] == "True"
    assert "hit_cache" not in client.get("/cold").headers
    # Flask-Caching registered its after_request function once, at request time.
    names = [f.__name__ for f in app.after_request_funcs[None]]
    assert names.count("apply_caching") == 1


def test_signals(style: str) -> None:
    app = flask.Flask(__name__)
    cache = _cache(app, CACHE_ENABLE_SIGNALS=True)
    from flask_caching import cache_view_hit, cache_view_miss

    seen: list[tuple[str, str]] = []

    def record(kind: str) -> t.Callable[..., None]:
        def receiver(sender: t.Any, cache_key: str, **kwargs: t.Any) -> None:
            seen.append((kind, cache_key))

        return receiver

    on_hit, on_miss = record("hit"), record("miss")
    cache_view_hit.connect(on_hit)
    cache_view_miss.connect(on_miss)
    try:

        def page() -> str:
            return "page"

        app.add_url_rule(
            "/page", view_func=cache.cached(timeout=60)(make_view(style, page))
        )
        client = app.test_client()
        client.get("/page")
        client.get("/page")
    finally:
        cache_view_hit.disconnect(on_hit)
        cache_view_miss.disconnect(on_miss)
    assert seen == [("miss", "view//page"), ("hit", "view//page")]


def test_on_uvloop() -> None:
    app = flask.Flask(__name__)
    cache = _cache(app)
    count = [0]

    @app.route("/async")
    @cache.cached(timeout=60, response_hit_indication=True)
    async def async_view() -> dict[str, t.Any]:
        count[0] += 1
        return {"uvloop": on_uvloop(), "count": count[0]}

    @cache.memoize(timeout=60)
    def double(n: int) -> int:
        count[0] += 1
        return 2 * n

    @app.route("/sync/<int:n>")
    def sync_view(n: int) -> str:
        return str(double(n))

    async def main() -> list[tuple[t.Any, str | None]]:
        client = app.test_client()
        out = []
        for path in ("/async", "/async", "/sync/4", "/sync/4"):
            response = await client.get(path)
            out.append(
                (response.json or response.data, response.headers.get("hit_cache"))
            )
        return out

    assert run_on_uvloop(main) == [
        ({"uvloop": True, "count": 1}, None),
        ({"uvloop": True, "count": 1}, "True"),
        (b"8", None),
        (b"8", None),
    ]
    assert count[0] == 2


def test_cachelib_backend_is_used_directly() -> None:
    # CACHE_TYPE may name a cachelib class: Flask-Caching builds it itself.
    app = flask.Flask(__name__)
    cache = Cache(app, config={"CACHE_TYPE": "cachelib.SimpleCache"})
    assert isinstance(cache.cache, CachelibSimpleCache)
