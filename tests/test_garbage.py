"""A finished request is freed by reference counting: it leaves nothing for
the cyclic garbage collector, whose passes a busy server would pay for."""

from __future__ import annotations

import asyncio
import gc
import typing as t

import pytest

import pottle

_SCOPE: dict[str, t.Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 40000),
    "server": ("127.0.0.1", 80),
}


async def _request(app: pottle.Pottle) -> list[dict[str, t.Any]]:
    sent: list[dict[str, t.Any]] = []

    received = False

    async def receive() -> dict[str, t.Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # As a server does: nothing more until the client goes away.
        await asyncio.get_running_loop().create_future()
        raise AssertionError("unreachable")

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    await app(dict(_SCOPE), receive, send)
    return sent


@pytest.mark.parametrize("sync", [False, True], ids=["async-view", "sync-view"])
def test_a_request_leaves_no_pottle_object_in_cyclic_garbage(sync: bool) -> None:
    app = pottle.Pottle(__name__)
    if sync:
        app.get("/")(lambda: "hello")
    else:

        @app.get("/")
        async def index() -> str:
            return "hello"

    async def main() -> list[t.Any]:
        await _request(app)  # warm up: caches, the worker thread
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            sent = await _request(app)
            assert sent[-1]["body"] == b"hello"
            gc.collect()
            return [
                type(o).__module__ + "." + type(o).__qualname__
                for o in gc.garbage
                if type(o).__module__.startswith("pottle")
            ]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    assert asyncio.run(main()) == []
