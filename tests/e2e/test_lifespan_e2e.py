"""The lifespan under real servers: a failed startup stops ``app.run()`` with
a non-zero exit, and a graceful shutdown ends connections, then background
tasks, then runs ``after_serving``."""

from __future__ import annotations

import asyncio
import pathlib
import subprocess

import httpx
import pytest
from asgi_server import serve, wait_for
from websockets.asyncio.client import ClientConnection, connect

import support

pytestmark = pytest.mark.slow

FAILING_APP = """
import sys
from pottle import Pottle

app = Pottle(__name__)

@app.before_serving
def connect():
    raise RuntimeError("no database")

if __name__ == "__main__":
    app.run(port=int(sys.argv[1]))
"""

SHUTDOWN_APP = """
import asyncio
from pottle import Pottle, current_app, websocket

app = Pottle(__name__)
app.config["LOG"] = __import__("pathlib").Path(__file__).with_name("events.log")


def log(event):
    with app.config["LOG"].open("a") as f:
        f.write(event + "\\n")


async def wait_for_shutdown():
    await current_app.shutdown_event.wait()
    log("background task saw shutdown")


@app.websocket("/ws")
async def ws():
    app.add_background_task(wait_for_shutdown)
    await websocket.accept()
    try:
        while True:
            await websocket.receive()
    finally:
        log(f"websocket ended, {len(app.background_tasks)} background task")


@app.get("/state")
def state():
    return {"background": len(app.background_tasks)}


@app.after_serving
def after():
    log(f"after_serving, {len(app.background_tasks)} background tasks")
"""


def test_startup_failure_exits_non_zero(tmp_path: pathlib.Path) -> None:
    (tmp_path / "failing.py").write_text(FAILING_APP)
    result = subprocess.run(
        [support.PYTHON, "failing.py", str(support.free_port())],
        cwd=tmp_path,
        env=support.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "RuntimeError: no database" in result.stderr


def test_graceful_shutdown_order(tmp_path: pathlib.Path) -> None:
    (tmp_path / "shutdown_app.py").write_text(SHUTDOWN_APP)

    async def open_websocket(url: str) -> ClientConnection:
        ws = await connect(f"ws://{url}/ws")
        await ws.send("hello")
        return ws  # left open: the server's graceful timeout has to end it

    async def close_code(ws: ClientConnection) -> int | None:
        await ws.wait_closed()
        return ws.close_code

    loop = asyncio.new_event_loop()
    try:
        with serve(tmp_path, "shutdown_app:app", graceful_timeout=0.5) as server:
            ws = loop.run_until_complete(open_websocket(server.url))
            url = f"http://{server.url}/state"
            assert wait_for(lambda: httpx.get(url).json()["background"] == 1)
            output = server.stop()
        code = loop.run_until_complete(close_code(ws))
    finally:
        loop.close()
    assert server.process.returncode == 0, output
    assert code == 1001  # Going Away: the server stopped the handler
    events = (tmp_path / "events.log").read_text().splitlines()
    assert events == [
        "websocket ended, 1 background task",
        "background task saw shutdown",
        "after_serving, 0 background tasks",
    ]
