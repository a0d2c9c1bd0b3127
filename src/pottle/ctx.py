"""Application and request contexts, on context variables.

``push``/``pop`` are pipeline methods: ``with ctx:`` runs them as Flask does
(session interface and teardown inline on the calling thread), while
``async with ctx:`` and the ASGI pipeline await them (sync user code goes to
the request's worker thread). :func:`with_prefetched_body` gives async code
that sync code starts during a request the small body an async view gets.
Contexts never import the app module.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from werkzeug.exceptions import HTTPException

from ._concurrency import in_loop_thread, is_async_callable
from ._pipeline import Call, Send, Step, Steps, pipeline_method, step
from .globals import _cv_app, _cv_request, _cv_websocket
from .routing import match_request
from .signals import appcontext_popped, appcontext_pushed

if t.TYPE_CHECKING:
    from werkzeug.routing import MapAdapter

    from .app import Pottle
    from .sessions import SessionMixin
    from .typing import AfterRequestCallable, AfterWebsocketCallable
    from .wrappers import Request, Websocket

_sentinel: t.Any = object()
F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T = t.TypeVar("T")


class _AppCtxGlobals:
    """The ``g`` namespace: any attribute, plus a few dict-like helpers."""

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: t.Any) -> None:
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """The attribute ``name``, or ``default`` when it is not set."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return the attribute ``name`` (``default`` if given and
        the attribute is missing)."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """Return the attribute ``name``, setting it to ``default`` first if
        it is missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_app.get(None)
        if ctx is not None:
            return f"<pottle.g of '{ctx.app.name}'>"
        return object.__repr__(self)


def after_this_request(f: AfterRequestCallable[t.Any]) -> AfterRequestCallable[t.Any]:
    """Run ``f(response)`` after this request, before the ``after_request``
    hooks. ``f`` may be sync or async and must return a response."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs in a copy of the current request context, in
    another thread or task. An ``async def`` function gets an async wrapper."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    return _run_in(ctx.copy(), f)


def copy_current_app_context(f: F) -> F:
    """Wrap ``f`` so it runs in the current app context (the same ``g``), in
    another thread or task."""
    ctx = _cv_app.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_app_context' can only be used when an"
            " application context is active."
        )
    return _run_in(ctx, f)


def _run_in(ctx: _ContextManager, f: F) -> F:
    if is_async_callable(f):

        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            async with ctx:
                return await f(*args, **kwargs)

        return update_wrapper(async_wrapper, f)  # type: ignore[return-value]

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with ctx:
            return f(*args, **kwargs)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]


def wants_prefetch(request: Request) -> bool:
    """Whether to receive a small body before async code runs: part of it
    is still with the server and the route does not stream."""
    return request.body.has_pending and not getattr(request.url_rule, "stream", False)


def with_prefetched_body(awaitable: t.Awaitable[T]) -> t.Awaitable[T]:
    """``awaitable`` (async user code that sync code started during a
    request: an async view under a sync decorator, through ``ensure_sync``
    or ``make_response``), to be awaited once the small body is received, as
    the pipeline does before an async view: sync body access in it must work
    too."""
    ctx = _cv_request.get(None)
    # On the loop thread, block_on refuses (and closes) what it is given:
    # leave the awaitable itself for it.
    if ctx is None or not wants_prefetch(ctx.request) or in_loop_thread():
        return awaitable
    return _after_prefetch(ctx.request, awaitable)


async def _after_prefetch(request: Request, awaitable: t.Awaitable[T]) -> T:
    await request.body.prefetch(request.prefetch_size)
    return await awaitable


def has_request_context() -> bool:
    """Whether a request context is active (``request`` is usable)."""
    return _cv_request.get(None) is not None


def has_app_context() -> bool:
    """Whether an application context is active (``current_app`` is usable)."""
    return _cv_app.get(None) is not None


class _ContextManager:
    """``with`` and ``async with`` over a context's ``push``/``pop``."""

    app: Pottle
    push: t.Callable[[], t.Any]
    pop: t.Callable[..., t.Any]

    def __enter__(self) -> t.Self:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    async def __aenter__(self) -> t.Self:
        await step(self.app, self, "push")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await step(self.app, self, "pop", exc_value)


class AppContext(_ContextManager):
    """The application context: binds ``current_app`` and ``g``.

    Pushed automatically with each request; push one yourself with
    ``with app.app_context():`` (or ``async with``) to use the app outside a
    request, in a CLI command or a background thread.
    """

    def __init__(self, app: Pottle) -> None:
        self.app = app
        self.url_adapter: MapAdapter | None = app.create_url_adapter(None)
        self.g: _AppCtxGlobals = app.app_ctx_globals_class()
        self._cv_tokens: list[contextvars.Token[AppContext]] = []

    @pipeline_method
    def push(self) -> Steps[None]:
        """Bind this context; sends :data:`appcontext_pushed`."""
        self._cv_tokens.append(_cv_app.set(self))
        if appcontext_pushed.receivers:
            yield Send(appcontext_pushed)

    @pipeline_method
    def pop(self, exc: BaseException | None = _sentinel) -> Steps[None]:
        """Unbind this context; runs the ``teardown_appcontext`` functions if
        this is the outermost push, then sends :data:`appcontext_popped`."""
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                yield Step(self.app, "do_teardown_appcontext", exc)
        finally:
            ctx = _cv_app.get()
            _cv_app.reset(self._cv_tokens.pop())
        if ctx is not self:
            raise AssertionError(
                f"Popped wrong app context. ({ctx!r} instead of {self!r})"
            )
        if appcontext_popped.receivers:
            yield Send(appcontext_popped)


class _ConnectionContext(_ContextManager):
    """What the request and websocket contexts share: binding through their
    ContextVar (with an app context if none is active for this app), the
    session, and URL matching."""

    _var: t.ClassVar[contextvars.ContextVar[t.Any]]
    url_adapter: MapAdapter | None
    _session: SessionMixin | None
    _cv_tokens: list[tuple[contextvars.Token[t.Any], AppContext | None]]

    @property
    def _connection(self) -> Request | Websocket:
        raise NotImplementedError

    def _bind_url_adapter(self) -> None:
        self.url_adapter = None
        try:
            self.url_adapter = self.app.create_url_adapter(self._connection)
        except HTTPException as e:
            self._connection.routing_exception = e

    def match_request(self) -> None:
        """Match the URL; a routing error is kept until dispatch raises it."""
        connection = self._connection
        try:
            rule, args = match_request(self.url_adapter)  # type: ignore[arg-type]
            connection.url_rule, connection.view_args = rule, args
        except HTTPException as e:
            connection.routing_exception = e

    @property
    def session(self) -> SessionMixin:
        """The session; reading it marks it accessed (``Vary: Cookie``)."""
        if self._session is None:
            raise RuntimeError("The session has not yet been opened.")
        self._session.accessed = True
        return self._session

    @pipeline_method
    def push(self) -> Steps[None]:
        """Bind this context (and an app context if needed), open the session
        and match the URL."""
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not self.app:
            app_ctx = self.app.app_context()
            yield Step(app_ctx, "push")
        else:
            app_ctx = None
        self._cv_tokens.append((self._var.set(self), app_ctx))
        # Opened once: a copy pushed again (stream_with_context) keeps it.
        if self._session is None:
            interface = self.app.session_interface
            session = yield Call(interface.open_session, self.app, self._connection)
            if session is None:
                session = interface.make_null_session(self.app)
            self._session = session
        # After the session, so custom URL converters can use it.
        if self.url_adapter is not None:
            self.match_request()


class RequestContext(_ConnectionContext):
    """The request context: binds ``request`` and ``session``.

    Created and pushed by the app for each request. Pushing it also pushes an
    application context if none is active for this app, opens the session and
    matches the URL.
    """

    _var = _cv_request

    def __init__(
        self,
        app: Pottle,
        environ: dict[str, t.Any] | None = None,
        request: Request | None = None,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        if request is None:
            if environ is None:
                raise TypeError("A request context needs an environ or a request.")
            request = app.request_class.from_environ(environ)
            app._configure_request(request)
        self.request: Request = request
        self._bind_url_adapter()
        self.flashes: list[tuple[str, str]] | None = None
        self._session: SessionMixin | None = session
        self._after_request_functions: list[AfterRequestCallable[t.Any]] = []
        self._cv_tokens = []

    @property
    def _connection(self) -> Request:
        return self.request

    def copy(self) -> RequestContext:
        """A new context for the same request and session, to push elsewhere
        (another thread, a task)."""
        return self.__class__(self.app, request=self.request, session=self._session)

    @pipeline_method
    def pop(self, exc: BaseException | None = _sentinel) -> Steps[None]:
        """Unbind this context. The outermost pop runs the ``teardown_request``
        functions and closes the request, then pops the app context pushed
        with it."""
        clear_request = len(self._cv_tokens) == 1
        try:
            if clear_request:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                yield Step(self.app, "do_teardown_request", exc)
                self.request.close()
        finally:
            ctx = _cv_request.get()
            token, app_ctx = self._cv_tokens.pop()
            _cv_request.reset(token)
            if clear_request and "environ" in self.request.__dict__:
                self.request.environ["werkzeug.request"] = None
            if app_ctx is not None:
                yield Step(app_ctx, "pop", exc)
            if ctx is not self:
                raise AssertionError(
                    f"Popped wrong request context. ({ctx!r} instead of {self!r})"
                )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.request.url!r}"
            f" [{self.request.method}] of {self.app.name}>"
        )


# -- websockets ---------------------------------------------------------------


def after_this_websocket(
    f: AfterWebsocketCallable[t.Any],
) -> AfterWebsocketCallable[t.Any]:
    """Run ``f(response)`` after this websocket's handler, before the
    ``after_websocket`` hooks (``response`` is None unless the handler
    returned one). ``f`` may be sync or async."""
    ctx = _cv_websocket.get(None)
    if ctx is None:
        raise RuntimeError(
            "'after_this_websocket' can only be used when a websocket"
            " context is active, such as in a websocket handler."
        )
    ctx._after_websocket_functions.append(f)
    return f


def copy_current_websocket_context(f: F) -> F:
    """Wrap ``f`` so it runs in a copy of the current websocket context (in
    another task or thread). An ``async def`` function gets an async
    wrapper. As with requests, the copy's ``teardown_websocket`` functions
    run when the wrapper returns."""
    ctx = _cv_websocket.get(None)
    if ctx is None:
        raise RuntimeError(
            "'copy_current_websocket_context' can only be used when a"
            " websocket context is active, such as in a websocket handler."
        )
    return _run_in(ctx.copy(), f)


def has_websocket_context() -> bool:
    """Whether a websocket context is active (``websocket`` is usable)."""
    return _cv_websocket.get(None) is not None


class WebsocketContext(_ConnectionContext):
    """The websocket context: binds ``websocket`` and ``session``.

    Created and pushed by the app for each websocket connection. Pushing it
    also pushes an application context if none is active for this app,
    opens the session and matches the URL.
    """

    _var = _cv_websocket

    def __init__(
        self,
        app: Pottle,
        websocket: Websocket,
        session: SessionMixin | None = None,
    ) -> None:
        self.app = app
        self.websocket = websocket
        self._bind_url_adapter()
        self._session = session
        self._after_websocket_functions: list[AfterWebsocketCallable[t.Any]] = []
        self._cv_tokens = []

    @property
    def _connection(self) -> Websocket:
        return self.websocket

    def copy(self) -> WebsocketContext:
        """A new context for the same websocket and session."""
        return self.__class__(self.app, self.websocket, session=self._session)

    @pipeline_method
    def pop(self, exc: BaseException | None = _sentinel) -> Steps[None]:
        """Unbind this context. The outermost pop runs the
        ``teardown_websocket`` functions, then pops the app context pushed
        with it."""
        try:
            if len(self._cv_tokens) == 1:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                yield Step(self.app, "do_teardown_websocket", exc)
        finally:
            ctx = _cv_websocket.get()
            token, app_ctx = self._cv_tokens.pop()
            _cv_websocket.reset(token)
            if app_ctx is not None:
                yield Step(app_ctx, "pop", exc)
            if ctx is not self:
                raise AssertionError(
                    f"Popped wrong websocket context. ({ctx!r} instead of {self!r})"
                )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.websocket.url!r} of {self.app.name}>"
