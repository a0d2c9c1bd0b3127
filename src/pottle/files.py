"""Responses that send files: paths and file objects, read without blocking
the event loop, with conditional and range requests (304, 412, 206, 416).

``helpers.send_file`` and ``helpers.send_from_directory`` are the public
entry points; they add the app's settings and call in here. Imports
werkzeug and the concurrency bridge only; the request and the response
class are passed in.
"""

from __future__ import annotations

import asyncio
import io
import mimetypes
import os
import secrets
import stat as stat_module
import typing as t
import unicodedata
from datetime import datetime
from time import time
from urllib.parse import quote
from zlib import adler32

import aiofiles
import aiofiles.os
from werkzeug.datastructures import Headers
from werkzeug.exceptions import NotFound, RequestedRangeNotSatisfiable
from werkzeug.http import http_date, parse_etags, parse_range_header
from werkzeug.sansio.http import is_resource_modified
from werkzeug.security import safe_join

from ._concurrency import block_on, on_loop

if t.TYPE_CHECKING:
    from werkzeug.sansio.request import Request

    from .wrappers import Response

#: Bytes read from a file per step.
CHUNK_SIZE = 64 * 1024
#: A ``Range`` header with more ranges than this gets a 416 before it is
#: parsed (Starlette CVE-2025-62727 class: many ranges, quadratic merging).
MAX_RANGES = 16

PathOrFile = t.Union["os.PathLike[str]", str, t.IO[bytes]]
#: A piece of a file body: bytes sent first, then ``length`` bytes from
#: ``start`` (``None``: from the current position / to the end).
Segment = tuple[bytes, int | None, int | None]


class FileBody:
    """A response body read from a path or a file object.

    Iterated with ``async for`` (by the server) it reads through aiofiles,
    or a worker thread for file objects, so the loop never blocks on disk.
    Iterated plainly (sync code off the loop, ``response.data`` in a test)
    it waits for the same reads. It may send only some ranges of the file.
    """

    def __init__(
        self,
        source: str | t.IO[bytes],
        segments: list[Segment] | None = None,
        trailer: bytes = b"",
    ) -> None:
        self.source = source
        whole: list[Segment] = [(b"", None, None)]
        self.segments = segments if segments is not None else whole
        self.trailer = trailer
        self._running: t.AsyncGenerator[bytes, None] | None = None

    def __aiter__(self) -> t.AsyncIterator[bytes]:
        self._running = self._read()
        return self._running

    async def _read(self) -> t.AsyncGenerator[bytes, None]:
        read, seek, close = await _open(self.source)
        try:
            for prefix, start, length in self.segments:
                if prefix:
                    yield prefix
                if start is not None:
                    await seek(start)
                remaining = length
                while remaining is None or remaining > 0:
                    size = (
                        CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                    )
                    chunk = await read(size)
                    if not chunk:
                        break
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk
            if self.trailer:
                yield self.trailer
        finally:
            await close()

    def __iter__(self) -> t.Iterator[bytes]:
        chunks = self._read()
        try:
            while (chunk := block_on(anext(chunks, None))) is not None:
                yield chunk
        finally:
            block_on(chunks.aclose())

    async def aclose(self) -> None:
        """Stop reading (closes the file a path was opened as)."""
        if self._running is not None:
            await self._running.aclose()

    @on_loop
    def close(self) -> None:
        """Close the file object given to ``send_file``, as Flask does."""
        if not isinstance(self.source, str):
            self.source.close()


async def _open(
    source: str | t.IO[bytes],
) -> tuple[
    t.Callable[[int], t.Awaitable[bytes]],
    t.Callable[[int], t.Awaitable[object]],
    t.Callable[[], t.Awaitable[object]],
]:
    """Async ``read``, ``seek`` and ``close`` for a body's source."""
    if isinstance(source, str):
        file = await aiofiles.open(source, "rb")
        return file.read, file.seek, file.close
    if isinstance(source, io.BytesIO):
        # Memory: no thread needed.
        return _now(source.read), _now(source.seek), _nothing
    return _threaded(source.read), _threaded(source.seek), _nothing


def _now(fn: t.Callable[[int], t.Any]) -> t.Callable[[int], t.Awaitable[t.Any]]:
    async def call(arg: int) -> t.Any:
        return fn(arg)

    return call


def _threaded(fn: t.Callable[[int], t.Any]) -> t.Callable[[int], t.Awaitable[t.Any]]:
    async def call(arg: int) -> t.Any:
        return await asyncio.to_thread(fn, arg)

    return call


async def _nothing() -> None:
    return None


# -- resolving ----------------------------------------------------------------


def _split(
    path_or_file: PathOrFile, root_path: str | None
) -> tuple[str | None, t.IO[bytes] | None]:
    if isinstance(path_or_file, (os.PathLike, str)) or hasattr(
        path_or_file, "__fspath__"
    ):
        path = os.fspath(t.cast("os.PathLike[str] | str", path_or_file))
        if root_path is not None:
            return os.path.join(root_path, path), None
        return os.path.abspath(path), None
    return None, path_or_file


def join_in_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    root_path: str | None = None,
) -> str:
    """The path of untrusted ``path`` inside ``directory``; 404 if it would
    leave it. Beyond werkzeug's ``safe_join``, a backslash or NUL anywhere
    is refused on every OS (Sanic CVE-2022-35920 class)."""
    untrusted = os.fspath(path)
    if "\\" in untrusted or "\x00" in untrusted:
        raise NotFound()
    joined = safe_join(os.fspath(directory), untrusted)
    if joined is None:
        raise NotFound()
    if root_path is not None:
        joined = os.path.join(root_path, joined)
    return joined


def _regular_file(stat: os.stat_result) -> os.stat_result:
    if not stat_module.S_ISREG(stat.st_mode):
        raise NotFound()
    return stat


def send_file(
    path_or_file: PathOrFile, root_path: str | None = None, **options: t.Any
) -> Response:
    """Build the response for a path or file object (``os.stat`` on the
    calling thread); ``options`` are :func:`file_response`'s."""
    path, file = _split(path_or_file, root_path)
    stat = os.stat(path) if path is not None else None
    return file_response(path, file, stat, **options)


async def send_file_async(
    path_or_file: PathOrFile, root_path: str | None = None, **options: t.Any
) -> Response:
    """:func:`send_file` with the ``stat`` off the loop."""
    path, file = _split(path_or_file, root_path)
    stat = await aiofiles.os.stat(path) if path is not None else None
    return file_response(path, file, stat, **options)


def send_from_directory(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    root_path: str | None = None,
    **options: t.Any,
) -> Response:
    """Send ``path`` from inside ``directory``; 404 if it escapes it or is
    not a regular file, whether or not the target exists."""
    full = join_in_directory(directory, path, root_path)
    try:
        stat = _regular_file(os.stat(full))
    except (OSError, ValueError):
        raise NotFound() from None
    return file_response(full, None, stat, **options)


async def send_from_directory_async(
    directory: os.PathLike[str] | str,
    path: os.PathLike[str] | str,
    root_path: str | None = None,
    **options: t.Any,
) -> Response:
    """:func:`send_from_directory` with the ``stat`` off the loop."""
    full = join_in_directory(directory, path, root_path)
    try:
        stat = _regular_file(await aiofiles.os.stat(full))
    except (OSError, ValueError):
        raise NotFound() from None
    return file_response(full, None, stat, **options)


# -- the response --------------------------------------------------------------


def file_response(
    path: str | None,
    file: t.IO[bytes] | None,
    stat: os.stat_result | None,
    *,
    request: Request,
    response_class: type[Response],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: None | (int | t.Callable[[str | None], int | None]) = None,
    use_x_sendfile: bool = False,
) -> Response:
    """The response for a resolved file, with Flask's ``send_file`` rules
    for names, MIME types, caching and ETags. No I/O happens here."""
    size = stat.st_size if stat is not None else None
    mtime = stat.st_mtime if stat is not None else None
    if file is not None:
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        if isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes
    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    headers = Headers()
    mimetype = _mimetype(mimetype, download_name, as_attachment, headers)
    _disposition(headers, download_name, as_attachment)

    source: str | t.IO[bytes] | None = file if file is not None else path
    if use_x_sendfile and path is not None:
        headers["X-Sendfile"] = path
        source = None
    rv = response_class(
        FileBody(source) if source is not None else None,
        mimetype=mimetype,
        headers=headers,
        direct_passthrough=True,
    )
    if size is not None:
        rv.content_length = size
    if last_modified is not None:
        rv.last_modified = last_modified  # type: ignore[assignment]
    elif mtime is not None:
        rv.last_modified = mtime  # type: ignore[assignment]
    _cache(rv, max_age(path) if callable(max_age) else max_age)
    if isinstance(etag, str):
        rv.set_etag(etag)
    elif etag and path is not None:
        check = adler32(path.encode()) & 0xFFFFFFFF
        rv.set_etag(f"{mtime}-{size}-{check}")
    if conditional:
        try:
            _make_conditional(rv, request, size)
        except RequestedRangeNotSatisfiable:
            if file is not None:
                file.close()
            raise
    return rv


def _mimetype(
    mimetype: str | None,
    download_name: str | None,
    as_attachment: bool,
    headers: Headers,
) -> str:
    if mimetype is not None:
        return mimetype
    if download_name is None:
        raise TypeError(
            "Unable to detect the MIME type because a file name is"
            " not available. Either set 'download_name', pass a"
            " path instead of a file, or set 'mimetype'."
        )
    guessed, encoding = mimetypes.guess_type(download_name)
    # An encoding on an attachment makes browsers unpack .tar.gz files.
    if encoding is not None and not as_attachment:
        headers.set("Content-Encoding", encoding)
    return guessed or "application/octet-stream"


def _disposition(
    headers: Headers, download_name: str | None, as_attachment: bool
) -> None:
    if download_name is None:
        if as_attachment:
            raise TypeError(
                "No name provided for attachment. Either set"
                " 'download_name' or pass a path instead of a file."
            )
        return
    names: dict[str, str]
    if download_name.isascii():
        names = {"filename": download_name}
    else:
        # RFC 6266: an ASCII fallback, and the real name RFC 5987-encoded.
        simple = unicodedata.normalize("NFKD", download_name)
        simple = simple.encode("ascii", "ignore").decode("ascii")
        quoted = quote(download_name, safe="!#$&+-.^_`|~")
        names = {"filename": simple, "filename*": f"UTF-8''{quoted}"}
    headers.set(
        "Content-Disposition", "attachment" if as_attachment else "inline", **names
    )


def _cache(rv: Response, max_age: int | None) -> None:
    rv.cache_control.no_cache = True
    if max_age is None:
        return
    if max_age > 0:
        rv.cache_control.no_cache = None
        rv.cache_control.public = True
    rv.cache_control.max_age = max_age
    rv.expires = int(time() + max_age)  # type: ignore[assignment]


# -- conditional and range requests ---------------------------------------------


def _modified(rv: Response, request: Request, ignore_if_range: bool) -> bool:
    headers = request.headers
    return is_resource_modified(
        http_range=headers.get("Range"),
        http_if_range=headers.get("If-Range"),
        http_if_modified_since=headers.get("If-Modified-Since"),
        http_if_none_match=headers.get("If-None-Match"),
        http_if_match=headers.get("If-Match"),
        etag=rv.headers.get("ETag"),
        last_modified=rv.headers.get("Last-Modified"),
        ignore_if_range=ignore_if_range,
    )


def _make_conditional(rv: Response, request: Request, size: int | None) -> None:
    """Answer a GET or HEAD with 206 (ranges), 304 or 412 where the request
    headers ask for it, as werkzeug's ``make_conditional`` does, plus
    multiple ranges (``multipart/byteranges``)."""
    if request.method not in ("GET", "HEAD"):
        return
    if "date" not in rv.headers:
        rv.headers["Date"] = http_date()
    rv.accept_ranges = "bytes"
    range_header = request.headers.get("Range")
    # A Range with If-Range applies only while the validator still matches.
    if (
        size
        and range_header
        and (
            "If-Range" not in request.headers
            or not _modified(rv, request, ignore_if_range=False)
        )
    ):
        spans = satisfiable_ranges(range_header, size)
        if spans is not None:
            _send_ranges(rv, spans, size)
            return
    if not _modified(rv, request, ignore_if_range=True):
        if parse_etags(request.headers.get("If-Match")):
            rv.status_code = 412
            _drop_body(rv)
        else:
            rv.status_code = 304
        rv.headers.pop("X-Sendfile", None)


def satisfiable_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """The ``(start, stop)`` spans a ``Range`` header asks of ``size``
    bytes, sorted and merged; None to ignore the header (a unit other than
    bytes). 416 when malformed, too many, or none is satisfiable.

    Linear in the header: at most :data:`MAX_RANGES` ranges are parsed.
    """
    if header.count(",") >= MAX_RANGES:
        raise RequestedRangeNotSatisfiable(length=size)
    parsed = parse_range_header(header)
    if parsed is None:
        raise RequestedRangeNotSatisfiable(length=size)
    if parsed.units != "bytes":
        return None  # RFC 9110 14.2: ignore a unit we do not know
    spans: list[tuple[int, int]] = []
    for begin, end in parsed.ranges:
        if begin < 0:
            start, stop = max(size + begin, 0), size
        else:
            start, stop = begin, size if end is None else min(end, size)
        if start < stop:
            spans.append((start, stop))
    if not spans:
        raise RequestedRangeNotSatisfiable(length=size)
    spans.sort()
    merged = [spans[0]]
    for start, stop in spans[1:]:
        last_start, last_stop = merged[-1]
        if start <= last_stop:
            merged[-1] = (last_start, max(last_stop, stop))
        else:
            merged.append((start, stop))
    return merged


def _send_ranges(rv: Response, spans: list[tuple[int, int]], size: int) -> None:
    body = rv.response
    rv.status_code = 206
    if len(spans) == 1:
        start, stop = spans[0]
        rv.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
        rv.content_length = stop - start
        if isinstance(body, FileBody):
            body.segments = [(b"", start, stop - start)]
        return
    boundary = secrets.token_hex(16)
    content_type = rv.headers.get("Content-Type", "application/octet-stream")
    segments: list[Segment] = []
    for index, (start, stop) in enumerate(spans):
        lead = "\r\n" if index else ""
        head = (
            f"{lead}--{boundary}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{stop - 1}/{size}\r\n\r\n"
        )
        segments.append((head.encode("latin-1"), start, stop - start))
    trailer = f"\r\n--{boundary}--\r\n".encode("latin-1")
    rv.headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    rv.content_length = sum(len(p) + (n or 0) for p, _, n in segments) + len(trailer)
    if isinstance(body, FileBody):
        body.segments, body.trailer = segments, trailer


def _drop_body(rv: Response) -> None:
    body = rv.response
    if isinstance(body, FileBody):
        body.close()
    rv.response = []
    rv.content_length = 0
