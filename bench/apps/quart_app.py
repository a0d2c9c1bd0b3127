"""The benchmark endpoints on Quart."""

from __future__ import annotations

from common import HELLO, JSON_BODY, ROWS, SECRET_KEY, TEMPLATE, TEMPLATE_DIR, TITLE
from quart import Quart, render_template, request, session, websocket

app = Quart(__name__, template_folder=TEMPLATE_DIR, static_folder=None)
app.secret_key = SECRET_KEY
TEXT = {"content-type": "text/plain; charset=utf-8"}


@app.get("/hello")
async def hello() -> tuple[str, dict[str, str]]:
    return HELLO, TEXT


@app.get("/json")
async def json() -> dict[str, str]:
    return JSON_BODY


@app.get("/users/<int:user_id>")
async def user(user_id: int) -> tuple[str, dict[str, str]]:
    return f"user {user_id}", TEXT


@app.get("/template")
async def template() -> str:
    return await render_template(TEMPLATE, title=TITLE, rows=ROWS)


@app.post("/form")
async def form() -> tuple[str, dict[str, str]]:
    data = await request.form
    return data["name"], TEXT


@app.get("/session")
async def counter() -> tuple[str, dict[str, str]]:
    count = session.get("count", 0) + 1
    session["count"] = count
    return f"count {count}", TEXT


@app.websocket("/ws")
async def echo() -> None:
    while True:
        await websocket.send(await websocket.receive())
