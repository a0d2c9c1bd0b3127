from __future__ import annotations

import threading
import typing as t

import pytest

import pottle
from pottle import flash, get_flashed_messages, message_flashed, session
from pottle._concurrency import in_loop_thread


@pytest.fixture
def flashing(app: pottle.Pottle) -> pottle.Pottle:
    @app.get("/flash")
    def flash_sync() -> str:
        flash("plain")
        flash("careful", "warning")
        return ""

    @app.get("/flash-async")
    async def flash_async() -> str:
        await flash("awaited", "info")
        flash("plain in async")
        return ""

    @app.get("/show")
    def show() -> dict[str, t.Any]:
        return {
            "all": get_flashed_messages(),
            "categories": get_flashed_messages(with_categories=True),
            "warnings": get_flashed_messages(category_filter=["warning"]),
            "info": get_flashed_messages(True, ["info", "missing"]),
        }

    return app


def test_flash_then_show(flashing: pottle.Pottle, client: t.Any) -> None:
    client.get("/flash")
    assert client.get("/show").json == {
        "all": ["plain", "careful"],
        "categories": [["message", "plain"], ["warning", "careful"]],
        "warnings": ["careful"],
        "info": [],
    }
    # Shown once, then gone.
    assert client.get("/show").json["all"] == []


def test_await_flash(flashing: pottle.Pottle, client: t.Any) -> None:
    client.get("/flash-async")
    assert client.get("/show").json["info"] == [["info", "awaited"]]
    client.get("/flash-async")
    assert client.get("/show").json["all"] == ["awaited", "plain in async"]


def test_messages_stay_for_the_rest_of_the_request(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.get("/")
    def index() -> str:
        flash("first")
        first = get_flashed_messages()
        # Taken out of the session, kept on the request context.
        assert "_flashes" not in session
        return f"{first} {get_flashed_messages()}"

    assert client.get("/").text == "['first'] ['first']"


def test_flashes_survive_in_the_session_until_shown(
    flashing: pottle.Pottle, client: t.Any
) -> None:
    client.get("/flash")
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("message", "plain"), ("warning", "careful")]
    client.get("/show")
    with client.session_transaction() as sess:
        assert "_flashes" not in sess


def test_messages_in_templates(app: pottle.Pottle, client: t.Any) -> None:
    source = (
        "{% for c, m in get_flashed_messages(with_categories=true) %}"
        "[{{ c }}:{{ m }}]{% endfor %}"
    )

    @app.get("/sync")
    def sync_view() -> str:
        flash("<b>", "error")
        return pottle.render_template_string(source)

    @app.get("/async")
    async def async_view() -> str:
        await flash("<i>")
        return t.cast(str, await pottle.render_template_string(source))

    assert client.get("/sync").text == "[error:&lt;b&gt;]"
    assert client.get("/async").text == "[message:&lt;i&gt;]"


def test_message_flashed_signal(flashing: pottle.Pottle, client: t.Any) -> None:
    received: list[tuple[str, str, str, bool]] = []

    def sync_receiver(sender: t.Any, message: str, category: str) -> None:
        assert sender is flashing
        received.append(("sync", message, category, in_loop_thread()))

    async def async_receiver(sender: t.Any, message: str, category: str) -> None:
        received.append(("async", message, category, in_loop_thread()))

    with (
        message_flashed.connected_to(sync_receiver, flashing),
        message_flashed.connected_to(async_receiver, flashing),
    ):
        client.get("/flash")
        assert received == [
            ("sync", "plain", "message", False),
            ("async", "plain", "message", True),
            ("sync", "careful", "warning", False),
            ("async", "careful", "warning", True),
        ]
        received.clear()
        with flashing.test_request_context():
            flash("in a test context")
    assert [r[1] for r in received] == ["in a test context"] * 2


def test_awaited_flash_sends_sync_receivers_to_the_worker(
    flashing: pottle.Pottle, client: t.Any
) -> None:
    threads: list[tuple[int, bool]] = []

    def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        threads.append((threading.get_ident(), in_loop_thread()))

    with message_flashed.connected_to(receiver, flashing):
        client.get("/flash-async")
    # The awaited flash, then the plain one made in the async view itself.
    assert threads == [(threading.get_ident(), False), (threads[1][0], True)]


def test_flash_needs_a_request() -> None:
    app = pottle.Pottle(__name__)
    with app.app_context(), pytest.raises(RuntimeError, match="request context"):
        flash("x")


def test_plain_flash_on_the_loop_cannot_wait_for_async_receivers(
    flashing: pottle.Pottle, client: t.Any
) -> None:
    async def receiver(sender: t.Any, **kwargs: t.Any) -> None:
        pass

    with message_flashed.connected_to(receiver, flashing):
        with pytest.raises(RuntimeError, match="'await' it in async code"):
            client.get("/flash-async")
        client.get("/flash")
