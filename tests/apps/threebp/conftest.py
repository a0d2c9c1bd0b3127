import pytest

from . import create_app


@pytest.fixture
def app():
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "ADMINS": ["boss"]})
    store = app.extensions["threebp"]
    ann = store.add_user("ann", "ann-pw")
    store.add_user("boss", "boss-pw")
    store.add_post(ann, "First post", "Hello <world>")
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="ann", password="ann-pw", **extra):
        return self._client.post(
            "/auth/login", data={"username": username, "password": password, **extra}
        )

    def logout(self):
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
