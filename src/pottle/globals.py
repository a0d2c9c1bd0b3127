"""The context variables behind pottle's globals, and the proxies over them.

This module depends on nothing in pottle at runtime, so any layer may import
it. Each proxy is a werkzeug ``LocalProxy``: falsy when unbound, with
``_get_current_object()``, raising Flask's "Working outside of ..." errors.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:
    from .app import Pottle
    from .ctx import AppContext, RequestContext, WebsocketContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request, Websocket

_no_app_msg = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""
_cv_app: ContextVar[AppContext] = ContextVar("pottle.app_ctx")
app_ctx: AppContext = LocalProxy(  # type: ignore[assignment]
    _cv_app, unbound_message=_no_app_msg
)
current_app: Pottle = LocalProxy(  # type: ignore[assignment]
    _cv_app, "app", unbound_message=_no_app_msg
)
g: _AppCtxGlobals = LocalProxy(  # type: ignore[assignment]
    _cv_app, "g", unbound_message=_no_app_msg
)

_no_req_msg = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. Consult the documentation on testing for
information about how to avoid this problem.\
"""
_cv_request: ContextVar[RequestContext] = ContextVar("pottle.request_ctx")
request_ctx: RequestContext = LocalProxy(  # type: ignore[assignment]
    _cv_request, unbound_message=_no_req_msg
)
request: Request = LocalProxy(  # type: ignore[assignment]
    _cv_request, "request", unbound_message=_no_req_msg
)


def _current_session() -> SessionMixin:
    # The session of the request, or of the websocket.
    ctx: RequestContext | WebsocketContext | None = _cv_request.get(None)
    if ctx is None and (ctx := _cv_websocket.get(None)) is None:
        raise RuntimeError(_no_req_msg)
    return ctx.session


session: SessionMixin = LocalProxy(_current_session)  # type: ignore[assignment]

_no_ws_msg = """\
Working outside of websocket context.

This typically means that you attempted to use functionality that needed
an active websocket connection, outside of a websocket route.\
"""
_cv_websocket: ContextVar[WebsocketContext] = ContextVar("pottle.websocket_ctx")
websocket_ctx: WebsocketContext = LocalProxy(  # type: ignore[assignment]
    _cv_websocket, unbound_message=_no_ws_msg
)
websocket: Websocket = LocalProxy(  # type: ignore[assignment]
    _cv_websocket, "websocket", unbound_message=_no_ws_msg
)
