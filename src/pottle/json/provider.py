"""JSON providers: the pluggable object behind ``app.json``.

``DefaultJSONProvider`` wraps :mod:`json` and knows dates, decimals, UUIDs,
dataclasses and ``__html__``. It holds its app weakly and never imports the
app or the wrappers at runtime.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import typing as t
import uuid
import weakref
from datetime import date

from werkzeug.http import http_date

if t.TYPE_CHECKING:
    from ..app import Pottle
    from ..wrappers import Response


class JSONProvider:
    """The JSON operations of an app. Subclass it to use another JSON
    library: implement :meth:`dumps` and :meth:`loads`, the rest has
    defaults. Install it with ``app.json_provider_class`` or by assigning an
    instance to ``app.json``.

    :param app: The app, kept as a :func:`weakref.proxy` on :attr:`_app`.
    """

    def __init__(self, app: Pottle) -> None:
        self._app: Pottle = t.cast("Pottle", weakref.proxy(app))

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` to a JSON string.

        :param obj: The data to serialize.
        :param kwargs: May be passed on to the JSON library.
        """
        raise NotImplementedError

    def dump(self, obj: t.Any, fp: t.IO[str], **kwargs: t.Any) -> None:
        """Serialize ``obj`` as JSON into a text file.

        :param obj: The data to serialize.
        :param fp: A file open for writing text, preferably as UTF-8.
        :param kwargs: May be passed on to the JSON library.
        """
        fp.write(self.dumps(obj, **kwargs))

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize JSON text.

        :param s: Text, or UTF-8 bytes.
        :param kwargs: May be passed on to the JSON library.
        """
        raise NotImplementedError

    def load(self, fp: t.IO[t.AnyStr], **kwargs: t.Any) -> t.Any:
        """Deserialize JSON read from a file.

        :param fp: A file open for reading text or UTF-8 bytes.
        :param kwargs: May be passed on to the JSON library.
        """
        return self.loads(fp.read(), **kwargs)

    def _prepare_response_obj(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> t.Any:
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        if not args and not kwargs:
            return None
        if len(args) == 1:
            return args[0]
        return args or kwargs

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments and return them as an
        ``application/json`` response of the app's ``response_class``.
        :func:`~pottle.json.jsonify` calls this.

        :param args: One value to serialize, or several to serialize as a
            list. Give these or ``kwargs``, not both; with neither, ``null``
            is serialized.
        :param kwargs: Serialized as a dict.
        """
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), mimetype="application/json")


def _default(o: t.Any) -> t.Any:
    if isinstance(o, date):
        return http_date(o)
    if isinstance(o, decimal.Decimal | uuid.UUID):
        return str(o)
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return dataclasses.asdict(o)
    if hasattr(o, "__html__"):
        return str(o.__html__())
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


class DefaultJSONProvider(JSONProvider):
    """A provider on Python's :mod:`json`. Besides the JSON types it
    serializes :class:`~datetime.date` and :class:`~datetime.datetime` as
    HTTP dates (:rfc:`822`), :class:`~decimal.Decimal` and
    :class:`~uuid.UUID` as strings, dataclass instances with
    :func:`dataclasses.asdict`, and objects with an ``__html__`` method (such
    as :class:`~markupsafe.Markup`) as the string it returns.
    """

    #: Called by :func:`json.dumps` for an object it cannot serialize; returns
    #: a JSON-able value or raises :exc:`TypeError`.
    default: t.Callable[[t.Any], t.Any] = staticmethod(_default)

    #: Escape non-ASCII characters. Safer with some clients, larger output.
    ensure_ascii = True

    #: Sort the keys of dicts, which must then all be strings. Helps caching.
    sort_keys = True

    #: Compact :meth:`response` output if ``True``, indented if ``False``;
    #: ``None`` means indented in debug mode only.
    compact: bool | None = None

    #: The mimetype of :meth:`response`.
    mimetype = "application/json"

    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with :func:`json.dumps`, defaulting its
        ``default``, ``ensure_ascii`` and ``sort_keys`` arguments to this
        provider's attributes.

        :param obj: The data to serialize.
        :param kwargs: Passed to :func:`json.dumps`.
        """
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return json.dumps(obj, **kwargs)

    def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
        """Deserialize JSON text with :func:`json.loads`.

        :param s: Text, or UTF-8 bytes.
        :param kwargs: Passed to :func:`json.loads`.
        """
        return json.loads(s, **kwargs)

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """Serialize the arguments and return them as a response of the
        app's ``response_class`` with :attr:`mimetype`. The body ends with a
        newline, and is indented as :attr:`compact` says.

        :param args: One value to serialize, or several to serialize as a
            list. Give these or ``kwargs``, not both; with neither, ``null``
            is serialized.
        :param kwargs: Serialized as a dict.
        """
        obj = self._prepare_response_obj(args, kwargs)
        if (self.compact is None and self._app.debug) or self.compact is False:
            dump_args: dict[str, t.Any] = {"indent": 2}
        else:
            dump_args = {"separators": (",", ":")}
        body = f"{self.dumps(obj, **dump_args)}\n"
        return self._app.response_class(body, mimetype=self.mimetype)
