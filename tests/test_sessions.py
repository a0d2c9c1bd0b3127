from __future__ import annotations

import asyncio
import threading
import typing as t
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer, base64_encode
from werkzeug.http import parse_cookie

import pottle
from pottle import session
from pottle._concurrency import in_loop_thread
from pottle.sessions import (
    NullSession,
    SecureCookieSession,
    SecureCookieSessionInterface,
    SessionInterface,
    SessionMixin,
)


def cookie_attrs(response: t.Any) -> dict[str, str]:
    """The attributes of the response's session cookie, lower-cased."""
    header = response.headers["Set-Cookie"]
    attrs = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attrs[name.lower()] = value
    return attrs


def session_value(response: t.Any, name: str = "session") -> str:
    return parse_cookie(response.headers["Set-Cookie"])[name]


@pytest.fixture
def echo(app: pottle.Pottle) -> pottle.Pottle:
    @app.post("/set")
    def set_values() -> str:
        session.update(pottle.request.get_json())
        return "ok"

    @app.get("/get")
    def get_values() -> dict[str, t.Any]:
        return dict(session)

    return app


# -- the cookie ---------------------------------------------------------------


def test_round_trip_keeps_tagged_types(echo: pottle.Pottle, client: t.Any) -> None:
    @echo.get("/typed")
    def typed() -> str:
        session["t"] = (1, 2)
        session["b"] = b"\xff"
        session["m"] = pottle.json.tag.Markup("<b>")
        return "ok"

    @echo.get("/types")
    def types() -> str:
        return ",".join(type(session[k]).__name__ for k in ("t", "b", "m"))

    client.get("/typed")
    assert client.get("/types").text == "tuple,bytes,Markup"


def test_browser_session_has_no_expiry(echo: pottle.Pottle, client: t.Any) -> None:
    rv = client.post("/set", json={"a": 1})
    attrs = cookie_attrs(rv)
    assert "expires" not in attrs
    assert attrs["path"] == "/"
    assert "httponly" in attrs
    assert "secure" not in attrs
    assert client.get("/get").json == {"a": 1}


@pytest.mark.parametrize("lifetime", [timedelta(hours=2), 7200])
def test_permanent_session_expires_after_lifetime(
    app: pottle.Pottle, client: t.Any, lifetime: timedelta | int
) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime

    @app.get("/")
    def index() -> str:
        session.permanent = True
        session["x"] = 1
        return "ok"

    before = datetime.now(UTC)
    rv = client.get("/")
    expires = rv.headers["Set-Cookie"].split("Expires=")[1].split(";")[0]
    when = datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(hours=2) - timedelta(seconds=5) < when - before
    assert when - before < timedelta(hours=2, seconds=5)


def test_permanent_session_is_refreshed_each_request(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.get("/login")
    def login() -> str:
        session.permanent = True
        session["user"] = "ann"
        return "ok"

    @app.get("/page")
    def page() -> str:
        return "no session access"

    client.get("/login")
    rv = client.get("/page")
    assert "session=" in rv.headers["Set-Cookie"]
    # A refreshed cookie depends on the request's cookie (CVE-2023-30861).
    assert "Cookie" in rv.headers["Vary"]

    app.config["SESSION_REFRESH_EACH_REQUEST"] = False
    rv = client.get("/page")
    assert "Set-Cookie" not in rv.headers
    assert "Vary" not in rv.headers


def test_browser_session_is_not_refreshed(echo: pottle.Pottle, client: t.Any) -> None:
    @echo.get("/page")
    def page() -> str:
        return "x"

    client.post("/set", json={"a": 1})
    assert "Set-Cookie" not in client.get("/page").headers


def test_cookie_settings(echo: pottle.Pottle, client: t.Any) -> None:
    echo.config.update(
        SESSION_COOKIE_NAME="sid",
        SESSION_COOKIE_DOMAIN=".example.com",
        SESSION_COOKIE_PATH="/app",
        SESSION_COOKIE_HTTPONLY=False,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PARTITIONED=True,
    )
    rv = client.post("/set", "https://www.example.com/", json={"a": 1})
    attrs = cookie_attrs(rv)
    assert rv.headers["Set-Cookie"].startswith("sid=")
    assert attrs["domain"] == "example.com"
    assert attrs["path"] == "/app"
    assert "httponly" not in attrs
    assert "secure" in attrs
    assert attrs["samesite"] == "Lax"
    assert "partitioned" in attrs


def test_cookie_path_defaults_to_application_root(
    echo: pottle.Pottle, client: t.Any
) -> None:
    echo.config["APPLICATION_ROOT"] = "/root"
    rv = client.post("/set", json={"a": 1})
    assert cookie_attrs(rv)["path"] == "/root"


def test_invalid_samesite_is_an_error(echo: pottle.Pottle, client: t.Any) -> None:
    echo.config["SESSION_COOKIE_SAMESITE"] = "sometimes"
    with pytest.raises(ValueError, match="SameSite"):
        client.post("/set", json={"a": 1})


def test_emptied_session_deletes_the_cookie(echo: pottle.Pottle, client: t.Any) -> None:
    @echo.get("/clear")
    def clear() -> str:
        session.clear()
        return "ok"

    client.post("/set", json={"a": 1})
    rv = client.get("/clear")
    assert "Expires=Thu, 01 Jan 1970" in rv.headers["Set-Cookie"]
    assert "Cookie" in rv.headers["Vary"]
    assert client.get_cookie("session") is None


def test_untouched_empty_session_sends_nothing(
    echo: pottle.Pottle, client: t.Any
) -> None:
    rv = client.get("/get")
    assert rv.json == {}
    assert "Set-Cookie" not in rv.headers


# -- Vary: Cookie -------------------------------------------------------------


@pytest.mark.parametrize(
    "access",
    [
        lambda: session.get("k"),
        lambda: "k" in session,  # GHSA-68rp-wp8r-4726
        lambda: len(session),
        lambda: list(session),
        lambda: session.permanent,
    ],
    ids=["get", "in", "len", "iter", "permanent"],
)
def test_any_access_varies_on_cookie(
    app: pottle.Pottle, client: t.Any, access: t.Callable[[], object]
) -> None:
    @app.get("/")
    def index() -> str:
        access()
        return "ok"

    assert client.get("/").headers["Vary"] == "Cookie"


def test_no_access_no_vary(app: pottle.Pottle, client: t.Any) -> None:
    @app.get("/")
    def index() -> str:
        return "ok"

    assert "Vary" not in client.get("/").headers


def test_access_in_async_view_varies(app: pottle.Pottle, client: t.Any) -> None:
    @app.get("/")
    async def index() -> str:
        return str("k" in session)

    assert client.get("/").headers["Vary"] == "Cookie"


# -- keys ---------------------------------------------------------------------


def test_fallback_keys_open_old_cookies_and_sign_with_current(
    echo: pottle.Pottle, client: t.Any
) -> None:
    echo.secret_key = "old"
    client.post("/set", json={"a": 1})
    echo.config.update(SECRET_KEY="new", SECRET_KEY_FALLBACKS=["older", "old"])
    assert client.get("/get").json == {"a": 1}

    rv = client.post("/set", json={"b": 2})
    current_only = URLSafeTimedSerializer(
        "new",
        salt="cookie-session",
        serializer=pottle.sessions.session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": "sha1"},
    )
    assert current_only.loads(session_value(rv)) == {"a": 1, "b": 2}

    echo.config["SECRET_KEY_FALLBACKS"] = None
    echo.secret_key = "other"
    assert client.get("/get").json == {}


def test_no_secret_key_gives_a_null_session(app: pottle.Pottle, client: t.Any) -> None:
    app.secret_key = None

    @app.get("/read")
    def read() -> str:
        assert isinstance(session._get_current_object(), NullSession)  # type: ignore[attr-defined]
        return repr(session.get("missing", "default"))

    @app.get("/write")
    def write() -> str:
        session["x"] = 1
        return "unreachable"

    assert client.get("/read").text == "'default'"
    with pytest.raises(RuntimeError, match="no secret key was set"):
        client.get("/write")
    assert "Set-Cookie" not in client.get("/read").headers


@pytest.mark.parametrize("method", ["pop", "update", "clear", "setdefault"])
def test_null_session_refuses_every_write(method: str) -> None:
    with pytest.raises(RuntimeError, match="secret key"):
        getattr(NullSession(), method)("k")


# -- hostile cookies ----------------------------------------------------------


def _signed(app: pottle.Pottle, payload: bytes) -> str:
    """``payload`` with a valid signature and timestamp for ``app``'s key."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    signer = serializer.make_signer(serializer.salt)
    value = signer.sign(payload).decode()
    signer.unsign(value, max_age=60)
    return value  # type: ignore[no-any-return]


def _other_key(app: pottle.Pottle) -> str:
    app.secret_key = "wrong"
    try:
        return _good_cookie(app)
    finally:
        app.secret_key = "test key"


def _tampered(app: pottle.Pottle) -> str:
    _payload, timestamp, signature = _good_cookie(app).split(".")
    forged = base64_encode(b'{"user":"admin"}').decode()
    return f"{forged}.{timestamp}.{signature}"


def _good_cookie(app: pottle.Pottle) -> str:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return serializer.dumps({"user": "ann"})  # type: ignore[no-any-return]


HOSTILE: dict[str, t.Callable[[pottle.Pottle], str]] = {
    "tampered": lambda app: _tampered(app),
    "flipped signature": lambda app: _good_cookie(app)[:-2] + "AA",
    "truncated": lambda app: _good_cookie(app)[:-10],
    "no signature": lambda app: _good_cookie(app).rpartition(".")[0],
    "wrong key": _other_key,
    "signed garbage": lambda app: _signed(app, b"!!not*base64~at all"),
    "signed non-json": lambda app: _signed(app, b"bm90IGpzb24"),
    "signed list": lambda app: _signed(app, b"WzEsMl0"),
    "signed bad tag": lambda app: _signed(app, b"eyIgdCI6NX0"),
    "signed zlib bomb header": lambda app: _signed(app, b".eJzzSM3JyQ"),
    "not ascii": lambda app: "s\u00e9ssion.\u2603",
    "empty dots": lambda app: "..",
}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_cookie_gives_an_empty_session(
    echo: pottle.Pottle, client: t.Any, make: t.Callable[[pottle.Pottle], str]
) -> None:
    echo.config["PROPAGATE_EXCEPTIONS"] = False
    with echo.app_context():
        value = make(echo)
    client.set_cookie("session", value)
    rv = client.get("/get")
    assert rv.status_code == 200
    assert rv.json == {}


def test_expired_cookie_gives_an_empty_session(
    echo: pottle.Pottle, client: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/set", json={"a": 1})
    assert client.get("/get").json == {"a": 1}
    echo.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    # itsdangerous reads the clock through this method.
    import itsdangerous.timed

    real_now = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real_now(self) + 3600,
    )
    rv = client.get("/get")
    assert rv.status_code == 200
    assert rv.json == {}


def test_good_cookie_still_opens(echo: pottle.Pottle, client: t.Any) -> None:
    with echo.app_context():
        client.set_cookie("session", _good_cookie(echo))
    assert client.get("/get").json == {"user": "ann"}


# -- custom interfaces --------------------------------------------------------


class DictSession(dict[str, t.Any], SessionMixin):
    pass


class RecordingInterface(SessionInterface):
    """A sync, server-side interface that records where it runs."""

    def __init__(self) -> None:
        self.store: dict[str, dict[str, t.Any]] = {}
        self.threads: dict[str, int] = {}
        self.on_loop: list[bool] = []

    def _record(self, step: str) -> None:
        self.threads[step] = threading.get_ident()
        self.on_loop.append(in_loop_thread())

    def open_session(self, app: t.Any, request: t.Any) -> DictSession:
        self._record("open")
        return DictSession(self.store.get(request.cookies.get("sid", ""), {}))

    def save_session(self, app: t.Any, sess: t.Any, response: t.Any) -> None:
        self._record("save")
        self.store["s1"] = dict(sess)
        response.set_cookie("sid", "s1")


@pytest.mark.parametrize("async_view", [False, True], ids=["sync view", "async view"])
def test_sync_interface_runs_on_the_request_worker(
    app: pottle.Pottle, client: t.Any, async_view: bool
) -> None:
    interface = app.session_interface = RecordingInterface()

    def body() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    if async_view:

        @app.get("/")
        async def index() -> str:
            return body()

        @app.before_request
        def before() -> None:
            interface.threads["hook"] = threading.get_ident()

    else:

        @app.get("/")
        def index() -> str:
            interface.threads["hook"] = threading.get_ident()
            return body()

    assert client.get("/").text == "1"
    assert client.get("/").text == "2"
    assert not any(interface.on_loop)
    # One thread per request runs its sync code: here, the test's own thread.
    assert interface.threads == dict.fromkeys(
        ("open", "save", "hook"), threading.get_ident()
    )


def test_sync_interface_on_a_served_request(app: pottle.Pottle) -> None:
    """Driven as a server drives it, the request borrows a pool thread; the
    interface, the hook and the view all run on that one thread."""
    interface = app.session_interface = RecordingInterface()

    @app.before_request
    def before() -> None:
        interface.threads["hook"] = threading.get_ident()

    @app.get("/")
    def index() -> str:
        interface.threads["view"] = threading.get_ident()
        session["n"] = 1
        return "ok"

    async def serve() -> tuple[list[dict[str, t.Any]], int]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/",
            "raw_path": b"/",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost")],
            "client": ("127.0.0.1", 5000),
            "server": ("localhost", 80),
        }
        sent: list[dict[str, t.Any]] = []

        async def receive() -> dict[str, t.Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, t.Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return sent, threading.get_ident()

    sent, loop_thread = asyncio.run(serve())
    assert sent[0]["status"] == 200
    assert set(interface.threads) == {"open", "save", "hook", "view"}
    (worker,) = set(interface.threads.values())
    assert worker not in (loop_thread, threading.get_ident())
    assert not any(interface.on_loop)


def test_async_interface_is_awaited_on_the_loop(
    app: pottle.Pottle, client: t.Any
) -> None:
    seen: list[bool] = []

    class AsyncInterface(SessionInterface):
        store: dict[str, t.Any] = {}

        async def open_session(self, app: t.Any, request: t.Any) -> DictSession:
            seen.append(in_loop_thread())
            return DictSession(self.store)

        async def save_session(self, app: t.Any, sess: t.Any, response: t.Any) -> None:
            seen.append(in_loop_thread())
            self.store = dict(sess)

    app.session_interface = AsyncInterface()

    @app.get("/")
    async def index() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    assert client.get("/").text == "1"
    assert client.get("/").text == "2"
    assert seen == [True] * 4


def test_interface_returning_none_gives_a_null_session(
    app: pottle.Pottle, client: t.Any
) -> None:
    class NoSession(SessionInterface):
        def open_session(self, app: t.Any, request: t.Any) -> None:
            return None

        def save_session(self, *args: t.Any) -> None:
            raise AssertionError("a null session is never saved")

    app.session_interface = NoSession()

    @app.get("/")
    def index() -> str:
        return type(session._get_current_object()).__name__  # type: ignore[attr-defined]

    assert client.get("/").text == "NullSession"


def test_session_class_tracks_modification() -> None:
    sess = SecureCookieSession({"a": 1})
    assert not sess.modified
    assert sess["a"] == 1
    assert not sess.modified
    sess["b"] = 2
    assert sess.modified
    assert SecureCookieSessionInterface.session_class is SecureCookieSession


# -- the test client ----------------------------------------------------------


def test_session_transaction(echo: pottle.Pottle, client: t.Any) -> None:
    with client.session_transaction() as sess:
        sess["user"] = "ann"
    assert client.get("/get").json == {"user": "ann"}
    with client.session_transaction() as sess:
        assert sess["user"] == "ann"
        sess["user"] = "bob"
    assert client.get("/get").json == {"user": "bob"}


def test_async_session_transaction(echo: pottle.Pottle, client: t.Any) -> None:
    async def scenario() -> t.Any:
        async with client.session_transaction() as sess:
            sess["user"] = "ann"
        rv = await client.get("/get")
        return await rv.get_json()

    assert asyncio.run(scenario()) == {"user": "ann"}


def test_session_transaction_with_async_interface(
    app: pottle.Pottle, client: t.Any
) -> None:
    class AsyncInterface(SessionInterface):
        store: dict[str, t.Any] = {}

        async def open_session(self, app: t.Any, request: t.Any) -> DictSession:
            return DictSession(self.store)

        async def save_session(self, app: t.Any, sess: t.Any, response: t.Any) -> None:
            self.store = dict(sess)

    app.session_interface = AsyncInterface()

    @app.get("/")
    async def index() -> str:
        return str(session.get("user"))

    with client.session_transaction() as sess:
        sess["user"] = "ann"
    assert client.get("/").text == "ann"


def test_session_transaction_refuses_null_sessions(app: pottle.Pottle) -> None:
    app.secret_key = None
    client = app.test_client()
    with pytest.raises(RuntimeError, match="did not open a session"):  # noqa: SIM117
        with client.session_transaction():
            pass


def test_session_transaction_needs_cookies(app: pottle.Pottle) -> None:
    client = app.test_client(use_cookies=False)
    with pytest.raises(TypeError, match="Cookies are disabled"):  # noqa: SIM117
        with client.session_transaction():
            pass


def test_session_readable_after_request_in_with_client(
    echo: pottle.Pottle, client: t.Any
) -> None:
    with client:
        client.post("/set", json={"user": "ann"})
        assert session["user"] == "ann"
