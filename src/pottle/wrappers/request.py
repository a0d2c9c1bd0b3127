"""The request object: werkzeug's sans-IO request plus a body that arrives
over ASGI.

Every body accessor works both ways: Flask code reads ``request.form`` or
``request.get_json()`` as plain values, Quart-style code awaits the same
names. Limits are passed in by whoever builds the request (the app), never
read from a global here.
"""

from __future__ import annotations

import io
import typing as t

from werkzeug.datastructures import (
    CombinedMultiDict,
    Headers,
    ImmutableMultiDict,
    MultiDict,
)
from werkzeug.exceptions import BadRequest, HTTPException, UnsupportedMediaType
from werkzeug.utils import cached_property

from .. import json
from .._concurrency import block_on, caller_awaits, in_loop_thread
from ..formparser import FileStorage, FormDataParser
from .body import Body
from .routed import RoutedRequest, scope_parts

if t.TYPE_CHECKING:
    pass

_MISSING: t.Any = object()


class BodyNotReceivedError(RuntimeError):
    """Sync code on the event loop asked for a body that has not arrived."""


class Request(RoutedRequest):
    """The request object used by default in pottle.

    Everything from werkzeug's request (``args``, ``headers``, ``cookies``,
    ``url`` and friends, ``authorization``, ``accept_*``...) plus Flask's
    routing attributes and ASGI's ``scope``. Read the body the Flask way
    (``request.form``, ``request.get_json()``, ``request.data``) in sync code,
    or await the same names (``await request.form``) in async code;
    ``async for chunk in request.body`` streams it.
    """

    #: The module or provider used by :meth:`get_json`; the app sets its own.
    json_module: t.Any = json
    #: Whether the app is in debug mode (chooses error detail).
    debug: bool = False
    #: Sync code on the event loop may read bodies up to this size.
    prefetch_size: int = 256 * 1024

    #: The most bytes of a non-file multipart field, and of all of them.
    max_form_memory_size: int | None = 500_000
    #: The most parts of a multipart body.
    max_form_parts: int | None = 1000
    #: The most bytes of the header block of one multipart part.
    max_form_part_header_size: int | None = 8 * 1024
    #: A client disconnect cancels the request's work (the view, a streamed
    #: body). Set it to False in a view to finish the work regardless.
    cancel_on_disconnect: bool = True

    form_data_parser_class: type[FormDataParser] = FormDataParser

    def __init__(
        self,
        method: str,
        scheme: str,
        server: tuple[str, int | None] | None,
        root_path: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        remote_addr: str | None,
        body: Body | None = None,
        scope: dict[str, t.Any] | None = None,
        http_version: str = "1.1",
    ) -> None:
        super().__init__(
            method, scheme, server, root_path, path, query_string, headers, remote_addr
        )
        self._body = body if body is not None else Body(None, 0)
        #: The ASGI connection scope this request came from.
        self.scope: dict[str, t.Any] = scope if scope is not None else {}
        #: The HTTP version, as ASGI gives it (``"1.1"``, ``"2"``...).
        self.http_version = http_version
        self._form: ImmutableMultiDict[str, str] | None = None
        self._files: ImmutableMultiDict[str, FileStorage] | None = None
        self._cached_json: tuple[t.Any, t.Any] = (_MISSING, _MISSING)

    @classmethod
    def from_scope(cls, scope: dict[str, t.Any], body: Body | None = None) -> t.Self:
        """Build a request from an ASGI HTTP (or websocket) scope."""
        parts = scope_parts(scope)
        return cls(
            scope.get("method", "GET"),
            scope.get("scheme", "http"),
            parts.server,
            parts.root_path,
            parts.path,
            parts.query_string,
            parts.headers,
            parts.remote_addr,
            body=body,
            scope=scope,
            http_version=scope.get("http_version", "1.1"),
        )

    @classmethod
    def from_environ(cls, environ: dict[str, t.Any]) -> t.Self:
        """Build a request from a WSGI environ (tests, ``request_context``);
        ``request.environ`` is that environ."""
        scope, data = scope_from_environ(environ)
        request = cls.from_scope(scope, Body.from_bytes(data))
        # Keep the environ's text as it is (a hand-built environ may hold
        # text that bytes cannot round-trip).
        request.headers = Headers(environ_headers(environ))
        return request

    # -- limits ---------------------------------------------------------------

    @property
    def max_content_length(self) -> int | None:
        """The body may not exceed this many bytes (413). Set it to change
        the limit for this request."""
        return self._body.max_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._body.max_length = value

    @property
    def body_timeout(self) -> float | None:
        """Seconds allowed for the whole body to arrive (408)."""
        return self._body.timeout

    @body_timeout.setter
    def body_timeout(self, value: float | None) -> None:
        self._body.timeout = value

    # -- the body -------------------------------------------------------------

    @property
    def body(self) -> Body:
        """The raw body: ``async for chunk in request.body`` streams it,
        ``await request.body`` returns all of it."""
        return self._body

    def _received(self) -> bytes:
        """The whole body, blocking this (non-loop) thread if needed."""
        data = self._body.data
        if data is not None:
            return data
        self._refuse_on_loop()
        return block_on(self._body.read())

    def _refuse_on_loop(self) -> None:
        if in_loop_thread():
            raise BodyNotReceivedError(
                "The request body has not been received yet, so it cannot be"
                " read synchronously on the event loop. In async code, await it"
                " first (for example 'await request.get_data()' or 'await"
                " request.form'); bodies up to BODY_PREFETCH_SIZE bytes are"
                " received before async views run."
            )

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> t.Any:
        """The body as bytes (or text). Await it in async code.

        :param cache: kept for Flask compatibility; the body is always kept.
        :param as_text: decode the bytes as UTF-8 (invalid bytes replaced).
        :param parse_form_data: parse form data first, so that ``form`` and
            ``files`` are available afterwards (a form body then reads as
            empty, as in Flask).
        """
        if caller_awaits():
            return self._get_data_async(as_text, parse_form_data)
        if parse_form_data:
            self._load_form_data()
        data = self._received()
        return data.decode(errors="replace") if as_text else data

    async def _get_data_async(self, as_text: bool, parse_form_data: bool) -> t.Any:
        if parse_form_data:
            await self._load_form_data_async()
        data = await self._body.read()
        return data.decode(errors="replace") if as_text else data

    @property
    def data(self) -> t.Any:
        """The body as bytes. Await it in async code."""
        if caller_awaits():
            return self._get_data_async(False, False)
        return self._received()

    @cached_property
    def stream(self) -> t.IO[bytes]:
        """The body as a binary file, read as it arrives (in sync code off
        the event loop); reading it consumes the body, as in Flask."""
        data = self._body.data
        if data is not None:
            return io.BytesIO(data)
        self._refuse_on_loop()
        return io.BufferedReader(_BodyReader(self._body))

    # -- forms ----------------------------------------------------------------

    def make_form_data_parser(self) -> FormDataParser:
        """The form parser for this request, with its limits."""
        return self.form_data_parser_class(
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            max_part_header_size=self.max_form_part_header_size,
            cls=self.parameter_storage_class,
        )

    def _wants_form_parsing(self) -> bool:
        return self.mimetype in (
            "multipart/form-data",
            "application/x-www-form-urlencoded",
        )

    def _set_form(self, form: t.Any, files: t.Any) -> None:
        self._form, self._files = form, files
        if self.debug and self.mimetype != "multipart/form-data" and not files:
            from ..debughelpers import attach_enctype_error_multidict

            attach_enctype_error_multidict(self)

    def _load_form_data(self) -> None:
        if self._form is not None:
            return
        if not self._wants_form_parsing():
            empty = self.parameter_storage_class
            self._set_form(empty(), empty())
        elif (data := self._body.data) is not None:
            parser = self.make_form_data_parser()
            self._set_form(
                *parser.parse_bytes(data, self.mimetype, self.mimetype_params)
            )
        else:
            self._refuse_on_loop()
            block_on(self._load_form_data_async())

    async def _load_form_data_async(self) -> None:
        if self._form is not None:
            return
        if self._body.data is not None or not self._wants_form_parsing():
            self._load_form_data()
            return
        parser = self.make_form_data_parser()
        try:
            form, files = await parser.parse(
                self._body.consume(), self.mimetype, self.mimetype_params
            )
        except HTTPException as e:
            self._body.abandon(e)
            raise
        if self._form is None:
            self._set_form(form, files)

    @property
    def form(self) -> t.Any:
        """The form fields of a urlencoded or multipart body. Await it in
        async code."""
        if caller_awaits():
            return self._form_async()
        self._load_form_data()
        return self._form

    async def _form_async(self) -> ImmutableMultiDict[str, str]:
        await self._load_form_data_async()
        return self._form  # type: ignore[return-value]

    @property
    def files(self) -> t.Any:
        """The uploaded files of a multipart body (:class:`FileStorage`
        objects, whose ``save`` may be awaited). Await it in async code."""
        if caller_awaits():
            return self._files_async()
        self._load_form_data()
        return self._files

    async def _files_async(self) -> ImmutableMultiDict[str, FileStorage]:
        await self._load_form_data_async()
        return self._files  # type: ignore[return-value]

    @property
    def values(self) -> t.Any:
        """``args`` and ``form`` combined (``args`` only for GET). Await it in
        async code."""
        if caller_awaits():
            return self._values_async()
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])

    async def _values_async(self) -> CombinedMultiDict[str, str]:
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        await self._load_form_data_async()
        return CombinedMultiDict([self.args, t.cast(MultiDict[str, str], self._form)])

    # -- JSON -----------------------------------------------------------------

    @property
    def json(self) -> t.Any:
        """The parsed JSON body (see :meth:`get_json`). Await it in async
        code."""
        if caller_awaits():
            return self._get_json_async(False, False, True)
        return self._get_json(self._received_for_json, False, False, True)

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> t.Any:
        """Parse the body as JSON. Await it in async code.

        If the mimetype is not JSON, this is a 415 error, or ``None`` when
        ``silent``; ``force`` parses regardless. Bad JSON is a 400, or
        ``None`` when ``silent``.
        """
        if caller_awaits():
            return self._get_json_async(force, silent, cache)
        return self._get_json(self._received_for_json, force, silent, cache)

    def _received_for_json(self) -> bytes:
        return self._received()

    async def _get_json_async(self, force: bool, silent: bool, cache: bool) -> t.Any:
        data = await self._body.read() if (force or self.is_json) else b""
        return self._get_json(lambda: data, force, silent, cache)

    def _get_json(
        self,
        load: t.Callable[[], bytes],
        force: bool,
        silent: bool,
        cache: bool,
    ) -> t.Any:
        if cache and self._cached_json[silent] is not _MISSING:
            return self._cached_json[silent]
        if not (force or self.is_json):
            if not silent:
                return self.on_json_loading_failed(None)
            return None
        try:
            rv = self.json_module.loads(load())
        except (ValueError, RecursionError) as e:
            if silent:
                rv = None
                if cache:
                    normal = self._cached_json[False]
                    self._cached_json = (normal, rv)
            else:
                return self.on_json_loading_failed(e)
        else:
            if cache:
                self._cached_json = (rv, rv)
        return rv

    def on_json_loading_failed(self, e: Exception | None) -> t.Any:
        """Called when :meth:`get_json` fails: 415 for a wrong mimetype,
        400 for bad data (with details only in debug mode)."""
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'."
            )
        if self.debug:
            raise BadRequest(f"Failed to decode JSON object: {e}")
        raise BadRequest()

    # -- WSGI-shaped views ----------------------------------------------------

    @cached_property
    def environ(self) -> dict[str, t.Any]:
        """A WSGI-style environ synthesized from the ASGI scope, for code that
        reads ``request.environ["REMOTE_ADDR"]`` and the like. Changing it does
        not change the request."""
        base = self.scope.get("_pottle.environ")
        environ = base if base is not None else environ_from_request(self)
        environ["werkzeug.request"] = self
        return environ

    def close(self) -> None:
        """Close uploaded files."""
        if self._files:
            for _key, value in self._files.items(multi=True):
                value.close()

    def __enter__(self) -> Request:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _BodyReader(io.RawIOBase):
    """``request.stream`` for a body still arriving: each read waits (on a
    worker thread) for the next chunk."""

    def __init__(self, body: Body) -> None:
        self._chunks = body.consume()
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: t.Any) -> int:
        if not self._pending:
            self._pending = block_on(anext(self._chunks, b""))
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def environ_from_request(request: Request) -> dict[str, t.Any]:
    """The WSGI environ keys that describe ``request``."""
    server_name, server_port = request.server or ("", None)
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": _wsgi_str(request.root_path),
        "PATH_INFO": _wsgi_str(request.path),
        "QUERY_STRING": request.query_string.decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port or ""),
        "SERVER_PROTOCOL": f"HTTP/{request.http_version}",
        "REMOTE_ADDR": request.remote_addr,
        "wsgi.url_scheme": request.scheme,
        "asgi.scope": request.scope,
    }
    for key, value in request.headers.items():
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        if name in environ:
            environ[name] = f"{environ[name]},{value}"
        else:
            environ[name] = value
    return environ


def scope_from_environ(environ: dict[str, t.Any]) -> tuple[dict[str, t.Any], bytes]:
    """An ASGI HTTP scope and the body bytes for a WSGI environ; the scope
    keeps the environ so ``request.environ`` returns it."""
    headers = [
        (name.encode("latin-1"), _header_bytes(value))
        for name, value in environ_headers(environ)
    ]
    root_path = _from_wsgi_str(environ.get("SCRIPT_NAME", ""))
    path = _from_wsgi_str(environ.get("PATH_INFO", "")) or "/"
    server_port = environ.get("SERVER_PORT")
    remote = environ.get("REMOTE_ADDR")
    scope: dict[str, t.Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2]
        or "1.1",
        "method": environ.get("REQUEST_METHOD", "GET"),
        "scheme": environ.get("wsgi.url_scheme", "http"),
        "path": root_path + path,
        "raw_path": (
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        ).encode("latin-1"),
        "query_string": environ.get("QUERY_STRING", "").encode("latin-1"),
        "root_path": root_path,
        "headers": headers,
        "client": (remote, int(environ.get("REMOTE_PORT") or 0)) if remote else None,
        "server": (
            environ.get("SERVER_NAME", ""),
            int(server_port) if server_port else None,
        ),
        "_pottle.environ": environ,
    }
    return scope, _read_wsgi_input(environ)


def environ_headers(environ: dict[str, t.Any]) -> list[tuple[str, str]]:
    """The request headers a WSGI environ holds, lowercased as in ASGI."""
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers.append((name.replace("_", "-").lower(), str(value)))
    return headers


def _header_bytes(value: str) -> bytes:
    # PEP 3333 values are latin-1; a hand-built environ may hold any text.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode()


def _read_wsgi_input(environ: dict[str, t.Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size: int | None = int(length)
        except ValueError:
            return b""
    elif environ.get("wsgi.input_terminated"):
        size = None
    else:
        return b""
    # Leave a seekable stream as it was: a test client following a 307
    # redirect sends the same input again.
    position = (
        stream.tell() if hasattr(stream, "seekable") and stream.seekable() else None
    )
    data: bytes = stream.read() if size is None else stream.read(size)
    if position is not None:
        stream.seek(position)
    return data


def _from_wsgi_str(value: str) -> str:
    return value.encode("latin-1").decode(errors="replace")


def _wsgi_str(value: str) -> str:
    # PEP 3333: native strings carrying the UTF-8 bytes as latin-1.
    return value.encode().decode("latin-1")
