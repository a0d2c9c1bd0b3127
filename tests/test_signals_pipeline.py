"""Flask's ten signals (and ``message_flashed``) as the request pipeline
sends them: order, arguments, and where receivers run. A sync receiver of a
signal sent by the async pipeline runs on the request's worker thread; an
async receiver is awaited on the loop."""

from __future__ import annotations

import asyncio
import threading
import typing as t
from contextlib import ExitStack

import pytest

import pottle
from pottle import signals
from pottle._concurrency import in_loop_thread

FLASK_SIGNALS = [
    "appcontext_pushed",
    "request_started",
    "before_render_template",
    "template_rendered",
    "message_flashed",
    "request_finished",
    "got_request_exception",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
]


class Recorder:
    """Connects a sync or an async receiver to every Flask signal, for one
    app, and records what each received and where it ran."""

    def __init__(self, app: pottle.Pottle, kind: str) -> None:
        self.app = app
        self.kind = kind
        self.events: list[tuple[str, dict[str, t.Any], int, bool]] = []
        self._stack = ExitStack()

    def receiver(self, name: str) -> t.Callable[..., t.Any]:
        def record(sender: t.Any, **kwargs: t.Any) -> None:
            assert sender is self.app
            self.events.append((name, kwargs, threading.get_ident(), in_loop_thread()))

        if self.kind == "sync":
            return record

        async def record_async(sender: t.Any, **kwargs: t.Any) -> None:
            await asyncio.sleep(0)
            record(sender, **kwargs)

        return record_async

    def __enter__(self) -> Recorder:
        for name in FLASK_SIGNALS:
            signal = getattr(signals, name)
            self._stack.enter_context(
                signal.connected_to(self.receiver(name), self.app)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    @property
    def names(self) -> list[str]:
        return [event[0] for event in self.events]


@pytest.fixture
def views(app: pottle.Pottle) -> pottle.Pottle:
    source = "{{ get_flashed_messages()|join }}"

    @app.get("/sync")
    def sync_view() -> str:
        pottle.flash("hi")
        return pottle.render_template_string(source)

    @app.get("/async")
    async def async_view() -> str:
        await pottle.flash("hi")
        return t.cast(str, await pottle.render_template_string(source))

    @app.get("/error")
    async def error() -> str:
        raise KeyError("boom")

    return app


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_order_and_arguments(
    views: pottle.Pottle, client: t.Any, kind: str, path: str
) -> None:
    with Recorder(views, kind) as recorder:
        rv = client.get(path)
    assert rv.text == "hi"
    assert recorder.names == [
        "appcontext_pushed",
        "request_started",
        "message_flashed",
        "before_render_template",
        "template_rendered",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    kwargs = {name: kw for name, kw, _, _ in recorder.events}
    assert kwargs["message_flashed"] == {"message": "hi", "category": "message"}
    assert kwargs["template_rendered"]["context"]["request"].path == path
    assert kwargs["request_finished"]["response"].status_code == 200
    assert kwargs["request_tearing_down"] == {"exc": None}
    assert kwargs["appcontext_tearing_down"] == {"exc": None}
    assert kwargs["appcontext_pushed"] == kwargs["appcontext_popped"] == {}


def test_sync_receivers_run_on_the_worker(views: pottle.Pottle, client: t.Any) -> None:
    with Recorder(views, "sync") as recorder:
        client.get("/async")
    assert len(recorder.events) == 9
    # The sync test client lends its own thread as the request's worker.
    assert {(thread, on_loop) for *_, thread, on_loop in recorder.events} == {
        (threading.get_ident(), False)
    }


def test_async_receivers_are_awaited_on_the_loop(
    views: pottle.Pottle, client: t.Any
) -> None:
    with Recorder(views, "async") as recorder:
        client.get("/sync")
    assert len(recorder.events) == 9
    assert all(on_loop for *_, on_loop in recorder.events)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_unhandled_error(views: pottle.Pottle, client: t.Any, kind: str) -> None:
    views.config["PROPAGATE_EXCEPTIONS"] = False
    with Recorder(views, kind) as recorder:
        assert client.get("/error").status_code == 500
    assert recorder.names == [
        "appcontext_pushed",
        "request_started",
        "got_request_exception",
        "request_finished",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_popped",
    ]
    kwargs = {name: kw for name, kw, _, _ in recorder.events}
    assert isinstance(kwargs["got_request_exception"]["exception"], KeyError)
    assert kwargs["request_finished"]["response"].status_code == 500


def test_propagated_error_reaches_teardown(views: pottle.Pottle, client: t.Any) -> None:
    with Recorder(views, "sync") as recorder, pytest.raises(KeyError):
        client.get("/error")
    kwargs = {name: kw for name, kw, _, _ in recorder.events}
    assert isinstance(kwargs["got_request_exception"]["exception"], KeyError)
    assert isinstance(kwargs["request_tearing_down"]["exc"], KeyError)
    assert isinstance(kwargs["appcontext_tearing_down"]["exc"], KeyError)
    assert "request_finished" not in kwargs


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_app_context_signals(app: pottle.Pottle, kind: str) -> None:
    with Recorder(app, kind) as recorder:
        with app.app_context():
            pass

        async def enter() -> None:
            async with app.app_context():
                pass

        asyncio.run(enter())
    names = ["appcontext_pushed", "appcontext_tearing_down", "appcontext_popped"]
    assert recorder.names == names * 2
    sync_part, async_part = recorder.events[:3], recorder.events[3:]
    if kind == "sync":
        # ``with``: inline on the caller's thread; ``async with``: off the loop.
        assert {(e[2], e[3]) for e in sync_part} == {(threading.get_ident(), False)}
        assert not any(e[3] for e in async_part)
    else:
        assert all(e[3] for e in recorder.events)


def test_receivers_for_another_app_are_not_called(
    views: pottle.Pottle, client: t.Any
) -> None:
    other = pottle.Pottle("other")
    with Recorder(other, "sync") as recorder:
        client.get("/sync")
    assert recorder.events == []
