"""Flask-WTF: ``FlaskForm`` with ``validate_on_submit`` in sync and async
views, CSRF tokens in templates (``render_template`` and ``await
render_template``), ``CSRFProtect`` (its sync ``before_request`` hook reads
``request.form``), CSRF errors and exemptions, JSON forms, and file
uploads with ``FileField``/``FileRequired``.

A form class reads ``request.form`` synchronously. In an ``async def``
view that read happens on the event loop, where it can only succeed if the
body has already arrived: pottle receives bodies up to
``BODY_PREFETCH_SIZE`` before async code runs, and ``CSRFProtect``'s hook
(sync, so on the worker thread) reads any form whole. The tests pin the
limit down on both sides.
"""

from __future__ import annotations

import io
import re
import typing as t

import flask
import pytest
from flask_wtf import CSRFProtect, FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from conftest import make_view
from pottle.wrappers.request import BodyNotReceivedError


class NoteForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=40)])
    body = TextAreaField("Body")


class UploadForm(FlaskForm):
    document = FileField(validators=[FileRequired(), FileAllowed(["txt"])])


PAGE = """\
<form method=post>{{ form.hidden_tag() }}{{ form.title() }}</form>
<meta name=token content="{{ csrf_token() }}">"""


def build(style: str, csrf: bool = True, **config: t.Any) -> flask.Flask:
    app = flask.Flask(__name__)
    app.config.update(SECRET_KEY="dev", **config)
    if csrf:
        CSRFProtect(app)

    def note() -> t.Any:
        form = NoteForm()
        if form.validate_on_submit():
            return {"title": form.title.data, "body": len(form.body.data or "")}
        if form.errors:
            return {"errors": form.errors}, 422
        return flask.render_template_string(PAGE, form=form)

    def upload() -> t.Any:
        form = UploadForm()
        if form.validate_on_submit():
            document = form.document.data
            return {"name": document.filename, "size": len(document.read())}
        return {"errors": form.errors}, 422

    app.add_url_rule("/note", view_func=make_view(style, note), methods=["GET", "POST"])
    app.add_url_rule("/upload", view_func=make_view(style, upload), methods=["POST"])
    return app


def token(client: t.Any, path: str = "/note") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name=token content="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


def test_form_with_csrf_token(style: str) -> None:
    app = build(style)
    client = app.test_client()
    html = client.get("/note").get_data(as_text=True)
    # hidden_tag() and csrf_token() give the same session-bound token.
    hidden = re.search(
        r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    assert hidden is not None
    assert hidden.group(1) == token(client)
    response = client.post(
        "/note", data={"title": "Hi", "body": "text", "csrf_token": hidden.group(1)}
    )
    assert response.json == {"title": "Hi", "body": 4}
    response = client.post(
        "/note", data={"title": "x" * 41, "csrf_token": token(client)}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "title": ["Field cannot be longer than 40 characters."]
    }


@pytest.mark.parametrize("handled", [False, True])
def test_csrf_errors_are_400(style: str, handled: bool) -> None:
    app = build(style)
    if handled:

        @app.errorhandler(CSRFError)
        def csrf_error(e: CSRFError) -> tuple[dict[str, str], int]:
            return {"csrf": str(e.description)}, 400

    client = app.test_client()
    response = client.post("/note", data={"title": "Hi"})
    assert response.status_code == 400
    assert b"The CSRF token is missing." in response.data
    client.get("/note")  # a session, so the token is checked, not missing
    response = client.post("/note", data={"title": "Hi", "csrf_token": "forged"})
    assert response.status_code == 400
    if handled:
        assert response.json == {"csrf": "The CSRF token is invalid."}
    else:
        assert b"The CSRF token is invalid." in response.data


def test_csrf_token_in_a_header_and_json_forms(style: str) -> None:
    app = build(style)
    client = app.test_client()
    response = client.post(
        "/note",
        json={"title": "From JS", "body": "b"},
        headers={"X-CSRFToken": token(client)},
    )
    assert response.json == {"title": "From JS", "body": 1}


def test_csrf_exempt_views_and_blueprints(style: str) -> None:
    app = build(style)
    csrf = app.extensions["csrf"]

    def hook() -> str:
        return f"hook {flask.request.form['event']}"

    view = make_view(style, hook)
    app.add_url_rule("/hook", view_func=csrf.exempt(view), methods=["POST"])
    api = flask.Blueprint("api", __name__)

    def ping() -> str:
        return "pong"

    api.add_url_rule("/ping", view_func=make_view(style, ping), methods=["POST"])
    csrf.exempt(api)
    app.register_blueprint(api, url_prefix="/api")
    client = app.test_client()
    assert client.post("/hook", data={"event": "push"}).data == b"hook push"
    assert client.post("/api/ping").data == b"pong"
    assert client.post("/note", data={"title": "t"}).status_code == 400


@pytest.mark.parametrize("awaited", [False, True], ids=["render", "await render"])
def test_csrf_token_in_templates(awaited: bool) -> None:
    app = build("async")

    @app.route("/meta")
    async def meta() -> str:
        source = "{{ csrf_meta_tag() }}|{{ csrf_token() }}"
        if awaited:
            return await flask.render_template_string(source)
        return flask.render_template_string(source)

    client = app.test_client()
    tag, value = client.get("/meta").get_data(as_text=True).split("|")
    assert tag == f'<meta name="csrf-token" content="{value}">'
    assert client.post("/note", data={"title": "t", "csrf_token": value}).json == {
        "title": "t",
        "body": 0,
    }


def test_file_upload(style: str) -> None:
    app = build(style)
    client = app.test_client()
    csrf_token = token(client)

    def post(**fields: t.Any) -> t.Any:
        return client.post(
            "/upload",
            data={"csrf_token": csrf_token, **fields},
            content_type="multipart/form-data",
        )

    response = post(document=(io.BytesIO(b"hello"), "notes.txt"))
    assert response.json == {"name": "notes.txt", "size": 5}
    response = post(document=(io.BytesIO(b"MZ"), "tool.exe"))
    assert response.json["errors"] == {
        "document": ["File does not have an approved extension: txt"]
    }
    assert post().json["errors"] == {"document": ["This field is required."]}


# -- bodies and the event loop ------------------------------------------------------


def form_body(size: int) -> bytes:
    """A urlencoded note form whose body is ``size`` bytes long."""
    head = b"title=big&body="
    return head + b"x" * (size - len(head))


@pytest.mark.parametrize("extra", [-1, 0], ids=["below", "at"])
def test_async_form_up_to_the_prefetch_size(extra: int) -> None:
    """Without CSRFProtect nothing reads the body before the async view, so
    its form relies on the prefetch: up to ``BODY_PREFETCH_SIZE`` bytes it
    just works."""
    app = build("async", csrf=False, WTF_CSRF_ENABLED=False)
    size = app.config["BODY_PREFETCH_SIZE"] + extra
    response = app.test_client().post(
        "/note", data=form_body(size), content_type="application/x-www-form-urlencoded"
    )
    assert response.json == {"title": "big", "body": size - len(b"title=big&body=")}


def test_async_form_above_the_prefetch_size_fails_clearly() -> None:
    app = build("async", csrf=False, WTF_CSRF_ENABLED=False, TESTING=True)
    size = app.config["BODY_PREFETCH_SIZE"] + 1
    with pytest.raises(BodyNotReceivedError, match="await request.form"):
        app.test_client().post(
            "/note",
            data=form_body(size),
            content_type="application/x-www-form-urlencoded",
        )
    app.testing = False
    response = app.test_client().post(
        "/note", data=form_body(size), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 500


def test_await_the_form_first_for_large_bodies() -> None:
    """The fix the error message gives: ``await request.form`` (or ``await
    request.get_data()``) before building the form."""
    app = build("async", csrf=False, WTF_CSRF_ENABLED=False)

    @app.post("/big-note")
    async def big_note() -> dict[str, t.Any]:
        await flask.request.form
        form = NoteForm()
        assert form.validate_on_submit()
        return {"body": len(form.body.data)}

    size = 3 * app.config["BODY_PREFETCH_SIZE"]
    response = app.test_client().post(
        "/big-note",
        data=form_body(size),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.json == {"body": size - len(b"title=big&body=")}


def test_csrf_protect_reads_large_forms_off_the_loop() -> None:
    """With CSRFProtect, its sync hook reads the whole form on the worker
    thread, so the async view's form finds it parsed, whatever its size."""
    app = build("async")
    client = app.test_client()
    size = 3 * app.config["BODY_PREFETCH_SIZE"]
    body = form_body(size) + b"&csrf_token=" + token(client).encode()
    response = client.post(
        "/note", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.json == {"title": "big", "body": size - len(b"title=big&body=")}
    # Under 500 kB: werkzeug's EnvironBuilder spools larger multipart bodies
    # to a temporary file that it never closes (a ResourceWarning, on Flask
    # too).
    size = app.config["BODY_PREFETCH_SIZE"] + 64 * 1024
    upload = client.post(
        "/upload",
        data={
            "csrf_token": token(client),
            "document": (io.BytesIO(b"y" * size), "big.txt"),
        },
        content_type="multipart/form-data",
    )
    assert upload.json == {"name": "big.txt", "size": size}
