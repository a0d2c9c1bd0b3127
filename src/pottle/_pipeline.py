"""Pipeline methods written once, run by Flask code and by the async server.

A pipeline method (``preprocess_request``, ``handle_user_exception``...) is a
generator that *yields* what it wants done instead of doing it:

* :class:`Call` -- call user code (a hook, a view, an error handler);
* :class:`Step` -- call another pipeline method (of the app or a context) by
  name, so a replacement on the instance (Flask-Cors wraps
  ``handle_exception``) or in a subclass is honoured;
* :class:`Send` -- send a signal;
* :class:`Wait` -- wait for framework async work (receiving the body).

Two drivers run such a generator. :func:`drive_sync` gives Flask's
semantics: user code runs inline on the calling thread, async user code
through ``app.ensure_sync``. :func:`drive` is what the ASGI pipeline awaits:
async user code is awaited on the loop and sync user code goes to the
request's worker thread, so a request that is async end to end never
touches a thread. :func:`pipeline_method` makes the generator an ordinary
method that runs the sync driver, or the async one when awaited.

Imports nothing from pottle but the concurrency bridge.
"""

from __future__ import annotations

import inspect
import typing as t
from functools import update_wrapper

from ._concurrency import (
    block_on,
    caller_awaits,
    is_async_callable,
    run_sync,
    runs_on_loop,
)

if t.TYPE_CHECKING:
    from blinker import Signal

    from .app import Pottle

R = t.TypeVar("R")
P = t.ParamSpec("P")
S = t.TypeVar("S")


class Call:
    """Call user code ``fn(*args, **kwargs)``; the result is sent back."""

    __slots__ = ("fn", "args", "kwargs")

    def __init__(self, fn: t.Callable[..., t.Any], /, *args: t.Any, **kwargs: t.Any):
        self.fn, self.args, self.kwargs = fn, args, kwargs


class Step:
    """Call ``owner``'s pipeline method ``name`` (replaceable by extensions)."""

    __slots__ = ("owner", "name", "args", "kwargs")

    def __init__(self, owner: t.Any, name: str, /, *args: t.Any, **kwargs: t.Any):
        self.owner, self.name, self.args, self.kwargs = owner, name, args, kwargs


class Send:
    """Send ``signal`` with the app as sender."""

    __slots__ = ("signal", "kwargs")

    def __init__(self, signal: Signal, /, **kwargs: t.Any) -> None:
        self.signal, self.kwargs = signal, kwargs


class Wait:
    """Wait for framework async work."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: t.Awaitable[t.Any]) -> None:
        self.awaitable = awaitable


Op = Call | Step | Send | Wait
Steps = t.Generator[Op, t.Any, R]


class _PipelineMethod(t.Protocol):
    steps: t.Callable[..., Steps[t.Any]]


def pipeline_method(
    steps: t.Callable[t.Concatenate[S, P], Steps[R]],
) -> t.Callable[t.Concatenate[S, P], R]:
    """Turn a generator of pipeline ops into a method.

    Called plainly it runs synchronously, as in Flask; ``await``-ed, it runs
    the async driver.
    """

    def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        app = _app_of(self)
        if caller_awaits():
            return drive(app, steps(self, *args, **kwargs))  # type: ignore[return-value]
        return drive_sync(app, steps(self, *args, **kwargs))

    update_wrapper(method, steps)
    method.steps = steps  # type: ignore[attr-defined]
    method.original = method  # type: ignore[attr-defined]
    return method


def inline_method(fn: t.Callable[P, R]) -> t.Callable[P, R]:
    """Mark a plain pipeline method as safe to run on the event loop (it
    runs no user code). A replacement loses the mark and runs off the loop."""
    fn.original = fn  # type: ignore[attr-defined]
    fn.inline = True  # type: ignore[attr-defined]
    return fn


def _app_of(obj: t.Any) -> Pottle:
    return obj if hasattr(obj, "view_functions") else obj.app  # type: ignore[no-any-return]


def _resolve(owner: t.Any, name: str) -> tuple[int, t.Any]:
    """How to run ``owner.name``: 0 = our steps, 1 = our inline method,
    2 = a sync replacement, 3 = an async replacement."""
    if name not in owner.__dict__:
        fn: t.Any = getattr(type(owner), name)
        # Identity, not equality: a wrapper (wrapt) forwards attributes.
        if id(getattr(fn, "original", None)) == id(fn):
            return (0, fn.steps) if hasattr(fn, "steps") else (1, fn)
    bound = getattr(owner, name)
    return (3, bound) if is_async_callable(bound) else (2, bound)


async def drive(app: Pottle, gen: Steps[R]) -> R:
    """Run pipeline ``gen`` on the event loop (see the module docstring)."""
    stack: list[Steps[t.Any]] = [gen]
    value: t.Any = None
    error: BaseException | None = None
    while True:
        top = stack[-1]
        try:
            op = top.send(value) if error is None else top.throw(error)
        except StopIteration as stop:
            stack.pop()
            if not stack:
                return stop.value  # type: ignore[no-any-return]
            value, error = stop.value, None
            continue
        except BaseException as exc:
            stack.pop()
            if not stack:
                raise
            value, error = None, exc
            continue
        value, error = None, None
        try:
            if type(op) is Call:
                value = await call_async(op.fn, *op.args, **op.kwargs)
            elif type(op) is Step:
                kind, fn = _resolve(op.owner, op.name)
                if kind == 0:
                    stack.append(fn(op.owner, *op.args, **op.kwargs))
                elif kind == 1:
                    value = fn(op.owner, *op.args, **op.kwargs)
                elif kind == 2:
                    value = await run_sync(fn, *op.args, **op.kwargs)
                else:
                    value = await fn(*op.args, **op.kwargs)
            elif type(op) is Send:
                await op.signal.send_async(app, _sync_wrapper=to_worker, **op.kwargs)
            else:
                value = await t.cast(Wait, op).awaitable
        except BaseException as exc:
            error = exc


def drive_sync(app: Pottle, gen: Steps[R]) -> R:
    """Run pipeline ``gen`` synchronously, with Flask's semantics."""
    value: t.Any = None
    error: BaseException | None = None
    while True:
        try:
            op = gen.send(value) if error is None else gen.throw(error)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        value, error = None, None
        try:
            if type(op) is Call:
                value = app.ensure_sync(op.fn)(*op.args, **op.kwargs)
                if inspect.isawaitable(value):
                    value = block_on(value)
            elif type(op) is Step:
                value = getattr(op.owner, op.name)(*op.args, **op.kwargs)
            elif type(op) is Send:
                op.signal.send(app, _async_wrapper=app.ensure_sync, **op.kwargs)
            else:
                value = block_on(t.cast(Wait, op).awaitable)
        except BaseException as exc:
            error = exc


async def step(app: Pottle, owner: t.Any, name: str, *args: t.Any) -> t.Any:
    """Await ``owner``'s pipeline method ``name`` from async framework code."""
    kind, fn = _resolve(owner, name)
    if kind == 0:
        return await drive(app, fn(owner, *args))
    if kind == 1:
        return fn(owner, *args)
    if kind == 2:
        return await run_sync(fn, *args)
    return await fn(*args)


async def call_async(
    fn: t.Callable[..., t.Any], /, *args: t.Any, **kwargs: t.Any
) -> t.Any:
    """Call user code from the loop: await async code, send sync code to the
    request's worker thread, and await whatever awaitable comes back (a sync
    decorator around an async view returns a coroutine)."""
    if is_async_callable(fn):
        rv = await fn(*args, **kwargs)
    elif runs_on_loop(fn):
        rv = fn(*args, **kwargs)
    else:
        rv = await run_sync(fn, *args, **kwargs)
    if not isinstance(rv, _PLAIN) and inspect.isawaitable(rv):
        rv = await rv
    return rv


# Common return values that are certainly not awaitable.
_PLAIN = (str, bytes, dict, list, tuple, type(None))


def to_worker(
    fn: t.Callable[..., t.Any],
) -> t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]:
    """Blinker's ``_sync_wrapper``: run a sync signal receiver off the loop."""

    def send(*args: t.Any, **kwargs: t.Any) -> t.Coroutine[t.Any, t.Any, t.Any]:
        return run_sync(fn, *args, **kwargs)

    return send
