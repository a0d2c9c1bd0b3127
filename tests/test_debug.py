"""The debug-mode traceback page, on its own and as the ASGI layer sends it."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

from pottle import Pottle
from pottle.debug import traceback_page


def _raise_chained() -> None:
    try:
        {}["<key>"]
    except KeyError as e:
        raise RuntimeError("lookup failed: <script>alert(1)</script>") from e


def _caught() -> BaseException:
    try:
        _raise_chained()
    except RuntimeError as e:
        return e
    raise AssertionError("not raised")


def test_html_page_shows_the_chain_with_source() -> None:
    content_type, body = traceback_page(_caught(), "POST", "/items", "text/html")
    page = body.decode()
    assert content_type == "text/html; charset=utf-8"
    assert "<code>POST /items</code>" in page
    # Oldest first, as Python prints it.
    assert page.index("KeyError") < page.index("direct cause") < page.index("<h1>Runt")
    assert "{}[&quot;&lt;key&gt;&quot;]" in page  # the source line, escaped
    assert "<script>" not in page
    assert "lookup failed: &lt;script&gt;" in page


def test_context_sentence_and_suppressed_context() -> None:
    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise LookupError("second")  # noqa: B904
    except LookupError as e:
        page = traceback_page(e, "GET", "/", "text/html")[1].decode()
    assert "<h1>ValueError</h1>" in page
    assert "During handling of the above exception" in page

    try:
        try:
            raise ValueError("first")
        except ValueError:
            raise LookupError("second") from None
    except LookupError as e:
        page = traceback_page(e, "GET", "/", "text/html")[1].decode()
    assert "<h1>ValueError</h1>" not in page
    assert "During handling" not in page


def test_plain_text_for_other_clients() -> None:
    content_type, body = traceback_page(_caught(), "GET", "/x", "*/*")
    assert content_type == "text/plain; charset=utf-8"
    text = body.decode()
    assert text.startswith("Internal Server Error (GET /x)\n\nTraceback")
    assert "RuntimeError: lookup failed" in text


def _call(app: Pottle, accept: bytes) -> list[dict[str, t.Any]]:
    sent: list[dict[str, t.Any]] = []

    async def receive() -> dict[str, t.Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, t.Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/boom",
        "raw_path": b"/boom",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"accept", accept)],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    with pytest.raises(ZeroDivisionError):
        asyncio.run(app(scope, receive, send))
    return sent


@pytest.fixture
def app() -> Pottle:
    app = Pottle(__name__)

    @app.route("/boom")
    def boom() -> str:
        return str(1 / 0)

    return app


def test_debug_mode_sends_the_page(app: Pottle) -> None:
    app.debug = True
    start, body = _call(app, b"text/html,*/*;q=0.8")
    assert start["status"] == 500
    assert (b"content-type", b"text/html; charset=utf-8") in start["headers"]
    assert b"return str(1 / 0)" in body["body"]


def test_never_outside_debug_mode(app: Pottle) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = True  # reaches the ASGI layer
    start, body = _call(app, b"text/html")
    assert start["status"] == 500
    assert body["body"] == b"Internal Server Error"
