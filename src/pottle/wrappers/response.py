"""The response object: werkzeug's response, with async bodies and awaitable
data accessors.

It subclasses ``werkzeug.wrappers.Response`` (not only the sans-IO base) so
code that checks ``isinstance(rv, werkzeug.wrappers.Response)`` keeps
working. A body may be bytes, a sync iterable, or an async iterable; the
ASGI layer sends all three.
"""

from __future__ import annotations

import functools
import typing as t
from http import HTTPStatus
from types import EllipsisType

from werkzeug.datastructures import Headers
from werkzeug.sansio.response import Response as SansIOResponse
from werkzeug.urls import iri_to_uri
from werkzeug.utils import get_content_type
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import json
from .._concurrency import block_on, caller_awaits, in_loop_thread
from ..globals import _cv_app


class Response(WerkzeugResponse):
    """The response object used by default in pottle.

    Its body can also be an async iterator (``async def`` generator).
    Quart-style code can ``await response.get_data()``.
    """

    default_mimetype: str | None = "text/html"
    json_module: t.Any = json
    #: Keep relative ``Location`` headers as they are (Flask's choice).
    autocorrect_location_header = False
    #: Seconds allowed to send this response: ``...`` uses the app's
    #: ``RESPONSE_TIMEOUT``, ``None`` means no limit (long streams).
    timeout: float | None | EllipsisType = ...

    def __init__(
        self,
        response: t.Any = None,
        status: int | str | HTTPStatus | None = None,
        headers: t.Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if content_type is None and headers is None:
            # What werkzeug would work out, without asking empty headers
            # for a Content-Type (each miss raises inside werkzeug).
            if mimetype is None:
                content_type = _default_content_type(type(self))
            else:
                content_type = _content_type_of(mimetype)
                mimetype = None
            if (
                status is None
                and not direct_passthrough
                and type(response) in (str, bytes)
                and _plain_body_class(type(self))
            ):
                self._init_plain(response, content_type)
                return
        super().__init__(
            response, status, headers, mimetype, content_type, direct_passthrough
        )

    def _init_plain(self, body: str | bytes, content_type: str | None) -> None:
        # The most common response (a string from a view), set up as
        # werkzeug's __init__ and set_data would; a test compares the two.
        data = body.encode() if type(body) is str else t.cast(bytes, body)
        headers = Headers()
        items = [("Content-Type", content_type)] if content_type is not None else []
        if self.automatically_set_content_length:
            items.append(("Content-Length", str(len(data))))
        headers._list = items
        self.headers = headers
        self._status, self._status_code = _default_status(type(self))
        self.direct_passthrough = False
        self._on_close = []
        self.response = [data]

    @property
    def max_cookie_size(self) -> int:  # type: ignore[override]
        """The app's ``MAX_COOKIE_SIZE`` in an app context, else werkzeug's.

        This is the one place a wrapper reads the current app: Flask makes it
        dynamic, and only a warning depends on it.
        """
        ctx = _cv_app.get(None)
        if ctx is not None:
            return ctx.app.config["MAX_COOKIE_SIZE"]  # type: ignore[no-any-return]
        return super().max_cookie_size

    @property
    def is_async(self) -> bool:
        """Whether the body is an async iterable."""
        return hasattr(self.response, "__aiter__")

    def _ensure_sequence(self, mutable: bool = False) -> None:
        if self.is_async and not self.is_sequence:
            if in_loop_thread():
                raise RuntimeError(
                    "This response has an async body; 'await' its data instead"
                    " of reading it synchronously on the event loop."
                )
            # A body that can also be iterated plainly (a file) is left to
            # werkzeug, which honours direct_passthrough.
            if not hasattr(self.response, "__iter__"):
                self.response = block_on(_collect(self.response))
        super()._ensure_sequence(mutable)

    def get_data(self, as_text: bool = False) -> t.Any:
        """The body as bytes (or text). Await it in async code."""
        if caller_awaits():
            return self._get_data_async(as_text)
        return super().get_data(as_text)  # type: ignore[call-overload]

    async def _get_data_async(self, as_text: bool) -> bytes | str:
        if self.is_async:
            self.response = await _collect(self.response)
        return super().get_data(as_text)  # type: ignore[call-overload,no-any-return]

    @property
    def data(self) -> t.Any:
        """The body as bytes. Await it in async code."""
        if caller_awaits():
            return self._get_data_async(False)
        return super().get_data()

    @data.setter
    def data(self, value: bytes | str) -> None:
        self.set_data(value)

    @property
    def json(self) -> t.Any:
        """The body parsed as JSON, if the mimetype is JSON."""
        if caller_awaits():
            return self._get_json_async(False, False)
        return super().get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> t.Any:
        """Parse the body as JSON. Await it in async code."""
        if caller_awaits():
            return self._get_json_async(force, silent)
        return super().get_json(force=force, silent=silent)

    async def _get_json_async(self, force: bool, silent: bool) -> t.Any:
        await self._get_data_async(False)
        return super().get_json(force=force, silent=silent)


async def _collect(body: t.Any) -> list[bytes]:
    return [chunk.encode() if isinstance(chunk, str) else chunk async for chunk in body]


def headers_to_send(response: SansIOResponse) -> list[tuple[bytes, bytes]]:
    """The response's headers as an ASGI server wants them, fixed up as
    werkzeug would before sending: IRI locations encoded, ``Content-Length``
    dropped for 1xx/204 and entity headers for 304, and computed for buffered
    bodies."""
    headers = response.headers
    status = response.status_code
    # One pass over the list: werkzeug's lookups raise (and build an
    # exception) for every missing name, which is most of them.
    location = None
    has_length = False
    for name, value in headers.to_wsgi_list():
        lowered = name.lower()
        if lowered == "location":
            location = value
        elif lowered == "content-length":
            has_length = True
    if location is not None or status == 304 or status == 204 or status < 200:
        headers = Headers(headers)
        if location is not None:
            headers["Location"] = iri_to_uri(location)
        if status < 200 or status == 204:
            headers.remove("Content-Length")
        elif status == 304:
            from werkzeug.http import remove_entity_headers

            remove_entity_headers(headers)
    elif (
        not has_length
        and isinstance(response, WerkzeugResponse)
        and response.is_sequence
        and response.automatically_set_content_length
    ):
        headers = Headers(headers)
        headers["Content-Length"] = str(sum(len(x) for x in response.iter_encoded()))
    return [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
    ]


_content_types: dict[type[WerkzeugResponse], tuple[str | None, str | None]] = {}


@functools.lru_cache(maxsize=64)
def _content_type_of(mimetype: str) -> str:
    return get_content_type(mimetype, "utf-8")


def _default_content_type(cls: type[WerkzeugResponse]) -> str | None:
    mimetype = cls.default_mimetype
    cached = _content_types.get(cls)
    if cached is None or cached[0] != mimetype:
        value = get_content_type(mimetype, "utf-8") if mimetype is not None else None
        cached = _content_types[cls] = (mimetype, value)
    return cached[1]


def _plain_body_class(cls: type[WerkzeugResponse]) -> bool:
    """Whether ``cls`` builds a body exactly as werkzeug does (no override of
    the status or of ``set_data``), so :meth:`Response._init_plain` may."""
    return cls.set_data is WerkzeugResponse.set_data


_statuses: dict[type[WerkzeugResponse], tuple[t.Any, tuple[str, int]]] = {}


def _default_status(cls: type[WerkzeugResponse]) -> tuple[str, int]:
    status = cls.default_status
    cached = _statuses.get(cls)
    if cached is None or cached[0] != status:
        cached = _statuses[cls] = (status, cls._clean_status(cls, status))  # type: ignore[arg-type]
    return cached[1]
