"""The async twins render the same templates as the Flask-style views, with
``await render_template``; tested partly Quart style (``await client.get``,
``async with client``). pottle only."""

import asyncio

import pytest

from pottle import g, session

from . import twin


@pytest.fixture
def app(app):
    app.register_blueprint(twin.bp)
    return app


@pytest.mark.parametrize("path", ["/", "/1", "/99"])
@pytest.mark.parametrize("user", [None, ("ann", "ann-pw")])
def test_same_page_from_both_worlds(client, auth, path, user):
    if user is not None:
        auth.login(*user)
        client.get("/")  # show the welcome message now, not in one page only
    flask_style = client.get(path)
    quart_style = client.get("/async" + path)
    assert quart_style.status_code == flask_style.status_code
    assert quart_style.data == flask_style.data
    assert b"- Three</title>" in quart_style.data


def test_streamed_twin(client):
    assert client.get("/async/stream").data == client.get("/").data


def test_dashboard_twin(client, auth):
    auth.login("boss", "boss-pw")
    client.get("/")  # shows the welcome message
    page = client.get("/async/admin/").data
    assert b"<title>Dashboard - Three</title>" in page
    assert b"<li>ann</li>" in page
    assert b'href="/admin/static/admin.css"' in page
    assert client.get("/admin/").data.replace(b"Three / Admin", b"Three") == page


def test_async_login(client):
    async def scenario():
        response = await client.post(
            "/async/login", data={"username": "ann", "password": "nope"}
        )
        page = await response.get_data()
        assert b'<div class="flash error">Incorrect username' in page
        assert b'value="ann"' in page

        response = await client.post(
            "/async/login", data={"username": "ann", "password": "ann-pw"}
        )
        assert response.headers["Location"] == "/"
        async with client:
            page = await (await client.get("/async/")).get_data()
            assert session["user_id"] == 1
            assert g.user["username"] == "ann"
        assert b"Welcome, ann!" in page
        assert b"<span>ann</span>" in page

    asyncio.run(scenario())


def test_flask_style_pages_see_the_async_login(client):
    client.post("/async/login", data={"username": "boss", "password": "boss-pw"})
    with client:
        assert b"Administrators only." not in client.get("/admin/").data
        assert g.is_admin
