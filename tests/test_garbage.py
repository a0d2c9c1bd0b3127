"""A finished request is freed by reference counting: it leaves nothing for
the cyclic garbage collector, whose passes a busy server would pay for."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

import pottle
from rawasgi import Exchange


async def _request(app: pottle.Pottle) -> bytes:
    exchange = Exchange(app)
    exchange.push(b"")
    await exchange.run()
    return exchange.body


@pytest.mark.parametrize("slow", [False, True], ids=["quick", "watched"])
@pytest.mark.parametrize("sync", [False, True], ids=["async-view", "sync-view"])
def test_a_request_leaves_no_pottle_object_in_cyclic_garbage(
    sync: bool, slow: bool
) -> None:
    # A slow request outlives a sweep, so a disconnect watcher starts (and
    # is cancelled when the request ends).
    delay = 0.15 if slow else 0
    app = pottle.Pottle(__name__)
    if sync:

        @app.get("/")
        def index() -> str:
            time.sleep(delay)
            return "hello"
    else:

        @app.get("/")
        async def index_async() -> str:
            await asyncio.sleep(delay)
            return "hello"

    async def main() -> list[str]:
        await _request(app)  # warm up: caches, the worker thread
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            assert await _request(app) == b"hello"
            gc.collect()
            return [
                type(o).__module__ + "." + type(o).__qualname__
                for o in gc.garbage
                if type(o).__module__.startswith("pottle")
            ]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    assert asyncio.run(main()) == []
