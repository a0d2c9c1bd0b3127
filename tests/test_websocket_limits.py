"""The websocket ASGI protocol with raw scopes: the message size limit, the
bounded receive queue, and what the connection sends in each ending."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

import pottle
from pottle import websocket
from pottle.testing import WebsocketDisconnectError


class Server:
    """A scripted ASGI server side for one websocket connection."""

    def __init__(self, **scope: t.Any) -> None:
        self.scope: dict[str, t.Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "scheme": "ws",
            "path": "/ws",
            "query_string": b"",
            "headers": [(b"host", b"localhost")],
            "subprotocols": [],
            **scope,
        }
        self.to_app: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self.to_app.put_nowait({"type": "websocket.connect"})
        self.sent: list[dict[str, t.Any]] = []
        self.pulled = 0

    async def receive(self) -> dict[str, t.Any]:
        self.pulled += 1
        return await self.to_app.get()

    async def send(self, message: dict[str, t.Any]) -> None:
        self.sent.append(message)

    def run(self, app: pottle.Pottle) -> asyncio.Task[None]:
        return asyncio.create_task(app(self.scope, self.receive, self.send))

    def kinds(self) -> list[str]:
        return [message["type"] for message in self.sent]


async def _settle() -> None:
    # Let every task run until it waits on something that is not ready.
    for _ in range(50):
        await asyncio.sleep(0)


# -- message size -----------------------------------------------------------------


def test_oversized_message_closes_with_1009(app: pottle.Pottle, client: t.Any) -> None:
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10
    seen: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                seen.append(await websocket.receive())
        except pottle.WebsocketDisconnect as e:
            seen.append(e.code)
            raise

    with client.websocket("/ws") as ws:
        ws.send(b"x" * 10)
        ws.send(b"x" * 11)
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (1009, "Message Too Big")
    assert seen == [b"x" * 10, 1009]


def test_text_size_is_counted_in_utf8_bytes(app: pottle.Pottle, client: t.Any) -> None:
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10

    @app.websocket("/ws")
    async def handler() -> None:
        while True:
            await websocket.send(await websocket.receive())

    with client.websocket("/ws") as ws:
        ws.send("é" * 5)  # 10 bytes
        assert ws.receive() == "é" * 5
        ws.send("é" * 6)  # 6 characters, 12 bytes
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert info.value.code == 1009


def test_limit_can_change_per_connection(app: pottle.Pottle, client: t.Any) -> None:
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10

    @app.before_websocket
    def raise_limit() -> None:
        if websocket.path == "/upload":
            websocket.max_message_size = None
            websocket.max_queue = 2

    @app.websocket("/upload")
    async def upload() -> None:
        data = await websocket.receive()
        await websocket.send(f"{len(data)} {websocket.max_queue}")

    with client.websocket("/upload") as ws:
        ws.send(b"x" * 5000)
        assert ws.receive() == "5000 2"


def test_max_queue_must_be_positive(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        websocket.max_queue = 0

    with pytest.raises(ValueError, match="at least 1"):
        with client.websocket("/ws"):
            pass


# -- backpressure -----------------------------------------------------------------


def test_nothing_is_pulled_beyond_the_queue(app: pottle.Pottle) -> None:
    app.config["WEBSOCKET_MAX_QUEUE"] = 4
    go = asyncio.Event()
    received: list[str | bytes] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await go.wait()
        while len(received) < 100:
            received.append(await websocket.receive())

    async def main() -> tuple[int, int]:
        server = Server()
        for i in range(100):
            server.to_app.put_nowait({"type": "websocket.receive", "text": str(i)})
        task = server.run(app)
        await _settle()
        pulled_while_idle = server.pulled
        go.set()
        await _settle()
        server.to_app.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await task
        return pulled_while_idle, server.pulled

    pulled_while_idle, pulled = asyncio.run(main())
    # websocket.connect, four queued messages, one waiting for room.
    assert pulled_while_idle == 1 + 4 + 1
    assert received == [str(i) for i in range(100)]
    assert pulled == 1 + 100 + 1


# -- endings ----------------------------------------------------------------------


def test_denial_without_the_extension_closes(app: pottle.Pottle) -> None:
    @app.websocket("/ws")
    async def handler() -> tuple[str, int]:
        return "no", 401

    async def main() -> Server:
        server = Server()
        await server.run(app)
        return server

    assert asyncio.run(main()).sent == [{"type": "websocket.close", "code": 1000}]


def test_denial_with_the_extension_sends_the_response(app: pottle.Pottle) -> None:
    @app.websocket("/ws")
    async def handler() -> tuple[str, int]:
        return "no", 401

    async def main() -> Server:
        server = Server(extensions={"websocket.http.response": {}})
        await server.run(app)
        return server

    start, body = asyncio.run(main()).sent
    assert start["type"] == "websocket.http.response.start"
    assert start["status"] == 401
    assert (b"content-length", b"2") in start["headers"]
    assert body == {
        "type": "websocket.http.response.body",
        "body": b"no",
        "more_body": False,
    }


def test_slash_redirect_denial_names_the_path_only(app: pottle.Pottle) -> None:
    # A forged Host must not come back in the Location, as for HTTP.
    @app.websocket("/ws/")
    async def handler() -> None:
        await websocket.send("never")

    async def main() -> Server:
        server = Server(
            headers=[(b"host", b"evil.example")],
            extensions={"websocket.http.response": {}},
        )
        await server.run(app)
        return server

    start = asyncio.run(main()).sent[0]
    assert start["status"] == 308
    assert (b"location", b"/ws/") in start["headers"]


def test_old_servers_get_no_reason_and_no_accept_headers(app: pottle.Pottle) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept(headers={"X-A": "b"})
        await websocket.close(4000, "why")

    async def main() -> Server:
        server = Server(asgi={"version": "3.0", "spec_version": "2.0"})
        await server.run(app)
        return server

    with pytest.warns(UserWarning, match="does not support websocket accept headers"):
        server = asyncio.run(main())
    assert server.sent == [
        {"type": "websocket.accept", "subprotocol": None},
        {"type": "websocket.close", "code": 4000},
    ]


def test_send_failing_with_oserror_is_a_disconnect(app: pottle.Pottle) -> None:
    seen: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.send("tick")
                await asyncio.sleep(0)
        finally:
            seen.append(websocket.close_code)

    class GoneServer(Server):
        async def send(self, message: dict[str, t.Any]) -> None:
            await super().send(message)
            if message["type"] == "websocket.send":
                raise OSError("client gone")  # uvicorn's ClientDisconnected

    async def main() -> None:
        await GoneServer().run(app)

    asyncio.run(main())
    assert seen == [1006]


def test_server_cancel_closes_1001_and_tears_down(app: pottle.Pottle) -> None:
    torn_down: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await asyncio.Event().wait()

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(type(exc))

    async def main() -> Server:
        server = Server()
        task = server.run(app)
        await _settle()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return server

    server = asyncio.run(main())
    assert server.sent[-1] == {
        "type": "websocket.close",
        "code": 1001,
        "reason": "Going Away",
    }
    assert torn_down == [asyncio.CancelledError]


def test_client_gone_before_accept(app: pottle.Pottle) -> None:
    seen: list[t.Any] = []

    @app.before_websocket
    async def slow() -> None:
        await asyncio.Event().wait()

    @app.websocket("/ws")
    async def handler() -> None:
        seen.append("handler")

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", exc))

    async def main() -> Server:
        server = Server()
        server.to_app.put_nowait({"type": "websocket.disconnect", "code": 1006})
        await server.run(app)
        return server

    assert asyncio.run(main()).sent == []
    assert seen == [("teardown", None)]
