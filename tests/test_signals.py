from __future__ import annotations

import typing as t

import blinker
import pytest

from pottle import signals

NAMES = {
    "template_rendered": "template-rendered",
    "before_render_template": "before-render-template",
    "request_started": "request-started",
    "request_finished": "request-finished",
    "request_tearing_down": "request-tearing-down",
    "got_request_exception": "got-request-exception",
    "appcontext_tearing_down": "appcontext-tearing-down",
    "appcontext_pushed": "appcontext-pushed",
    "appcontext_popped": "appcontext-popped",
    "message_flashed": "message-flashed",
    "websocket_started": "websocket-started",
    "websocket_finished": "websocket-finished",
    "websocket_received": "websocket-received",
    "websocket_sent": "websocket-sent",
    "websocket_tearing_down": "websocket-tearing-down",
    "got_websocket_exception": "got-websocket-exception",
    "got_background_exception": "got-background-exception",
    "got_serving_exception": "got-serving-exception",
}


@pytest.mark.parametrize(("attr", "name"), NAMES.items())
def test_names(attr: str, name: str) -> None:
    signal = getattr(signals, attr)
    assert isinstance(signal, blinker.NamedSignal)
    assert signal.name == name
    assert signals._signals[name] is signal


def test_namespace_is_blinkers() -> None:
    assert signals.Namespace is blinker.Namespace
    assert isinstance(signals._signals, blinker.Namespace)
    assert len(signals._signals) == len(NAMES)


def test_receiver_gets_sender_and_kwargs() -> None:
    app, other = object(), object()
    calls: list[tuple[object, dict[str, t.Any]]] = []

    def record(sender: object, **kwargs: t.Any) -> None:
        calls.append((sender, kwargs))

    signals.message_flashed.connect(record, app)
    try:
        signals.message_flashed.send(other, message="no", category="x")
        signals.message_flashed.send(app, message="hi", category="info")
    finally:
        signals.message_flashed.disconnect(record, app)
    assert calls == [(app, {"message": "hi", "category": "info"})]
