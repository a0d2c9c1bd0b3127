"""The fused pipeline (dispatch.py) gives way to the step-by-step one as soon
as a pipeline method is replaced, whenever that happens."""

from __future__ import annotations

import typing as t

import pytest

import pottle
from pottle.ctx import RequestContext


def _app() -> pottle.Pottle:
    app = pottle.Pottle(__name__)
    app.get("/")(lambda: "ok")
    return app


def test_a_class_patch_after_the_first_request_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app()
    assert "X-Patched" not in app.test_client().get("/").headers
    original = pottle.Pottle.process_response

    def process_response(self: pottle.Pottle, response: t.Any) -> t.Any:
        response = original(self, response)
        response.headers["X-Patched"] = "1"
        return response

    monkeypatch.setattr(pottle.Pottle, "process_response", process_response)
    assert app.test_client().get("/").headers["X-Patched"] == "1"
    monkeypatch.undo()
    assert "X-Patched" not in app.test_client().get("/").headers


def test_a_context_patch_after_the_first_request_is_honoured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app()
    pushed: list[str] = []
    assert app.test_client().get("/").data == b"ok"
    original = RequestContext.push

    async def push(self: RequestContext) -> None:
        pushed.append(self.request.path)
        await original(self)

    monkeypatch.setattr(RequestContext, "push", push)
    assert app.test_client().get("/").data == b"ok"
    assert pushed == ["/"]


def test_an_instance_patch_is_honoured_at_once() -> None:
    app = _app()
    assert app.test_client().get("/").data == b"ok"
    original = app.make_response

    def make_response(rv: t.Any) -> t.Any:
        return original(rv.upper())

    app.make_response = make_response  # type: ignore[method-assign]
    assert app.test_client().get("/").data == b"OK"
