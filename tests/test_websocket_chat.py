"""The chat example (examples/chat) through the test client."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
import typing as t

import pytest

from pottle.testing import WebsocketDisconnectError

HERE = os.path.dirname(os.path.abspath(__file__))
CHAT = os.path.join(os.path.dirname(HERE), "examples", "chat", "app.py")


@pytest.fixture
def chat() -> t.Iterator[t.Any]:
    spec = importlib.util.spec_from_file_location("chat_example", CHAT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["chat_example"] = module
    spec.loader.exec_module(module)
    module.app.testing = True
    yield module
    del sys.modules["chat_example"]


def test_page(chat: t.Any) -> None:
    response = chat.app.test_client().get("/")
    assert response.status_code == 200
    assert b"new WebSocket(" in response.data


def test_broadcast_to_the_room(chat: t.Any) -> None:
    client = chat.app.test_client()
    with client.websocket("/ws/lobby?name=ann") as ann:
        assert ann.receive_json() == {"type": "welcome", "room": "lobby", "members": []}
        assert ann.receive_json() == {"type": "join", "name": "ann"}
        with client.websocket("/ws/lobby?name=bob") as bob:
            assert bob.receive_json()["members"] == ["ann"]
            assert ann.receive_json() == {"type": "join", "name": "bob"}
            assert bob.receive_json() == {"type": "join", "name": "bob"}
            bob.send_json({"text": "hi all"})
            expected = {"type": "message", "name": "bob", "text": "hi all"}
            assert ann.receive_json() == expected
            assert bob.receive_json() == expected
        assert ann.receive_json() == {"type": "leave", "name": "bob"}
    assert chat.rooms == {}


def test_rooms_are_separate(chat: t.Any) -> None:
    client = chat.app.test_client()
    with client.websocket("/ws/a?name=ann") as ann:
        with client.websocket("/ws/b?name=bob") as bob:
            assert bob.receive_json()["members"] == []
            bob.receive_json()  # bob's own join
            bob.send_json({"text": "only b"})
            assert bob.receive_json()["text"] == "only b"
        assert ann.receive_json()["type"] == "welcome"
        assert ann.receive_json() == {"type": "join", "name": "ann"}
        ann.send_json({"text": "only a"})
        assert ann.receive_json()["text"] == "only a"


def test_empty_and_malformed_messages(chat: t.Any) -> None:
    client = chat.app.test_client()
    with client.websocket("/ws/lobby") as ws:
        ws.receive_json()  # welcome
        assert ws.receive_json() == {"type": "join", "name": "anonymous"}
        ws.send_json({"text": "   "})
        ws.send_json(["not", "an", "object"])
        ws.send_json({"text": "x" * 5000})
        assert ws.receive_json()["text"] == "x" * 1000
        ws.send("not json")
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert info.value.code == 1008


def test_a_client_that_cannot_keep_up_is_dropped(chat: t.Any) -> None:
    room = chat.Room()
    outbox: asyncio.Queue[t.Any] = asyncio.Queue(2)
    room.members[outbox] = "slow"
    for i in range(3):
        room.publish({"type": "message", "text": str(i)})
    assert room.members == {}
    # The oldest message made room for the hang-up.
    assert outbox.get_nowait()["text"] == "1"
    assert outbox.get_nowait() is None
