"""The websocket pipeline of the app, in the request pipeline's order: hooks,
the handler, error handling, teardown (a mixin of :class:`~pottle.Pottle`).

Each step is a generator of pipeline ops (``_pipeline``), like the request
pipeline's, so a replacement on the instance or a subclass is honoured. Only
the ASGI layer (``asgi.websocket``) calls :meth:`handle_websocket`.
"""

from __future__ import annotations

import asyncio
import sys
import typing as t
from itertools import chain

from . import typing as ft
from ._pipeline import Call, Send, Step, Steps, pipeline_method, step
from .globals import _cv_websocket
from .sessions import SecureCookieSession
from .signals import (
    got_websocket_exception,
    websocket_finished,
    websocket_started,
    websocket_tearing_down,
)
from .wrappers import Response, Websocket, WebsocketDisconnect

if t.TYPE_CHECKING:
    from .app import Pottle
    from .config import Config
    from .routing import Rule
    from .sessions import SessionInterface

_sentinel: t.Any = object()


class WebsocketDispatch:
    """Quart's websocket pipeline methods, for :class:`~pottle.Pottle`."""

    if t.TYPE_CHECKING:
        config: Config
        debug: bool
        testing: bool
        logger: t.Any
        json: t.Any
        session_interface: SessionInterface
        view_functions: dict[str, t.Any]
        before_websocket_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        after_websocket_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        teardown_websocket_funcs: dict[ft.AppOrBlueprintKey, list[t.Any]]
        url_value_preprocessors: dict[ft.AppOrBlueprintKey, list[t.Any]]
        _got_first_request: bool

        def _find_error_handler(
            self, e: Exception, blueprints: list[str]
        ) -> ft.ErrorHandlerCallable | None: ...

        def should_ignore_error(self, error: BaseException | None) -> bool: ...

    @pipeline_method
    def preprocess_websocket(self) -> Steps[ft.ResponseReturnValue | None]:
        """Run the URL value preprocessors, then the ``before_websocket``
        functions (app first, then blueprints outer to inner). A non-None
        value from one of them is sent as the HTTP response that denies the
        handshake, and the handler is skipped."""
        ws = _cv_websocket.get().websocket
        names = (None, *reversed(ws.blueprints))
        for name in names:
            if name in self.url_value_preprocessors:
                for url_func in self.url_value_preprocessors[name]:
                    yield Call(url_func, ws.endpoint, ws.view_args)
        for name in names:
            if name in self.before_websocket_funcs:
                for before_func in self.before_websocket_funcs[name]:
                    rv = yield Call(before_func)
                    if rv is not None:
                        return rv  # type: ignore[no-any-return]
        return None

    @pipeline_method
    def dispatch_websocket(self) -> Steps[ft.ResponseReturnValue | None]:
        """Call the handler matched for the websocket."""
        ws = _cv_websocket.get().websocket
        if ws.routing_exception is not None:
            yield Step(self, "raise_routing_exception", ws)
        rule = t.cast("Rule", ws.url_rule)
        handler = self.view_functions[rule.endpoint]
        rv: ft.ResponseReturnValue | None = yield Call(handler, **(ws.view_args or {}))
        return rv

    @pipeline_method
    def full_dispatch_websocket(self) -> Steps[Response | None]:
        """Run the whole pipeline for the current websocket, with error
        handling, and return the handler's response (None if it returned
        nothing): before the handshake is accepted, it denies it."""
        self._got_first_request = True
        try:
            if websocket_started.receivers:
                yield Send(websocket_started)
            rv = yield Step(self, "preprocess_websocket")
            if rv is None:
                rv = yield Step(self, "dispatch_websocket")
        except WebsocketDisconnect:
            rv = None  # the client left: the normal end of a websocket
        except Exception as e:
            rv = yield Step(self, "handle_user_exception", e)
        except BaseExceptionGroup as group:
            # WebsocketDisconnect raised inside a TaskGroup arrives wrapped.
            if group.split(asyncio.CancelledError)[1] is not None:
                raise
            rv = None
        _cv_websocket.get().websocket._handler_returned()
        response: Response | None = yield Step(self, "finalize_websocket", rv)
        return response

    @pipeline_method
    def finalize_websocket(
        self,
        rv: ft.ResponseReturnValue | None,
        from_error_handler: bool = False,
    ) -> Steps[Response | None]:
        """Turn ``rv`` into a response (if not None) and run
        :meth:`postprocess_websocket`. While handling an error, a failure
        here is logged, not raised."""
        response: Response | None = None
        if rv is not None:
            response = yield Step(self, "make_response", rv)
        try:
            response = yield Step(self, "postprocess_websocket", response)
            if websocket_finished.receivers:
                yield Send(websocket_finished, response=response)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Websocket finalizing failed with an error while handling an error"
            )
        return response

    @pipeline_method
    def postprocess_websocket(
        self, response: Response | None
    ) -> Steps[Response | None]:
        """Run the ``after_this_websocket`` functions, then the
        ``after_websocket`` functions (inner blueprint first, in reverse
        registration order). The session is saved only on a response that
        denies the handshake: once accepted, no HTTP response can carry it."""
        ctx = _cv_websocket.get()
        for func in ctx._after_websocket_functions:
            response = yield Call(func, response)
        for name in chain(ctx.websocket.blueprints, (None,)):
            if name in self.after_websocket_funcs:
                for func in reversed(self.after_websocket_funcs[name]):
                    response = yield Call(func, response)
        session = ctx._session
        if session is None or self.session_interface.is_null_session(session):
            return response
        if response is not None and not ctx.websocket.accepted:
            yield Call(self.session_interface.save_session, self, session, response)
        elif isinstance(session, SecureCookieSession) and session.modified:
            self.logger.warning(
                "The session was modified during the websocket %r; the change"
                " is lost, as no HTTP response can carry it after the"
                " handshake.",
                ctx.websocket.path,
            )
        return response

    @pipeline_method
    def handle_websocket_exception(self, e: Exception) -> Steps[Response | None]:
        """Handle an exception no handler caught: sends
        :data:`got_websocket_exception`, then re-raises it when propagating
        (testing/debug), or logs it and returns the 500 response (sent as the
        denial before the handshake; after it, the connection closes with
        1011)."""
        ws = _cv_websocket.get().websocket
        server_error = yield Step(
            self, "_server_error", e, got_websocket_exception, ws.blueprints
        )
        response: Response | None = yield Step(
            self, "finalize_websocket", server_error, from_error_handler=True
        )
        return response

    @pipeline_method
    def do_teardown_websocket(
        self, exc: BaseException | None = _sentinel
    ) -> Steps[None]:
        """Run the ``teardown_websocket`` functions (blueprints' too), then
        send :data:`websocket_tearing_down`."""
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        ws = _cv_websocket.get().websocket
        for name in chain(ws.blueprints, (None,)):
            if name in self.teardown_websocket_funcs:
                for func in reversed(self.teardown_websocket_funcs[name]):
                    yield Call(func, exc)
        if websocket_tearing_down.receivers:
            yield Send(websocket_tearing_down, exc=exc)

    def _configure_websocket(self, ws: Websocket) -> None:
        """Apply the app's settings to a new websocket."""
        config = self.config
        ws.json_module = self.json
        ws.debug = bool(config["DEBUG"])
        ws.max_message_size = config["WEBSOCKET_MAX_MESSAGE_SIZE"]
        ws.max_queue = config["WEBSOCKET_MAX_QUEUE"]

    async def handle_websocket(
        self,
        ws: Websocket,
        finish: t.Callable[[Response | None], t.Awaitable[None]],
    ) -> None:
        """Handle one websocket: push its context, run the pipeline, end the
        connection with ``finish`` (close, or deny with the response), then
        tear down (also when cancelled)."""
        app = t.cast("Pottle", self)
        ctx = app.websocket_context(ws)
        error: BaseException | None = None
        try:
            try:
                await step(app, ctx, "push")
                response = await step(app, app, "full_dispatch_websocket")
            except Exception as e:
                error = e
                ws._handler_returned()
                response = await step(app, app, "handle_websocket_exception", e)
            await finish(response)
        except BaseException as e:
            # Cancelled because the client left: a normal end, not an error.
            if not isinstance(e, asyncio.CancelledError) or ws.close_code is None:
                error = e
            raise
        finally:
            if error is not None and self.should_ignore_error(error):
                error = None
            await step(app, ctx, "pop", error)
