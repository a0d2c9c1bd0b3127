"""Where extension code runs: which thread ran it (never the event loop's),
and a runner that serves the app on uvloop instead of asyncio's own loop."""

from __future__ import annotations

import asyncio
import collections
import threading
import typing as t

import flask
import uvloop

T = t.TypeVar("T")


class Threads:
    """Records the thread that runs the app's event loop (seen by an async
    ``before_request`` hook) and the threads that ran named pieces of code."""

    def __init__(self, app: flask.Flask) -> None:
        self.loop: set[int] = set()
        self.seen: collections.defaultdict[str, set[int]] = collections.defaultdict(set)

        @app.before_request
        async def _record_loop_thread() -> None:
            self.loop.add(threading.get_ident())

    def record(self, name: str) -> None:
        self.seen[name].add(threading.get_ident())

    def off_loop(self, name: str) -> set[int]:
        """The threads that ran ``name``, checked to be none of the loop's."""
        assert self.loop, "no request ran"
        threads = self.seen[name]
        assert threads, f"{name} never ran"
        assert not threads & self.loop, f"{name} ran on the event loop thread"
        return threads


def run_on_uvloop(main: t.Callable[[], t.Coroutine[t.Any, t.Any, T]]) -> T:
    """Run ``main()`` on a uvloop event loop (no asyncio patching involved)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


def on_uvloop() -> bool:
    """Whether the running loop is uvloop's (for checks inside async views)."""
    return isinstance(asyncio.get_running_loop(), uvloop.Loop)
