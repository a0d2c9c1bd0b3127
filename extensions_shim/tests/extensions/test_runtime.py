"""What the alias and the extensions do *not* do: patch asyncio, re-enter
the event loop, block it with sync code, need the default loop (they run
on uvloop), or run beside the real Flask (activating the alias after it is
refused, loudly).

Quart-Flask-Patch, the prior art, swaps asyncio's C ``Task``/``Future``
for the pure-Python ones, re-enters the running loop to wait
synchronously, and refuses any loop but asyncio's default; pottle needs
none of that because sync code runs on worker threads.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
import typing as t
from pathlib import Path

import flask
import pytest
import uvloop
from flask_babel import Babel, gettext
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
)
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect, FlaskForm
from served import serve
from wtforms import StringField

EXTENSION_MODULES = [
    "flask_babel",
    "flask_caching",
    "flask_cors",
    "flask_jwt_extended",
    "flask_limiter",
    "flask_login",
    "flask_mail",
    "flask_migrate",
    "flask_restful",
    "flask_session",
    "flask_sqlalchemy",
    "flask_wtf",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter of this venv (the alias changes
    a process for good, and these tests need one without it)."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


class User(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


class NameForm(FlaskForm):
    name = StringField()


def build(tmp_path: Path) -> flask.Flask:
    """One app with five of the extensions, sync and async views."""
    app = flask.Flask(__name__)
    app.config.update(
        SECRET_KEY="dev",
        WTF_CSRF_ENABLED=False,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'app.db'}",
        SESSION_TYPE="cachelib",
    )
    from cachelib import SimpleCache

    app.config["SESSION_CACHELIB"] = SimpleCache()
    db = SQLAlchemy(app)
    Session(app)
    CSRFProtect(app)
    Babel(app)
    manager = LoginManager(app)
    manager.user_loader(User)

    @app.post("/login")
    def login() -> str:
        form = NameForm()
        login_user(User(form.name.data))
        return gettext("Hello")

    @app.get("/me")
    @login_required
    async def me() -> dict[str, t.Any]:
        rows = db.session.execute(db.text("select 1")).scalar()
        return {
            "user": current_user.id,
            "rows": rows,
            "loop": type(asyncio.get_running_loop()).__module__,
        }

    @app.get("/sync-me")
    @login_required
    def sync_me() -> str:
        return str(current_user.id)

    return app


def test_extensions_on_uvloop(tmp_path: Path) -> None:
    app = build(tmp_path)

    async def main() -> list[t.Any]:
        client = app.test_client()
        login = await client.post("/login", data={"name": "ada"})
        me = await client.get("/me")
        sync_me = await client.get("/sync-me")
        served = await serve(app, "/me")  # no cookie: a redirect to log in
        return [login.data, me.json, sync_me.data, served.status]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        login, me, sync_me, served = runner.run(main())
    assert login == b"Hello"
    assert me == {"user": "ada", "rows": 1, "loop": "uvloop"}
    assert sync_me == b"ada"
    assert served == 401


def test_sync_code_never_blocks_the_loop(tmp_path: Path) -> None:
    """A sync view waits on a ``threading.Event`` that an async view sets.
    Both requests share one loop: had the sync view run on it (or
    re-entered it to wait), the async view could never run."""
    app = build(tmp_path)
    released = threading.Event()

    @app.get("/wait")
    def wait() -> str:
        return "released" if released.wait(timeout=10) else "timed out"

    @app.get("/release")
    async def release() -> str:
        await asyncio.sleep(0)
        released.set()
        return "set"

    async def main() -> list[bytes]:
        waiting = asyncio.ensure_future(serve(app, "/wait"))
        await asyncio.sleep(0)
        released_response = await serve(app, "/release")
        return [released_response.data, (await waiting).data]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == [b"set", b"released"]


def test_no_asyncio_function_is_patched() -> None:
    """Identities of asyncio's machinery before and after the alias, all
    twelve extensions and a request that goes through ``ensure_sync``."""
    result = run_python(
        f"""
        import asyncio, asyncio.base_events, asyncio.events, asyncio.tasks

        def snapshot():
            return {{
                "Task": asyncio.Task,
                "Future": asyncio.Future,
                "run_until_complete": asyncio.BaseEventLoop.run_until_complete,
                "run_forever": asyncio.BaseEventLoop.run_forever,
                "_run_once": asyncio.base_events.BaseEventLoop._run_once,
                "_enter_task": asyncio.tasks._enter_task,
                "_leave_task": asyncio.tasks._leave_task,
                "get_event_loop": asyncio.get_event_loop,
                "get_running_loop": asyncio.get_running_loop,
                "_get_running_loop": asyncio.events._get_running_loop,
                "run": asyncio.run,
                "policy": type(asyncio.get_event_loop_policy()),
            }}

        before = snapshot()
        import _asyncio
        assert asyncio.Task is _asyncio.Task and asyncio.Future is _asyncio.Future

        import pottle_flask_alias
        import flask
        for name in {EXTENSION_MODULES!r}:
            __import__(name)

        from flask_login import LoginManager, UserMixin, login_required, login_user
        app = flask.Flask(__name__)
        app.secret_key = "dev"
        manager = LoginManager(app)
        manager.user_loader(lambda user_id: UserMixin())

        @app.get("/login")
        def login():
            user = UserMixin()
            user.id = "1"
            login_user(user)
            return "in"

        @app.get("/me")
        @login_required  # a sync decorator that ensure_sync()s the view
        async def me():
            return "me"

        client = app.test_client()
        client.get("/login")
        assert client.get("/me").data == b"me"
        changed = [k for k, v in snapshot().items() if v is not before[k]]
        assert not changed, changed
        assert "nest_asyncio" not in __import__("sys").modules
        print("unpatched")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "unpatched\n"


@pytest.mark.parametrize(
    "first",
    ["import flask", "import flask_login", "from flask_sqlalchemy import SQLAlchemy"],
)
def test_alias_after_real_flask_is_refused(first: str) -> None:
    """The real Flask 3.x the extensions installed, imported first (directly
    or by an extension), then the alias: a loud ImportError, never a mix."""
    result = run_python(
        f"""
        {first}
        import pottle_flask_alias
        """
    )
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith(
        "ImportError: pottle_flask_alias must be imported before Flask: the real"
        " Flask is already imported in this process"
    )
    assert str(Path("site-packages") / "flask" / "__init__.py") in error
    assert "-p pottle_flask_alias" in error


def test_the_real_flask_is_a_flask_3() -> None:
    """The refused Flask above is the real distribution, not the alias."""
    result = run_python(
        """
        import importlib.metadata, flask
        print(importlib.metadata.version("flask"), flask.Flask.__module__)
        """
    )
    version, module = result.stdout.split()
    assert version.startswith("3.") and module == "flask.app"
