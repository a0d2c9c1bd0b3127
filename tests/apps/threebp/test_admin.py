"""Flask-style tests of the admin blueprint (own static folder and
templates) and the reports blueprint nested in it. Only the imports mention
pottle."""

import pytest

from pottle import request, url_for


@pytest.mark.parametrize("path", ["/admin/", "/admin/reports/"])
def test_admins_only(client, auth, path):
    response = client.get(path)
    assert response.status_code == 403
    assert b"Administrators only." in response.data
    auth.login()
    assert client.get(path).status_code == 403


def test_dashboard(client, auth):
    auth.login("boss", "boss-pw")
    page = client.get("/admin/").data
    # The blueprint's template extends the app's base layout.
    assert b"<title>Dashboard - Three</title>" in page
    assert b"Three / Admin" in page
    assert b"<li>ann</li>" in page
    assert b"<li>boss</li>" in page
    assert b'href="/admin/static/admin.css"' in page
    assert b'href="/admin/reports/"' in page


def test_admin_static_folder(client):
    response = client.get("/admin/static/admin.css")
    assert response.status_code == 200
    assert b"darkred" in response.data
    assert client.get("/admin/static/style.css").status_code == 404


def test_nested_reports(client, auth, app):
    auth.login("boss", "boss-pw")
    with client:
        page = client.get("/admin/reports/").data
        assert request.blueprint == "admin.reports"
        assert request.blueprints == ["admin.reports", "admin"]
        assert url_for(".summary") == "/admin/reports/"
    assert b"2 users, 1 posts" in page
    # The nested blueprint's own template and static folder.
    assert b'src="/admin/reports/static/chart.js"' in page
    # The parent's context processor applies to the nested blueprint too.
    assert b"Three / Admin" in page
    with app.test_request_context():
        assert url_for("admin.reports.summary") == "/admin/reports/"
        assert url_for("admin.static", filename="a.css") == "/admin/static/a.css"


def test_nested_static_folder(client):
    response = client.get("/admin/reports/static/chart.js")
    assert response.status_code == 200
    assert b"(reports)" in response.data
    response.close()
