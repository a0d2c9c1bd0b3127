"""The endpoints every app in ``apps/`` answers, and the frameworks that
answer them: shared by the server benchmark (``run.py``) and the in-process
one (``micro.py``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

APPS_DIR = Path(__file__).parent / "apps"


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    method: str = "GET"
    body: bytes = b""
    content_type: str | None = None
    #: Replay the cookie set by a first request (session read + write).
    cookie: bool = False
    #: The response body must contain this (a check, not a measurement).
    expect: bytes = b""
    websocket: bool = False


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("hello", "/hello", expect=b"Hello, World!"),
        Endpoint("json", "/json", expect=b'"message"'),
        Endpoint("param", "/users/42", expect=b"user 42"),
        Endpoint("template", "/template", expect=b"User &lt;10&gt;"),
        Endpoint(
            "form",
            "/form",
            method="POST",
            body=b"name=Alice&email=alice%40example.com&message=Hello+there",
            content_type="application/x-www-form-urlencoded",
            expect=b"Alice",
        ),
        Endpoint("session", "/session", cookie=True, expect=b"count 2"),
        Endpoint("ws", "/ws", websocket=True),
    ]
}


@dataclasses.dataclass(frozen=True)
class Framework:
    name: str
    module: str
    #: The attribute to serve, per interface: ASGI servers get ``asgi``.
    asgi: str = "app"
    #: A WSGI app, served as WSGI where the server can.
    wsgi: str | None = None
    #: Whether the app has the websocket echo route.
    websocket: bool = True


FRAMEWORKS = {
    f.name: f
    for f in [
        Framework("raw", "raw_app"),
        Framework("starlette", "starlette_app"),
        Framework("quart", "quart_app"),
        Framework("flask", "flask_app", asgi="asgi_app", wsgi="app", websocket=False),
        Framework("pottle", "pottle_async_app"),
        Framework("pottle-sync", "pottle_sync_app", websocket=False),
    ]
}
