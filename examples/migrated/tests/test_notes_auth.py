import pytest
from notes.models import User, db


def test_register(app, client, csrf_token):
    assert client.get("/auth/register").status_code == 200
    response = client.post(
        "/auth/register",
        data={
            "username": "grace",
            "password": "hopper1906",
            "confirm": "hopper1906",
            "csrf_token": csrf_token(client, "/auth/register"),
        },
    )
    assert response.headers["Location"] == "/auth/login"
    with app.app_context():
        grace = db.session.scalar(db.select(User).filter_by(username="grace"))
        assert grace.password_hash != "hopper1906"
        assert grace.check_password("hopper1906")


@pytest.mark.parametrize(
    ("username", "password", "confirm", "message"),
    [
        ("gh", "hopper1906", "hopper1906", "Field must be between 3 and 80"),
        ("grace", "short", "short", "Field must be at least 8 characters long."),
        ("grace", "hopper1906", "hopper1907", "Passwords must match."),
        ("ada", "hopper1906", "hopper1906", "That username is taken."),
    ],
)
def test_register_validates(client, csrf_token, username, password, confirm, message):
    response = client.post(
        "/auth/register",
        data={
            "username": username,
            "password": password,
            "confirm": confirm,
            "csrf_token": csrf_token(client, "/auth/register"),
        },
    )
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_login_and_logout(client, auth):
    assert client.get("/").headers["Location"] == "/auth/login?next=%2F"
    response = auth.login()
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "<span>ada</span>" in page
    assert "Engine" in page and "Gears" not in page

    response = auth.logout()
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/").status_code == 302


def test_login_goes_to_next_but_only_on_this_site(client, auth, csrf_token):
    token = csrf_token(client, "/auth/login")
    data = {"username": "ada", "password": "lovelace1815", "csrf_token": token}
    response = client.post("/auth/login?next=/new", data=data)
    assert response.headers["Location"] == "/new"
    auth.logout()
    data["csrf_token"] = csrf_token(client, "/auth/login")
    response = client.post("/auth/login?next=//evil.example", data=data)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("username", "password"), [("nobody", "whatever1"), ("ada", "wrong-password")]
)
def test_login_rejects_bad_credentials(client, auth, username, password):
    response = auth.login(username, password)
    assert response.status_code == 200
    assert "Invalid username or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_forms_need_their_csrf_token(client):
    response = client.post(
        "/auth/login", data={"username": "ada", "password": "lovelace1815"}
    )
    assert response.status_code == 200  # the form is redisplayed
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_remember_me(app, client, auth):
    auth.login(remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None

    fresh_browser = app.test_client()
    fresh_browser.set_cookie("remember_token", cookie.value)
    assert "<span>ada</span>" in fresh_browser.get("/").get_data(as_text=True)
