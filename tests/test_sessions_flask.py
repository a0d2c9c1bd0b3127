"""Session cookies interoperate with Flask 3.1 in both directions.

Flask runs in a child interpreter (``build/flask-venv``, which
``support.python_with_flask`` builds with Flask 3.1.3);
this process never imports Flask. A cookie made by one side must open
on the other with every tagged type intact, and the serialized payload must
be byte for byte the same.
"""

from __future__ import annotations

import subprocess
import typing as t

import pytest
from werkzeug.http import parse_cookie

import pottle
import support
from pottle import session

pytestmark = pytest.mark.slow

# Executed on both sides: every type the tagged serializer knows.
SAMPLE = """
import uuid
from datetime import datetime, timezone
from markupsafe import Markup

def sample():
    return {
        "text": "h\\u00e9llo \\u2603",
        "number": 42,
        "tuple": (1, "two", (3,)),
        "bytes": b"\\x00\\xffraw",
        "markup": Markup("<em>safe</em>"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "when": datetime(2024, 2, 29, 12, 30, 5, tzinfo=timezone.utc),
        "nested": {" di": "looks like a tag", "list": [1, [2, {"k": b"v"}]]},
        "_flashes": [("error", "bad"), ("message", "ok")],
    }
"""

FLASK_SIDE = (
    SAMPLE
    + """
import sys
from flask import Flask, session
from werkzeug.http import parse_cookie

action, key = sys.argv[1], sys.argv[2]
app = Flask("interop")
app.secret_key = key

@app.route("/make")
def make():
    session.update(sample())
    session.permanent = True
    return ""

@app.route("/open")
def open_():
    ok = dict(session) == dict(sample(), _permanent=True) and session.permanent
    return "same" if ok else repr(dict(session))

client = app.test_client()
if action == "make":
    rv = client.get("/make")
    print(parse_cookie(rv.headers["Set-Cookie"])["session"])
else:
    client.set_cookie("session", sys.argv[3])
    print(client.get("/open").get_data(as_text=True))
"""
)


@pytest.fixture(scope="module")
def flask_python() -> str:
    return support.python_with_flask()


def run_flask(python: str, *args: str) -> str:
    result = subprocess.run(
        [python, "-c", FLASK_SIDE, *args],
        capture_output=True,
        text=True,
        env=support.flask_env(),
        check=False,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def sample() -> dict[str, t.Any]:
    namespace: dict[str, t.Any] = {}
    exec(SAMPLE, namespace)
    return namespace["sample"]()  # type: ignore[no-any-return]


def pottle_app(key: str, fallbacks: list[str] | None = None) -> pottle.Pottle:
    app = pottle.Pottle("interop")
    app.config.update(SECRET_KEY=key, SECRET_KEY_FALLBACKS=fallbacks)

    @app.route("/make")
    def make() -> str:
        session.update(sample())
        session.permanent = True
        return ""

    @app.route("/open")
    def open_() -> str:
        ok = dict(session) == dict(sample(), _permanent=True) and session.permanent
        return "same" if ok else repr(dict(session))

    return app


def pottle_cookie(app: pottle.Pottle) -> str:
    rv = app.test_client().get("/make")
    return parse_cookie(rv.headers["Set-Cookie"])["session"]


def pottle_opens(app: pottle.Pottle, cookie: str) -> str:
    client = app.test_client()
    client.set_cookie("session", cookie)
    return t.cast(str, client.get("/open").text)


def test_flask_cookie_opens_in_pottle(flask_python: str) -> None:
    cookie = run_flask(flask_python, "make", "shared key")
    assert pottle_opens(pottle_app("shared key"), cookie) == "same"


def test_pottle_cookie_opens_in_flask(flask_python: str) -> None:
    cookie = pottle_cookie(pottle_app("shared key"))
    assert run_flask(flask_python, "open", "shared key", cookie) == "same"


def test_payloads_are_byte_identical(flask_python: str) -> None:
    from_flask = run_flask(flask_python, "make", "shared key")
    from_pottle = pottle_cookie(pottle_app("shared key"))
    # payload.timestamp.signature: only the timestamp may differ, and with it
    # the signature.
    assert from_flask.rsplit(".", 2)[0] == from_pottle.rsplit(".", 2)[0]


def test_flask_cookie_with_rotated_key(flask_python: str) -> None:
    cookie = run_flask(flask_python, "make", "old key")
    app = pottle_app("new key", fallbacks=["old key"])
    assert pottle_opens(app, cookie) == "same"
    # Once re-signed by pottle, Flask with only the new key opens it.
    client = app.test_client()
    client.set_cookie("session", cookie)
    rv = client.get("/make")
    resigned = parse_cookie(rv.headers["Set-Cookie"])["session"]
    assert run_flask(flask_python, "open", "new key", resigned) == "same"


def test_wrong_key_is_refused_both_ways(flask_python: str) -> None:
    cookie = run_flask(flask_python, "make", "flask key")
    assert pottle_opens(pottle_app("pottle key"), cookie) == "{}"
    cookie = pottle_cookie(pottle_app("pottle key"))
    assert run_flask(flask_python, "open", "flask key", cookie) == "{}"
