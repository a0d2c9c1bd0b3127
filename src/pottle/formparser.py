"""Form bodies (urlencoded and multipart) parsed as the bytes arrive.

Multipart bodies go through werkzeug's sans-IO ``MultipartDecoder`` with
every limit checked while bytes arrive: parts, the header block of each
part, field memory per field and in total. Uploads stay in memory up to a
small budget; past it they are written to temporary files by a worker
thread, never on the event loop. Imports werkzeug only; limits are passed
in by the request.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import tempfile
import typing as t
from urllib.parse import parse_qsl

import aiofiles
import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" codec)
from werkzeug.datastructures import FileStorage as WerkzeugFileStorage
from werkzeug.datastructures import Headers, MultiDict
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)

from ._concurrency import caller_awaits

Form = MultiDict[str, str]
Files = MultiDict[str, "FileStorage"]

#: The decoder is fed at most this much at a time, so every scan it makes
#: covers a bounded window (CVE-2023-46136 class: no rescans of a growing
#: buffer).
_PIECE = 64 * 1024
_SAFE_CHARSETS = frozenset({"ascii", "us-ascii", "utf-8", "iso-8859-1"})
_MAX_BOUNDARY = 200


class FileStorage(WerkzeugFileStorage):
    """An uploaded file (werkzeug's), whose :meth:`save` may be awaited."""

    def save(
        self,
        dst: str | os.PathLike[str] | t.IO[bytes],
        buffer_size: int | None = None,
    ) -> t.Any:
        """Save the file to a path or a file object. Await it in async code
        (the copy then runs off the event loop, with aiofiles).

        :param dst: a path, or a file object open for binary writing.
        :param buffer_size: bytes copied per step (16 KiB, or 1 MiB when
            awaited).
        """
        if caller_awaits():
            return self._save_async(dst, buffer_size or 1024 * 1024)
        super().save(dst, buffer_size or 16 * 1024)
        return None

    async def _save_async(
        self, dst: str | os.PathLike[str] | t.IO[bytes], buffer_size: int
    ) -> None:
        if not isinstance(dst, (str, os.PathLike)):
            await asyncio.to_thread(shutil.copyfileobj, self.stream, dst, buffer_size)
            return
        read = _reader_of(self.stream)
        async with aiofiles.open(dst, "wb") as out:
            while chunk := await read(buffer_size):
                await out.write(chunk)


def _reader_of(stream: t.IO[bytes]) -> t.Callable[[int], t.Awaitable[bytes]]:
    # Memory needs no thread; a file on disk is read in one.
    if isinstance(stream, io.BytesIO):

        async def read_memory(size: int) -> bytes:
            return stream.read(size)

        return read_memory

    async def read_file(size: int) -> bytes:
        return await asyncio.to_thread(stream.read, size)

    return read_file


class FormDataParser:
    """Parses ``application/x-www-form-urlencoded`` and
    ``multipart/form-data`` bodies into ``(form, files)``.

    :param max_form_memory_size: the most bytes a non-file multipart field
        may have, and all of them together (413).
    :param max_form_parts: the most multipart parts (413).
    :param max_part_header_size: the most bytes in the header block of one
        part, and in the preamble (413).
    :param cls: the multidict class of the results.
    """

    #: Uploads of one request are kept in memory up to this many bytes in
    #: total; beyond it they are spooled to temporary files (in a thread).
    upload_memory_size = 1024 * 1024
    #: The class of uploaded files.
    file_storage_class: type[FileStorage] = FileStorage

    def __init__(
        self,
        max_form_memory_size: int | None = None,
        max_form_parts: int | None = None,
        max_part_header_size: int | None = None,
        cls: type[MultiDict[str, t.Any]] = MultiDict,
    ) -> None:
        self.max_form_memory_size = max_form_memory_size
        self.max_form_parts = max_form_parts
        self.max_part_header_size = max_part_header_size
        self.cls = cls

    def parse_bytes(
        self, data: bytes, mimetype: str, options: dict[str, str]
    ) -> tuple[Form, Files]:
        """Parse a body that is already in memory (no I/O: uploads stay in
        memory too)."""
        reader = self._reader(mimetype, options)
        if reader is None:
            return self.cls(), self.cls()
        reader.feed(data)
        reader.end()
        return reader.result(self.cls, self.file_storage_class)

    async def parse(
        self, chunks: t.AsyncIterator[bytes], mimetype: str, options: dict[str, str]
    ) -> tuple[Form, Files]:
        """Parse a body from its chunks as they arrive."""
        reader = self._reader(mimetype, options)
        if reader is None:
            return self.cls(), self.cls()
        try:
            async for chunk in chunks:
                reader.feed(chunk)
                await reader.spill()
            reader.end()
            await reader.spill()
        except BaseException:
            await reader.discard()
            raise
        return reader.result(self.cls, self.file_storage_class)

    def _reader(
        self, mimetype: str, options: dict[str, str]
    ) -> _UrlencodedReader | _MultipartReader | None:
        if mimetype == "application/x-www-form-urlencoded":
            return _UrlencodedReader()
        if mimetype == "multipart/form-data":
            boundary = options.get("boundary", "")
            if not 0 < len(boundary) <= _MAX_BOUNDARY or not boundary.isascii():
                raise BadRequest("The multipart/form-data body has no valid boundary.")
            return _MultipartReader(boundary.encode("ascii"), self)
        return None


class _UrlencodedReader:
    """Collects the body; it parses in one pass at the end. Its size is
    bounded by ``MAX_CONTENT_LENGTH``, as in Flask."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self._chunks.append(data)

    def end(self) -> None:
        pass

    async def spill(self) -> None:
        pass

    async def discard(self) -> None:
        self._chunks.clear()

    def result(
        self, cls: type[MultiDict[str, t.Any]], storage: type[FileStorage]
    ) -> tuple[Form, Files]:
        # Raw non-ASCII bytes are invalid here; a bad percent-escape is kept
        # as written (werkzeug's handler), never an error.
        text = b"".join(self._chunks).decode("utf-8", "replace")
        items = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
        return cls(items), cls()


class _Upload:
    """One file part: bytes in memory, then (maybe) in a temporary file."""

    __slots__ = ("part", "memory", "file", "done")

    def __init__(self, part: File) -> None:
        self.part = part
        self.memory = bytearray()
        self.file: t.IO[bytes] | None = None
        self.done = False


class _MultipartReader:
    """The sans-IO part: feeds the decoder, checks limits, collects fields
    and uploads. Only :meth:`spill` and :meth:`discard` do I/O (off the
    loop)."""

    def __init__(self, boundary: bytes, parser: FormDataParser) -> None:
        self._decoder = MultipartDecoder(boundary, max_parts=parser.max_form_parts)
        self._max_field = parser.max_form_memory_size
        self._max_header = parser.max_part_header_size
        self._budget = parser.upload_memory_size
        self._fields: list[tuple[str, str]] = []
        self._uploads: list[_Upload] = []
        self._part: Field | File | None = None
        self._value: list[bytes] = []
        self._value_size = 0
        self._fields_size = 0
        self._in_memory = 0
        self._to_rewind: list[_Upload] = []
        # Bytes that may start a delimiter wait until the delimiter can be
        # seen whole: the decoder, given a buffer that ends inside
        # "--boundary--", takes the line break before it for data.
        self._held = b""
        self._tail = len(boundary) + 8

    def feed(self, data: bytes) -> None:
        data = self._held + data
        cut = _safe_end(data, self._tail)
        self._held = data[cut:]
        self._feed(data[:cut])

    def _feed(self, data: bytes) -> None:
        decoder = self._decoder
        for start in range(0, len(data), _PIECE):
            if decoder.state in (State.EPILOGUE, State.COMPLETE):
                return  # the epilogue is ignored, so never buffered
            decoder.receive_data(data[start : start + _PIECE])
            self._next_events()

    def end(self) -> None:
        self._feed(self._held)
        self._decoder.receive_data(None)
        self._next_events()
        if self._decoder.state is not State.COMPLETE:
            raise BadRequest("The multipart/form-data body ended too early.")

    def _next_events(self) -> None:
        decoder = self._decoder
        while True:
            try:
                event = decoder.next_event()
            except RequestEntityTooLarge:
                raise
            except Exception:
                # Whatever the decoder trips on is malformed input.
                raise BadRequest("The multipart/form-data body is malformed.") from None
            if isinstance(event, (NeedData, Epilogue)):
                break
            if isinstance(event, (Field, File)):
                self._start(event)
            elif isinstance(event, Data):
                self._add(event)
        limit = self._max_header
        if (
            limit is not None
            and decoder.state in (State.PREAMBLE, State.PART)
            and len(decoder.buffer) > limit
        ):
            # A header block (or preamble) still without its end: aiohttp
            # CVE-2026-34516 class, unbounded part headers.
            raise RequestEntityTooLarge()

    def _start(self, part: Field | File) -> None:
        limit = self._max_header
        if limit is not None:
            size = sum(len(k) + len(v) + 4 for k, v in part.headers.items())
            if size > limit:
                raise RequestEntityTooLarge()
        if not part.name:
            raise BadRequest("A multipart/form-data part has no name.")
        self._part = part
        if isinstance(part, File):
            self._uploads.append(_Upload(part))
        else:
            self._value = []
            self._value_size = 0

    def _add(self, event: Data) -> None:
        part = self._part
        if isinstance(part, File):
            upload = self._uploads[-1]
            upload.memory += event.data
            self._in_memory += len(event.data)
            if not event.more_data:
                upload.done = True
                if upload.file is not None:
                    self._to_rewind.append(upload)
            return
        size = len(event.data)
        self._value_size += size
        self._fields_size += size
        limit = self._max_field
        # Per field and in total (aiohttp CVE-2025-69228 class: a per-field
        # limit alone lets many fields add up without bound).
        if limit is not None and max(self._value_size, self._fields_size) > limit:
            raise RequestEntityTooLarge()
        self._value.append(event.data)
        if not event.more_data and part is not None:
            charset = _part_charset(part.headers)
            value = b"".join(self._value).decode(charset, "replace")
            self._fields.append((part.name, value))
            self._value = []

    async def spill(self) -> None:
        """Write upload bytes to temporary files, in a worker thread: those
        of an upload already on disk, and those of the current upload once
        the uploads in memory pass the budget (Starlette CVE-2025-54121
        class: never roll over to disk on the loop)."""
        current = self._uploads[-1] if self._uploads else None
        if (
            current is not None
            and not current.done
            and current.memory
            and (current.file is not None or self._in_memory > self._budget)
        ):
            await self._flush(current, rewind=False)
        while self._to_rewind:
            await self._flush(self._to_rewind.pop(), rewind=True)

    async def _flush(self, upload: _Upload, rewind: bool) -> None:
        data, upload.memory = bytes(upload.memory), bytearray()
        self._in_memory -= len(data)
        upload.file = await asyncio.to_thread(_write, upload.file, data, rewind)

    async def discard(self) -> None:
        files = [u.file for u in self._uploads if u.file is not None]
        self._uploads.clear()
        if files:
            await asyncio.to_thread(_close_all, files)

    def result(
        self, cls: type[MultiDict[str, t.Any]], storage: type[FileStorage]
    ) -> tuple[Form, Files]:
        files = [
            (
                u.part.name,
                storage(
                    u.file if u.file is not None else io.BytesIO(u.memory),
                    u.part.filename,
                    u.part.name,
                    headers=u.part.headers,
                ),
            )
            for u in self._uploads
        ]
        return cls(self._fields), cls(files)


def _safe_end(data: bytes, tail: int) -> int:
    """Where to cut ``data`` so no line break among its last ``tail`` bytes
    is handed over without the bytes that follow it."""
    start = max(0, len(data) - tail)
    found = [i for i in (data.find(b"\r", start), data.find(b"\n", start)) if i >= 0]
    return min(found) if found else len(data)


def _write(file: t.IO[bytes] | None, data: bytes, rewind: bool) -> t.IO[bytes]:
    if file is None:
        file = t.cast(t.IO[bytes], tempfile.TemporaryFile("w+b"))
    file.write(data)
    if rewind:
        file.seek(0)
    return file


def _close_all(files: list[t.IO[bytes]]) -> None:
    for file in files:
        file.close()


def _part_charset(headers: Headers) -> str:
    # Only a few safe charsets are honoured (werkzeug's rule); others UTF-8.
    content_type = headers.get("content-type")
    if content_type:
        charset = parse_options_header(content_type)[1].get("charset", "").lower()
        if charset in _SAFE_CHARSETS:
            return charset
    return "utf-8"
