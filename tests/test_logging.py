from __future__ import annotations

import logging
import sys
import typing as t
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from types import SimpleNamespace

import pytest

from pottle.globals import _cv_request
from pottle.logging import (
    create_logger,
    default_handler,
    has_level_handler,
    wsgi_errors_stream,
)


@contextmanager
def bare_root() -> Iterator[None]:
    # Emptied in place during the test body, because pytest's own capture
    # handlers are added to the root logger around the call phase.
    saved, level = logging.root.handlers[:], logging.root.level
    logging.root.handlers.clear()
    try:
        yield
    finally:
        logging.root.handlers[:] = saved
        logging.root.setLevel(level)


@pytest.fixture
def logger_name(request: pytest.FixtureRequest) -> Iterator[str]:
    name = f"pottle_test.{request.node.name}"
    yield name
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.setLevel(logging.NOTSET)
    logger.propagate = True


@contextmanager
def request_context(request: object) -> Iterator[None]:
    token = _cv_request.set(SimpleNamespace(request=request))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _cv_request.reset(token)


def current_stream() -> object:
    return wsgi_errors_stream._get_current_object()  # type: ignore[attr-defined]


def stub_app(name: str, debug: bool = False) -> t.Any:
    return SimpleNamespace(name=name, debug=debug)


def test_create_logger(logger_name: str) -> None:
    with bare_root():
        logger = create_logger(stub_app(logger_name))
    assert logger is logging.getLogger(logger_name)
    assert logger.level == logging.NOTSET
    assert logger.handlers == [default_handler]


def test_create_logger_debug(logger_name: str) -> None:
    with bare_root():
        logger = create_logger(stub_app(logger_name, debug=True))
    assert logger.level == logging.DEBUG
    assert logger.handlers == [default_handler]


def test_create_logger_keeps_set_level(logger_name: str) -> None:
    logging.getLogger(logger_name).setLevel(logging.ERROR)
    with bare_root():
        logger = create_logger(stub_app(logger_name, debug=True))
    assert logger.level == logging.ERROR


def test_create_logger_existing_handler(logger_name: str) -> None:
    with bare_root():
        logging.root.addHandler(logging.StreamHandler())
        logger = create_logger(stub_app(logger_name))
    assert logger.level == logging.NOTSET
    assert not logger.handlers


def test_has_level_handler(logger_name: str) -> None:
    logger = logging.getLogger(logger_name)
    with bare_root():
        assert not has_level_handler(logger)

        handler = logging.StreamHandler()
        logging.root.addHandler(handler)
        assert has_level_handler(logger)

        logger.propagate = False
        assert not has_level_handler(logger)
        logger.propagate = True

        handler.setLevel(logging.ERROR)
        assert not has_level_handler(logger)
        logger.setLevel(logging.ERROR)
        assert has_level_handler(logger)


def test_wsgi_errors_stream() -> None:
    assert current_stream() is sys.stderr
    stream = StringIO()
    with request_context(SimpleNamespace(environ={"wsgi.errors": stream})):
        assert current_stream() is stream
    for request in (SimpleNamespace(), SimpleNamespace(environ={}), object()):
        with request_context(request):
            assert current_stream() is sys.stderr


def test_default_handler_writes_to_request_stream(logger_name: str) -> None:
    stream = StringIO()
    with bare_root():
        logger = create_logger(stub_app(logger_name))
    with request_context(SimpleNamespace(environ={"wsgi.errors": stream})):
        logger.error("test")
    assert "ERROR in test_logging: test" in stream.getvalue()
