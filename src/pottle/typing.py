"""Public type aliases, at Flask's names, for annotating pottle apps.

Widened for the async core: views, hooks and handlers may be sync or async
(return a value or an awaitable), and a response body may be an async
iterable. Only the standard library is imported at runtime; pottle's and
werkzeug's classes are named under ``TYPE_CHECKING`` only.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication  # noqa: F401
    from werkzeug.datastructures import Headers  # noqa: F401
    from werkzeug.sansio.response import Response as SansIOResponse  # noqa: F401

    from .wrappers import Response  # noqa: F401

# These aliases are evaluated at import time, so the three that name a class
# imported above keep ``t.Union`` with a string: ``"Response" | str`` fails.

#: What a view may return as a body or as a ready response. A werkzeug
#: response is accepted as well as pottle's, as Flask accepts it.
ResponseValue = t.Union[  # noqa: UP007
    "Response",
    "SansIOResponse",
    str,
    bytes,
    list[t.Any],
    # Only dict is converted, but Mapping lets a TypedDict through.
    cabc.Mapping[str, t.Any],
    cabc.Iterator[str],
    cabc.Iterator[bytes],
    cabc.AsyncIterable[str],
    cabc.AsyncIterable[bytes],
]

#: The name of an HTTP header.
HeaderName = str

#: The value of one HTTP header.
HeaderValue = str | list[str] | tuple[str, ...]

#: The headers part of a view's return value.
HeadersValue = t.Union[  # noqa: UP007
    "Headers",
    cabc.Mapping[str, HeaderValue],
    cabc.Sequence[tuple[str, HeaderValue]],
]

#: An HTTP status code.
StatusCode = int

#: Everything a view may return, tuples included. A WSGI callable, such as a
#: werkzeug ``HTTPException``, stays in for Flask compatibility.
ResponseReturnValue = t.Union[  # noqa: UP007
    ResponseValue,
    tuple[ResponseValue, HeadersValue],
    tuple[ResponseValue, StatusCode],
    tuple[ResponseValue, StatusCode, HeadersValue],
    "WSGIApplication",
]

# Bound to werkzeug's sans-IO response, so that a hook annotated with either
# pottle's or werkzeug's response class type-checks.
ResponseClass = t.TypeVar("ResponseClass", bound="SansIOResponse")

#: The key of the app (``None``) or of a blueprint (its name) in registries.
AppOrBlueprintKey = str | None

AfterRequestCallable = (
    t.Callable[[ResponseClass], ResponseClass]
    | t.Callable[[ResponseClass], t.Awaitable[ResponseClass]]
)
BeforeFirstRequestCallable = t.Callable[[], None] | t.Callable[[], t.Awaitable[None]]
BeforeRequestCallable = (
    t.Callable[[], ResponseReturnValue | None]
    | t.Callable[[], t.Awaitable[ResponseReturnValue | None]]
)
ShellContextProcessorCallable = t.Callable[[], dict[str, t.Any]]
TeardownCallable = (
    t.Callable[[BaseException | None], None]
    | t.Callable[[BaseException | None], t.Awaitable[None]]
)
TemplateContextProcessorCallable = (
    t.Callable[[], dict[str, t.Any]] | t.Callable[[], t.Awaitable[dict[str, t.Any]]]
)
TemplateFilterCallable = t.Callable[..., t.Any]
TemplateGlobalCallable = t.Callable[..., t.Any]
TemplateTestCallable = t.Callable[..., bool]
URLDefaultCallable = t.Callable[[str, dict[str, t.Any]], None]
URLValuePreprocessorCallable = t.Callable[[str | None, dict[str, t.Any] | None], None]

# The argument is Any, not Exception: a handler may annotate the exact
# exception class it is registered for (pallets/flask#4095, #4295).
ErrorHandlerCallable = (
    t.Callable[[t.Any], ResponseReturnValue]
    | t.Callable[[t.Any], t.Awaitable[ResponseReturnValue]]
)
RouteCallable = (
    t.Callable[..., ResponseReturnValue]
    | t.Callable[..., t.Awaitable[ResponseReturnValue]]
)

# pottle's additions: websocket routes and hooks, and the serving lifespan.
WebsocketCallable = (
    t.Callable[..., ResponseReturnValue | None]
    | t.Callable[..., t.Awaitable[ResponseReturnValue | None]]
)
BeforeWebsocketCallable = (
    t.Callable[[], ResponseReturnValue | None]
    | t.Callable[[], t.Awaitable[ResponseReturnValue | None]]
)
# An accepted websocket has no response to pass on, hence the ``None``.
AfterWebsocketCallable = (
    t.Callable[[ResponseClass | None], ResponseClass | None]
    | t.Callable[[ResponseClass | None], t.Awaitable[ResponseClass | None]]
)
BeforeServingCallable = t.Callable[[], None] | t.Callable[[], t.Awaitable[None]]
AfterServingCallable = t.Callable[[], None] | t.Callable[[], t.Awaitable[None]]
#: An async generator function: the code before its single ``yield`` runs at
#: startup, the code after it at shutdown.
WhileServingCallable = t.Callable[[], cabc.AsyncGenerator[None, None]]
