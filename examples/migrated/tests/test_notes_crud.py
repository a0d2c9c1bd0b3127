import pytest
from notes.models import Note, User, db


def notes_of(app, username):
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        return [(n.title, n.body) for n in user.notes]


def test_index_lists_own_notes(user_client):
    page = user_client.get("/").get_data(as_text=True)
    assert "Engine" in page
    assert "Gears" not in page


def test_create(app, user_client, csrf_token):
    assert user_client.get("/new").status_code == 200
    response = user_client.post(
        "/new",
        data={
            "title": "Analysis",
            "body": "On the engine's program",
            "csrf_token": csrf_token(user_client, "/new"),
        },
    )
    assert response.headers["Location"] == "/"
    assert ("Analysis", "On the engine's program") in notes_of(app, "ada")
    assert "Saved “Analysis”." in user_client.get("/").get_data(as_text=True)


def test_create_validates(app, user_client, csrf_token):
    token = csrf_token(user_client, "/new")
    response = user_client.post("/new", data={"title": "", "csrf_token": token})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert len(notes_of(app, "ada")) == 1


def test_edit(app, user_client, csrf_token):
    form = user_client.get("/1/edit").get_data(as_text=True)
    assert 'value="Engine"' in form
    response = user_client.post(
        "/1/edit",
        data={
            "title": "The Engine",
            "body": "Revised",
            "csrf_token": csrf_token(user_client, "/1/edit"),
        },
    )
    assert response.headers["Location"] == "/"
    assert notes_of(app, "ada") == [("The Engine", "Revised")]


def test_delete(app, user_client, csrf_token):
    token = csrf_token(user_client, "/")
    assert user_client.post("/1/delete", data={"csrf_token": token}).status_code == 302
    assert notes_of(app, "ada") == []


@pytest.mark.parametrize("path", ["/2/edit", "/2/delete"])
def test_other_users_notes_are_forbidden(app, user_client, path):
    assert user_client.post(path).status_code == 403
    assert notes_of(app, "bob") == [("Gears", "Bob's")]


@pytest.mark.parametrize("path", ["/99/edit", "/99/delete"])
def test_missing_note_is_404(user_client, path):
    assert user_client.post(path).status_code == 404


def test_pages(app, user_client):
    with app.app_context():
        ada = db.session.get(User, 1)
        db.session.add_all(Note(title=f"note {i}", author=ada) for i in range(12))
        db.session.commit()
    first = user_client.get("/").get_data(as_text=True)
    assert first.count('class="note"') == 10
    assert '<a href="/?page=2">2</a>' in first
    second = user_client.get("/?page=2").get_data(as_text=True)
    assert second.count('class="note"') == 3
    assert user_client.get("/?page=3").status_code == 404


def test_api_is_an_async_view(user_client, client):
    assert user_client.get("/api/notes").json == {
        "notes": [{"id": 1, "title": "Engine", "body": "Notes on the engine"}]
    }
    assert client.get("/api/notes").status_code == 302


def test_init_db_command(tmp_path):
    from notes import create_app

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}"}
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert "Initialized the database." in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(User.id))) == 0
