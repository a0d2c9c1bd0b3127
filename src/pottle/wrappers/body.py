"""A request body as it arrives: streamed once, or received whole and kept.

The chunks come from an async iterator the ASGI layer provides; this module
never speaks ASGI. Limits are passed in by the caller and enforced while the
bytes arrive: a body is never buffered past ``max_length`` before the 413.
Nothing is pulled from the server until someone reads, so a handler that
ignores the body makes the server hold at most its own small queue.
"""

from __future__ import annotations

import asyncio
import typing as t

from werkzeug.exceptions import (
    HTTPException,
    RequestEntityTooLarge,
    RequestTimeout,
)


class BodyStreamedError(RuntimeError):
    """The body was consumed by ``async for chunk in request.body``."""


class Body:
    """The body of one request.

    ``async for chunk in body`` streams it (once); ``await body`` (or
    :meth:`read`) receives all of it and keeps the bytes. :meth:`prefetch`
    receives up to a small window ahead of time so sync code running on the
    event loop can read small bodies without blocking.
    """

    def __init__(
        self,
        chunks: t.AsyncIterator[bytes] | None,
        declared_length: int | None,
        max_length: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self._chunks = chunks
        #: The ``Content-Length`` the client declared, if any.
        self.declared_length = declared_length
        #: More bytes than this give a 413 as soon as they arrive.
        self.max_length = max_length
        #: Reading the whole body may take this many seconds, then 408.
        self.timeout = timeout
        self._buffer: list[bytes] = []
        self._received = 0
        self._data: bytes | None = b"" if chunks is None else None
        self._error: HTTPException | None = None
        self._streamed = False
        self._lock = asyncio.Lock()

    @classmethod
    def from_bytes(cls, data: bytes) -> Body:
        """A body that has fully arrived already."""
        body = cls(None, len(data))
        body._data = data
        body._received = len(data)
        return body

    @property
    def data(self) -> bytes | None:
        """The whole body if it has been received, else ``None``."""
        data = self._data
        # A body given whole (from_bytes) still honours the limit.
        if (
            data is not None
            and self.max_length is not None
            and len(data) > self.max_length
        ):
            self._fail(RequestEntityTooLarge())
        return data

    @property
    def has_pending(self) -> bool:
        """Whether some of the body may still be unread from the server."""
        return self._data is None and self._error is None and not self._streamed

    def _check_declared(self) -> None:
        limit = self.max_length
        if (
            limit is not None
            and self.declared_length is not None
            and self.declared_length > limit
        ):
            self._fail(RequestEntityTooLarge())

    def _fail(self, error: HTTPException) -> t.NoReturn:
        self._error = error
        self._buffer.clear()
        raise error

    async def _pull(self) -> bool:
        """Receive one more chunk into the buffer; False at the end."""
        if self._chunks is None:
            return False
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self._chunks = None
            return False
        self._received += len(chunk)
        if self.max_length is not None and self._received > self.max_length:
            self._fail(RequestEntityTooLarge())
        self._buffer.append(chunk)
        return True

    async def read(self) -> bytes:
        """Receive the rest of the body and return all of it (kept for reuse),
        enforcing :attr:`max_length` and :attr:`timeout`."""
        if self._error is not None:
            raise self._error
        if (data := self.data) is not None:
            return data
        if self._streamed:
            raise BodyStreamedError(
                "The request body was already streamed with 'async for'."
            )
        async with self._lock:
            if self._data is None:
                self._check_declared()
                try:
                    async with asyncio.timeout(self.timeout):
                        while await self._pull():
                            pass
                except TimeoutError:
                    self._fail(RequestTimeout())
                self._data = b"".join(self._buffer)
                self._buffer.clear()
        return self._data

    async def prefetch(self, window: int) -> None:
        """Receive up to ``window`` bytes ahead of any reader.

        Errors (too large, disconnect) are kept for the real reader; this
        never raises for them.
        """
        if not self.has_pending:
            return
        async with self._lock:
            try:
                self._check_declared()
                if self.declared_length is not None and self.declared_length > window:
                    return
                while self._received <= window:
                    if not await self._pull():
                        self._data = b"".join(self._buffer)
                        self._buffer.clear()
                        return
            except HTTPException as e:
                self._error = e

    def __await__(self) -> t.Generator[t.Any, None, bytes]:
        return self.read().__await__()

    def __aiter__(self) -> t.AsyncIterator[bytes]:
        return self.stream()

    async def stream(self) -> t.AsyncIterator[bytes]:
        """Yield the body's chunks as they arrive, without keeping them."""
        if self._data is not None:
            if self._data:
                yield self._data
            return
        if self._error is not None:
            raise self._error
        if self._streamed:
            raise BodyStreamedError("The request body can only be streamed once.")
        self._streamed = True
        self._check_declared()
        while self._buffer or await self._pull_timed():
            chunk = self._buffer.pop(0)
            if chunk:
                yield chunk

    async def _pull_timed(self) -> bool:
        try:
            async with asyncio.timeout(self.timeout):
                return await self._pull()
        except TimeoutError:
            self._fail(RequestTimeout())
