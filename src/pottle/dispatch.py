"""The request pipeline of the app, in Flask's order: hooks, dispatch, error
handling, responses, teardown (a mixin of :class:`~pottle.Pottle`).

Each pipeline method is written once as a generator of pipeline ops (see
``_pipeline``): called from sync code it behaves as in Flask; awaited, or run
by the ASGI layer, it awaits async user code on the loop and sends sync user
code to the request's worker thread. Extensions may replace any of them on
the instance (Flask-Cors wraps ``handle_exception``) and are honoured.
"""

from __future__ import annotations

import collections.abc as cabc
import inspect
import operator
import os
import sys
import typing as t
from itertools import chain
from types import TracebackType

from werkzeug.datastructures import Headers
from werkzeug.exceptions import (
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
)
from werkzeug.routing import RequestRedirect, RoutingException
from werkzeug.wrappers import Response as BaseResponse

from . import typing as ft
from ._concurrency import block_on, is_async_callable, runs_on_loop
from ._pipeline import (
    Call,
    Send,
    Step,
    Steps,
    Wait,
    call_async,
    inline_method,
    pipeline_method,
    send,
    step,
)
from .ctx import AppContext, RequestContext, wants_prefetch, with_prefetched_body
from .globals import _cv_app, _cv_request, _cv_websocket, request
from .routing import Rule
from .signals import (
    appcontext_popped,
    appcontext_pushed,
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .wrappers import Request, Response, Websocket

if t.TYPE_CHECKING:
    from .app import Pottle
    from .config import Config
    from .json.provider import JSONProvider
    from .sessions import SessionInterface, SessionMixin

_sentinel: t.Any = object()


def _connection() -> Request | Websocket:
    """The current request, or websocket: error handling serves both."""
    if _cv_request.get(None) is None and (ws_ctx := _cv_websocket.get(None)):
        return ws_ctx.websocket
    return request


class RequestDispatch:
    """Flask's request pipeline methods, for :class:`~pottle.Pottle`."""

    if t.TYPE_CHECKING:
        config: Config
        debug: bool
        testing: bool
        logger: t.Any
        json: JSONProvider
        response_class: type[Response]
        session_interface: SessionInterface
        view_functions: dict[str, ft.RouteCallable]
        error_handler_spec: dict[
            ft.AppOrBlueprintKey,
            dict[int | None, dict[type[Exception], ft.ErrorHandlerCallable]],
        ]
        before_request_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        after_request_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        teardown_request_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        teardown_appcontext_funcs: list[t.Any]
        template_context_processors: dict[ft.AppOrBlueprintKey, list[t.Any]]
        url_value_preprocessors: dict[ft.AppOrBlueprintKey, list[t.Any]]
        _got_first_request: bool

        def _get_exc_class_and_code(
            self, exc_class_or_code: type[Exception] | int
        ) -> tuple[type[Exception], int | None]: ...

    # -- errors ---------------------------------------------------------------

    def _find_error_handler(
        self, e: Exception, blueprints: list[str]
    ) -> ft.ErrorHandlerCallable | None:
        """The handler for ``e``: the innermost blueprint's first, by code
        then by exception class (MRO order), then the app's."""
        exc_class, code = self._get_exc_class_and_code(type(e))
        names = (*blueprints, None)
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = self.error_handler_spec[name][c]
                if not handler_map:
                    continue
                for cls in exc_class.__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, e: Exception) -> bool:
        """Whether an HTTP exception should propagate like any other error
        (``TRAP_HTTP_EXCEPTIONS``, ``TRAP_BAD_REQUEST_ERRORS``)."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        # Missing form keys are programming errors worth seeing in debug.
        if (
            trap_bad_request is None
            and self.debug
            and isinstance(e, BadRequestKeyError)
        ):
            return True
        if trap_bad_request:
            return isinstance(e, BadRequest)
        return False

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should not see ``error``."""
        return False

    @pipeline_method
    def handle_http_exception(
        self, e: HTTPException
    ) -> Steps[HTTPException | ft.ResponseReturnValue]:
        """Call the error handler registered for an HTTP exception, or return
        the exception, which becomes its own response."""
        if e.code is None:
            return e
        # Redirects from routing are not errors.
        if isinstance(e, RoutingException):
            return e
        handler = self._find_error_handler(e, _connection().blueprints)
        if handler is None:
            return e
        rv: ft.ResponseReturnValue = yield Call(handler, e)
        return rv

    @pipeline_method
    def handle_user_exception(
        self, e: Exception
    ) -> Steps[HTTPException | ft.ResponseReturnValue]:
        """Handle an exception raised by a hook or view: HTTP exceptions go to
        :meth:`handle_http_exception`, others to their registered handler,
        or are re-raised."""
        if isinstance(e, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            e.show_exception = True
        rv: HTTPException | ft.ResponseReturnValue
        if isinstance(e, HTTPException) and not self.trap_http_exception(e):
            rv = yield Step(self, "handle_http_exception", e)
            return rv
        handler = self._find_error_handler(e, _connection().blueprints)
        if handler is None:
            raise e
        rv = yield Call(handler, e)
        return rv

    @pipeline_method
    def handle_exception(self, e: Exception) -> Steps[Response]:
        """Handle an exception no handler caught: sends
        :data:`got_request_exception`, then re-raises it when propagating
        (testing/debug) or logs it and answers 500."""
        server_error = yield Step(
            self, "_server_error", e, got_request_exception, request.blueprints
        )
        response: Response = yield Step(
            self, "finalize_request", server_error, from_error_handler=True
        )
        return response

    @pipeline_method
    def _server_error(
        self, e: Exception, signal: t.Any, blueprints: list[str]
    ) -> Steps[t.Any]:
        """What ``handle_exception`` and ``handle_websocket_exception``
        share: send ``signal``, re-raise ``e`` when propagating (testing,
        debug), else log it and give the 500 (an ``InternalServerError``, or
        what its error handler returned)."""
        if signal.receivers:
            yield Send(signal, exception=e)
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            raise e
        yield Step(self, "log_exception", (type(e), e, e.__traceback__))
        server_error: t.Any = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, blueprints)
        if handler is not None:
            server_error = yield Call(handler, server_error)
        return server_error

    @inline_method
    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType | None]
        | tuple[None, None, None],
    ) -> None:
        """Log an unhandled exception to :attr:`logger`."""
        conn = _connection()
        self.logger.error(
            f"Exception on {conn.path} [{conn.method}]", exc_info=exc_info
        )

    # -- the request pipeline -------------------------------------------------

    def _prefetch(self, req: Request, fn: t.Callable[..., t.Any]) -> Wait | None:
        """Receive a small body (``BODY_PREFETCH_SIZE``) before async code
        runs, so that sync code on the loop (a form class in an async view)
        can read it. Bounded, and within ``BODY_TIMEOUT``; larger bodies and
        ``stream=True`` routes are left with the server until read."""
        if wants_prefetch(req) and is_async_callable(fn):
            return Wait(req.body.prefetch(req.prefetch_size))
        return None

    @inline_method
    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the routing error kept on the request; in debug mode a
        redirect that would drop form data raises an explanation instead."""
        if (
            not self.debug
            or not isinstance(request.routing_exception, RequestRedirect)
            or request.routing_exception.code in {307, 308}
            or request.method in {"GET", "HEAD", "OPTIONS"}
        ):
            raise request.routing_exception  # type: ignore[misc]

        from .debughelpers import FormDataRoutingRedirect

        raise FormDataRoutingRedirect(request)

    @pipeline_method
    def preprocess_request(self) -> Steps[ft.ResponseReturnValue | None]:
        """Run the URL value preprocessors, then the ``before_request``
        functions (app first, then blueprints outer to inner). A non-None
        value from one of them ends the request with that response."""
        req = _cv_request.get().request
        names = (None, *reversed(req.blueprints))
        for name in names:
            if name in self.url_value_preprocessors:
                for url_func in self.url_value_preprocessors[name]:
                    yield Call(url_func, req.endpoint, req.view_args)
        for name in names:
            if name in self.before_request_funcs:
                for before_func in self.before_request_funcs[name]:
                    if (wait := self._prefetch(req, before_func)) is not None:
                        yield wait
                    rv = yield Call(before_func)
                    if rv is not None:
                        return rv  # type: ignore[no-any-return]
        return None

    @pipeline_method
    def dispatch_request(self) -> Steps[ft.ResponseReturnValue]:
        """Call the view matched for the request (or answer OPTIONS)."""
        req = _cv_request.get().request
        if req.routing_exception is not None:
            yield Step(self, "raise_routing_exception", req)
        rule = t.cast(Rule, req.url_rule)
        if (
            getattr(rule, "provide_automatic_options", False)
            and req.method == "OPTIONS"
        ):
            options: Response = yield Step(self, "make_default_options_response")
            return options
        view = self.view_functions[rule.endpoint]
        if (wait := self._prefetch(req, view)) is not None:
            yield wait
        rv: ft.ResponseReturnValue = yield Call(view, **(req.view_args or {}))
        return rv

    @pipeline_method
    def full_dispatch_request(self) -> Steps[Response]:
        """Run the whole pipeline for the current request, with error
        handling, and return the response."""
        self._got_first_request = True
        try:
            if request_started.receivers:
                yield Send(request_started)
            rv = yield Step(self, "preprocess_request")
            if rv is None:
                rv = yield Step(self, "dispatch_request")
        except Exception as e:
            rv = yield Step(self, "handle_user_exception", e)
        response: Response = yield Step(self, "finalize_request", rv)
        return response

    @pipeline_method
    def finalize_request(
        self,
        rv: ft.ResponseReturnValue | HTTPException,
        from_error_handler: bool = False,
    ) -> Steps[Response]:
        """Turn ``rv`` into a response and run :meth:`process_response`.
        While handling an error, a failure here is logged, not raised."""
        response = yield Step(self, "make_response", rv)
        try:
            response = yield Step(self, "process_response", response)
            if request_finished.receivers:
                yield Send(request_finished, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response  # type: ignore[no-any-return]

    @inline_method
    def make_default_options_response(self) -> Response:
        """The automatic OPTIONS response, with ``Allow``."""
        adapter = _cv_request.get().url_adapter
        methods = adapter.allowed_methods()  # type: ignore[union-attr]
        rv = self.response_class()
        rv.allow.update(methods)
        return rv

    @pipeline_method
    def process_response(self, response: Response) -> Steps[Response]:
        """Run the ``after_this_request`` functions, then the
        ``after_request`` functions (inner blueprint first, in reverse
        registration order), then save the session."""
        ctx = _cv_request.get()
        for func in ctx._after_request_functions:
            response = yield Call(func, response)
        for name in chain(ctx.request.blueprints, (None,)):
            if name in self.after_request_funcs:
                for func in reversed(self.after_request_funcs[name]):
                    response = yield Call(func, response)
        if not self.session_interface.is_null_session(ctx._session):
            yield Call(
                self.session_interface.save_session, self, ctx._session, response
            )
        return response

    @pipeline_method
    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> Steps[None]:
        """Run the ``teardown_request`` functions, then send
        :data:`request_tearing_down`."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        for name in chain(request.blueprints, (None,)):
            if name in self.teardown_request_funcs:
                for func in reversed(self.teardown_request_funcs[name]):
                    yield Call(func, exc)
        if request_tearing_down.receivers:
            yield Send(request_tearing_down, exc=exc)

    @pipeline_method
    def do_teardown_appcontext(
        self, exc: BaseException | None = _sentinel
    ) -> Steps[None]:
        """Run the ``teardown_appcontext`` functions, then send
        :data:`appcontext_tearing_down`."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        for func in reversed(self.teardown_appcontext_funcs):
            yield Call(func, exc)
        if appcontext_tearing_down.receivers:
            yield Send(appcontext_tearing_down, exc=exc)

    @pipeline_method
    def update_template_context(self, context: dict[str, t.Any]) -> Steps[None]:
        """Add the context processors' values to ``context`` (values passed
        to the render call win)."""
        names: t.Iterable[str | None] = (None,)
        req_ctx = _cv_request.get(None)
        if req_ctx is not None:
            names = chain(names, reversed(req_ctx.request.blueprints))
        orig_ctx = context.copy()
        for name in names:
            if name in self.template_context_processors:
                for func in self.template_context_processors[name]:
                    context.update((yield Call(func)))
        context.update(orig_ctx)

    # -- responses ------------------------------------------------------------

    @inline_method
    def make_response(self, rv: ft.ResponseReturnValue | HTTPException) -> Response:
        """Turn a view's return value into a response.

        Accepts a response, a ``str``/``bytes`` body, a ``dict`` or ``list``
        (JSON), a sync or async iterator (streamed), an HTTP exception, a
        werkzeug response, or a tuple ``(body, status, headers)``,
        ``(body, status)`` or ``(body, headers)``.
        """
        status: t.Any = None
        headers: t.Any = None

        if inspect.isawaitable(rv):
            # A sync decorator returned an async view's coroutine.
            rv = block_on(with_prefetched_body(rv))

        if isinstance(rv, tuple):
            len_rv = len(rv)
            if len_rv == 3:
                rv, status, headers = rv  # type: ignore[misc]
            elif len_rv == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv  # type: ignore[misc]
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple."
                    " The tuple must have the form (body, status, headers),"
                    " (body, status), or (body, headers)."
                )

        if rv is None:
            raise TypeError(
                f"The view function for {request.endpoint!r} did not"
                " return a valid response. The function either returned"
                " None or ended without a return statement."
            )

        if not isinstance(rv, self.response_class):
            if isinstance(rv, (str, bytes, bytearray)) or isinstance(
                rv, (cabc.Iterator, cabc.AsyncIterator)
            ):
                rv = self.response_class(rv, status=status, headers=headers)
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, HTTPException):
                rv = self.response_class.force_type(rv.get_response())
            elif isinstance(rv, BaseResponse) or callable(rv):
                try:
                    rv = self.response_class.force_type(
                        rv,  # type: ignore[arg-type]
                        request.environ,
                    )
                except TypeError as e:
                    raise TypeError(
                        f"{e}\nThe view function did not return a valid"
                        " response. The return type must be a string,"
                        " dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it"
                        f" was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )

        rv = t.cast(Response, rv)
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status  # type: ignore[assignment]
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv

    def _configure_request(self, req: Request) -> None:
        """Apply the app's settings to a new request."""
        config = self.config
        req.json_module = self.json
        req.debug = bool(config["DEBUG"])
        req.max_content_length = config["MAX_CONTENT_LENGTH"]
        req.body_timeout = config["BODY_TIMEOUT"]
        req.max_form_memory_size = config["MAX_FORM_MEMORY_SIZE"]
        req.max_form_parts = config["MAX_FORM_PARTS"]
        req.max_form_part_header_size = config["MAX_FORM_PART_HEADER_SIZE"]
        req.prefetch_size = config["BODY_PREFETCH_SIZE"]

    async def handle_http(
        self, req: Request, send_response: t.Callable[[Response], t.Awaitable[None]]
    ) -> None:
        """Handle one request, as Flask's ``wsgi_app`` does: push the
        contexts, dispatch, handle errors, send the response with
        ``send_response``, then tear down (also when cancelled)."""
        app = t.cast("Pottle", self)
        ctx = RequestContext(app, request=req)
        fused = self._pipeline_is_pristine()
        error: BaseException | None = None
        try:
            try:
                if fused:
                    await self._push_pristine(ctx)
                    response = await self._dispatch_pristine(ctx)
                else:
                    await step(app, ctx, "push")
                    response = await step(app, app, "full_dispatch_request")
            except Exception as e:
                error = e
                response = await step(app, app, "handle_exception", e)
            await send_response(response)
        except BaseException as e:
            error = e
            raise
        finally:
            # Teardown must run whole: a disconnect no longer cancels.
            req.cancel_on_disconnect = False
            if "_pottle.environ" in req.scope:
                self._preserve_for_test_client(req.scope["_pottle.environ"])
            if error is not None and self.should_ignore_error(error):
                error = None
            if fused:
                await self._pop_pristine(ctx, error)
            else:
                await step(app, ctx, "pop", error)

    # -- the same pipeline, fused, for an app nothing has replaced -----------
    #
    # When no pipeline method is replaced (on the instance, by Flask-Cors and
    # friends, or in a subclass), the steps are known, so they run here
    # directly: each stage that has something to do (a hook, a signal
    # receiver, an after_this_request function) still goes through the
    # pipeline method itself; the stages with nothing to do cost nothing.
    # Behaviour is identical (the whole suite also runs with
    # POTTLE_FUSED_PIPELINE=0 in CI).

    def _pipeline_is_pristine(self) -> bool:
        if not _FUSED or not self.__dict__.keys().isdisjoint(_PIPELINE_NAMES):
            return False
        # The methods as the class has them now: a class-level patch made
        # after the first request (pytest's monkeypatch) is seen at once.
        methods = (
            _pipeline_methods(type(self))
            + _context_methods(RequestContext)
            + _context_methods(AppContext)
        )
        pristine = _pristine_answers.get(methods)
        if pristine is None:
            if len(_pristine_answers) > 64:
                _pristine_answers.clear()
            pristine = _pristine_answers[methods] = all(
                getattr(fn, "original", None) is fn for fn in methods
            )
        return pristine

    async def _push_pristine(self, ctx: RequestContext) -> None:
        """``ctx.push()``."""
        app = t.cast("Pottle", self)
        app_ctx = _cv_app.get(None)
        if app_ctx is None or app_ctx.app is not app:
            app_ctx = app.app_context()
            if type(app_ctx) is AppContext:  # AppContext.push(), inline
                app_ctx._cv_tokens.append(_cv_app.set(app_ctx))
                if appcontext_pushed.receivers:
                    await send(app, appcontext_pushed)
            else:
                await step(app, app_ctx, "push")
        else:
            app_ctx = None
        ctx._cv_tokens.append((_cv_request.set(ctx), app_ctx))
        interface = self.session_interface
        open_session = interface.open_session
        if runs_on_loop(open_session):  # pottle's own: no I/O, no hop
            session = open_session(app, ctx.request)
        else:
            session = await call_async(open_session, app, ctx.request)
        if session is None:
            session = interface.make_null_session(app)
        ctx._session = session
        if ctx.url_adapter is not None:
            ctx.match_request()

    async def _dispatch_pristine(self, ctx: RequestContext) -> Response:
        """``full_dispatch_request()`` with ``finalize_request``."""
        app = t.cast("Pottle", self)
        req = ctx.request
        self._got_first_request = True
        try:
            if request_started.receivers:
                await send(app, request_started)
            rv: t.Any = None
            if _has_hooks(self.url_value_preprocessors, req) or _has_hooks(
                self.before_request_funcs, req
            ):
                rv = await step(app, app, "preprocess_request")
            if rv is None:
                if req.routing_exception is not None:
                    self.raise_routing_exception(req)
                rule = t.cast(Rule, req.url_rule)
                if req.method == "OPTIONS" and getattr(
                    rule, "provide_automatic_options", False
                ):
                    rv = self.make_default_options_response()
                else:
                    view = self.view_functions[rule.endpoint]
                    if (wait := self._prefetch(req, view)) is not None:
                        await wait.awaitable
                    rv = await call_async(view, **(req.view_args or {}))
        except Exception as e:
            rv = await step(app, app, "handle_user_exception", e)
        response = self.make_response(rv)
        if ctx._after_request_functions or _has_hooks(self.after_request_funcs, req):
            response = await step(app, app, "process_response", response)
        elif not self.session_interface.is_null_session(session := ctx._session):
            save_session = self.session_interface.save_session
            if runs_on_loop(save_session):
                save_session(app, t.cast("SessionMixin", session), response)
            else:
                await call_async(save_session, app, session, response)
        if request_finished.receivers:
            await send(app, request_finished, response=response)
        return response

    async def _pop_app_context_pristine(
        self, app_ctx: AppContext, exc: BaseException | None
    ) -> None:
        """``app_ctx.pop(exc)`` for its only push."""
        app = t.cast("Pottle", self)
        try:
            if self.teardown_appcontext_funcs or appcontext_tearing_down.receivers:
                await step(app, app, "do_teardown_appcontext", exc)
        finally:
            current = _cv_app.get()
            _cv_app.reset(app_ctx._cv_tokens.pop())
        if current is not app_ctx:
            raise AssertionError(
                f"Popped wrong app context. ({current!r} instead of {app_ctx!r})"
            )
        if appcontext_popped.receivers:
            await send(app, appcontext_popped)

    async def _pop_pristine(
        self, ctx: RequestContext, exc: BaseException | None
    ) -> None:
        """``ctx.pop(exc)``, with the app context pushed with it."""
        app = t.cast("Pottle", self)
        req = ctx.request
        clear_request = len(ctx._cv_tokens) == 1
        try:
            if clear_request:
                if _has_hooks(self.teardown_request_funcs, req) or (
                    request_tearing_down.receivers
                ):
                    await step(app, app, "do_teardown_request", exc)
                req.close()
        finally:
            current = _cv_request.get()
            token, app_ctx = ctx._cv_tokens.pop()
            _cv_request.reset(token)
            if clear_request and "environ" in req.__dict__:
                req.environ["werkzeug.request"] = None
            if app_ctx is not None:
                if type(app_ctx) is AppContext and len(app_ctx._cv_tokens) == 1:
                    await self._pop_app_context_pristine(app_ctx, exc)
                else:
                    await step(app, app_ctx, "pop", exc)
            if current is not ctx:
                raise AssertionError(
                    f"Popped wrong request context. ({current!r} instead of {ctx!r})"
                )

    @staticmethod
    def _preserve_for_test_client(environ: dict[str, t.Any]) -> None:
        # werkzeug's convention: hand the contexts to the test client, which
        # pushes them again after the request (``with client:``).
        preserve = environ.get("werkzeug.debug.preserve_context")
        if preserve is not None:
            preserve(_cv_app.get())
            preserve(_cv_request.get())


#: Set POTTLE_FUSED_PIPELINE=0 to always run the step-by-step pipeline (CI
#: runs the suite both ways).
_FUSED = os.environ.get("POTTLE_FUSED_PIPELINE", "1") != "0"

#: The methods whose replacement turns the fused pipeline off.
_PIPELINE_NAMES = frozenset(
    {
        "full_dispatch_request",
        "preprocess_request",
        "dispatch_request",
        "finalize_request",
        "process_response",
        "make_response",
        "make_default_options_response",
        "raise_routing_exception",
        "handle_user_exception",
        "handle_http_exception",
        "handle_exception",
        "do_teardown_request",
        "do_teardown_appcontext",
    }
)
_pipeline_methods = operator.attrgetter(*sorted(_PIPELINE_NAMES))
_context_methods = operator.attrgetter("push", "pop")
#: Whether a set of methods is pottle's own, each marked by ``original`` (an
#: override or a patch lacks it); keyed by the methods themselves.
_pristine_answers: dict[tuple[t.Any, ...], bool] = {}


def _has_hooks(registry: dict[t.Any, list[t.Any]], req: Request) -> bool:
    """Whether ``registry`` holds functions for the app or the request's
    blueprints."""
    if not registry:
        return False
    if registry.get(None):
        return True
    return any(registry.get(name) for name in req.blueprints)
