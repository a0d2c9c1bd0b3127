"""Flask-Cors: the app-wide extension and the ``cross_origin`` decorator, on
sync and async views, and on error responses.

Flask-Cors replaces ``app.handle_exception`` and ``app.handle_user_exception``
with sync wrappers that call ``app.make_response`` on the result, and
``cross_origin`` calls ``make_response(view())`` without ``ensure_sync``.
pottle runs those wrappers on the request's worker thread; an async view's
coroutine handed to ``make_response`` is awaited on the loop from there.
"""

from __future__ import annotations

import typing as t

import flask
import pytest
from flask_cors import CORS, cross_origin
from running import Threads, on_uvloop, run_on_uvloop

from conftest import make_view

GOOD = "https://good.example"
ACAO = "Access-Control-Allow-Origin"


def _app() -> flask.Flask:
    app = flask.Flask(__name__)
    # Error responses are the point here, so let unhandled errors become 500s.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def make_handler(
    style: str, body: t.Callable[[Exception], t.Any]
) -> t.Callable[[Exception], t.Any]:
    """An error handler returning ``body(error)``, sync or ``async def``."""
    if style == "sync":
        return body

    async def handler(error: Exception) -> t.Any:
        return body(error)

    return handler


def test_simple_and_preflight_requests(style: str) -> None:
    app = _app()
    CORS(
        app,
        resources={r"/api/*": {"origins": [GOOD, "https://other.example"]}},
        supports_credentials=True,
        max_age=600,
    )

    def items() -> dict[str, t.Any]:
        return {"origin": flask.request.headers.get("Origin")}

    app.add_url_rule(
        "/api/items", view_func=make_view(style, items), methods=["GET", "POST"]
    )
    app.add_url_rule("/private", "private", make_view(style, items))
    client = app.test_client()

    response = client.get("/api/items", headers={"Origin": GOOD})
    assert response.json == {"origin": GOOD}
    assert response.headers[ACAO] == GOOD
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in response.headers.get_all("Vary")

    assert (
        ACAO
        not in client.get(
            "/api/items", headers={"Origin": "https://evil.example"}
        ).headers
    )
    assert ACAO not in client.get("/private", headers={"Origin": GOOD}).headers

    preflight = client.options(
        "/api/items",
        headers={
            "Origin": GOOD,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Token",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers[ACAO] == GOOD
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"].lower() == "x-token"
    assert preflight.headers["Access-Control-Max-Age"] == "600"


def test_cross_origin_decorator(style: str) -> None:
    app = flask.Flask(__name__)
    threads = Threads(app)

    def greet() -> str:
        threads.record("view")
        return f"hello {flask.request.args['name']}"

    app.add_url_rule(
        "/greet",
        view_func=cross_origin(origins=[GOOD], expose_headers=["X-Total"])(
            make_view(style, greet)
        ),
    )
    app.add_url_rule("/plain", "plain", make_view(style, greet))
    client = app.test_client()

    response = client.get("/greet?name=ada", headers={"Origin": GOOD})
    assert response.data == b"hello ada"
    assert response.headers[ACAO] == GOOD
    assert response.headers["Access-Control-Expose-Headers"] == "X-Total"
    # The async view ran on the loop; the decorator and a sync view did not.
    ran_on_loop = bool(threads.seen["view"] & threads.loop)
    assert ran_on_loop == (style == "async")

    # cross_origin answers the preflight itself (automatic_options).
    preflight = client.options(
        "/greet", headers={"Origin": GOOD, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200
    assert preflight.headers[ACAO] == GOOD
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]

    assert ACAO not in client.get("/plain?name=x", headers={"Origin": GOOD}).headers


class TeapotError(Exception):
    pass


def test_error_responses_carry_cors_headers(style: str) -> None:
    app = _app()
    CORS(app)

    def boom() -> str:
        raise ValueError("unexpected")

    def forbidden() -> str:
        flask.abort(403)

    def teapot() -> str:
        raise TeapotError()

    def handle_teapot(error: TeapotError) -> tuple[str, int]:
        return "short and stout", 418

    app.add_url_rule("/boom", view_func=make_view(style, boom))
    app.add_url_rule("/forbidden", view_func=make_view(style, forbidden))
    app.add_url_rule("/teapot", view_func=make_view(style, teapot))
    app.add_url_rule(
        "/post-only", "post_only", make_view(style, boom), methods=["POST"]
    )
    app.register_error_handler(TeapotError, make_handler(style, handle_teapot))
    client = app.test_client()

    expected = {
        "/missing": 404,
        "/post-only": 405,
        "/boom": 500,
        "/forbidden": 403,
        "/teapot": 418,
    }
    for path, status in expected.items():
        response = client.get(path, headers={"Origin": GOOD})
        assert (path, response.status_code) == (path, status)
        assert response.headers.get(ACAO) == GOOD, path
    assert client.get("/teapot").data == b"short and stout"


def test_error_handlers_for_http_errors_keep_cors_headers(style: str) -> None:
    app = _app()
    CORS(app, origins=[GOOD])

    def not_found(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": "nothing here"}, 404

    def server_error(error: Exception) -> tuple[dict[str, str], int]:
        return {"error": type(error.original_exception).__name__}, 500  # type: ignore[attr-defined]

    def boom() -> str:
        raise KeyError("x")

    app.register_error_handler(404, make_handler(style, not_found))
    app.register_error_handler(500, make_handler(style, server_error))
    app.add_url_rule("/boom", view_func=make_view(style, boom))
    client = app.test_client()

    missing = client.get("/nope", headers={"Origin": GOOD})
    assert (missing.status_code, missing.json) == (404, {"error": "nothing here"})
    assert missing.headers[ACAO] == GOOD
    failed = client.get("/boom", headers={"Origin": GOOD})
    assert (failed.status_code, failed.json) == (500, {"error": "KeyError"})
    assert failed.headers[ACAO] == GOOD


def test_extension_wrappers_run_off_the_loop(style: str) -> None:
    calls: list[object] = []

    class App(flask.Flask):
        def make_response(self, rv: t.Any) -> flask.Response:
            # Flask-Cors's exception wrappers call this synchronously.
            threads.record("make_response")
            calls.append(rv)
            return super().make_response(rv)

    app = App(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    threads = Threads(app)
    CORS(app)

    def forbidden() -> str:
        flask.abort(403)

    app.add_url_rule("/forbidden", view_func=make_view(style, forbidden))
    response = app.test_client().get("/forbidden", headers={"Origin": GOOD})
    assert (response.status_code, response.headers[ACAO]) == (403, GOOD)
    assert calls, "Flask-Cors did not call make_response"
    threads.off_loop("make_response")


def test_blueprint_resources() -> None:
    app = flask.Flask(__name__)
    api = flask.Blueprint("api", __name__, url_prefix="/api")
    CORS(api, origins=[GOOD])

    @api.route("/sync")
    def sync_view() -> str:
        return "sync"

    @api.route("/async")
    async def async_view() -> str:
        return "async"

    @app.route("/outside")
    def outside() -> str:
        return "outside"

    app.register_blueprint(api)
    client = app.test_client()
    for path in ("/api/sync", "/api/async"):
        assert client.get(path, headers={"Origin": GOOD}).headers[ACAO] == GOOD
    assert ACAO not in client.get("/outside", headers={"Origin": GOOD}).headers


def test_on_uvloop() -> None:
    app = _app()
    CORS(app, origins=[GOOD])

    @app.route("/async")
    async def async_view() -> dict[str, bool]:
        return {"uvloop": on_uvloop()}

    @app.route("/sync")
    @cross_origin(origins=[GOOD])
    def sync_view() -> str:
        return "sync"

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("x")

    async def main() -> list[tuple[int, str | None, bytes]]:
        client = app.test_client()
        out = []
        for path in ("/async", "/sync", "/boom", "/missing"):
            response = await client.get(path, headers={"Origin": GOOD})
            out.append(
                (response.status_code, response.headers.get(ACAO), response.data)
            )
        return out

    results = run_on_uvloop(main)
    assert [(status, origin) for status, origin, _ in results] == [
        (200, GOOD),
        (200, GOOD),
        (500, GOOD),
        (404, GOOD),
    ]
    assert results[0][2] == b'{"uvloop":true}\n'


@pytest.mark.parametrize("intercept", [True, False])
def test_intercept_exceptions_option(intercept: bool) -> None:
    app = _app()
    CORS(app, intercept_exceptions=intercept)

    @app.route("/boom")
    async def boom() -> str:
        raise ValueError("x")

    response = app.test_client().get("/boom", headers={"Origin": GOOD})
    assert response.status_code == 500
    # Without interception the 500 still gets them: handle_exception runs
    # the after_request functions while finalizing it, as in Flask.
    assert response.headers[ACAO] == GOOD
