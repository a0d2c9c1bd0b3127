"""Pipeline methods awaited from async code run as coroutines compiled from
their generator's source; a generator that cannot be compiled (it closes
over a variable, or has no source) is driven instead, with the same result."""

from __future__ import annotations

import asyncio
import typing as t

import pytest

import pottle
from pottle._pipeline import (
    Call,
    Steps,
    _compile_source,
    _NotCompilableError,
    async_form,
    pipeline_method,
)


def _owner_class() -> type:
    suffix = "!"  # closed over: this method cannot be compiled

    class Owner:
        def __init__(self, app: pottle.Pottle) -> None:
            self.app = app

        @pipeline_method
        def plain(self, name: str) -> Steps[str]:
            greeting = yield Call(_greet, name)
            return t.cast(str, greeting)

        @pipeline_method
        def closing_over(self, name: str) -> Steps[str]:
            greeting = yield Call(_greet, name)
            return t.cast(str, greeting) + suffix

    return Owner


def _greet(name: str) -> str:
    return f"hello {name}"


def test_compiled_and_driven_forms_agree_with_the_sync_call() -> None:
    owner = _owner_class()(pottle.Pottle(__name__))

    async def awaited() -> tuple[str, str]:
        return await owner.plain("a"), await owner.closing_over("b")

    assert asyncio.run(awaited()) == ("hello a", "hello b!")
    assert (owner.plain("a"), owner.closing_over("b")) == ("hello a", "hello b!")


def test_which_form_each_method_gets() -> None:
    owner_class = _owner_class()
    plain, closing_over = owner_class.plain, owner_class.closing_over
    # Compiled: a coroutine function made from the source, not the driver.
    assert async_form(plain).__code__.co_name == "plain"
    assert async_form(closing_over).__code__.co_name == "driven"
    with pytest.raises(_NotCompilableError):
        _compile_source(closing_over.steps)
