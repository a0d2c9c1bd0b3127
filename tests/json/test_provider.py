from __future__ import annotations

import dataclasses
import decimal
import gc
import io
import typing as t
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from markupsafe import Markup
from werkzeug.wrappers import Response

import pottle.json
from pottle.globals import _cv_app
from pottle.json.provider import DefaultJSONProvider, JSONProvider


class StubApp:
    response_class = Response

    def __init__(self, debug: bool = False) -> None:
        self.debug = debug
        self.config: dict[str, t.Any] = {}


@dataclasses.dataclass
class Point:
    x: int
    y: list[int]


@contextmanager
def app_context(app: t.Any) -> Iterator[None]:
    token = _cv_app.set(SimpleNamespace(app=app))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _cv_app.reset(token)


def make_provider(debug: bool = False) -> tuple[StubApp, DefaultJSONProvider]:
    app = StubApp(debug)
    return app, DefaultJSONProvider(app)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2024, 2, 29), '"Thu, 29 Feb 2024 00:00:00 GMT"'),
        (datetime(2024, 2, 29, 13, 5, 7), '"Thu, 29 Feb 2024 13:05:07 GMT"'),
        (
            datetime(2024, 2, 29, 13, 5, 7, tzinfo=timezone(timedelta(hours=2))),
            '"Thu, 29 Feb 2024 11:05:07 GMT"',
        ),
        (decimal.Decimal("0.10"), '"0.10"'),
        (
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            '"12345678-1234-5678-1234-567812345678"',
        ),
        (Point(1, [2]), '{"x": 1, "y": [2]}'),
        (Markup("<b>&amp;</b>"), '"<b>&amp;</b>"'),
    ],
)
def test_default_types(value: object, expected: str) -> None:
    _, provider = make_provider()
    assert provider.dumps(value) == expected
    # The module-level fallback, without an app, knows the same types.
    assert pottle.json.dumps(value) == expected


def test_default_rejects_unknown() -> None:
    _, provider = make_provider()
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        provider.dumps({1})
    with pytest.raises(TypeError, match="Object of type type is not"):
        DefaultJSONProvider.default(Point)


def test_sort_keys_and_ensure_ascii() -> None:
    _, provider = make_provider()
    assert provider.dumps({"b": 1, "a": "é"}) == '{"a": "\\u00e9", "b": 1}'
    assert provider.dumps({"b": 1, "a": "é"}, sort_keys=False, ensure_ascii=False) == (
        '{"b": 1, "a": "é"}'
    )
    provider.sort_keys = False
    provider.ensure_ascii = False
    assert provider.dumps({"b": 1, "a": "é"}) == '{"b": 1, "a": "é"}'


def test_custom_default() -> None:
    _, provider = make_provider()
    provider.default = lambda o: sorted(o)
    assert provider.dumps({3, 1}) == "[1, 3]"


def test_loads_and_files() -> None:
    _, provider = make_provider()
    assert provider.loads('{"a": [1]}') == {"a": [1]}
    assert provider.loads(b'{"a": "\xc3\xa9"}') == {"a": "é"}
    out = io.StringIO()
    provider.dump({"b": 1, "a": 2}, out)
    assert out.getvalue() == '{"a": 2, "b": 1}'
    assert provider.load(io.StringIO("[true]")) == [True]
    assert provider.load(io.BytesIO(b"null")) is None


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((), {}, b"null\n"),
        (({"b": 1, "a": 2},), {}, b'{"a":2,"b":1}\n'),
        ((1, "x"), {}, b'[1,"x"]\n'),
        ((), {"b": 1, "a": [2]}, b'{"a":[2],"b":1}\n'),
    ],
)
def test_response_compact(
    args: tuple[t.Any, ...], kwargs: dict[str, t.Any], expected: bytes
) -> None:
    _, provider = make_provider()
    rv = provider.response(*args, **kwargs)
    assert isinstance(rv, Response)
    assert rv.mimetype == "application/json"
    assert rv.get_data() == expected


def test_response_pretty_in_debug() -> None:
    app, provider = make_provider(debug=True)
    assert provider.response(a=1).get_data() == b'{\n  "a": 1\n}\n'
    provider.compact = True
    assert provider.response(a=1).get_data() == b'{"a":1}\n'
    app.debug = False
    provider.compact = False
    assert provider.response(a=1).get_data() == b'{\n  "a": 1\n}\n'


def test_response_mimetype() -> None:
    _, provider = make_provider()
    provider.mimetype = "application/vnd.api+json"
    assert provider.response([]).mimetype == "application/vnd.api+json"


def test_response_args_and_kwargs() -> None:
    _, provider = make_provider()
    with pytest.raises(TypeError) as exc_info:
        provider.response(1, a=2)
    assert str(exc_info.value) == (
        "app.json.response() takes either args or kwargs, not both"
    )


class ReprProvider(JSONProvider):
    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        return repr(obj)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        return ("loaded", s)


def test_base_provider() -> None:
    app = StubApp()
    with pytest.raises(NotImplementedError):
        JSONProvider(app).dumps(1)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        JSONProvider(app).loads("1")  # type: ignore[arg-type]

    provider = ReprProvider(app)  # type: ignore[arg-type]
    out = io.StringIO()
    provider.dump((1,), out)
    assert out.getvalue() == "(1,)"
    assert provider.load(io.StringIO("x")) == ("loaded", "x")
    rv = provider.response(1, 2)
    assert rv.mimetype == "application/json"
    assert rv.get_data() == b"(1, 2)"


def test_provider_holds_app_weakly() -> None:
    app = StubApp()
    provider = DefaultJSONProvider(app)  # type: ignore[arg-type]
    assert provider._app.debug is False
    del app
    gc.collect()
    with pytest.raises(ReferenceError):
        provider.response(1)


def test_module_functions_without_app() -> None:
    assert pottle.json.dumps({"b": decimal.Decimal("1")}) == '{"b": "1"}'
    assert pottle.json.loads("[1]") == [1]
    out = io.StringIO()
    pottle.json.dump(uuid.UUID(int=0), out)
    assert out.getvalue() == '"00000000-0000-0000-0000-000000000000"'
    assert pottle.json.load(io.StringIO('{"a": 1}')) == {"a": 1}
    with pytest.raises(RuntimeError, match="Working outside of application context"):
        pottle.json.jsonify(1)


def test_module_functions_use_app_json() -> None:
    app = StubApp()
    app.json = ReprProvider(app)  # type: ignore[arg-type, attr-defined]
    with app_context(app):
        assert pottle.json.dumps({"a"}) == "{'a'}"
        assert pottle.json.loads("x") == ("loaded", "x")
        assert pottle.json.load(io.StringIO("y")) == ("loaded", "y")
        out = io.StringIO()
        pottle.json.dump((1,), out)
        assert out.getvalue() == "(1,)"
        assert pottle.json.jsonify(a=1).get_data() == b"{'a': 1}"


def test_jsonify_with_default_provider() -> None:
    app, provider = make_provider(debug=True)
    app.json = provider  # type: ignore[attr-defined]
    with app_context(app):
        rv = pottle.json.jsonify([1, 2])
    assert rv.get_data() == b"[\n  1,\n  2\n]\n"
