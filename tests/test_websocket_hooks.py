"""The websocket pipeline's hooks, contexts and signals, on the app and on
(nested) blueprints."""

from __future__ import annotations

import asyncio
import threading
import typing as t

import pytest

import pottle
from pottle import Blueprint, websocket


def _recorder(events: list[t.Any], name: str) -> t.Callable[..., t.Any]:
    def hook(*args: t.Any) -> t.Any:
        events.append(name)
        return args[0] if args and name.startswith("after") else None

    return hook


def test_hook_order_with_nested_blueprints(app: pottle.Pottle, client: t.Any) -> None:
    events: list[t.Any] = []
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    for where, scaffold in (("app", app), ("parent", parent), ("child", child)):
        scaffold.before_websocket(_recorder(events, f"before {where}"))
        scaffold.after_websocket(_recorder(events, f"after {where}"))
        scaffold.teardown_websocket(_recorder(events, f"teardown {where}"))

    @child.websocket("/ws")
    async def handler() -> None:
        events.append("handler")
        await websocket.accept()

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    with client.websocket("/p/c/ws"):
        pass
    assert events == [
        "before app",
        "before parent",
        "before child",
        "handler",
        "after child",
        "after parent",
        "after app",
        "teardown child",
        "teardown parent",
        "teardown app",
    ]


def test_app_wide_hooks_from_a_blueprint(app: pottle.Pottle, client: t.Any) -> None:
    events: list[t.Any] = []
    bp = Blueprint("bp", __name__)
    bp.before_app_websocket(_recorder(events, "before"))
    bp.after_app_websocket(_recorder(events, "after"))
    bp.teardown_app_websocket(_recorder(events, "teardown"))
    app.register_blueprint(bp)

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()

    with client.websocket("/ws"):
        pass
    assert events == ["before", "after", "teardown"]


def test_blueprint_teardown_runs_once_after_a_disconnect(
    app: pottle.Pottle, client: t.Any
) -> None:
    torn_down: list[t.Any] = []
    bp = Blueprint("bp", __name__)

    @bp.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    @bp.websocket("/ws")
    async def handler() -> None:
        while True:
            await websocket.receive()

    app.register_blueprint(bp)
    with client.websocket("/ws") as ws:
        ws.send("x")
    assert torn_down == [None]


def test_teardown_gets_the_error(app: pottle.Pottle, client: t.Any) -> None:
    app.testing = False
    torn_down: list[t.Any] = []

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    @app.websocket("/ws")
    async def handler() -> None:
        raise KeyError("x")

    with pytest.raises(pottle.testing.WebsocketResponseError):
        with client.websocket("/ws"):
            pass
    assert [type(e) for e in torn_down] == [KeyError]


def test_before_websocket_value_denies_and_skips_the_handler(
    app: pottle.Pottle, client: t.Any
) -> None:
    events: list[str] = []

    @app.before_websocket
    async def refuse() -> tuple[str, int]:
        return "closed today", 503

    @app.after_websocket
    def after(response: t.Any) -> t.Any:
        events.append(f"after {response.status_code}")
        return response

    @app.websocket("/ws")
    async def handler() -> None:
        events.append("handler")

    with pytest.raises(pottle.testing.WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert info.value.response.data == b"closed today"
    assert events == ["after 503"]


def test_after_websocket_can_replace_the_denial(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.websocket("/ws")
    async def handler() -> str:
        return "denied"

    @app.after_websocket
    def after(response: t.Any) -> t.Any:
        response.headers["X-After"] = "yes"
        return response

    with pytest.raises(pottle.testing.WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert info.value.response.headers["X-After"] == "yes"


def test_url_value_preprocessor(app: pottle.Pottle, client: t.Any) -> None:
    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        pottle.g.lang = (values or {}).pop("lang", None)

    @app.websocket("/<lang>/ws")
    async def handler() -> None:
        await websocket.send(pottle.g.lang)

    with client.websocket("/fr/ws") as ws:
        assert ws.receive() == "fr"


def test_after_this_websocket(app: pottle.Pottle, client: t.Any) -> None:
    seen: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        @pottle.after_this_websocket
        async def after(response: t.Any) -> t.Any:
            seen.append(response)
            return response

        await websocket.accept()

    with client.websocket("/ws"):
        pass
    assert seen == [None]
    with pytest.raises(RuntimeError, match="websocket context is active"):
        pottle.after_this_websocket(lambda r: r)


def test_copy_current_websocket_context(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        @pottle.copy_current_websocket_context
        async def in_task() -> str:
            return f"{websocket.path} {pottle.has_websocket_context()}"

        @pottle.copy_current_websocket_context
        def in_thread(out: list[str]) -> None:
            out.append(websocket.path)

        out: list[str] = []
        thread = threading.Thread(target=in_thread, args=(out,))
        thread.start()
        await asyncio.to_thread(thread.join)
        result = await asyncio.create_task(in_task(), context=None)
        await websocket.send(f"{result} {out[0]}")

    with client.websocket("/ws") as ws:
        assert ws.receive() == "/ws True /ws"
    assert not pottle.has_websocket_context()
    with pytest.raises(RuntimeError, match="websocket context is active"):
        pottle.copy_current_websocket_context(lambda: None)


def test_websocket_proxy_outside_a_websocket() -> None:
    with pytest.raises(RuntimeError, match="Working outside of websocket context"):
        websocket.path  # noqa: B018


def test_sync_hooks_run_off_the_loop(app: pottle.Pottle, client: t.Any) -> None:
    threads: list[str] = []

    @app.before_websocket
    def before() -> None:
        threads.append(threading.current_thread().name)

    @app.websocket("/ws")
    async def handler() -> None:
        threads.append(threading.current_thread().name)
        await websocket.accept()

    with client.websocket("/ws"):
        pass
    hook_thread, loop_thread = threads
    assert hook_thread.startswith("pottle-worker")
    assert loop_thread == "pottle-portal"


def test_signals(app: pottle.Pottle, client: t.Any) -> None:
    events: list[t.Any] = []

    def record(name: str) -> t.Callable[..., None]:
        def receiver(sender: t.Any, **kwargs: t.Any) -> None:
            assert sender is app
            events.append((name, kwargs))

        return receiver

    @app.websocket("/ws")
    async def handler() -> None:
        while (message := await websocket.receive()) != "bye":
            await websocket.send(message)

    receivers = {
        pottle.websocket_started: record("started"),
        pottle.websocket_received: record("received"),
        pottle.websocket_sent: record("sent"),
        pottle.websocket_finished: record("finished"),
        pottle.websocket_tearing_down: record("tearing_down"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, app)
    try:
        with client.websocket("/ws") as ws:
            ws.send("ping")
            assert ws.receive() == "ping"
            ws.send("bye")
            # Leave once the handler has closed, or the departure could
            # cancel it while it is still sending.
            with pytest.raises(pottle.testing.WebsocketDisconnectError):
                ws.receive()
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver, app)
    assert events == [
        ("started", {}),
        ("received", {"data": "ping"}),
        ("sent", {"data": "ping"}),
        ("received", {"data": "bye"}),
        ("finished", {"response": None}),
        ("tearing_down", {"exc": None}),
    ]
