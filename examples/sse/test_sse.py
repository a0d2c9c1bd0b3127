"""Tests for the SSE example: delivery to every subscriber, and cleanup
when a client goes away."""

from __future__ import annotations

import asyncio
import typing as t

import pytest
from sse import app, broker


@pytest.fixture
def client() -> t.Any:
    app.config["TESTING"] = True
    return app.test_client()


async def until(check: t.Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not check():
            await asyncio.sleep(0.005)


def test_published_messages_reach_every_subscriber(client: t.Any) -> None:
    async def listen() -> t.Any:
        return await client.get("/events?limit=2")

    async def scenario() -> list[t.Any]:
        tasks = [asyncio.ensure_future(listen()) for _ in range(2)]
        await until(lambda: len(broker.subscribers) == 2)
        first = await client.post("/publish", data={"message": "hello"})
        second = await client.post("/publish", data={"message": "again"})
        assert first.json == second.json == {"delivered": 2}
        return await asyncio.gather(*tasks)

    for response in asyncio.run(scenario()):
        assert response.mimetype == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        text = response.get_data(as_text=True)
        assert text.startswith("retry: 2000\n\n")
        assert '"message": "hello"' in text and '"message": "again"' in text
    assert broker.subscribers == set()


def test_a_client_that_leaves_is_unsubscribed() -> None:
    sent: list[dict[str, t.Any]] = []
    inbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    async def scenario() -> None:
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/events",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost")],
        }
        inbox.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        served = asyncio.ensure_future(app(scope, inbox.get, send))
        await until(lambda: len(broker.subscribers) == 1)
        broker.publish("only one")
        await until(lambda: any(b"only one" in m.get("body", b"") for m in sent))
        inbox.put_nowait({"type": "http.disconnect"})  # the page was closed
        await asyncio.wait_for(served, 5)

    asyncio.run(scenario())
    assert broker.subscribers == set()
    assert sent[0]["status"] == 200


def test_clock_streams_the_flask_way(client: t.Any) -> None:
    response = client.get("/clock?count=2&every=0")
    assert response.get_data(as_text=True).count("data: ") == 2


def test_index_page(client: t.Any) -> None:
    assert b"EventSource" in client.get("/").data
