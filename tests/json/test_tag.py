from __future__ import annotations

import json
import os
import subprocess
import sys
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from markupsafe import Markup
from werkzeug.wrappers import Response

import support
from pottle.globals import _cv_app
from pottle.json.provider import DefaultJSONProvider
from pottle.json.tag import JSONTag, TaggedJSONSerializer


@pytest.mark.parametrize(
    "data",
    [
        {" t": (1, 2, 3)},
        {" t__": b"a"},
        {" di": " di"},
        {"x": (1, 2, 3), "y": 4},
        (1, 2, 3),
        [(1, 2, 3)],
        b"\xff",
        Markup("<html>"),
        uuid4(),
        datetime.now(tz=UTC).replace(microsecond=0),
        {"a": [{"b": (b"c", Markup("d"))}]},
    ],
)
def test_dump_load_unchanged(data: object) -> None:
    s = TaggedJSONSerializer()
    loaded = s.loads(s.dumps(data))
    assert loaded == data
    assert type(loaded) is type(data)


def test_tagged_forms() -> None:
    s = TaggedJSONSerializer()
    assert s.dumps((1, b"\x00")) == '{" t":[1,{" b":"AA=="}]}'
    assert s.dumps({" t": 1}) == '{" di":{" t__":1}}'
    assert s.dumps(Markup("<b>")) == '{" m":"<b>"}'
    assert s.dumps(UUID(int=1)) == '{" u":"00000000000000000000000000000001"}'
    assert s.dumps(datetime(2020, 1, 2, 3, 4, 5)) == (
        '{" d":"Thu, 02 Jan 2020 03:04:05 GMT"}'
    )
    # Without an app, keys keep their order, as in Flask.
    assert s.dumps({"b": 1, "a": 2}) == '{"b":1,"a":2}'


def test_untag_leaves_plain_dicts() -> None:
    s = TaggedJSONSerializer()
    assert s.untag({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert s.untag({"a": 1}) == {"a": 1}
    assert s.untag({" t": [1]}) == (1,)
    assert s.loads(b'{" x":1}') == {" x": 1}


def test_naive_datetime_loads_as_utc() -> None:
    s = TaggedJSONSerializer()
    value = s.loads(s.dumps(datetime(2020, 1, 2, 3, 4, 5, 678)))
    assert value == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_duplicate_tag() -> None:
    class TagDict(JSONTag):
        key = " d"

    s = TaggedJSONSerializer()
    with pytest.raises(KeyError, match="Tag ' d' is already registered."):
        s.register(TagDict)
    s.register(TagDict, force=True, index=0)
    assert isinstance(s.tags[" d"], TagDict)
    assert isinstance(s.order[0], TagDict)


def test_custom_tag() -> None:
    class Foo:
        def __init__(self, data: object) -> None:
            self.data = data

    class TagFoo(JSONTag):
        __slots__ = ()
        key = " f"

        def check(self, value: t.Any) -> bool:
            return isinstance(value, Foo)

        def to_json(self, value: t.Any) -> t.Any:
            return self.serializer.tag(value.data)

        def to_python(self, value: t.Any) -> t.Any:
            return Foo(value)

    s = TaggedJSONSerializer()
    s.register(TagFoo)
    assert s.dumps(Foo(b"x")) == '{" f":{" b":"eA=="}}'
    assert s.loads(s.dumps(Foo("bar"))).data == "bar"


def test_tag_interface() -> None:
    tag = JSONTag(None)  # type: ignore[arg-type]
    for method in (tag.check, tag.to_json, tag.to_python):
        with pytest.raises(NotImplementedError):
            method(None)


def test_tag_order() -> None:
    class Tag1(JSONTag):
        key = " 1"

    class Tag2(JSONTag):
        key = " 2"

    s = TaggedJSONSerializer()
    s.register(Tag1, index=-1)
    assert isinstance(s.order[-2], Tag1)
    s.register(Tag2, index=None)
    assert isinstance(s.order[-1], Tag2)
    assert [type(tag).__name__ for tag in TaggedJSONSerializer().order] == [
        "TagDict",
        "PassDict",
        "TagTuple",
        "PassList",
        "TagBytes",
        "TagMarkup",
        "TagUUID",
        "TagDateTime",
    ]


# Byte compatibility with Flask: the same values are serialized by real Flask
# in another interpreter (Flask must never be imported in this process) and
# by pottle, and each side loads the other's output. Every entry is an
# expression evaluated in both processes.
CASES = [
    "None",
    "'plain'",
    "1.5",
    "{' t': (1, 2, 3)}",
    "{' t__': b'a'}",
    "{' di': ' di'}",
    "{' di': {' t': [1]}}",
    "{'x': (1, 2, 3), 'y': 4}",
    "(1, 2, 3)",
    "[(1, 2, 3)]",
    "b'\\xff\\x00binary'",
    "Markup('<html>&amp;')",
    "UUID('12345678-1234-5678-1234-567812345678')",
    "datetime(2024, 2, 29, 13, 5, 7, tzinfo=timezone.utc)",
    "datetime(2024, 2, 29, 13, 5, 7, 999)",
    "datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))",
    "date(2020, 5, 17)",
    "Decimal('1.10')",
    "{'b': 1, 'a': [b'x', {'z': None}], 'ü': 'é\\u2603'}",
    "{'_permanent': True, 'csrf_token': 'abc', '_flashes': [('message', 'Hi')]}",
    "{'_user_id': '1', '_fresh': True, '_id': 'f' * 64}",
]
NAMESPACE = {
    "Markup": Markup,
    "UUID": UUID,
    "datetime": datetime,
    "date": date,
    "timezone": timezone,
    "timedelta": timedelta,
    "Decimal": Decimal,
}

FLASK_SCRIPT = """
import json, sys
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID
from markupsafe import Markup
from flask import Flask
from flask.json.tag import TaggedJSONSerializer

request = json.load(sys.stdin)
s = TaggedJSONSerializer()
values = [eval(case) for case in request["cases"]]
result = {"plain": [s.dumps(v) for v in values]}
with Flask("compat").app_context():
    result["in_app"] = [s.dumps(v) for v in values]
    result["loaded"] = [repr(s.loads(d)) for d in request["pottle_dumps"]]
json.dump(result, sys.stdout)
"""


def _clean_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    return env


class _StandInApp:
    debug = False
    response_class = Response

    def __init__(self) -> None:
        self.json = DefaultJSONProvider(self)  # type: ignore[arg-type]


@contextmanager
def _app_context() -> Iterator[None]:
    # A stand-in app whose json provider is the default one, as in a real app.
    app = _StandInApp()
    token = _cv_app.set(SimpleNamespace(app=app))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _cv_app.reset(token)


@pytest.fixture(scope="module")
def flask_result() -> dict[str, list[str]]:
    exe = support.python_with_flask()
    s = TaggedJSONSerializer()
    with _app_context():
        pottle_dumps = [s.dumps(eval(case, NAMESPACE)) for case in CASES]
    proc = subprocess.run(
        [exe, "-c", FLASK_SCRIPT],
        input=json.dumps({"cases": CASES, "pottle_dumps": pottle_dumps}),
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(proc.stdout)
    result["pottle_in_app"] = pottle_dumps
    return result


@pytest.mark.slow  # builds build/flask-venv on first use
@pytest.mark.parametrize("index", range(len(CASES)), ids=CASES)
def test_flask_byte_compatible(index: int, flask_result: dict[str, list[str]]) -> None:
    s = TaggedJSONSerializer()
    value = eval(CASES[index], NAMESPACE)
    # Outside an app, as Flask's serializer behaves without an app context.
    assert s.dumps(value) == flask_result["plain"][index]
    # Inside an app (where sessions are saved): sorted keys, same bytes.
    assert flask_result["pottle_in_app"][index] == flask_result["in_app"][index]
    # Flask loads pottle's output to what pottle loads it to, and back.
    assert (
        repr(s.loads(flask_result["pottle_in_app"][index]))
        == (flask_result["loaded"][index])
    )
    assert (
        repr(s.loads(flask_result["in_app"][index])) == (flask_result["loaded"][index])
    )


def test_in_app_sorts_keys() -> None:
    s = TaggedJSONSerializer()
    with _app_context():
        assert s.dumps({"b": 1, "a": "é"}) == '{"a":"\\u00e9","b":1}'
    assert sys.modules.get("flask") is None
