"""The benchmark endpoints as a bare ASGI callable: the floor every
framework is measured against.

It does the work each endpoint needs (Jinja rendering, form decoding, a
signed session cookie read and written) and nothing else: no routing table,
no request object, no hooks.
"""

from __future__ import annotations

import hashlib
import json
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl

from common import HELLO, JSON_BODY, ROWS, SECRET_KEY, TEMPLATE, TEMPLATE_DIR, TITLE
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
HTML = [(b"content-type", b"text/html; charset=utf-8")]
JSON = [(b"content-type", b"application/json")]
USER = re.compile(r"/users/(\d+)\Z")

jinja = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape()
)
table = jinja.get_template(TEMPLATE)
# The same cookie format as Flask's default session interface.
signer = URLSafeTimedSerializer(
    SECRET_KEY,
    salt="cookie-session",
    signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
)


async def respond(send, body: bytes, headers, status: int = 200) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def load_session(scope) -> dict:
    for name, value in scope["headers"]:
        if name == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get("session")
            if morsel is not None:
                try:
                    return signer.loads(morsel.value, max_age=31 * 86400)
                except BadSignature:
                    return {}
    return {}


async def http(scope, receive, send) -> None:
    path = scope["path"]
    if path == "/hello":
        await respond(send, HELLO.encode(), TEXT)
    elif path == "/json":
        await respond(send, json.dumps(JSON_BODY, separators=(",", ":")).encode(), JSON)
    elif (match := USER.match(path)) is not None:
        await respond(send, f"user {int(match[1])}".encode(), TEXT)
    elif path == "/template":
        await respond(send, table.render(title=TITLE, rows=ROWS).encode(), HTML)
    elif path == "/form" and scope["method"] == "POST":
        form = dict(parse_qsl((await read_body(receive)).decode()))
        await respond(send, form["name"].encode(), TEXT)
    elif path == "/session":
        session = load_session(scope)
        session["count"] = count = session.get("count", 0) + 1
        cookie = f"session={signer.dumps(session)}; HttpOnly; Path=/"
        headers = [*TEXT, (b"set-cookie", cookie.encode())]
        await respond(send, f"count {count}".encode(), headers)
    else:
        await respond(send, b"Not Found", TEXT, 404)


async def websocket(scope, receive, send) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            await send({"type": "websocket.send", **_payload(message)})
        else:
            return


def _payload(message) -> dict:
    if message.get("text") is not None:
        return {"text": message["text"]}
    return {"bytes": message["bytes"]}


async def lifespan(scope, receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


HANDLERS = {"http": http, "websocket": websocket, "lifespan": lifespan}


async def app(scope, receive, send) -> None:
    await HANDLERS[scope["type"]](scope, receive, send)
