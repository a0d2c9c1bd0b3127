"""A raw HTTP/1.1 client for hostile-input tests, and a Hypercorn server in
a subprocess. Raw sockets send exactly the bytes written: no client
normalises the path or the Host header on the way."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import typing as t

import support


class Reply(t.NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int,
    raw: bytes,
    *,
    pieces: t.Iterable[bytes] = (),
    timeout: float = 10,
) -> Reply:
    """Send ``raw`` (and then each of ``pieces``) on a new connection and
    read one response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for piece in pieces:
                sock.sendall(piece)
        return read_reply(sock)


def read_reply(sock: socket.socket) -> Reply:
    reader = _Reader(sock)
    status_line = reader.line()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while line := reader.line():
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = reader.exactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int(reader.line().split(b";")[0], 16):
            body += reader.exactly(size)
            reader.line()
        reader.line()
    else:
        body = reader.rest()
    return Reply(status, headers, body)


class _Reader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        self.buffer += data
        return bool(data)

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._more():
                raise ConnectionError(f"closed mid-line: {self.buffer[:200]!r}")
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._more():
                raise ConnectionError("closed mid-body")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def rest(self) -> bytes:
        while self._more():
            pass
        return self.buffer


def get(port: int, path: str, host: str = "127.0.0.1", extra: str = "") -> Reply:
    raw = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"
    return request(port, raw.encode("latin-1"))


def healthy(port: int) -> bool:
    """Whether a fresh request still gets its 200."""
    reply = get(port, "/health")
    return reply.status == 200 and reply.body == b"ok"


@contextlib.contextmanager
def hypercorn(
    app: str, cwd: str, log: str, env: dict[str, str] | None = None
) -> t.Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """Serve ``app`` (``module:attr``) with Hypercorn on 127.0.0.1, its
    output going to the file ``log``, and yield the port once it accepts
    connections."""
    port = support.free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", app],
            cwd=cwd,
            env=support.subprocess_env(**(env or {})),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        support.wait_listening(port, process, lambda: _read(log))
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read(log: str) -> str:
    with open(log, errors="replace") as output:
        return output.read()


def here() -> str:
    return os.path.dirname(os.path.abspath(__file__))
