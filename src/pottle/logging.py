"""The app logger's default setup, and the stream its default handler uses.

Flask's names and semantics; the stream is ``wsgi.errors`` only when a
request carries a WSGI-style ``environ``, else stderr. Imports
``pottle.globals`` only, never the app.
"""

from __future__ import annotations

import collections.abc as cabc
import logging
import sys
import typing as t

from werkzeug.local import LocalProxy

from .globals import _cv_request

if t.TYPE_CHECKING:
    from .app import Pottle


def _find_errors_stream() -> t.TextIO:
    ctx = _cv_request.get(None)
    if ctx is not None:
        environ = getattr(ctx.request, "environ", None)
        if isinstance(environ, cabc.Mapping) and "wsgi.errors" in environ:
            return t.cast(t.TextIO, environ["wsgi.errors"])
    return sys.stderr


#: The request's ``wsgi.errors`` stream inside a request context whose request
#: has a WSGI ``environ`` carrying one, otherwise :data:`sys.stderr`; looked up
#: on every write. Give it to your own :class:`logging.StreamHandler`, or name
#: it ``ext://pottle.logging.wsgi_errors_stream`` in a dict config.
wsgi_errors_stream = t.cast(t.TextIO, LocalProxy(_find_errors_stream))


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler on ``logger`` or on the ancestors it propagates to
    handles the logger's :meth:`effective level
    <logging.Logger.getEffectiveLevel>`.

    :param logger: The logger to inspect.
    """
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


#: Writes to :data:`wsgi_errors_stream` in the format
#: ``[%(asctime)s] %(levelname)s in %(module)s: %(message)s``.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def create_logger(app: Pottle) -> logging.Logger:
    """Return the logger named :attr:`app.name <pottle.Pottle.name>`,
    configured if needed: in debug mode a logger without a level gets
    :data:`logging.DEBUG`, and a logger whose effective level no handler
    handles gets :data:`default_handler`.

    :param app: The app to make the logger for.
    """
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
