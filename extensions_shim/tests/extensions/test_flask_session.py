"""Flask-Session: server-side sessions on backends that need no server
(files and memory through cachelib, the deprecated ``filesystem`` type,
and SQLite through Flask-SQLAlchemy), persisted across requests, changed
in ``session_transaction``, permanent or not, cleared, regenerated.

Flask-Session replaces ``app.session_interface`` with one whose
``open_session``/``save_session`` do blocking I/O. pottle runs a sync
session interface on the request's worker thread, never on the event loop,
also around ``async def`` views; the tests record the storage's threads to
prove it, with the test client and as served behind a server.
"""

from __future__ import annotations

import asyncio
import threading
import typing as t
from pathlib import Path

import flask
import pytest
from cachelib import FileSystemCache, SimpleCache
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from served import serve

from conftest import make_view

BACKENDS = ["filesystem", "cachelib-files", "cachelib-memory", "sqlalchemy"]


class RecordingCache(FileSystemCache):
    """A cachelib file cache that records the threads it is used on."""

    def __init__(self, directory: Path) -> None:
        self.threads: list[threading.Thread] = []
        self.on_loop: list[bool] = []
        super().__init__(str(directory))
        self.threads.clear()
        self.on_loop.clear()

    def _record(self) -> None:
        self.threads.append(threading.current_thread())
        self.on_loop.append(asyncio._get_running_loop() is not None)

    def get(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._record()
        return super().get(*args, **kwargs)

    def set(self, *args: t.Any, **kwargs: t.Any) -> bool:
        self._record()
        return super().set(*args, **kwargs)


def build(
    tmp_path: Path, backend: str, style: str = "sync", **config: t.Any
) -> flask.Flask:
    """An app with Flask-Session on ``backend`` and views that set, read,
    clear and regenerate the session (all sync or all async)."""
    tmp_path.mkdir(exist_ok=True)
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="dev", SESSION_TYPE=backend.partition("-")[0])
    if backend == "filesystem":
        app.config["SESSION_FILE_DIR"] = str(tmp_path / "sessions")
    elif backend == "cachelib-files":
        app.config["SESSION_CACHELIB"] = FileSystemCache(str(tmp_path / "sessions"))
    elif backend == "cachelib-memory":
        app.config["SESSION_CACHELIB"] = SimpleCache()
    elif backend == "sqlalchemy":
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'app.db'}"
        app.config["SESSION_SQLALCHEMY"] = SQLAlchemy(app)
    app.config.update(config)
    if backend == "filesystem":
        with pytest.warns(DeprecationWarning) as warned:
            Session(app)
        assert any("use the CacheLib backend" in str(w.message) for w in warned)
    else:
        Session(app)

    def put() -> str:
        flask.session.update(flask.request.args)
        return "ok"

    def read() -> dict[str, t.Any]:
        return {k: v for k, v in flask.session.items() if k != "_permanent"}

    def clear() -> str:
        flask.session.clear()
        return "cleared"

    def remember() -> str:
        flask.session.permanent = True
        return "permanent"

    def regenerate() -> str:
        flask.current_app.session_interface.regenerate(flask.session)  # type: ignore[attr-defined]
        return "new id"

    for view in (put, read, clear, remember, regenerate):
        app.add_url_rule(f"/{view.__name__}", view_func=make_view(style, view))
    return app


def session_id(client: t.Any) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return str(cookie.value)


@pytest.mark.parametrize("backend", BACKENDS)
def test_session_persists_server_side(tmp_path: Path, backend: str, style: str) -> None:
    app = build(tmp_path, backend, style)
    client = app.test_client()
    assert client.get("/read").json == {}
    client.get("/put?user=ada&theme=dark")
    sid = session_id(client)
    assert "ada" not in sid  # the cookie holds an id, the data stays on the server
    assert client.get("/read").json == {"user": "ada", "theme": "dark"}
    client.get("/put?theme=light")
    assert client.get("/read").json == {"user": "ada", "theme": "light"}
    assert session_id(client) == sid

    client.get("/regenerate")
    assert session_id(client) != sid
    assert client.get("/read").json == {"user": "ada", "theme": "light"}

    # Another browser, with the old id: the stored session is gone.
    other = app.test_client()
    other.set_cookie("session", sid)
    assert other.get("/read").json == {}

    response = client.get("/clear")
    assert "session=;" in response.headers["Set-Cookie"]
    assert client.get_cookie("session") is None
    assert client.get("/read").json == {}


@pytest.mark.parametrize("backend", BACKENDS)
def test_session_transaction(tmp_path: Path, backend: str) -> None:
    app = build(tmp_path, backend)
    client = app.test_client()
    with client.session_transaction() as session:
        session["cart"] = [1, 2]
    assert client.get("/read").json == {"cart": [1, 2]}
    client.get("/put?user=bob")
    with client.session_transaction() as session:
        assert session["user"] == "bob"

    async def from_async_test() -> t.Any:
        async with client.session_transaction() as session:
            session["cart"] = [3]
        return (await client.get("/read")).json

    assert asyncio.run(from_async_test()) == {"cart": [3], "user": "bob"}


@pytest.mark.parametrize("backend", ["cachelib-files", "sqlalchemy"])
def test_permanent_sessions(tmp_path: Path, backend: str, style: str) -> None:
    # Flask-Session's default: every session is permanent.
    client = build(tmp_path / "a", backend, style).test_client()
    client.get("/put?x=1")
    assert client.get_cookie("session").expires is not None  # type: ignore[union-attr]

    app = build(tmp_path / "b", backend, style, SESSION_PERMANENT=False)
    client = app.test_client()
    client.get("/put?x=1")
    assert client.get_cookie("session").expires is None  # type: ignore[union-attr]
    response = client.get("/remember")
    assert "Expires=" in response.headers["Set-Cookie"]


def test_sqlalchemy_backend_cleanup_command(tmp_path: Path) -> None:
    """SQL has no expiry of its own: Flask-Session adds a
    ``session_cleanup`` command to ``app.cli`` (``pottle session_cleanup``)."""
    app = build(tmp_path, "sqlalchemy", PERMANENT_SESSION_LIFETIME=-1)
    client = app.test_client()
    client.get("/put?x=1")
    db = app.config["SESSION_SQLALCHEMY"]
    model = app.session_interface.sql_session_model  # type: ignore[attr-defined]
    with app.app_context():
        assert db.session.query(model).count() == 1
    result = app.test_cli_runner().invoke(args=["session_cleanup"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(model).count() == 0


# -- where the blocking storage runs ------------------------------------------------


def recording_app(tmp_path: Path, style: str) -> tuple[flask.Flask, RecordingCache]:
    cache = RecordingCache(tmp_path / "sessions")
    app = build(tmp_path, "cachelib", style, SESSION_CACHELIB=cache)

    def where() -> dict[str, t.Any]:
        return {
            "thread": threading.get_ident(),
            "on_loop": asyncio._get_running_loop() is not None,
        }

    app.add_url_rule("/where", view_func=make_view(style, where))
    return app, cache


def test_storage_runs_on_the_request_thread_with_the_test_client(
    tmp_path: Path, style: str
) -> None:
    app, cache = recording_app(tmp_path, style)
    client = app.test_client()
    client.get("/put?x=1")
    cache.threads.clear()
    cache.on_loop.clear()
    view = client.get("/where").json
    assert view["on_loop"] is (style == "async")
    # Opened (get) and saved (set: the session is permanent, so refreshed).
    assert cache.threads
    assert not any(cache.on_loop)
    # The test client lends the calling thread to the request's sync code.
    assert {th.ident for th in cache.threads} == {threading.get_ident()}
    if style == "sync":
        assert view["thread"] == threading.get_ident()


def test_storage_runs_on_worker_threads_when_served(tmp_path: Path, style: str) -> None:
    app, cache = recording_app(tmp_path, style)

    async def requests() -> dict[str, t.Any]:
        first = await serve(app, "/put?x=1")
        cookie = first.headers["Set-Cookie"].partition(";")[0]
        second = await serve(app, "/read", headers={"Cookie": cookie})
        assert second.data == b'{"x":"1"}\n'
        cache.threads.clear()
        where = await serve(app, "/where", headers={"Cookie": cookie})
        return flask.json.loads(where.data)  # type: ignore[no-any-return]

    view = asyncio.run(requests())
    assert view["on_loop"] is (style == "async")
    assert not any(cache.on_loop)
    # One request's session is opened and saved on one pool thread, the
    # thread that runs its sync view.
    (thread,) = set(cache.threads)
    assert thread.name.startswith("pottle-worker-")
    if style == "sync":
        assert thread.ident == view["thread"]
