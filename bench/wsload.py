"""A websocket echo load generator (wrk speaks no websocket).

Each connection sends one small text message, waits for the echo and sends
the next (closed loop), for a fixed time. It is written on asyncio
protocols with pre-built frames and runs on uvloop when present, so that one
core of it outruns a one-core server. Prints one JSON line like run.py's
wrk script: messages, duration and latency percentiles.

    python bench/wsload.py ws://127.0.0.1:8000/ws -c 16 -d 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import typing as t
from urllib.parse import urlsplit

MESSAGE = b"Hello, websocket"
# Client frames must be masked; a zero key leaves the payload as it is.
FRAME = bytes([0x81, 0x80 | len(MESSAGE), 0, 0, 0, 0]) + MESSAGE
HANDSHAKE = (
    "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
)


class EchoClient(asyncio.Protocol):
    def __init__(self, request: bytes, stats: Stats) -> None:
        self.request, self.stats = request, stats
        self.buffer = b""
        self.upgraded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.sent_at = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = t.cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            self.buffer = rest
            self.upgraded.set_result(head.split(b" ", 2)[1] == b"101")
        while (size := frame_size(self.buffer)) and len(self.buffer) >= size:
            opcode = self.buffer[0] & 0x0F
            self.buffer = self.buffer[size:]
            if opcode == 0x8:  # close
                self.stop()
                return
            if opcode in (0x1, 0x2):
                self.stats.record(time.perf_counter() - self.sent_at)
                self.send_next()

    def send_next(self) -> None:
        if self.stats.running and self.transport is not None:
            self.sent_at = time.perf_counter()
            self.transport.write(FRAME)
        else:
            self.stop()

    def stop(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_result(False)
        if not self.closed.done():
            self.closed.set_result(None)


def frame_size(buffer: bytes) -> int:
    """The length of the server frame at the start of ``buffer`` (0 when
    its header is incomplete)."""
    if len(buffer) < 2:
        return 0
    length = buffer[1] & 0x7F
    if length < 126:
        return 2 + length
    if length == 126:
        return 4 + int.from_bytes(buffer[2:4], "big") if len(buffer) >= 4 else 0
    return 10 + int.from_bytes(buffer[2:10], "big") if len(buffer) >= 10 else 0


class Stats:
    def __init__(self) -> None:
        self.running = True
        self.latencies: list[float] = []

    def record(self, latency: float) -> None:
        if self.running:
            self.latencies.append(latency)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


async def load(url: str, connections: int, duration: float) -> dict[str, t.Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = HANDSHAKE.format(path=parts.path or "/", host=parts.netloc).encode()
    loop = asyncio.get_running_loop()
    stats = Stats()
    clients = []
    for _ in range(connections):
        _, client = await loop.create_connection(
            lambda: EchoClient(request, stats), host, port
        )
        clients.append(client)
    upgraded = await asyncio.gather(*(c.upgraded for c in clients))
    if not all(upgraded):
        for client in clients:
            client.stop()
        return {"error": "websocket handshake refused"}
    start = time.perf_counter()
    for client in clients:
        client.send_next()
    await asyncio.sleep(duration)
    stats.running = False
    elapsed = time.perf_counter() - start
    # A connection the server closed before the end is an error.
    lost = sum(1 for c in clients if c.closed.done())
    await asyncio.wait([c.closed for c in clients], timeout=5)
    return {
        "requests": len(stats.latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": int(percentile(stats.latencies, 50) * 1e6),
        "p99_us": int(percentile(stats.latencies, 99) * 1e6),
        "errors": lost,
        "status_errors": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("-c", "--connections", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=10.0)
    args = parser.parse_args()
    coro = load(args.url, args.connections, args.duration)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(coro)
    else:
        result = uvloop.run(coro)
    print("BENCH " + json.dumps(result))


if __name__ == "__main__":
    main()
