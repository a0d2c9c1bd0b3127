"""The benchmark endpoints on Flask itself (WSGI).

``app`` is served natively by Hypercorn and granian as WSGI; ``asgi_app``
wraps it with a2wsgi for uvicorn (uvicorn's own WSGI mode is deprecated).
"""

from __future__ import annotations

from a2wsgi import WSGIMiddleware
from common import HELLO, JSON_BODY, ROWS, SECRET_KEY, TEMPLATE, TEMPLATE_DIR, TITLE
from flask import Flask, render_template, request, session

app = Flask(__name__, template_folder=TEMPLATE_DIR, static_folder=None)
app.secret_key = SECRET_KEY
TEXT = {"content-type": "text/plain; charset=utf-8"}


@app.get("/hello")
def hello() -> tuple[str, dict[str, str]]:
    return HELLO, TEXT


@app.get("/json")
def json() -> dict[str, str]:
    return JSON_BODY


@app.get("/users/<int:user_id>")
def user(user_id: int) -> tuple[str, dict[str, str]]:
    return f"user {user_id}", TEXT


@app.get("/template")
def template() -> str:
    return render_template(TEMPLATE, title=TITLE, rows=ROWS)


@app.post("/form")
def form() -> tuple[str, dict[str, str]]:
    return request.form["name"], TEXT


@app.get("/session")
def counter() -> tuple[str, dict[str, str]]:
    count = session.get("count", 0) + 1
    session["count"] = count
    return f"count {count}", TEXT


asgi_app = WSGIMiddleware(app)
