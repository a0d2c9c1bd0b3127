import re

import pytest
from flask_login import FlaskLoginClient
from notes import create_app
from notes.models import Note, User, db


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.sqlite'}",
        }
    )
    with app.app_context():
        db.create_all()
        ada = User(username="ada")
        ada.set_password("lovelace1815")
        bob = User(username="bob")
        bob.set_password("babbage1791")
        db.session.add_all([ada, bob])
        db.session.add(Note(title="Engine", body="Notes on the engine", author=ada))
        db.session.add(Note(title="Gears", body="Bob's", author=bob))
        db.session.commit()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def find_csrf_token(client, path):
    """The CSRF token of the form on the page at ``path``."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


@pytest.fixture
def csrf_token():
    return find_csrf_token


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="ada", password="lovelace1815", **extra):
        data = {"username": username, "password": password, **extra}
        data["csrf_token"] = find_csrf_token(self._client, "/auth/login")
        return self._client.post("/auth/login", data=data)

    def logout(self):
        token = find_csrf_token(self._client, "/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user_client(app):
    """A client logged in as ada, with Flask-Login's test client."""
    app.test_client_class = FlaskLoginClient
    with app.app_context():
        ada = db.session.scalar(db.select(User).filter_by(username="ada"))
    return app.test_client(user=ada)
