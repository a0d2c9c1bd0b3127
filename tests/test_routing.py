"""Rules added straight to ``app.url_map`` as werkzeug builds them."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule, Submount

import pottle


@pytest.fixture
def app() -> pottle.Pottle:
    app = pottle.Pottle(__name__)
    app.url_map.add(
        Submount("/foo", [Rule("/bar", endpoint="bar"), Rule("/", endpoint="index")])
    )
    app.view_functions["bar"] = lambda: "bar"

    async def index() -> str:
        return f"index {pottle.request.method}"

    app.view_functions["index"] = index
    return app


def test_werkzeug_rules_dispatch(app: pottle.Pottle) -> None:
    client = app.test_client()
    assert client.get("/foo/").data == b"index GET"
    assert client.get("/foo/bar").data == b"bar"
    with app.test_request_context():
        assert pottle.url_for("bar") == "/foo/bar"


def test_werkzeug_rule_without_automatic_options_gets_the_view(
    app: pottle.Pottle,
) -> None:
    # A werkzeug Rule has no ``provide_automatic_options``: as in Flask, OPTIONS
    # then reaches the view instead of the default OPTIONS response.
    response = app.test_client().options("/foo/")
    assert response.status_code == 200
    assert response.data == b"index OPTIONS"
