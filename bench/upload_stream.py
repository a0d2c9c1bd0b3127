"""A 200 MB upload against a real Hypercorn, while another client pings.

Measures what the upload does to everyone else: the latency of concurrent
requests (is the event loop free?) and the server's memory (is the body
held?). Usage, from the repository root:

    python bench/upload_stream.py [--size-mb 200] [--route stream|multipart]

It prints the ping latencies when idle and during the upload, the upload's
throughput, and the server's RSS before and at its peak.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
CHUNK = 256 * 1024
BOUNDARY = b"benchboundary"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, HERE]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hypercorn",
            "--bind",
            f"127.0.0.1:{port}",
            "upload_app:app",
        ],
        cwd=HERE,
        env=env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


def rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and its children (Hypercorn serves
    from a worker process)."""
    total = 0.0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        for child in children.read().split():
            total += rss_mb(int(child))
    return total


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    return body


class Pinger(threading.Thread):
    """GET /ping on a keep-alive connection, back to back, recording each
    round trip."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.samples: list[tuple[float, float]] = []  # (when, seconds)
        self.stop = threading.Event()

    def run(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as sock:
            while not self.stop.is_set():
                start = time.perf_counter()
                sock.sendall(b"GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert read_response(sock) == b"pong"
                self.samples.append((start, time.perf_counter() - start))
                time.sleep(0.005)


def upload(port: int, route: str, size: int) -> tuple[float, bytes]:
    if route == "multipart":
        head_part = (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file";'
            b' filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        tail = b"\r\n--" + BOUNDARY + b"--\r\n"
        ctype = b"multipart/form-data; boundary=" + BOUNDARY
    else:
        head_part, tail, ctype = b"", b"", b"application/octet-stream"
    length = len(head_part) + size + len(tail)
    head = (
        (
            f"POST /{route} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n"
            "Content-Type: "
        ).encode()
        + ctype
        + b"\r\n\r\n"
    )
    block = os.urandom(CHUNK)
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + head_part)
        sent = 0
        while sent < size:
            piece = block[: min(CHUNK, size - sent)]
            sock.sendall(piece)
            sent += len(piece)
        sock.sendall(tail)
        body = read_response(sock)
    return time.perf_counter() - start, body


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"n={len(ordered)} median={statistics.median(ordered) * 1000:.2f} ms"
        f" p99={p99 * 1000:.2f} ms max={ordered[-1] * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--route", choices=["stream", "multipart"], default="stream")
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024

    port = free_port()
    server = start_server(port)
    try:
        pinger = Pinger(port)
        pinger.start()
        time.sleep(2)
        idle = [s for _, s in pinger.samples]
        rss_before = rss_mb(server.pid)
        peak = [rss_before]
        sampling = threading.Event()

        def sample_rss() -> None:
            while not sampling.is_set():
                peak.append(rss_mb(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        began = time.perf_counter()
        seconds, body = upload(port, args.route, size)
        ended = time.perf_counter()
        sampling.set()
        sampler.join()
        pinger.stop.set()
        pinger.join()
        during = [s for when, s in pinger.samples if began <= when <= ended]

        print(f"route: /{args.route}, upload: {args.size_mb} MiB -> {body.decode()}")
        print(f"upload time: {seconds:.2f} s ({args.size_mb / seconds:.0f} MiB/s)")
        print(f"ping idle:          {summary(idle)}")
        print(f"ping during upload: {summary(during)}")
        print(f"server RSS: {rss_before:.1f} MiB before, {max(peak):.1f} MiB peak")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
