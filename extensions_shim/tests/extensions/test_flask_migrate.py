"""Flask-Migrate: ``db init/migrate/upgrade/current/downgrade`` on real
SQLite files, through ``app.test_cli_runner()`` and through the ``pottle``
console script in a child process, where a Flask user's ``flask db ...``
becomes ``pottle db ...``.

Flask-Migrate's ``db`` group is added with ``app.cli.add_command`` and its
commands use ``with_appcontext`` and ``g`` (the group stores the
``--directory`` option there for the subcommand).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import typing as t
from pathlib import Path

import flask
import pytest
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from conftest import make_view

db = SQLAlchemy()


class Note(db.Model):  # type: ignore[name-defined,misc]
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select name from sqlite_master where type = 'table'")
        return {name for (name,) in rows}


def version(path: Path) -> str | None:
    """The revision alembic recorded (what ``db current`` prints; alembic
    prints to the ``sys.stdout`` it saw at import, out of the runner's
    reach)."""
    with sqlite3.connect(path) as conn:
        row = conn.execute("select version_num from alembic_version").fetchone()
        return None if row is None else str(row[0])


@pytest.fixture
def restore_logging() -> t.Iterator[None]:
    """Alembic's ``env.py`` calls ``logging.config.fileConfig``, which
    disables every logger it does not name; undo that for later tests."""
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.disabled, lg.level, lg.handlers[:]) for lg in loggers]
    root = (logging.root.level, logging.root.handlers[:])
    yield
    for lg, disabled, level, handlers in saved:
        lg.disabled, lg.level, lg.handlers = disabled, level, handlers
    logging.root.level, logging.root.handlers = root


# Flask-Migrate's env.py tries Flask-SQLAlchemy 2's get_engine() first; 3.1
# warns about it (the same on Flask).
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
@pytest.mark.usefixtures("restore_logging")
def test_migrations_through_the_cli_runner(tmp_path: Path, style: str) -> None:
    app = flask.Flask(__name__)
    database = tmp_path / "notes.db"
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    db.init_app(app)
    Migrate(app, db, directory=str(tmp_path / "migrations"))
    assert app.extensions["migrate"].db is db
    assert "db" in app.cli.commands

    def listing() -> list[str]:
        return [n.text for n in db.session.scalars(db.select(Note))]

    app.add_url_rule("/notes", view_func=make_view(style, listing))
    runner = app.test_cli_runner()

    def run(*args: str) -> str:
        result = runner.invoke(args=["db", *args])
        assert result.exit_code == 0, result.output
        return result.output

    run("init")
    assert (tmp_path / "migrations" / "env.py").is_file()
    run("migrate", "-m", "create notes")
    (script,) = (tmp_path / "migrations" / "versions").glob("*_create_notes.py")
    assert "op.create_table('note'" in script.read_text()
    revision = script.name.partition("_")[0]

    run("upgrade")
    assert {"note", "alembic_version"} <= tables(database)
    assert version(database) == revision
    with app.app_context():
        db.session.add(Note(text="migrated"))
        db.session.commit()
    assert app.test_client().get("/notes").json == ["migrated"]

    run("downgrade")
    assert "note" not in tables(database)
    assert version(database) is None
    # The group's -d option reaches the subcommand through g.
    run("-d", str(tmp_path / "migrations"), "upgrade")
    assert "note" in tables(database)


APP_MODULE = """\
import pottle_flask_alias  # noqa: F401

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///notes.db"
db = SQLAlchemy(app)
migrate = Migrate(app, db)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)
"""


def test_pottle_db_commands_in_a_subprocess(tmp_path: Path) -> None:
    """``flask db upgrade`` is ``pottle db upgrade``: the app is found with
    ``--app``, ``POTTLE_APP`` or a Flask user's ``FLASK_APP``, and it
    activates the alias before the CLI loads any ``flask.commands`` plugin
    (Flask-Limiter installs one)."""
    (tmp_path / "notes_app.py").write_text(APP_MODULE)
    pottle = Path(sys.executable).with_name("pottle")
    base_env = {
        k: v for k, v in os.environ.items() if not k.endswith(("_APP", "PYTHONPATH"))
    }

    def pottle_cli(*args: str, **env: str) -> str:
        result = subprocess.run(
            [str(pottle), *args],
            cwd=tmp_path,
            env={**base_env, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr

    listed = pottle_cli("--app", "notes_app", "--help")
    assert "db " in listed and "limiter" in listed
    pottle_cli("--app", "notes_app", "db", "init")
    pottle_cli("db", "migrate", "-m", "create notes", POTTLE_APP="notes_app")
    (script,) = (tmp_path / "migrations" / "versions").glob("*_create_notes.py")
    revision = script.name.partition("_")[0]

    # Flask-SQLAlchemy puts relative SQLite paths in the instance folder.
    database = tmp_path / "instance" / "notes.db"
    assert "Running upgrade" in pottle_cli("db", "upgrade", FLASK_APP="notes_app")
    assert {"note", "alembic_version"} <= tables(database)
    current = pottle_cli("db", "current", FLASK_APP="notes_app")
    assert f"{revision} (head)" in current
