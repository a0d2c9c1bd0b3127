"""The shortcut for plain string/bytes responses builds exactly what
werkzeug's own constructor builds (this catches drift across werkzeug
versions)."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response as WerkzeugResponse

from pottle.wrappers import Response


class JSONishResponse(Response):
    default_mimetype = "application/json"
    default_status = 201


def _werkzeug_built(
    cls: type[Response], body: str | bytes, mimetype: str | None
) -> Response:
    # The same class, built by werkzeug's __init__ alone.
    made = cls.__new__(cls)
    WerkzeugResponse.__init__(made, body, mimetype=mimetype)
    return made


@pytest.mark.parametrize("body", ["Hello, World!", "", "héllo", b"\x00bytes", b""])
@pytest.mark.parametrize("cls", [Response, JSONishResponse])
@pytest.mark.parametrize("mimetype", [None, "application/json", "text/plain"])
def test_plain_response_matches_werkzeug(
    cls: type[Response], body: str | bytes, mimetype: str | None
) -> None:
    fast = cls(body, mimetype=mimetype)
    slow = _werkzeug_built(cls, body, mimetype)
    assert fast.headers.to_wsgi_list() == slow.headers.to_wsgi_list()
    assert {k: v for k, v in vars(fast).items() if k != "headers"} == {
        k: v for k, v in vars(slow).items() if k != "headers"
    }
    assert fast.get_data() == slow.get_data()
    assert (fast.status, fast.status_code) == (slow.status, slow.status_code)


def test_a_subclass_with_its_own_set_data_is_not_shortcut() -> None:
    calls = []

    class Recording(Response):
        def set_data(self, value: str | bytes) -> None:
            calls.append(value)
            super().set_data(value)

    Recording("x")
    assert calls == ["x"]
