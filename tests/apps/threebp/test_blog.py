"""Flask-style tests of the blog blueprint: templates that extend a base
layout, and a MethodView JSON API. Only the imports mention pottle."""

import pytest

from pottle import g, request, url_for


def test_index(client, auth):
    page = client.get("/").data
    assert b"<title>Posts - Three</title>" in page
    assert b"Log In" in page
    assert b"Register" in page
    assert b"First post" in page
    assert b"Hello &lt;world&gt;" in page
    assert b'href="/1"' in page
    assert b'href="/static/style.css"' in page

    auth.login()
    page = client.get("/").data
    assert b"Log Out" in page
    assert b'href="/create"' in page


def test_static_file(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    response.close()


@pytest.mark.parametrize("path", ["/create"])
def test_login_required(client, path):
    response = client.post(path)
    assert response.headers["Location"] == "/auth/login"


def test_create(client, auth, app):
    auth.login()
    assert client.get("/create").status_code == 200
    response = client.post("/create", data={"title": "Second", "body": "more"})
    assert response.headers["Location"] == "/"
    page = client.get("/").data
    assert b"Post created." in page
    assert page.index(b"Second") < page.index(b"First post")
    assert len(app.extensions["threebp"].posts) == 2


def test_create_validates(client, auth):
    auth.login()
    response = client.post("/create", data={"title": " ", "body": "kept"})
    assert response.status_code == 200
    assert b"Title is required." in response.data
    # The form is filled again from request.form while rendering.
    assert b">kept</textarea>" in response.data


def test_post_page(client):
    page = client.get("/1").data
    assert b"<title>First post - Three</title>" in page
    assert b'"title": "First post"' in page
    assert b"\\u003cworld\\u003e" in page


def test_missing_post_uses_the_blueprint_handler(client):
    response = client.get("/99")
    assert response.status_code == 404
    assert b"There is no such post." in response.data


def test_api_list_and_get(client):
    response = client.get("/api/posts")
    assert response.json["posts"][0]["title"] == "First post"
    assert client.get("/api/posts/1").json["author"] == "ann"
    response = client.get("/api/posts/99")
    assert response.status_code == 404
    assert response.json == {"error": "not found"}
    assert client.head("/api/posts/1").status_code == 200
    assert client.put("/api/posts/1").status_code == 405


def test_api_write(client, auth):
    assert client.post("/api/posts", json={"title": "x"}).status_code == 401
    auth.login()
    response = client.post("/api/posts", json={"title": "From JSON"})
    assert response.status_code == 201
    location = response.headers["Location"]
    assert client.get(location).json["title"] == "From JSON"
    assert client.post("/api/posts", json={}).status_code == 400

    response = client.patch(location, json={"title": "Edited", "id": 7})
    assert response.json["title"] == "Edited"
    assert response.json["id"] != 7
    assert client.delete(location).status_code == 204
    assert client.get(location).status_code == 404


def test_api_only_the_author_edits(client, auth):
    auth.login("boss", "boss-pw")
    assert client.patch("/api/posts/1", json={"title": "mine"}).status_code == 403
    assert client.delete("/api/posts/1").status_code == 403


def test_request_and_g_after_an_api_call(client, auth):
    auth.login()
    with client:
        client.get("/api/posts/1")
        assert request.endpoint == "blog.post_item"
        assert request.blueprint == "blog"
        assert request.view_args == {"post_id": 1}
        assert g.user["username"] == "ann"
        assert url_for("blog.post", post_id=1) == "/1"
