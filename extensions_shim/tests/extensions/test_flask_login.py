"""Flask-Login: ``login_required`` and ``fresh_login_required`` around sync
and async views, ``login_user``/``logout_user``, the remember-me cookie,
the unauthorized handler and ``login_view`` redirect, ``current_user`` in
views and templates, its signals, and ``FlaskLoginClient`` (a subclass of
pottle's test client, set as ``app.test_client_class``).

``current_user`` is a lazy proxy: the sync ``user_loader`` runs wherever it
is first touched. The tests record where: on the request's worker thread in
sync code and under ``login_required`` (a sync decorator), on the event loop
when an ``async def`` view touches it first.
"""

from __future__ import annotations

import asyncio
import typing as t

import flask
import pytest
from flask_login import (
    FlaskLoginClient,
    LoginManager,
    UserMixin,
    current_user,
    fresh_login_required,
    login_required,
    login_user,
    logout_user,
    user_loaded_from_cookie,
    user_logged_in,
    user_logged_out,
)

from conftest import make_view


class User(UserMixin):
    def __init__(self, user_id: str, name: str) -> None:
        self.id = user_id
        self.name = name


USERS = {"1": User("1", "ada"), "2": User("2", "bob")}


def where() -> str:
    """``"loop"`` on the event loop's thread, else ``"worker"``."""
    return "loop" if asyncio._get_running_loop() is not None else "worker"


def name() -> str:
    return str(getattr(current_user, "name", "anonymous"))


def build(style: str, **config: t.Any) -> tuple[flask.Flask, LoginManager, list[str]]:
    """An app with a login page, a logout page and protected pages, its
    views all sync or all async. Returns the app, its login manager and the
    list of places the user loader ran."""
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="dev", TESTING=True, **config)
    manager = LoginManager(app)
    manager.login_view = manager.refresh_view = "login"
    loads: list[str] = []

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        loads.append(where())
        return USERS.get(user_id)

    def login() -> str:
        if "user" not in flask.request.args:
            return "login page"
        user = USERS[flask.request.args["user"]]
        login_user(user, remember="remember" in flask.request.args)
        return f"logged in {current_user.name}"

    def logout() -> str:
        logout_user()
        return "logged out"

    def me() -> str:
        return name()

    def whoami() -> str:
        if current_user.is_authenticated:
            return str(current_user.name)
        return "anonymous"

    def settings() -> str:
        return f"settings of {name()}"

    def page() -> str:
        return flask.render_template_string("{{ current_user.name or 'nobody' }}")

    for view in (login, logout, whoami, page):
        app.add_url_rule(f"/{view.__name__}", view_func=make_view(style, view))
    app.add_url_rule("/me", view_func=login_required(make_view(style, me)))
    app.add_url_rule(
        "/settings", view_func=fresh_login_required(make_view(style, settings))
    )
    return app, manager, loads


def test_login_required_redirects_to_the_login_view(style: str) -> None:
    app, _, _ = build(style)
    client = app.test_client()
    response = client.get("/me")
    assert response.status_code == 302
    assert response.location == "/login?next=%2Fme"
    with client.session_transaction() as session:
        assert session["_flashes"] == [
            ("message", "Please log in to access this page.")
        ]
    assert client.get("/me", follow_redirects=True).data == b"login page"


def test_login_and_logout(style: str) -> None:
    app, _, _ = build(style)
    client = app.test_client()
    events: list[tuple[str, str]] = []

    def logged_in(sender: t.Any, user: User) -> None:
        events.append(("in", user.name))

    def logged_out(sender: t.Any, user: User) -> None:
        events.append(("out", user.name))

    with (
        user_logged_in.connected_to(logged_in, app),
        user_logged_out.connected_to(logged_out, app),
    ):
        assert client.get("/login?user=1").data == b"logged in ada"
        assert client.get("/me").data == b"ada"
        assert client.get("/whoami").data == b"ada"
        assert client.get("/page").data == b"ada"
        assert client.get("/logout").data == b"logged out"
    assert client.get("/me").status_code == 302
    assert client.get("/whoami").data == b"anonymous"
    assert client.get("/page").data == b"nobody"
    assert events == [("in", "ada"), ("out", "ada")]


def test_unauthorized_handler_and_plain_401(style: str) -> None:
    app, manager, _ = build(style)
    manager.login_view = None
    client = app.test_client()
    assert client.get("/me").status_code == 401

    @manager.unauthorized_handler
    def unauthorized() -> tuple[dict[str, str], int]:
        return {"error": f"log in to see {flask.request.path}"}, 403

    response = client.get("/me")
    assert (response.status_code, response.json) == (
        403,
        {"error": "log in to see /me"},
    )


def test_remember_me_cookie(style: str) -> None:
    app, _, _ = build(style)
    first = app.test_client()
    first.get("/login?user=2&remember=1")
    cookie = first.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only

    # A new browser session: no session cookie, only the remember-me one.
    second = app.test_client()
    second.set_cookie("remember_token", cookie.value)
    loaded: list[str] = []

    def from_cookie(sender: t.Any, user: User) -> None:
        loaded.append(user.name)

    with user_loaded_from_cookie.connected_to(from_cookie, app):
        assert second.get("/me").data == b"bob"
    assert loaded == ["bob"]
    # Restored from the cookie, so not fresh: sensitive pages ask again.
    response = second.get("/settings")
    assert (response.status_code, response.location) == (
        302,
        "/login?next=%2Fsettings",
    )

    second.get("/logout")
    assert second.get_cookie("remember_token") is None
    assert second.get("/me").status_code == 302


def test_fresh_login_required(style: str) -> None:
    app, _, _ = build(style)
    client = app.test_client()
    client.get("/login?user=1")
    assert client.get("/settings").data == b"settings of ada"

    app.test_client_class = FlaskLoginClient
    stale = app.test_client(user=USERS["1"], fresh_login=False)
    assert stale.get("/me").data == b"ada"
    response = stale.get("/settings")
    assert (response.status_code, response.location) == (
        302,
        "/login?next=%2Fsettings",
    )
    with stale.session_transaction() as session:
        assert session["_flashes"] == [
            ("message", "Please reauthenticate to access this page.")
        ]
    # FlaskLoginClient sets no session identifier, so "basic" session
    # protection marks its session stale, as on Flask.
    app.config["SESSION_PROTECTION"] = None
    assert app.test_client(user=USERS["1"]).get("/settings").status_code == 200


def test_flask_login_client(style: str) -> None:
    app, _, _ = build(style)
    app.test_client_class = FlaskLoginClient
    client = app.test_client(user=USERS["2"])
    assert isinstance(client, flask.testing.FlaskClient)
    assert client.get("/me").data == b"bob"
    with client.session_transaction() as session:
        assert session["_user_id"] == "2"
    assert app.test_client().get("/me").status_code == 302

    async def from_async_test() -> bytes:
        client = app.test_client(user=USERS["1"])
        return (await client.get("/me")).data  # type: ignore[no-any-return]

    assert asyncio.run(from_async_test()) == b"ada"


def test_request_loader_reads_the_request(style: str) -> None:
    app, manager, _ = build(style)

    @manager.request_loader
    def from_api_key(request: flask.Request) -> User | None:
        return USERS.get(request.headers.get("X-Api-Key", ""))

    client = app.test_client()
    assert client.get("/me", headers={"X-Api-Key": "1"}).data == b"ada"
    assert client.get("/me", headers={"X-Api-Key": "9"}).status_code == 302


def test_login_disabled(style: str) -> None:
    app, _, _ = build(style, LOGIN_DISABLED=True)
    assert app.test_client().get("/me").data == b"anonymous"
    assert app.test_client().get("/settings").data == b"settings of anonymous"


# -- where the user loader runs --------------------------------------------------


@pytest.mark.parametrize(
    ("style", "path", "expected"),
    [
        ("sync", "/me", "worker"),
        ("sync", "/whoami", "worker"),
        # login_required is a sync wrapper: it runs on the worker thread,
        # loads the user there, then awaits the view on the loop.
        ("async", "/me", "worker"),
        # An async view that touches current_user first loads it on the loop.
        ("async", "/whoami", "loop"),
    ],
)
def test_where_the_user_loader_runs(style: str, path: str, expected: str) -> None:
    app, _, loads = build(style)
    client = app.test_client()
    client.get("/login?user=1")
    loads.clear()
    assert client.get(path).data == b"ada"
    assert loads == [expected]


def test_a_sync_hook_keeps_the_loader_off_the_loop() -> None:
    """docs/extensions.md's advice for a slow ``user_loader`` (a database
    query) and async views: load the user in a sync ``before_request``
    hook. It runs on the worker thread; the view then finds the user cached
    in ``g``."""
    app, _, loads = build("async")

    @app.before_request
    def load_user_off_the_loop() -> None:
        current_user._get_current_object()

    client = app.test_client()
    client.get("/login?user=1")
    loads.clear()
    assert client.get("/whoami").data == b"ada"
    assert loads == ["worker"]
