"""Websockets over a real server and the ``websockets`` client: the chat
example, the message size limit, bounded memory under a flood, clean-up after
an abrupt TCP close, and the close codes each server reports."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import typing as t

import httpx
import pytest
from asgi_server import serve, wait_for
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

pytestmark = pytest.mark.slow

CHAT_DIR = pathlib.Path(__file__).parents[2] / "examples" / "chat"

APP = """
import asyncio
from pottle import Pottle, websocket

app = Pottle(__name__)
state = {"cleaned_up": [], "torn_down": 0, "received": 0}


@app.websocket("/sink")
async def sink():
    await websocket.accept()
    await asyncio.Event().wait()  # never reads


@app.websocket("/count")
async def count():
    while (message := await websocket.receive()) != "done":
        state["received"] += 1
    await websocket.send(str(state["received"]))


@app.websocket("/receiving")
async def receiving():
    try:
        while True:
            await websocket.receive()
    finally:
        state["cleaned_up"].append(["receiving", websocket.close_code])


@app.websocket("/sleeping")
async def sleeping():
    await websocket.accept()
    try:
        await asyncio.Event().wait()
    finally:
        state["cleaned_up"].append(["sleeping", websocket.close_code])


@app.websocket("/echo")
async def echo():
    while True:
        await websocket.send(await websocket.receive())


@app.teardown_websocket
def teardown(exc):
    state["torn_down"] += 1


@app.get("/state")
def get_state():
    return state
"""


@pytest.fixture
def app_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "wsapp.py").write_text(APP)
    return tmp_path


def _state(port: int) -> dict[str, t.Any]:
    return httpx.get(f"http://127.0.0.1:{port}/state").json()  # type: ignore[no-any-return]


def test_chat_example(tmp_path: pathlib.Path) -> None:
    async def main(url: str) -> list[t.Any]:
        async with connect(f"ws://{url}/ws/lobby?name=ann") as ann:
            await _receive_json(ann)  # welcome
            await _receive_json(ann)  # ann joined
            async with connect(f"ws://{url}/ws/lobby?name=bob") as bob:
                welcome = await _receive_json(bob)
                await _receive_json(bob)
                await _receive_json(ann)  # bob joined
                await bob.send(json.dumps({"text": "hello"}))
                heard = [await _receive_json(ann), await _receive_json(bob)]
            left = await _receive_json(ann)
        return [welcome, *heard, left]

    with serve(CHAT_DIR, "app:app") as server:
        welcome, heard_by_ann, heard_by_bob, left = asyncio.run(main(server.url))
    assert welcome == {"type": "welcome", "room": "lobby", "members": ["ann"]}
    assert (
        heard_by_ann
        == heard_by_bob
        == {
            "type": "message",
            "name": "bob",
            "text": "hello",
        }
    )
    assert left == {"type": "leave", "name": "bob"}


async def _receive_json(ws: ClientConnection) -> t.Any:
    return json.loads(await ws.recv())


def test_oversized_message_closes_with_1009(app_dir: pathlib.Path) -> None:
    async def main(url: str) -> tuple[int | None, str | None]:
        async with connect(f"ws://{url}/echo", max_size=None) as ws:
            await ws.send(b"x" * 1024)
            assert await ws.recv() == b"x" * 1024
            await ws.send(b"x" * (1024 * 1024 + 1))
            with pytest.raises(ConnectionClosed):
                await ws.recv()
            return ws.close_code, ws.close_reason

    with serve(app_dir, "wsapp:app") as server:
        assert asyncio.run(main(server.url)) == (1009, "Message Too Big")


def test_memory_stays_bounded_when_the_handler_never_reads(
    app_dir: pathlib.Path,
) -> None:
    if not os.path.exists("/proc/self/status"):
        pytest.skip("reads the server's memory from /proc")
    message = os.urandom(60 * 1024)

    async def flood(url: str, path: str) -> int:
        """Send up to 3,000 messages; stop when the server stops taking
        them (the send blocks: backpressure)."""
        sent = 0
        ws = await connect(f"ws://{url}/{path}", max_size=None, compression=None)
        try:
            for sent in range(3000):  # noqa: B007
                await asyncio.wait_for(ws.send(message), timeout=2)
            sent = 3000
        except TimeoutError:
            pass
        ws.transport.abort()
        return sent

    with serve(app_dir, "wsapp:app") as server:
        before = server.rss_kib()
        sent = asyncio.run(flood(server.url, "sink"))
        growth_kib = server.rss_kib() - before
        print(f"\nsent {sent} x 60 KB before backpressure; RSS grew {growth_kib} KiB")
    # 3,000 x 60 KB is 176 MiB: unbounded buffering could not stay under this.
    assert sent < 3000
    assert growth_kib < 64 * 1024


def test_a_reading_handler_gets_every_message(app_dir: pathlib.Path) -> None:
    message = os.urandom(60 * 1024)

    async def main(url: str) -> str | bytes:
        # Without permessage-deflate, which would dominate the time.
        async with connect(f"ws://{url}/count", max_size=None, compression=None) as ws:
            for _ in range(3000):
                await ws.send(message)
            await ws.send("done")
            return await ws.recv()

    with serve(app_dir, "wsapp:app") as server:
        assert asyncio.run(main(server.url)) == "3000"


@pytest.mark.parametrize(
    ("server_name", "code"), [("hypercorn", 1006), ("uvicorn", 1005)]
)
@pytest.mark.parametrize("path", ["receiving", "sleeping"])
def test_abrupt_tcp_close_cleans_up_once(
    app_dir: pathlib.Path, path: str, server_name: str, code: int
) -> None:
    async def main(url: str) -> None:
        ws = await connect(f"ws://{url}/{path}")
        await ws.send("hello")
        ws.transport.abort()

    with serve(app_dir, "wsapp:app", server_name) as server:
        asyncio.run(main(server.url))
        assert wait_for(lambda: _state(server.port)["torn_down"] > 0)
        state = _state(server.port)
    # For a vanished client Hypercorn reports 1006 (abnormal closure) and
    # uvicorn 1005 (no status received).
    assert state["cleaned_up"] == [[path, code]]
    assert state["torn_down"] == 1


@pytest.mark.parametrize(
    ("server_name", "expected"),
    [("hypercorn", [["receiving", 1006]]), ("uvicorn", [["receiving", 4001]])],
)
def test_close_code_each_server_reports(
    app_dir: pathlib.Path, server_name: str, expected: list[t.Any]
) -> None:
    async def main(url: str) -> None:
        async with connect(f"ws://{url}/receiving") as ws:
            await ws.send("hello")
            await ws.close(4001, "bye")

    with serve(app_dir, "wsapp:app", server_name) as server:
        asyncio.run(main(server.url))
        assert wait_for(lambda: _state(server.port)["torn_down"] > 0)
        assert _state(server.port)["cleaned_up"] == expected
