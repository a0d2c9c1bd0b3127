"""Flask-Limiter: per-route, default, shared and blueprint limits on sync and
async views, its headers, and its ``limiter`` command group.

The extension keeps per-request state as an attribute of
``flask.globals.request_ctx`` (set in its sync ``before_request`` hook, read in
``after_request`` and in views), checks decorated limits in a sync wrapper
that calls the view through ``ensure_sync``, and registers its CLI through
the ``flask.commands`` entry point with ``with_appcontext`` commands.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap
import threading
import typing as t

import flask
import pytest
from flask_limiter import Limiter, RequestLimit
from flask_limiter.commands import cli as limiter_cli
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage
from running import Threads, on_uvloop, run_on_uvloop

from conftest import make_view


def view(style: str, body: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """``make_view``, qualified like ``body``: Flask-Limiter keys decorated
    limits by the view's qualified name, which must differ per view."""
    made = make_view(style, body)
    made.__qualname__ = body.__qualname__
    return made


def statuses(client: t.Any, path: str, n: int, **kwargs: t.Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(n)]


def test_route_default_and_exempt_limits(style: str) -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=["3 per minute"],
        storage_uri="memory://",
    )

    def limited() -> str:
        return "limited"

    def defaulted() -> str:
        return "defaulted"

    def free() -> str:
        return "free"

    app.add_url_rule(
        "/limited", view_func=limiter.limit("2 per minute")(view(style, limited))
    )
    app.add_url_rule("/defaulted", view_func=view(style, defaulted))
    app.add_url_rule("/free", view_func=limiter.exempt(view(style, free)))
    client = app.test_client()

    assert statuses(client, "/limited", 3) == [200, 200, 429]
    assert statuses(client, "/defaulted", 4) == [200, 200, 200, 429]
    assert statuses(client, "/free", 5) == [200] * 5
    breached = client.get("/limited")
    assert b"2 per 1 minute" in breached.data
    # Another client address has its own budget (the default key function).
    other = {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    assert statuses(client, "/limited", 1, **other) == [200]


def test_rate_limit_headers_and_custom_429(style: str) -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(
        get_remote_address, app=app, headers_enabled=True, storage_uri="memory://"
    )

    def ping() -> str:
        return "pong"

    def too_many(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "slow down", "limit": str(error.description)}, 429  # type: ignore[attr-defined]

    app.add_url_rule("/ping", view_func=limiter.limit("2/minute")(view(style, ping)))
    app.register_error_handler(429, too_many)
    client = app.test_client()

    first = client.get("/ping")
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert int(first.headers["X-RateLimit-Reset"]) > 0
    assert client.get("/ping").headers["X-RateLimit-Remaining"] == "0"
    breached = client.get("/ping")
    assert breached.status_code == 429
    assert breached.json == {"error": "slow down", "limit": "2 per 1 minute"}
    assert 0 < int(breached.headers["Retry-After"]) <= 60
    assert breached.headers["X-RateLimit-Remaining"] == "0"


def test_key_function_reads_the_request_off_the_loop(style: str) -> None:
    app = flask.Flask(__name__)
    threads = Threads(app)

    def api_key() -> str:
        threads.record("key_func")
        return flask.request.headers.get("X-Api-Key", "anonymous")

    limiter = Limiter(
        api_key, app=app, default_limits=["1/minute"], storage_uri="memory://"
    )

    def data() -> str:
        threads.record("view")
        return "data"

    def decorated() -> str:
        return "decorated"

    app.add_url_rule("/data", view_func=view(style, data))
    app.add_url_rule(
        "/decorated", view_func=limiter.limit("1/minute")(view(style, decorated))
    )
    client = app.test_client()

    for path in ("/data", "/decorated"):
        assert statuses(client, path, 2, headers={"X-Api-Key": "a"}) == [200, 429]
        assert statuses(client, path, 1, headers={"X-Api-Key": "b"}) == [200]
    # The key function runs in sync hooks and decorators: never on the loop,
    # and, with the sync client, on the caller's thread.
    assert threads.off_loop("key_func") == {threading.get_ident()}
    assert bool(threads.seen["view"] & threads.loop) == (style == "async")


class RecordingStorage(MemoryStorage):
    """``recording://``: memory storage that notes which threads use it."""

    STORAGE_SCHEME = ["recording"]
    threads: t.ClassVar[Threads | None] = None

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        if self.threads is not None:
            self.threads.record("storage")
        return super().incr(key, expiry, amount)


def test_storage_is_called_off_the_loop(style: str) -> None:
    app = flask.Flask(__name__)
    RecordingStorage.threads = threads = Threads(app)
    limiter = Limiter(get_remote_address, app=app, storage_uri="recording://")
    assert isinstance(limiter.storage, RecordingStorage)

    def counted() -> str:
        return "counted"

    app.add_url_rule(
        "/counted", view_func=limiter.limit("1/minute")(view(style, counted))
    )
    try:
        assert statuses(app.test_client(), "/counted", 2) == [200, 429]
    finally:
        RecordingStorage.threads = None
    threads.off_loop("storage")


def test_request_state_lives_on_the_request_context(style: str) -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    def state() -> dict[str, t.Any]:
        ctx = flask.globals.request_ctx._get_current_object()  # type: ignore[attr-defined]
        limit = limiter.current_limit
        assert isinstance(limit, RequestLimit)
        return {
            "ctx is request's": ctx is flask.globals.request_ctx._get_current_object(),  # type: ignore[attr-defined]
            "stored": hasattr(ctx, "_limiter_request_context"),
            "amount": limit.limit.amount,
            "remaining": limit.remaining,
        }

    app.add_url_rule("/state", view_func=limiter.limit("5/minute")(view(style, state)))
    client = app.test_client()
    client.get("/state")
    assert client.get("/state").json == {
        "ctx is request's": True,
        "stored": True,
        "amount": 5,
        "remaining": 3,
    }


def test_limit_options(style: str) -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    def only_posts() -> str:
        return "ok"

    def maybe_fail() -> tuple[str, int]:
        return ("failed", 400) if "fail" in flask.request.args else ("ok", 200)

    def polite() -> str:
        return "ok"

    def admin() -> str:
        return "ok"

    def breach(limit: RequestLimit) -> flask.Response:
        # The response replaces the 429 whole, status included (as on Flask).
        return flask.make_response({"breached": str(limit.limit)}, 429)

    app.add_url_rule(
        "/posts",
        view_func=limiter.limit("1/minute", methods=["POST"])(view(style, only_posts)),
        methods=["GET", "POST"],
    )
    app.add_url_rule(
        "/maybe",
        view_func=limiter.limit(
            "1/minute",
            deduct_when=lambda response: response.status_code == 200,
            error_message="please wait",
        )(view(style, maybe_fail)),
    )
    app.add_url_rule(
        "/polite",
        view_func=limiter.limit("2/minute", cost=2, on_breach=breach)(
            view(style, polite)
        ),
    )
    app.add_url_rule(
        "/admin",
        view_func=limiter.limit(
            "1/minute",
            exempt_when=lambda: flask.request.headers.get("X-Admin") == "yes",
        )(view(style, admin)),
    )
    client = app.test_client()

    assert statuses(client, "/posts", 3) == [200] * 3
    assert [client.post("/posts").status_code for _ in range(2)] == [200, 429]

    assert statuses(client, "/maybe?fail=1", 3) == [400] * 3
    assert statuses(client, "/maybe", 2) == [200, 429]
    assert b"please wait" in client.get("/maybe").data

    assert client.get("/polite").status_code == 200  # costs the whole budget
    breached = client.get("/polite")
    assert (breached.status_code, breached.json) == (
        429,
        {"breached": "2 per 1 minute"},
    )

    assert statuses(client, "/admin", 3, headers={"X-Admin": "yes"}) == [200] * 3
    assert statuses(client, "/admin", 2) == [200, 429]


def test_shared_blueprint_and_filtered_limits(style: str) -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=["1/minute"],
        storage_uri="memory://",
    )
    shared = limiter.shared_limit("3/minute", scope="reports")

    def daily() -> str:
        return "daily"

    def weekly() -> str:
        return "weekly"

    app.add_url_rule("/daily", view_func=shared(view(style, daily)))
    app.add_url_rule("/weekly", view_func=shared(view(style, weekly)))

    limited_bp = flask.Blueprint("limited", __name__, url_prefix="/limited")
    open_bp = flask.Blueprint("open", __name__, url_prefix="/open")

    def item() -> str:
        return "item"

    limited_bp.add_url_rule("/item", view_func=view(style, item))
    open_bp.add_url_rule("/item", view_func=view(style, item))
    limiter.limit("2/minute")(limited_bp)
    limiter.exempt(open_bp)
    app.register_blueprint(limited_bp)
    app.register_blueprint(open_bp)

    @limiter.request_filter
    def internal() -> bool:
        return flask.request.headers.get("X-Internal") == "1"

    client = app.test_client()
    assert [client.get(p).status_code for p in ("/daily", "/weekly", "/daily")] == [
        200
    ] * 3
    assert client.get("/weekly").status_code == 429
    assert statuses(client, "/limited/item", 3) == [200, 200, 429]
    assert statuses(client, "/open/item", 3) == [200] * 3
    assert statuses(client, "/daily", 2, headers={"X-Internal": "1"}) == [200] * 2


def _cli_app() -> tuple[flask.Flask, Limiter]:
    app = flask.Flask("cli_app")
    limiter = Limiter(
        get_remote_address,
        app=app,
        default_limits=["10/minute"],
        storage_uri="memory://",
    )

    @app.route("/")
    @limiter.limit("2/minute")
    def index() -> str:
        return "index"

    @app.route("/async")
    @limiter.limit("3/hour")
    async def async_index() -> str:
        return "async"

    return app, limiter


def test_limiter_commands_through_the_test_runner() -> None:
    app, limiter = _cli_app()
    runner = app.test_cli_runner()

    result = runner.invoke(limiter_cli, ["limits"])
    assert result.exit_code == 0, result.output
    assert "index: /" in result.output
    assert "2 per 1 minute" in result.output
    assert "3 per 1 hour" in result.output

    config = runner.invoke(limiter_cli, ["config"])
    assert config.exit_code == 0, config.output
    assert "memory://" in config.output
    assert "10 per 1 minute" in config.output

    client = app.test_client()
    assert statuses(client, "/", 3) == [200, 200, 429]
    cleared = runner.invoke(limiter_cli, ["clear", "--key", "127.0.0.1", "-y"])
    assert cleared.exit_code == 0, cleared.output
    assert "Cleared" in cleared.output
    assert client.get("/").status_code == 200

    # Through the `pottle` group, which loads the flask.commands entry point.
    group = flask.cli.FlaskGroup(create_app=lambda: app)
    result = runner.invoke(group, ["limiter", "limits", "--key", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    assert "Pass (1 out of 2 remaining)" in result.output


CONSOLE_APP = """
    import pottle_flask_alias  # noqa: F401  (first: makes `flask` mean pottle)

    import flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app = flask.Flask(__name__)
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://")

    @app.route("/")
    @limiter.limit("2/minute")
    async def index():
        return "index"

    @app.cli.command("hit")
    def hit():
        client = app.test_client()
        print([client.get("/").status_code for _ in range(3)])
        print(type(flask.current_app._get_current_object()).__module__)
"""


@pytest.mark.parametrize(
    "args, expected",
    [
        (["limiter", "limits"], "index: /"),
        (["limiter", "config"], "Flask-Limiter Config"),
        (["hit"], "[200, 200, 429]\npottle.app"),
        (["--help"], "limiter"),
    ],
)
def test_limiter_commands_through_the_console_script(
    tmp_path: pathlib.Path, args: list[str], expected: str
) -> None:
    (tmp_path / "limited_app.py").write_text(textwrap.dedent(CONSOLE_APP))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "POTTLE_"))
    }
    env["COLUMNS"] = "200"  # rich wraps its tables to the terminal width
    script = pathlib.Path(sys.executable).parent / "pottle"
    result = subprocess.run(
        [str(script), "--app", "limited_app:app", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    assert "Skipping" not in result.stderr


def test_on_uvloop() -> None:
    app = flask.Flask(__name__)
    limiter = Limiter(
        get_remote_address, app=app, headers_enabled=True, storage_uri="memory://"
    )

    @app.route("/async")
    @limiter.limit("2/minute")
    async def async_view() -> dict[str, bool]:
        return {"uvloop": on_uvloop()}

    @app.route("/sync")
    @limiter.limit("1/minute")
    def sync_view() -> str:
        return "sync"

    async def main() -> tuple[t.Any, list[tuple[str, int, str | None]]]:
        client = app.test_client()
        first = await client.get("/async")
        out = [("/async", first.status_code, first.headers["X-RateLimit-Remaining"])]
        for path in ("/async", "/async", "/sync", "/sync"):
            response = await client.get(path)
            remaining = response.headers.get("X-RateLimit-Remaining")
            out.append((path, response.status_code, remaining))
        return first.json, out

    body, results = run_on_uvloop(main)
    assert body == {"uvloop": True}
    assert results == [
        ("/async", 200, "1"),
        ("/async", 200, "0"),
        ("/async", 429, "0"),
        ("/sync", 200, "0"),
        ("/sync", 429, "0"),
    ]
