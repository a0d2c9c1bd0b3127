"""Flask-style tests of the auth blueprint: sessions and flashed messages.
Only the imports mention pottle."""

import pytest

from pottle import g, session


def test_register(client, app):
    assert client.get("/auth/register").status_code == 200
    response = client.post(
        "/auth/register", data={"username": "cat", "password": "cat-pw"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert app.extensions["threebp"].find_user("cat") is not None
    # The message is flashed once, on the next page.
    page = client.get("/auth/login").data
    assert b'<div class="flash success">Registered, please log in.</div>' in page
    assert b"Registered, please log in." not in client.get("/auth/login").data


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", b"Username is required."),
        ("dan", "", b"Password is required."),
        ("ann", "x", b"User ann is already registered."),
    ],
)
def test_register_validates_input(client, username, password, message):
    response = client.post(
        "/auth/register", data={"username": username, "password": password}
    )
    assert response.status_code == 200
    assert message in response.data


def test_login_then_session_and_g(client, auth):
    assert client.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"

    with client:
        page = client.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "ann"
        assert not g.is_admin
    assert b"<span>ann</span>" in page.data
    assert b"Welcome, ann!" in page.data


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("nobody", "x", b"Incorrect username or password."),
        ("ann", "wrong", b"Incorrect username or password."),
        ("", "x", b"Username is required."),
    ],
)
def test_login_validates_input(auth, username, password, message):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert message in response.data
    assert b'class="flash error"' in response.data


def test_logout(client, auth):
    auth.login()
    with client:
        response = auth.logout()
        assert "user_id" not in session
    assert response.headers["Location"] == "/"
    assert b"Logged out." in client.get("/").data


def test_remember_me_makes_a_permanent_session(client, auth):
    response = auth.login()
    assert "Expires=" not in response.headers["Set-Cookie"]
    response = auth.login(remember="on")
    assert "Expires=" in response.headers["Set-Cookie"]
    with client:
        client.get("/")
        assert session.permanent


def test_pages_vary_on_the_cookie(client, auth):
    # Every page reads the session to load the user.
    assert "Cookie" in client.get("/").headers["Vary"]
    auth.login()
    assert "Cookie" in client.get("/").headers["Vary"]


def test_session_transaction_logs_in(client):
    with client.session_transaction() as sess:
        sess["user_id"] = 2
    with client:
        client.get("/")
        assert g.user["username"] == "boss"
        assert g.is_admin
