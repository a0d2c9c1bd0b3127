"""The request body on its own: limits while bytes arrive, timeouts, the
prefetch window, streaming once."""

from __future__ import annotations

import asyncio
import typing as t

import pytest
from werkzeug.exceptions import (
    ClientDisconnected,
    RequestEntityTooLarge,
    RequestTimeout,
)

from pottle.wrappers.body import Body, BodyStreamedError


class Source:
    """Chunks for a body, counting how many the body pulled."""

    def __init__(self, chunks: list[bytes], stall: bool = False) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.stall = stall

    async def __call__(self) -> t.AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk
        if self.stall:
            await asyncio.Event().wait()


def run(coro: t.Coroutine[t.Any, t.Any, t.Any]) -> t.Any:
    return asyncio.run(coro)


def test_read_joins_and_keeps() -> None:
    async def main() -> tuple[bytes, bytes]:
        body = Body(Source([b"ab", b"cd"])(), 4)
        return await body.read(), await body

    assert run(main()) == (b"abcd", b"abcd")


def test_declared_length_over_limit_is_413_before_any_pull() -> None:
    source = Source([b"x" * 10])

    async def main() -> None:
        await Body(source(), 10_000, max_length=100).read()

    with pytest.raises(RequestEntityTooLarge):
        run(main())
    assert source.pulled == 0


def test_running_total_over_limit_is_413_as_bytes_arrive() -> None:
    # No Content-Length (chunked): the total is checked per chunk, and
    # reading stops at the chunk that crosses the limit.
    source = Source([b"x" * 40] * 10)

    async def main() -> None:
        await Body(source(), None, max_length=100).read()

    with pytest.raises(RequestEntityTooLarge):
        run(main())
    assert source.pulled == 3


def test_error_is_kept_for_later_reads() -> None:
    async def main() -> list[str]:
        body = Body(Source([b"x" * 200])(), None, max_length=100)
        seen = []
        for _ in range(2):
            try:
                await body.read()
            except RequestEntityTooLarge:
                seen.append("413")
        return seen

    assert run(main()) == ["413", "413"]


def test_whole_body_timeout_is_408() -> None:
    async def main() -> None:
        await Body(Source([b"a"], stall=True)(), None, timeout=0.05).read()

    with pytest.raises(RequestTimeout):
        run(main())


def test_timeout_is_total_for_a_whole_read() -> None:
    async def trickle() -> t.AsyncIterator[bytes]:
        while True:
            await asyncio.sleep(0.01)
            yield b"x"

    async def main() -> None:
        await Body(trickle(), None, timeout=0.1).read()

    with pytest.raises(RequestTimeout):
        run(main())


def test_streaming_timeout_is_per_chunk() -> None:
    # Each chunk comes well within the timeout, though all of them take
    # longer than it: streaming is fine; an idle gap is not.
    async def trickle(n: int, stall: bool) -> t.AsyncIterator[bytes]:
        for _ in range(n):
            await asyncio.sleep(0.01)
            yield b"x"
        if stall:
            await asyncio.Event().wait()

    async def main(stall: bool) -> int:
        body = Body(trickle(10, stall), None, timeout=0.05)
        return sum([len(chunk) async for chunk in body])

    assert run(main(False)) == 10
    with pytest.raises(RequestTimeout):
        run(main(True))


def test_stream_only_once() -> None:
    async def main() -> list[bytes]:
        body = Body(Source([b"a", b"b"])(), None)
        chunks = [chunk async for chunk in body]
        with pytest.raises(BodyStreamedError):
            await body.read()
        with pytest.raises(BodyStreamedError):
            [chunk async for chunk in body]
        return chunks

    assert run(main()) == [b"a", b"b"]


def test_prefetch_stops_at_the_window() -> None:
    source = Source([b"x" * 10] * 100)

    async def main() -> Body:
        body = Body(source(), None)
        await body.prefetch(25)
        return body

    body = run(main())
    # Up to the window plus the chunk that crossed it, and no more.
    assert source.pulled == 3
    assert body.buffered == 30
    assert body.data is None


def test_prefetch_skips_a_declared_large_body() -> None:
    source = Source([b"x" * 10] * 100)

    async def main() -> None:
        await Body(source(), 1000).prefetch(25)

    run(main())
    assert source.pulled == 0


def test_prefetch_of_a_small_body_completes_it() -> None:
    async def main() -> bytes | None:
        body = Body(Source([b"ab", b"c"])(), 3)
        await body.prefetch(100)
        return body.data

    assert run(main()) == b"abc"


def test_prefetched_chunks_are_streamed_first() -> None:
    async def main() -> list[bytes]:
        body = Body(Source([b"a" * 10, b"b" * 10, b"c"])(), None)
        await body.prefetch(5)
        return [chunk async for chunk in body]

    assert run(main()) == [b"a" * 10, b"b" * 10, b"c"]


def test_prefetch_keeps_errors_for_the_reader() -> None:
    async def main() -> str:
        body = Body(Source([b"x" * 50])(), None, max_length=10)
        await body.prefetch(100)  # does not raise
        try:
            await body.read()
        except RequestEntityTooLarge:
            return "413"
        return "read"

    assert run(main()) == "413"


def test_prefetch_times_out_and_keeps_the_408() -> None:
    async def main() -> str:
        body = Body(Source([b"a"], stall=True)(), None, timeout=0.05)
        await body.prefetch(100)
        try:
            await body.read()
        except RequestTimeout:
            return "408"
        return "read"

    assert run(main()) == "408"


def test_consume_leaves_an_empty_body() -> None:
    async def main() -> tuple[list[bytes], bytes]:
        body = Body(Source([b"a", b"b"])(), None)
        chunks = [chunk async for chunk in body.consume()]
        return chunks, await body.read()

    assert run(main()) == ([b"a", b"b"], b"")


def test_abandon_fails_later_reads() -> None:
    async def main() -> None:
        body = Body(Source([b"a"])(), None)
        body.abandon(RequestEntityTooLarge())
        await body.read()

    with pytest.raises(RequestEntityTooLarge):
        run(main())


def test_disconnect_from_the_source_is_kept() -> None:
    async def gone() -> t.AsyncIterator[bytes]:
        yield b"a"
        raise ClientDisconnected()

    async def main() -> list[str]:
        body = Body(gone(), None)
        seen = []
        for _ in range(2):
            try:
                await body.read()
            except ClientDisconnected:
                seen.append("gone")
        return seen

    assert run(main()) == ["gone", "gone"]


def test_from_bytes_honours_the_limit() -> None:
    body = Body.from_bytes(b"x" * 20)
    assert body.data == b"x" * 20
    body.max_length = 10
    with pytest.raises(RequestEntityTooLarge):
        body.data  # noqa: B018


def test_a_zero_window_prefetches_nothing() -> None:
    source = Source([b"x" * 10] * 3)

    async def main() -> None:
        await Body(source(), None).prefetch(0)

    run(main())
    assert source.pulled == 0
