"""Tagged JSON: lossless JSON for tuples, bytes, Markup, UUIDs and datetimes.

The session cookie serializer. Its output is byte-for-byte Flask's (same tag
keys, tag order and separators), so a session signed by a Flask app loads in
pottle and back. Imports ``pottle.json`` only, never the app.
"""

from __future__ import annotations

import typing as t
from base64 import b64decode, b64encode
from datetime import datetime
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

from . import dumps, loads


class JSONTag:
    """A type known to :class:`TaggedJSONSerializer`. A subclass sets
    :attr:`key` and implements :meth:`check`, :meth:`to_json` and
    :meth:`to_python`; a value it tags is dumped as ``{key: to_json(value)}``.

    To add a type that an existing tag would also match (an ``OrderedDict``
    is a ``dict``), register it before that tag with ``index=0``.

    :param serializer: The serializer this tag belongs to, used to tag
        nested values.
    """

    __slots__ = ("serializer",)

    #: The marker key of the tagged form. Left empty, the tag only rewrites
    #: a value in place (as the dict and list tags do) and adds no marker.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: t.Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError

    def to_json(self, value: t.Any) -> t.Any:
        """Convert ``value`` to a JSON type, without the marker."""
        raise NotImplementedError

    def to_python(self, value: t.Any) -> t.Any:
        """Convert the JSON form back to the Python value."""
        raise NotImplementedError

    def tag(self, value: t.Any) -> t.Any:
        """Convert ``value`` and wrap it in the ``{key: ...}`` marker."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-item dict whose key is itself a tag key: the key gets a ``__``
    suffix so that loading does not mistake the dict for a tagged value.
    """

    __slots__ = ()
    key = " di"

    def check(self, value: t.Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {f"{key}__": self.serializer.tag(value[key])}

    def to_python(self, value: t.Any) -> t.Any:
        key = next(iter(value))
        return {key[:-2]: value[key]}


class PassDict(JSONTag):
    """Any other dict: its values are tagged, its (string) keys kept."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: t.Any) -> t.Any:
        return {k: self.serializer.tag(v) for k, v in value.items()}

    def tag(self, value: t.Any) -> t.Any:
        return self.to_json(value)


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: t.Any) -> t.Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items are tagged, the list stays a list."""

    __slots__ = ()

    def check(self, value: t.Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: t.Any) -> t.Any:
        return [self.serializer.tag(item) for item in value]

    def tag(self, value: t.Any) -> t.Any:
        return self.to_json(value)


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: t.Any) -> t.Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: t.Any) -> t.Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with an ``__html__`` method, dumped as that method's result
    and always loaded as :class:`~markupsafe.Markup`.
    """

    __slots__ = ()
    key = " m"

    def check(self, value: t.Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: t.Any) -> t.Any:
        return str(value.__html__())

    def to_python(self, value: t.Any) -> t.Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: t.Any) -> t.Any:
        return value.hex

    def to_python(self, value: t.Any) -> t.Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date: whole seconds, loaded back in UTC."""

    __slots__ = ()
    key = " d"

    def check(self, value: t.Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: t.Any) -> t.Any:
        return http_date(value)

    def to_python(self, value: t.Any) -> t.Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Dumps and loads JSON that keeps :class:`dict` (with any keys that
    look like tags), :class:`tuple`, :class:`bytes`,
    :class:`~markupsafe.Markup`, :class:`~uuid.UUID` and
    :class:`~datetime.datetime` values intact. It is the intermediate
    serializer that :mod:`itsdangerous` signs for the session cookie.
    """

    __slots__ = ("tags", "order")

    #: The tag classes every new serializer registers, in this order. The
    #: first tag whose ``check`` matches a value wins.
    default_tags = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for tag_class in self.default_tags:
            self.register(tag_class)

    def register(
        self,
        tag_class: type[JSONTag],
        force: bool = False,
        index: int | None = None,
    ) -> None:
        """Instantiate a tag class for this serializer and add it.

        :param tag_class: The :class:`JSONTag` subclass.
        :param force: Replace a tag already registered under the same key
            instead of raising :exc:`KeyError`.
        :param index: Where to insert the tag in :attr:`order`; appended if
            ``None``. Put a special case before the tag it specializes.
        :raise KeyError: The key is taken and ``force`` is false.
        """
        tag = tag_class(self)
        if tag.key:
            if not force and tag.key in self.tags:
                raise KeyError(f"Tag '{tag.key}' is already registered.")
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: t.Any) -> t.Any:
        """Return ``value`` in its tagged JSON form, or unchanged if no tag
        matches it.
        """
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, t.Any]) -> t.Any:
        """Turn a tagged dict back into its value; return any other dict
        unchanged.
        """
        if len(value) != 1:
            return value
        key = next(iter(value))
        if key not in self.tags:
            return value
        return self.tags[key].to_python(value[key])

    def _untag_scan(self, value: t.Any) -> t.Any:
        # Depth first: a tag's to_python receives already untagged items.
        if isinstance(value, dict):
            return self.untag({k: self._untag_scan(v) for k, v in value.items()})
        if isinstance(value, list):
            return [self._untag_scan(item) for item in value]
        return value

    def dumps(self, value: t.Any) -> str:
        """Tag ``value`` and dump it as compact JSON."""
        return dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> t.Any:
        """Load JSON and untag every tagged value in it."""
        return self._untag_scan(loads(value))
