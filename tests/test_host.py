"""The Host header is the client's to forge: it never changes the routed
path, an untrusted one is a 400 once TRUSTED_HOSTS is set, and redirects
the framework makes itself carry a path-only Location that can name no
host (Starlette "BadHost", aiohttp CVE-2021-21330)."""

from __future__ import annotations

import asyncio
import json
import typing as t
from urllib.parse import urlsplit

import pytest

from pottle import Pottle, abort, request
from rawasgi import Exchange


@pytest.fixture
def app() -> Pottle:
    app = Pottle(__name__)

    @app.before_request
    def guard() -> None:
        # A path-based guard, the kind a forged Host once bypassed.
        if request.path.startswith("/admin"):
            abort(403)

    @app.get("/where")
    def where() -> dict[str, t.Any]:
        return {
            "path": request.path,
            "host": request.host,
            "url_path": urlsplit(request.url).path,
            "base_url_path": urlsplit(request.base_url).path,
        }

    @app.get("/admin")
    def admin() -> str:
        return "secret"

    @app.get("/folder/")
    def folder() -> str:
        return "folder"

    @app.get("/evil.example/")
    def evil() -> str:
        return "evil"

    return app


def call(
    app: Pottle, path: str, host: bytes | None = b"localhost", query: bytes = b""
) -> Exchange:
    headers = [] if host is None else [(b"host", host)]

    async def main() -> Exchange:
        ex = Exchange(app, "GET", path, headers, query_string=query)
        if host is None:
            ex.scope["headers"] = []
        ex.push(b"")
        await ex.run()
        return ex

    return asyncio.run(main())


BAD_HOSTS = [
    b"foo?",
    b"x/admin",
    b"evil.example/admin?",
    b"a b",
    b"evil#frag",
    b"[::1",
    b"x\\admin",
    b"user@evil.example",
    b"",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_an_invalid_host_never_changes_the_path(app: Pottle, host: bytes) -> None:
    ex = call(app, "/where", host)
    assert ex.status == 200
    seen = json.loads(ex.body)
    assert seen["path"] == "/where"
    assert seen["url_path"] == "/where"
    assert seen["base_url_path"] == "/where"
    assert seen["host"] == ""


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_an_invalid_host_does_not_get_past_a_path_guard(
    app: Pottle, host: bytes
) -> None:
    assert call(app, "/admin", host).status == 403


def test_no_host_header_at_all(app: Pottle) -> None:
    assert call(app, "/where", None).status == 200


# -- TRUSTED_HOSTS ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "status"),
    [
        (b"example.test", 200),
        (b"example.test:8080", 200),
        (b"a.other.test", 200),
        (b"other.test", 200),
        (b"evil.example", 400),
        (b"example.test.evil.example", 400),
        (b"foo?", 400),
        (b"x/admin", 400),
    ],
)
def test_trusted_hosts(app: Pottle, host: bytes, status: int) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.test", ".other.test"]
    assert call(app, "/where", host).status == status


def test_untrusted_host_reaching_a_hook_is_still_400(app: Pottle) -> None:
    # As in Flask, hooks run before the routing error is raised; a hook that
    # reads the host gets the same 400.
    app.config["TRUSTED_HOSTS"] = ["example.test"]

    @app.before_request
    def hook() -> None:
        request.host  # noqa: B018

    assert call(app, "/where", b"evil.example").status == 400


def test_trusted_hosts_with_the_test_client(app: Pottle) -> None:
    app.config["TRUSTED_HOSTS"] = ["example.test"]
    client = app.test_client()
    assert client.get("/where", base_url="http://example.test").status_code == 200
    assert client.get("/where", base_url="http://evil.example").status_code == 400


# -- redirects the framework makes ------------------------------------------------


def location(ex: Exchange) -> str:
    return ex.headers[b"location"].decode("latin-1")


def assert_path_only(value: str) -> None:
    assert value.startswith("/")
    assert value[1:2] not in ("/", "\\")
    assert not urlsplit(value).netloc


def test_strict_slash_redirect_never_names_the_forged_host(app: Pottle) -> None:
    ex = call(app, "/folder", b"evil.example", query=b"a=1&b=2")
    assert ex.status == 308
    assert location(ex) == "/folder/?a=1&b=2"
    assert_path_only(location(ex))


@pytest.mark.parametrize(
    "path",
    ["//evil.example", "///evil.example", "//evil.example//", "/\\evil.example"],
)
def test_double_slash_paths_never_become_protocol_relative(
    app: Pottle, path: str
) -> None:
    ex = call(app, path)
    assert ex.status in (308, 404)
    if ex.status == 308:
        assert_path_only(location(ex))


def test_redirect_under_a_root_path(app: Pottle) -> None:
    async def main() -> Exchange:
        ex = Exchange(app, "GET", "/prefix/folder", [(b"host", b"evil.example")])
        ex.scope["root_path"] = "/prefix"
        ex.push(b"")
        await ex.run()
        return ex

    ex = asyncio.run(main())
    assert location(ex) == "/prefix/folder/"


def test_test_client_follows_the_relative_redirect(app: Pottle) -> None:
    rv = app.test_client().get("/folder", follow_redirects=True)
    assert rv.data == b"folder"


def test_redirect_exception_keeps_the_absolute_url(app: Pottle) -> None:
    # Messages (the debug explanation for lost form data) still show it.
    with app.test_request_context("/folder", base_url="http://example.test"):
        error = request.routing_exception
        assert error is not None
        assert error.new_url == "http://example.test/folder/"  # type: ignore[attr-defined]
        assert error.get_response().headers["Location"] == "/folder/"


def test_host_matching_redirects_are_path_only_too() -> None:
    app = Pottle(__name__, host_matching=True, static_folder=None)

    @app.get("/x/", host="a.example")
    def x() -> str:
        return "x"

    app.url_map.strict_slashes = True
    ex = call(app, "/x", b"a.example")
    assert (ex.status, location(ex)) == (308, "/x/")
    assert call(app, "/x", b"evil.example").status == 404
