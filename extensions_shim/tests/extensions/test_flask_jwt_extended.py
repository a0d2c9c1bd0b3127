"""Flask-JWT-Extended: tokens in headers, cookies (with the CSRF double
submit), JSON bodies and query strings; ``current_user``; its error handlers;
``verify_jwt_in_request`` in hooks and views; sync and async views.

``jwt_required`` is a sync wrapper that verifies the token (reading cookies,
``request.form`` or ``request.json`` synchronously, calling the sync loaders)
and then calls the view through ``ensure_sync``: pottle runs it on the
request's worker thread. ``verify_jwt_in_request`` called inside an async
view runs on the loop and reads the small body pottle received beforehand.
"""

from __future__ import annotations

import datetime
import threading
import time
import typing as t

import flask
import jwt as pyjwt
import pytest
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    current_user,
    get_jwt,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
    verify_jwt_in_request,
)
from running import Threads, on_uvloop, run_on_uvloop

from conftest import make_view

SECRET = "a-secret-long-enough-for-hs256-keys!"


class User:
    def __init__(self, name: str, admin: bool = False) -> None:
        self.name, self.admin = name, admin


USERS = {"ada": User("ada", admin=True), "bob": User("bob")}


def _app(**config: t.Any) -> tuple[flask.Flask, JWTManager]:
    app = flask.Flask(__name__)
    app.config.update({"JWT_SECRET_KEY": SECRET, **config})
    jwt = JWTManager(app, add_context_processor=True)
    return app, jwt


def _token(app: flask.Flask, identity: str = "ada", **kwargs: t.Any) -> str:
    with app.app_context():
        return create_access_token(identity=identity, **kwargs)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_header_tokens_and_refresh(style: str) -> None:
    app, _ = _app()

    def login() -> dict[str, str]:
        name = flask.request.get_json()["name"]
        return {
            "access": create_access_token(identity=name, fresh=True),
            "refresh": create_refresh_token(identity=name),
        }

    def whoami() -> dict[str, t.Any]:
        claims = get_jwt()
        return {"identity": get_jwt_identity(), "fresh": claims["fresh"]}

    def refresh() -> dict[str, str]:
        return {"access": create_access_token(identity=get_jwt_identity())}

    def maybe() -> dict[str, t.Any]:
        return {"identity": get_jwt_identity()}

    app.add_url_rule("/login", view_func=make_view(style, login), methods=["POST"])
    app.add_url_rule("/whoami", view_func=jwt_required()(make_view(style, whoami)))
    app.add_url_rule(
        "/fresh", "fresh", jwt_required(fresh=True)(make_view(style, whoami))
    )
    app.add_url_rule(
        "/refresh",
        view_func=jwt_required(refresh=True)(make_view(style, refresh)),
        methods=["POST"],
    )
    app.add_url_rule(
        "/maybe", view_func=jwt_required(optional=True)(make_view(style, maybe))
    )
    client = app.test_client()

    tokens = client.post("/login", json={"name": "ada"}).json
    assert client.get("/whoami", headers=_bearer(tokens["access"])).json == {
        "identity": "ada",
        "fresh": True,
    }
    refreshed = client.post("/refresh", headers=_bearer(tokens["refresh"])).json
    assert client.get("/whoami", headers=_bearer(refreshed["access"])).json == {
        "identity": "ada",
        "fresh": False,
    }
    not_fresh = client.get("/fresh", headers=_bearer(refreshed["access"]))
    assert (not_fresh.status_code, not_fresh.json) == (
        401,
        {"msg": "Fresh token required"},
    )
    assert client.get("/maybe").json == {"identity": None}
    assert client.get("/maybe", headers=_bearer(tokens["access"])).json == {
        "identity": "ada"
    }


def test_cookies_with_csrf_double_submit(style: str) -> None:
    app, _ = _app(JWT_TOKEN_LOCATION=["cookies"], JWT_CSRF_CHECK_FORM=True)

    def login() -> flask.Response:
        response = flask.jsonify(login=True)
        set_access_cookies(response, create_access_token(identity="bob"))
        set_refresh_cookies(response, create_refresh_token(identity="bob"))
        return response

    def logout() -> flask.Response:
        response = flask.jsonify(logout=True)
        unset_jwt_cookies(response)
        return response

    def change() -> dict[str, t.Any]:
        return {"changed_by": get_jwt_identity()}

    def refresh() -> flask.Response:
        response = flask.jsonify(refreshed=get_jwt_identity())
        set_access_cookies(response, create_access_token(identity=get_jwt_identity()))
        return response

    app.add_url_rule("/login", view_func=make_view(style, login), methods=["POST"])
    app.add_url_rule("/logout", view_func=make_view(style, logout), methods=["POST"])
    app.add_url_rule(
        "/change",
        view_func=jwt_required()(make_view(style, change)),
        methods=["GET", "POST"],
    )
    app.add_url_rule(
        "/refresh",
        view_func=jwt_required(refresh=True)(make_view(style, refresh)),
        methods=["POST"],
    )
    client = app.test_client()

    missing = client.get("/change")
    assert (missing.status_code, missing.json) == (
        401,
        {"msg": 'Missing cookie "access_token_cookie"'},
    )
    client.post("/login")
    csrf = client.get_cookie("csrf_access_token")
    assert csrf is not None
    # GET is not CSRF-checked; POST needs the token from the header or form.
    assert client.get("/change").json == {"changed_by": "bob"}
    no_csrf = client.post("/change")
    assert (no_csrf.status_code, no_csrf.json) == (401, {"msg": "Missing CSRF token"})
    wrong = client.post("/change", headers={"X-CSRF-TOKEN": "forged"})
    assert (wrong.status_code, wrong.json) == (
        401,
        {"msg": "CSRF double submit tokens do not match"},
    )
    assert client.post("/change", headers={"X-CSRF-TOKEN": csrf.value}).json == {
        "changed_by": "bob"
    }
    # The form field: the decorator reads request.form synchronously.
    assert client.post("/change", data={"csrf_token": csrf.value}).json == {
        "changed_by": "bob"
    }
    # The refresh token lives in its own cookie, with its own CSRF value.
    access = client.get_cookie("access_token_cookie")
    refresh_csrf = client.get_cookie("csrf_refresh_token")
    assert access is not None and refresh_csrf is not None
    assert client.post("/refresh").json == {"msg": "Missing CSRF token"}
    refreshed = client.post("/refresh", headers={"X-CSRF-TOKEN": refresh_csrf.value})
    assert refreshed.json == {"refreshed": "bob"}
    new_access = client.get_cookie("access_token_cookie")
    assert new_access is not None and new_access.value != access.value

    client.post("/logout")
    assert client.get_cookie("access_token_cookie") is None
    assert client.get("/change").status_code == 401


def test_verify_inside_async_views_reads_the_prefetched_body() -> None:
    # verify_jwt_in_request in an async view runs on the loop: the form, JSON
    # body and cookies it reads synchronously were received before the view.
    app, _ = _app(JWT_TOKEN_LOCATION=["cookies", "json"], JWT_CSRF_CHECK_FORM=True)

    @app.post("/form")
    async def form() -> dict[str, t.Any]:
        verify_jwt_in_request(locations=["cookies"])
        return {"by": get_jwt_identity(), "note": flask.request.form["note"]}

    @app.post("/json")
    async def json_body() -> dict[str, t.Any]:
        verify_jwt_in_request(locations=["json"])
        return {"by": get_jwt_identity()}

    client = app.test_client()
    token = _token(app, "ada")
    client.set_cookie("access_token_cookie", token)
    with app.app_context():
        from flask_jwt_extended import get_csrf_token

        csrf = get_csrf_token(token)
    response = client.post("/form", data={"csrf_token": csrf, "note": "hi"})
    assert response.json == {"by": "ada", "note": "hi"}
    assert client.post("/form", data={"note": "hi"}).status_code == 401
    assert client.post("/json", json={"access_token": token}).json == {"by": "ada"}
    missing = client.post("/json", json={})
    assert missing.json == {"msg": 'Missing "access_token" key in json data.'}


def test_json_and_query_string_locations(style: str) -> None:
    app, _ = _app(
        JWT_TOKEN_LOCATION=["headers", "json", "query_string"],
        JWT_QUERY_STRING_VALUE_PREFIX="Bearer ",
    )

    def whoami() -> dict[str, t.Any]:
        return {"identity": get_jwt_identity()}

    app.add_url_rule(
        "/json",
        "json",
        jwt_required(locations=["json"])(make_view(style, whoami)),
        methods=["POST"],
    )
    app.add_url_rule(
        "/query",
        "query",
        jwt_required(locations=["query_string"])(make_view(style, whoami)),
    )
    client = app.test_client()
    token = _token(app, "bob")

    assert client.post("/json", json={"access_token": token}).json == {
        "identity": "bob"
    }
    not_json = client.post("/json", data={"access_token": token})
    assert (not_json.status_code, not_json.json) == (
        401,
        {"msg": "Invalid content-type. Must be application/json."},
    )
    assert client.get(f"/query?jwt=Bearer%20{token}").json == {"identity": "bob"}
    unprefixed = client.get(f"/query?jwt={token}")
    assert (unprefixed.status_code, unprefixed.json) == (
        422,
        {
            "msg": "Invalid value for query parameter 'jwt'."
            " Expected the value to start with 'Bearer '"
        },
    )
    assert client.get("/query").json == {"msg": "Missing 'jwt' query paramater"}


def test_current_user_and_loaders(style: str) -> None:
    app, jwt = _app()
    threads = Threads(app)
    revoked: set[str] = set()

    @jwt.user_identity_loader
    def identity(user: User | str) -> str:
        return user.name if isinstance(user, User) else user

    @jwt.user_lookup_loader
    def lookup(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> User | None:
        threads.record("loader")
        return USERS.get(jwt_data["sub"])

    @jwt.additional_claims_loader
    def claims(user: User | str) -> dict[str, bool]:
        return {"admin": isinstance(user, User) and user.admin}

    @jwt.token_in_blocklist_loader
    def is_revoked(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> bool:
        threads.record("loader")
        return jwt_data["jti"] in revoked

    def me() -> dict[str, t.Any]:
        return {
            "name": current_user.name,
            "admin": get_jwt()["admin"],
            "template": flask.render_template_string("{{ current_user.name }}"),
        }

    def logout() -> dict[str, str]:
        revoked.add(get_jwt()["jti"])
        return {"msg": "revoked"}

    app.add_url_rule("/me", view_func=jwt_required()(make_view(style, me)))
    app.add_url_rule(
        "/logout", view_func=jwt_required()(make_view(style, logout)), methods=["POST"]
    )
    client = app.test_client()

    ada = _token(app, USERS["ada"])
    assert client.get("/me", headers=_bearer(ada)).json == {
        "name": "ada",
        "admin": True,
        "template": "ada",
    }
    assert client.get("/me", headers=_bearer(_token(app, "bob"))).json["admin"] is False
    ghost = client.get("/me", headers=_bearer(_token(app, "ghost")))
    assert (ghost.status_code, ghost.json) == (
        401,
        {"msg": "Error loading the user ghost"},
    )
    client.post("/logout", headers=_bearer(ada))
    gone = client.get("/me", headers=_bearer(ada))
    assert (gone.status_code, gone.json) == (401, {"msg": "Token has been revoked"})
    # The loaders run in the sync decorator: on the worker thread, which for
    # the sync test client is this one, for sync and async views alike.
    assert threads.off_loop("loader") == {threading.get_ident()}


def _foreign_token(**config: t.Any) -> str:
    """An access token for "ada" from another app: the test app's audience
    and issuer unless ``config`` changes them."""
    config = {"JWT_ENCODE_AUDIENCE": "api", "JWT_ENCODE_ISSUER": "pottle", **config}
    other, _ = _app(**config)
    return _token(other, "ada")


ERRORS: list[tuple[str, t.Callable[[flask.Flask], dict[str, str]], int, str]] = [
    ("no header", lambda app: {}, 401, "Missing Authorization Header"),
    (
        "no bearer",
        lambda app: {"Authorization": _token(app)},
        401,
        "Missing 'Bearer' type in 'Authorization' header. Expected"
        " 'Authorization: Bearer <JWT>'",
    ),
    (
        "bad header",
        lambda app: {"Authorization": "Bearer two parts"},
        422,
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
    ),
    ("garbage", lambda app: _bearer("not-a-jwt"), 422, "Not enough segments"),
    (
        "not yet valid",
        lambda app: _bearer(_early_token()),
        422,
        "The token is not yet valid (nbf)",
    ),
    (
        "no identity",
        lambda app: _bearer(_foreign_token(JWT_IDENTITY_CLAIM="user")),
        422,
        "Missing claim: sub",
    ),
    (
        "expired",
        lambda app: _bearer(_token(app, expires_delta=datetime.timedelta(seconds=-5))),
        401,
        "Token has expired",
    ),
    (
        "other key",
        lambda app: _bearer(
            _foreign_token(JWT_SECRET_KEY="another-secret-long-enough-for-hs256")
        ),
        422,
        "Signature verification failed",
    ),
    (
        "refresh as access",
        lambda app: _bearer(_refresh_token(app)),
        422,
        "Only non-refresh tokens are allowed",
    ),
    (
        "audience",
        lambda app: _bearer(_foreign_token(JWT_ENCODE_AUDIENCE="elsewhere")),
        422,
        "Audience doesn't match",
    ),
    (
        "no audience",
        lambda app: _bearer(_foreign_token(JWT_ENCODE_AUDIENCE=None)),
        422,
        'Token is missing the "aud" claim',
    ),
    (
        "issuer",
        lambda app: _bearer(_foreign_token(JWT_ENCODE_ISSUER="mallory")),
        422,
        "Invalid issuer",
    ),
    (
        "claims check",
        lambda app: _bearer(_token(app, additional_claims={"banned": True})),
        400,
        "User claims verification failed",
    ),
]


def _early_token() -> str:
    now = int(time.time())
    claims = {"sub": "ada", "type": "access", "fresh": False, "jti": "early"}
    claims.update(iat=now, nbf=now + 3600, exp=now + 7200, aud="api", iss="pottle")
    return pyjwt.encode(claims, SECRET, algorithm="HS256")


def _refresh_token(app: flask.Flask) -> str:
    with app.app_context():
        return create_refresh_token(identity="ada")


@pytest.mark.parametrize(
    "headers, status, message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_error_handlers(
    style: str,
    headers: t.Callable[[flask.Flask], dict[str, str]],
    status: int,
    message: str,
) -> None:
    app, jwt = _app(
        JWT_ENCODE_AUDIENCE="api",
        JWT_DECODE_AUDIENCE="api",
        JWT_ENCODE_ISSUER="pottle",
        JWT_DECODE_ISSUER="pottle",
    )

    @jwt.token_verification_loader
    def not_banned(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> bool:
        return not jwt_data.get("banned", False)

    def protected() -> str:
        return "secret"

    app.add_url_rule("/p", view_func=jwt_required()(make_view(style, protected)))
    client = app.test_client()
    assert client.get("/p", headers=_bearer(_token(app))).data == b"secret"
    response = client.get("/p", headers=headers(app))
    assert (response.status_code, response.json) == (status, {"msg": message})


def test_custom_error_callbacks(style: str) -> None:
    app, jwt = _app(JWT_ERROR_MESSAGE_KEY="error")

    @jwt.expired_token_loader
    def expired(jwt_header: dict[str, t.Any], jwt_data: dict[str, t.Any]) -> t.Any:
        return flask.jsonify(error="expired", who=jwt_data["sub"]), 401

    @jwt.unauthorized_loader
    def unauthorized(reason: str) -> t.Any:
        return flask.jsonify(error="log in first", reason=reason), 401

    def protected() -> str:
        return "secret"

    app.add_url_rule("/p", view_func=jwt_required()(make_view(style, protected)))
    client = app.test_client()
    old = _token(app, "bob", expires_delta=datetime.timedelta(seconds=-5))
    assert client.get("/p", headers=_bearer(old)).json == {
        "error": "expired",
        "who": "bob",
    }
    assert client.get("/p").json == {
        "error": "log in first",
        "reason": "Missing Authorization Header",
    }
    assert client.get("/p", headers=_bearer("x.y")).json == {
        "error": "Not enough segments"
    }


def test_verify_in_before_request(style: str) -> None:
    app, _ = _app()
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    def guard() -> None:
        verify_jwt_in_request()
        if not get_jwt().get("admin"):
            flask.abort(403)

    def dashboard() -> dict[str, t.Any]:
        return {"admin": get_jwt_identity()}

    admin.before_request(make_view(style, guard))
    admin.add_url_rule("/", view_func=make_view(style, dashboard))
    app.register_blueprint(admin)

    @app.route("/public")
    def public() -> str:
        return "public"

    client = app.test_client()
    assert client.get("/public").data == b"public"
    assert client.get("/admin/").json == {"msg": "Missing Authorization Header"}
    user = _token(app, "bob")
    assert client.get("/admin/", headers=_bearer(user)).status_code == 403
    boss = _token(app, "ada", additional_claims={"admin": True})
    assert client.get("/admin/", headers=_bearer(boss)).json == {"admin": "ada"}


def test_on_uvloop() -> None:
    app, _ = _app(JWT_TOKEN_LOCATION=["headers", "cookies"])

    @app.post("/login")
    async def login() -> flask.Response:
        response = flask.jsonify(uvloop=on_uvloop())
        set_access_cookies(response, create_access_token(identity="ada"))
        return response

    @app.route("/async", methods=["GET", "POST"])
    @jwt_required()
    async def async_view() -> dict[str, t.Any]:
        return {"identity": get_jwt_identity(), "uvloop": on_uvloop()}

    @app.route("/sync")
    @jwt_required()
    def sync_view() -> dict[str, t.Any]:
        return {"identity": get_jwt_identity()}

    async def main() -> list[tuple[int, t.Any]]:
        client = app.test_client()
        responses = [await client.get("/async"), await client.post("/login")]
        csrf = client.get_cookie("csrf_access_token")
        assert csrf is not None
        responses += [
            await client.get("/async"),
            await client.get("/sync"),
            await client.post("/async", headers={"X-CSRF-TOKEN": csrf.value}),
            await client.post("/async"),
        ]
        return [(r.status_code, r.json) for r in responses]

    assert run_on_uvloop(main) == [
        (
            401,
            {
                "msg": "Missing JWT in headers or cookies (Missing Authorization"
                ' Header; Missing cookie "access_token_cookie")'
            },
        ),
        (200, {"uvloop": True}),
        (200, {"identity": "ada", "uvloop": True}),
        (200, {"identity": "ada"}),
        (200, {"identity": "ada", "uvloop": True}),
        (401, {"msg": "Missing CSRF token"}),
    ]
