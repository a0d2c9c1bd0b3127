"""Flask-style tests of the Flask-style app: a sync client, ``with client:``
then reading ``g``. Only the imports mention pottle."""

import pytest

from pottle import g, request

from .app import create_app, init_db


@pytest.fixture
def app(tmp_path):
    path = str(tmp_path / "items.sqlite")
    init_db(path)
    app = create_app(path)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def test_index_redirects_to_list(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/items"


def test_list_reads_args_and_hook_globals(client):
    response = client.get("/items?limit=1", headers={"X-User": "ann"})
    assert response.status_code == 200
    assert response.json == {"items": [{"id": 1, "name": "teapot"}], "user": "ann"}


def test_create_and_fetch(client):
    response = client.post("/items", json={"name": "cup"}, headers={"X-User": "ann"})
    assert response.status_code == 201
    assert response.json == {"id": 3, "url": "/items/3"}
    assert client.get("/items/3").json == {"id": 3, "name": "cup"}


def test_anonymous_create_is_forbidden(client):
    assert client.post("/items", json={"name": "cup"}).status_code == 403


def test_value_error_handler(client):
    response = client.post("/items", json={"name": ""}, headers={"X-User": "ann"})
    assert response.status_code == 400
    assert response.json == {"error": "name is required"}


def test_404_handler(client):
    response = client.get("/items/99")
    assert response.status_code == 404
    assert response.json == {"error": "not found", "path": "/items/99"}
    assert client.get("/nowhere").json["path"] == "/nowhere"


def test_with_client_keeps_request_and_g(client):
    with client:
        client.get("/items", headers={"X-User": "bob"})
        assert request.path == "/items"
        assert g.user == "bob"
        # teardown_appcontext ran and closed the connection
        assert "db" not in g
