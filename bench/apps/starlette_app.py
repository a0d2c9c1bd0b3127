"""The benchmark endpoints on Starlette (with its session middleware)."""

from __future__ import annotations

from common import HELLO, JSON_BODY, ROWS, SECRET_KEY, TEMPLATE, TEMPLATE_DIR, TITLE
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket

templates = Jinja2Templates(directory=TEMPLATE_DIR)


async def hello(request: Request) -> Response:
    return PlainTextResponse(HELLO)


async def json(request: Request) -> Response:
    return JSONResponse(JSON_BODY)


async def user(request: Request) -> Response:
    return PlainTextResponse(f"user {request.path_params['user_id']}")


async def template(request: Request) -> Response:
    return templates.TemplateResponse(request, TEMPLATE, {"title": TITLE, "rows": ROWS})


async def form(request: Request) -> Response:
    data = await request.form()
    return PlainTextResponse(str(data["name"]))


async def counter(request: Request) -> Response:
    count = request.session.get("count", 0) + 1
    request.session["count"] = count
    return PlainTextResponse(f"count {count}")


async def echo(ws: WebSocket) -> None:
    await ws.accept()
    while True:
        await ws.send_text(await ws.receive_text())


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/json", json),
        Route("/users/{user_id:int}", user),
        Route("/template", template),
        Route("/form", form, methods=["POST"]),
        Route("/session", counter),
        WebSocketRoute("/ws", echo),
    ],
    middleware=[Middleware(SessionMiddleware, secret_key=SECRET_KEY)],
)
