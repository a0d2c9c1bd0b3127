"""JSON request bodies on hostile input: always 400 (or a parsed value per
RFC 8259), never a 500; the mimetype rules follow Flask (415, silent,
force)."""

from __future__ import annotations

import codecs
import typing as t

import pytest

from pottle import Pottle, request


@pytest.fixture
def app() -> Pottle:
    app = Pottle(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/sync")
    def sync_view() -> t.Any:
        return {"value": request.get_json()}

    @app.post("/async")
    async def async_view() -> t.Any:
        return {"value": await request.get_json()}

    @app.post("/silent")
    async def silent() -> t.Any:
        return {
            "sync": request.get_json(silent=True),
            "async": await request.get_json(silent=True),
        }

    @app.post("/force")
    def force() -> t.Any:
        return {"value": request.get_json(force=True)}

    return app


PATHS = ["/sync", "/async"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"{'a': 1}", id="single quotes"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"a": "\xff\xfe"}', id="invalid utf-8"),
        pytest.param(b"\xff\xfe{\x00", id="odd utf-16"),
        pytest.param(b"[" * 100_000, id="deep nesting"),
        pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, id="deep objects"),
        pytest.param(b"1" * 10_000, id="huge integer"),
        pytest.param(b"[" + b"1" * 5000 + b"]", id="huge integer in array"),
        pytest.param(b"NaNx", id="garbage"),
        pytest.param(b"\x00\x00\x00", id="nul bytes"),
    ],
)
def test_bad_json_is_400(app: Pottle, path: str, body: bytes) -> None:
    rv = app.test_client().post(path, data=body, content_type="application/json")
    assert rv.status_code == 400


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
    ],
)
def test_utf_encodings_with_a_bom_parse(
    app: Pottle, path: str, encoding: str, bom: bytes
) -> None:
    body = bom + '{"name": "\u00e9t\u00e9 \U0001f600"}'.encode(encoding)
    rv = app.test_client().post(path, data=body, content_type="application/json")
    assert rv.status_code == 200
    assert rv.json == {"value": {"name": "\u00e9t\u00e9 \U0001f600"}}


@pytest.mark.parametrize("path", PATHS)
def test_big_floats_are_numbers_not_errors(app: Pottle, path: str) -> None:
    rv = app.test_client().post(
        path, data=b"[1e400, 1.5]", content_type="application/json"
    )
    assert rv.status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_wrong_mimetype_is_415(app: Pottle, path: str) -> None:
    rv = app.test_client().post(path, data=b'{"a": 1}', content_type="text/plain")
    assert rv.status_code == 415


def test_silent_gives_none_for_bad_json_and_wrong_mimetype(app: Pottle) -> None:
    client = app.test_client()
    for body, ct in [(b"{", "application/json"), (b'{"a": 1}', "text/plain")]:
        rv = client.post("/silent", data=body, content_type=ct)
        assert rv.json == {"sync": None, "async": None}


def test_force_parses_any_mimetype(app: Pottle) -> None:
    rv = app.test_client().post("/force", data=b'{"a": 1}', content_type="text/plain")
    assert rv.json == {"value": {"a": 1}}


def test_json_subtypes_are_json(app: Pottle) -> None:
    rv = app.test_client().post(
        "/async", data=b'{"a": 1}', content_type="application/vnd.api+json"
    )
    assert rv.json == {"value": {"a": 1}}


def test_json_over_max_content_length_is_413(app: Pottle) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100
    rv = app.test_client().post("/async", json={"a": "x" * 200})
    assert rv.status_code == 413


def test_cached_json_in_both_styles() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> t.Any:
        first = await request.get_json()
        return {"same": first is request.get_json() and first is request.json}

    assert app.test_client().post("/", json={"a": 1}).json == {"same": True}


def test_debug_mode_explains_the_error() -> None:
    app = Pottle(__name__)
    app.debug = True
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.post("/")
    def view() -> t.Any:
        return request.get_json()

    rv = app.test_client().post("/", data=b"{", content_type="application/json")
    assert rv.status_code == 400
    assert b"Failed to decode JSON object" in rv.data
