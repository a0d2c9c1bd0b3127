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

import ast
import inspect
import textwrap
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
    as a coroutine (the generator compiled by :func:`async_form`).
    """

    def method(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if caller_awaits():
            return async_form(method)(self, *args, **kwargs)  # type: ignore[return-value]
        return drive_sync(_app_of(self), steps(self, *args, **kwargs))

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
    # The app itself, or the app of a context.
    return obj if hasattr(obj, "view_functions") else obj.app  # type: ignore[no-any-return]


_CLASS_METHODS: dict[int, tuple[t.Any, tuple[int, t.Any]]] = {}


def _resolve(owner: t.Any, name: str) -> tuple[int, t.Any]:
    """How to run ``owner.name``: 0 = our steps (as a coroutine function),
    1 = our inline method, 2 = a sync replacement, 3 = an async one."""
    if name not in owner.__dict__:
        fn: t.Any = getattr(type(owner), name)
        # Keyed by identity: a wrapper (wrapt) compares and hashes equal to
        # what it wraps. The entry holds the function, so its id stays its.
        cached = _CLASS_METHODS.get(id(fn))
        if cached is not None and cached[0] is fn:
            return cached[1]
        if id(getattr(fn, "original", None)) == id(fn):
            found = (0, async_form(fn)) if hasattr(fn, "steps") else (1, fn)
            _CLASS_METHODS[id(fn)] = (fn, found)
            return found
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
                    value = await fn(op.owner, *op.args, **op.kwargs)
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


async def step(
    app: Pottle, owner: t.Any, name: str, *args: t.Any, **kwargs: t.Any
) -> t.Any:
    """Await ``owner``'s pipeline method ``name`` (or its replacement)."""
    kind, fn = _resolve(owner, name)
    if kind == 0:
        return await fn(owner, *args, **kwargs)
    if kind == 1:
        return fn(owner, *args, **kwargs)
    if kind == 2:
        return await run_sync(fn, *args, **kwargs)
    return await fn(*args, **kwargs)


async def send(app: Pottle, signal: Signal, **kwargs: t.Any) -> None:
    """Send ``signal`` from async code: sync receivers run off the loop."""
    await signal.send_async(app, _sync_wrapper=to_worker, **kwargs)


async def perform(app: Pottle, op: Op) -> t.Any:
    """Carry out one op from async code (what ``drive`` does for each)."""
    kind = type(op)
    if kind is Call:
        return await call_async(op.fn, *op.args, **op.kwargs)  # type: ignore[union-attr]
    if kind is Step:
        return await step(app, op.owner, op.name, *op.args, **op.kwargs)  # type: ignore[union-attr]
    if kind is Send:
        return await send(app, op.signal, **op.kwargs)  # type: ignore[union-attr]
    return await t.cast(Wait, op).awaitable


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


# -- compiling a pipeline method into a coroutine function --------------------
#
# The generator is the single source of a pipeline method. For async callers
# it is compiled once into an ``async def`` whose every ``yield op`` is an
# ``await`` of that op: no driver loop, no op objects on the common ops, the
# same file and line numbers in tracebacks. Where the source is unavailable
# (a frozen app) the generator is driven by :func:`drive` instead.

_HELPERS = {"Call": "_pottle_call", "Step": "_pottle_step", "Send": "_pottle_send"}


def async_form(method: t.Any) -> t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]:
    """The coroutine function that runs pipeline ``method`` on the loop."""
    compiled = method.__dict__.get("async_form")
    if compiled is None:
        compiled = method.async_form = _compile(method.steps)
    return compiled  # type: ignore[no-any-return]


def _compile(steps: t.Callable[..., Steps[t.Any]]) -> t.Callable[..., t.Any]:
    try:
        return _compile_source(steps)
    except (OSError, TypeError, SyntaxError, _NotCompilableError):
        pass

    async def driven(owner: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return await drive(_app_of(owner), steps(owner, *args, **kwargs))

    return driven


class _NotCompilableError(Exception):
    pass


def _compile_source(steps: t.Callable[..., Steps[t.Any]]) -> t.Callable[..., t.Any]:
    if steps.__code__.co_freevars:  # super() or a closure: keep the driver
        raise _NotCompilableError
    lines, first = inspect.getsourcelines(steps)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    func = tree.body[0]
    if not isinstance(func, ast.FunctionDef):
        raise _NotCompilableError
    owner = (func.args.posonlyargs + func.args.args)[0].arg
    transformer = _ToAwaits()
    body = [transformer.visit(statement) for statement in func.body]
    if transformer.uses_app:  # _pottle_app = _pottle_app_of(<owner>)
        body.insert(
            0,
            ast.Assign(
                targets=[ast.Name("_pottle_app", ast.Store())],
                value=ast.Call(
                    ast.Name("_pottle_app_of", ast.Load()),
                    [ast.Name(owner, ast.Load())],
                    [],
                ),
            ),
        )
    _strip_annotations(func.args)
    coroutine = ast.AsyncFunctionDef(
        name=func.name,
        args=func.args,
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    # Helpers arrive as closure variables of a factory, so the compiled
    # function shares the method's module globals and nothing else.
    factory = ast.FunctionDef(
        name="_pottle_factory",
        args=ast.arguments(
            posonlyargs=[],
            args=[
                ast.arg(name)
                for name in ("_pottle_app_of", "_pottle_perform", *_HELPERS.values())
            ],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[coroutine, ast.Return(ast.Name(func.name, ast.Load()))],
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    module = ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))
    ast.increment_lineno(module, first - 1)
    namespace: dict[str, t.Any] = {}
    exec(
        compile(module, steps.__code__.co_filename, "exec"),
        steps.__globals__,
        namespace,
    )
    compiled = namespace["_pottle_factory"](_app_of, perform, call_async, step, send)
    compiled.__qualname__ = steps.__qualname__
    compiled.__doc__ = steps.__doc__
    return compiled  # type: ignore[no-any-return]


def _strip_annotations(args: ast.arguments) -> None:
    # They may name things imported only for type checking.
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        arg.annotation = None
    for extra in (args.vararg, args.kwarg):
        if extra is not None:
            extra.annotation = None


class _ToAwaits(ast.NodeTransformer):
    """``yield Call(f, *a)`` -> ``await _pottle_call(f, *a)`` (likewise Step
    and Send), any other ``yield op`` -> ``await _pottle_perform(app, op)``."""

    uses_app = False

    def visit_Yield(self, node: ast.Yield) -> ast.AST:
        self.generic_visit(node)
        op = node.value
        self.uses_app = self.uses_app or not (
            isinstance(op, ast.Call)
            and isinstance(op.func, ast.Name)
            and op.func.id == "Call"
        )
        if (
            isinstance(op, ast.Call)
            and isinstance(op.func, ast.Name)
            and op.func.id in _HELPERS
        ):
            helper = _HELPERS[op.func.id]
            args = (
                op.args
                if op.func.id == "Call"
                else [ast.Name("_pottle_app", ast.Load()), *op.args]
            )
            call = ast.Call(ast.Name(helper, ast.Load()), args, op.keywords)
        else:
            call = ast.Call(
                ast.Name("_pottle_perform", ast.Load()),
                [ast.Name("_pottle_app", ast.Load()), op or ast.Constant(None)],
                [],
            )
        return ast.copy_location(ast.Await(call), node)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> ast.AST:
        raise _NotCompilableError

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return node  # a nested function keeps its own yields

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815
    visit_Lambda = visit_FunctionDef  # type: ignore[assignment]  # noqa: N815
