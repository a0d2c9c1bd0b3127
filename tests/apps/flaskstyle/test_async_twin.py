"""The async twin, tested Quart style: ``await client.get``,
``await response.get_json()``, ``async with client``."""

import asyncio

import pytest

from pottle import g

from .app import init_db
from .app_async import create_app


@pytest.fixture
def app(tmp_path):
    path = str(tmp_path / "items.sqlite")
    init_db(path)
    app = create_app(path)
    app.config["TESTING"] = True
    return app


def run(coro):
    return asyncio.run(coro)


def test_crud(app):
    client = app.test_client()

    async def scenario():
        response = await client.get("/")
        assert response.status_code == 302
        response = await client.post(
            "/items", json={"name": "cup"}, headers={"X-User": "ann"}
        )
        assert response.status_code == 201
        assert await response.get_json() == {"id": 3, "url": "/items/3"}
        response = await client.get("/items/3")
        assert await response.get_data() == b'{"id":3,"name":"cup"}\n'
        response = await client.get("/items?limit=1", headers={"X-User": "ann"})
        assert (await response.get_json())["items"] == [{"id": 1, "name": "teapot"}]

    run(scenario())


def test_errors(app):
    client = app.test_client()

    async def scenario():
        assert (await client.post("/items", json={"name": "x"})).status_code == 403
        response = await client.post(
            "/items", json={"name": ""}, headers={"X-User": "ann"}
        )
        assert response.status_code == 400
        assert await response.get_json() == {"error": "name is required"}
        response = await client.get("/items/99")
        assert response.status_code == 404

    run(scenario())


def test_async_with_client_keeps_g(app):
    client = app.test_client()

    async def scenario():
        async with client:
            await client.get("/items", headers={"X-User": "bob"})
            assert g.user == "bob"
            assert "db" not in g

    run(scenario())
