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


def test_static_matches_are_keyed_by_subdomain_and_method() -> None:
    app = pottle.Pottle(__name__, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    app.get("/", endpoint="get")(lambda: "www get")
    app.post("/", endpoint="post")(lambda: "www post")
    app.get("/", subdomain="api", endpoint="api")(lambda: "api get")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/").data == b"www get"
        assert client.post("/").data == b"www post"
        assert client.get("/", base_url="http://api.example.test").data == b"api get"
        assert client.put("/").status_code == 405
        assert client.get("/", base_url="http://nope.example.test").status_code == 404


def test_static_match_defaults_are_a_fresh_dict_each_request() -> None:
    # A url_value_preprocessor pops from view_args; the next request to the
    # same rule must still get its defaults.
    app = pottle.Pottle(__name__)
    seen = []

    @app.url_value_preprocessor
    def pop_lang(endpoint: str | None, values: dict[str, object] | None) -> None:
        assert values is not None
        seen.append(values.pop("lang"))

    app.get("/", defaults={"lang": "en"}, endpoint="home")(lambda: "home")
    client = app.test_client()
    assert [client.get("/").data for _ in range(3)] == [b"home"] * 3
    assert seen == ["en", "en", "en"]


def test_converters_run_on_every_request() -> None:
    from werkzeug.routing import BaseConverter

    calls = []

    class Counting(BaseConverter):
        def to_python(self, value: str) -> str:
            calls.append(value)
            return value.upper()

    app = pottle.Pottle(__name__)
    app.url_map.converters["counting"] = Counting
    app.get("/c/<counting:name>", endpoint="c")(lambda name: name)
    client = app.test_client()
    assert [client.get("/c/ab").data for _ in range(3)] == [b"AB"] * 3
    assert calls == ["ab", "ab", "ab"]


def test_a_rule_added_later_is_matched() -> None:
    app = pottle.Pottle(__name__)
    app.get("/a", endpoint="a")(lambda: "a")
    client = app.test_client()
    assert client.get("/a").data == b"a"
    assert client.get("/b").status_code == 404
    app.url_map.add(Rule("/b", endpoint="b"))
    app.view_functions["b"] = lambda: "b"
    assert client.get("/b").data == b"b"
    assert client.get("/a").data == b"a"


def test_a_converter_runs_even_when_its_argument_has_a_default() -> None:
    from werkzeug.routing import BaseConverter, ValidationError

    allowed = {"a"}

    class Gate(BaseConverter):
        def to_python(self, value: str) -> str:
            if value not in allowed:  # e.g. the row was deleted meanwhile
                raise ValidationError()
            return value

    app = pottle.Pottle(__name__)
    app.url_map.converters["gate"] = Gate
    app.get("/item/<gate:x>", defaults={"x": "default"}, endpoint="item")(lambda x: x)
    client = app.test_client()
    assert client.get("/item/a").data == b"default"  # werkzeug: the default wins
    allowed.clear()
    assert client.get("/item/a").status_code == 404
