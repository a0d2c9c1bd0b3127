"""Fixtures shared by the whole suite, and the context leak detector."""

from __future__ import annotations

import os
import typing as t

import pytest

import pottle
from pottle.globals import _cv_app, _cv_request


@pytest.fixture(autouse=True)
def _no_leaked_contexts() -> t.Iterator[None]:
    """Fail any test that leaves an app or request context pushed."""
    yield
    leaked = []
    while (ctx := _cv_request.get(None)) is not None:
        leaked.append(ctx)
        ctx.pop()
    while (app_ctx := _cv_app.get(None)) is not None:
        leaked.append(app_ctx)
        app_ctx.pop()
    assert not leaked, f"test left contexts pushed: {leaked}"


@pytest.fixture
def app() -> pottle.Pottle:
    app = pottle.Pottle("test_app", root_path=os.path.dirname(__file__))
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture
def client(app: pottle.Pottle) -> t.Any:
    return app.test_client()
