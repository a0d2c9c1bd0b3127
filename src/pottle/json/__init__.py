"""JSON helpers that defer to ``current_app.json`` when an app is active.

Outside an app context they fall back to :mod:`json` with the default
provider's extra types. Imports ``pottle.globals`` and ``.provider`` only;
the response class is named under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import json as _json
import typing as t

from ..globals import current_app
from .provider import _default

if t.TYPE_CHECKING:
    from ..wrappers import Response


def dumps(obj: t.Any, **kwargs: t.Any) -> str:
    """Serialize ``obj`` to a JSON string, with :meth:`app.json.dumps()
    <pottle.json.provider.JSONProvider.dumps>` if an app is active, else with
    :func:`json.dumps`.

    :param obj: The data to serialize.
    :param kwargs: Passed to the ``dumps`` implementation.
    """
    if current_app:
        return current_app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
    """Serialize ``obj`` as JSON into a text file, with :meth:`app.json.dump()
    <pottle.json.provider.JSONProvider.dump>` if an app is active, else with
    :func:`json.dump`.

    :param obj: The data to serialize.
    :param fp: A file open for writing text, preferably as UTF-8.
    :param kwargs: Passed to the ``dump`` implementation.
    """
    if current_app:
        current_app.json.dump(obj, fp, **kwargs)
    else:
        kwargs.setdefault("default", _default)
        _json.dump(obj, fp, **kwargs)


def loads(s: str | bytes, **kwargs: t.Any) -> t.Any:
    """Deserialize JSON text, with :meth:`app.json.loads()
    <pottle.json.provider.JSONProvider.loads>` if an app is active, else with
    :func:`json.loads`.

    :param s: Text, or UTF-8 bytes.
    :param kwargs: Passed to the ``loads`` implementation.
    """
    if current_app:
        return current_app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
    """Deserialize JSON read from a file, with :meth:`app.json.load()
    <pottle.json.provider.JSONProvider.load>` if an app is active, else with
    :func:`json.load`.

    :param fp: A file open for reading text or UTF-8 bytes.
    :param kwargs: Passed to the ``load`` implementation.
    """
    if current_app:
        return current_app.json.load(fp, **kwargs)
    return _json.load(fp, **kwargs)


def jsonify(*args: t.Any, **kwargs: t.Any) -> Response:
    """Return a JSON :class:`~pottle.Response` for the arguments, with
    :meth:`app.json.response() <pottle.json.provider.JSONProvider.response>`.
    Needs an active app. A dict or list returned by a view is already
    converted this way.

    Give positional or keyword arguments, not both; with neither, ``null`` is
    serialized. Output is indented in debug mode.

    :param args: One value to serialize, or several to serialize as a list.
    :param kwargs: Serialized as a dict.
    """
    return current_app.json.response(*args, **kwargs)
