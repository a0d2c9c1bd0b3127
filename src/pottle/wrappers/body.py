"""A request body as it arrives: streamed once, or received whole and kept.

The chunks come from an async iterator the ASGI layer provides; this module
never speaks ASGI. Limits are passed in by the caller and enforced while the
bytes arrive: a body is never buffered past ``max_length`` before the 413.
Nothing is pulled from the server until someone reads, so a handler that
ignores the body leaves it with the server (backpressure reaches the client).
"""

from __future__ import annotations

import asyncio
import contextvars
import typing as t
from types import TracebackType

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

    Timeouts: reading the whole body (:meth:`read`, :meth:`prefetch`,
    :meth:`consume`) must finish within :attr:`timeout` seconds of the first
    read; streaming with ``async for`` allows :attr:`timeout` seconds for
    each chunk, so a long upload is fine as long as bytes keep coming.
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
        #: Seconds allowed for the body (see the class docstring), then 408.
        self.timeout = timeout
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._received = 0
        self._data: bytes | None = b"" if chunks is None else None
        self._error: HTTPException | None = None
        self._streamed = False
        self._deadline: float | None = None
        self._lock: asyncio.Lock | None = None

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

    @property
    def buffered(self) -> int:
        """How many received bytes are held, waiting for a reader."""
        return self._buffered

    # -- receiving -----------------------------------------------------------

    def _over_limit(self) -> bool:
        limit = self.max_length
        return limit is not None and (
            (self.declared_length or 0) > limit or self._received > limit
        )

    def _check_limit(self) -> None:
        # Checked when a reader starts, against the limit then in force (a
        # view may have changed it after the prefetch).
        if self._over_limit():
            self._fail(RequestEntityTooLarge())

    def _fail(self, error: HTTPException) -> t.NoReturn:
        self.abandon(error)
        raise error

    def abandon(self, error: HTTPException) -> None:
        """Give up on the body: every later read raises ``error`` (a parser
        that stopped half-way, for a limit, calls this)."""
        self._error = error
        self._buffer.clear()
        self._buffered = 0

    def _start_clock(self) -> float | None:
        if self._deadline is None and self.timeout is not None:
            self._deadline = asyncio.get_running_loop().time() + self.timeout
        return self._deadline

    async def _pull(self, check_limit: bool = True) -> bytes | None:
        """Receive one more chunk (None at the end)."""
        if self._chunks is None:
            return None
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self._chunks = None
            return None
        except HTTPException as e:  # the client went away mid-body
            self._fail(e)
        self._received += len(chunk)
        if check_limit and self._over_limit():
            self._fail(RequestEntityTooLarge())
        return chunk

    async def _pull_by(self, deadline: float | None) -> bytes | None:
        """:meth:`_pull`, or 408 when ``deadline`` passes."""
        try:
            async with _Deadline(deadline):
                return await self._pull()
        except TimeoutError:
            self._fail(RequestTimeout())

    def _lock_for_reading(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _raise_if_unreadable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._streamed:
            raise BodyStreamedError(
                "The request body was already streamed with 'async for', so it"
                " cannot be read again."
            )

    async def read(self) -> bytes:
        """Receive the rest of the body and return all of it (kept for reuse),
        enforcing :attr:`max_length` and :attr:`timeout`."""
        if (data := self.data) is not None:
            return data
        self._raise_if_unreadable()
        async with self._lock_for_reading():
            if self._data is None:
                self._raise_if_unreadable()
                self._check_limit()
                try:
                    async with _Deadline(self._start_clock()):
                        while (chunk := await self._pull()) is not None:
                            self._buffer.append(chunk)
                except TimeoutError:
                    self._fail(RequestTimeout())
                self._keep_all()
        return self._data  # type: ignore[return-value]

    async def prefetch(self, window: int) -> None:
        """Receive up to ``window`` bytes ahead of any reader.

        It stops short of :attr:`max_length` (the reader decides on the 413)
        and keeps other errors (too slow, disconnect) for the reader; it
        never raises for them.
        """
        if not self.has_pending or window <= 0:
            return
        async with self._lock_for_reading():
            if not self.has_pending:
                return
            try:
                # Too large is the reader's business: the view may raise the
                # limit for this request before it reads.
                if self._over_limit() or (self.declared_length or 0) > window:
                    return
                async with _Deadline(self._start_clock()):
                    await self._fill(window)
            except TimeoutError:
                self.abandon(RequestTimeout())
            except HTTPException:
                pass  # kept in self._error by _fail

    async def _fill(self, window: int) -> None:
        while self._buffered <= window and not self._over_limit():
            chunk = await self._pull(check_limit=False)
            if chunk is None:
                self._keep_all()
                return
            self._buffer.append(chunk)
            self._buffered += len(chunk)

    def _keep_all(self) -> None:
        """The body has ended: keep what was received as its data."""
        self._data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0

    # -- streaming -----------------------------------------------------------

    def __await__(self) -> t.Generator[t.Any, None, bytes]:
        return self.read().__await__()

    def __aiter__(self) -> t.AsyncIterator[bytes]:
        return self.stream()

    def stream(self) -> t.AsyncIterator[bytes]:
        """Yield the body's chunks as they arrive, without keeping them. Each
        chunk must arrive within :attr:`timeout` seconds."""
        return self._iterate(whole=False)

    def consume(self) -> t.AsyncIterator[bytes]:
        """Yield the chunks for a parser (the form parser, ``request.stream``):
        the whole body must arrive within :attr:`timeout`, and afterwards the
        body reads as empty, as a consumed WSGI stream does."""
        return self._iterate(whole=True)

    async def _iterate(self, whole: bool) -> t.AsyncIterator[bytes]:
        if self._data is not None:
            data = self.data
            if whole:
                self._data = b""
            if data:
                yield data
            return
        self._raise_if_unreadable()
        self._streamed = True
        self._check_limit()
        while self._buffer:
            chunk = self._buffer.pop(0)
            self._buffered -= len(chunk)
            yield chunk
        deadline = self._start_clock() if whole else None
        while True:
            if not whole and self.timeout is not None:
                deadline = asyncio.get_running_loop().time() + self.timeout
            received = await self._pull_by(deadline)
            if received is None:
                break
            if received:
                yield received
        if whole:
            self._data = b""
            self._streamed = False


_EMPTY_CONTEXT = contextvars.Context()


class _Deadline:
    """``asyncio.timeout_at`` whose timer runs in an empty context.

    A cancelled timer stays in the loop's heap until a cleanup; one made
    the usual way holds a copy of the request's context (the request, its
    body, the app context) all that time.
    """

    __slots__ = ("when", "expired", "_task", "_handle")

    def __init__(self, when: float | None) -> None:
        self.when = when
        self.expired = False
        self._task: asyncio.Task[t.Any] | None = None
        self._handle: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> None:
        if self.when is not None:
            self._task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            self._handle = loop.call_at(self.when, self._expire, context=_EMPTY_CONTEXT)

    def _expire(self) -> None:
        self.expired = True
        if self._task is not None:
            self._task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        task, self._task = self._task, None
        if (
            self.expired
            and task is not None
            and exc_type is asyncio.CancelledError
            and task.uncancel() == 0
        ):
            raise TimeoutError from exc
