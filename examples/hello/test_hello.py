"""Tests for the hello example, sync and async clients."""

import asyncio

import pytest
from hello import app


@pytest.fixture
def client():
    app.config["TESTING"] = True
    return app.test_client()


def test_index_renders_template(client):
    response = client.get("/?name=Ada")
    assert response.status_code == 200
    assert b"<h1>Hello, Ada!</h1>" in response.data
    assert b'href="/hello/Ada"' in response.data


def test_hello_json(client):
    assert client.get("/hello/Ada").json["greeting"] == "Hello, Ada!"


def test_slow_from_an_async_test(client):
    async def scenario():
        return await asyncio.gather(
            *(client.get("/slow?seconds=0.01") for _ in range(3))
        )

    responses = asyncio.run(scenario())
    assert [r.json for r in responses] == [{"slept": 0.01}] * 3


def test_count_streams(client):
    assert client.get("/count").data == b"1\n2\n3\n4\n5\n"


def test_echo_form(client):
    response = client.post("/echo", data={"text": "hi"})
    assert response.json == {"you said": "hi"}
