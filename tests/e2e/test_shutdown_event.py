"""On SIGTERM, ``app.shutdown_event`` is set as soon as the server starts
to stop, so a long-lived stream can finish cleanly before the graceful
timeout cuts it."""

from __future__ import annotations

import pathlib
import signal
import socket

import pytest
from pottle_process import Server

import support

APP = """
import asyncio
from pottle import Pottle

app = Pottle(__name__)

@app.route("/ticks")
async def ticks():
    async def generate():
        yield "tick\\n"
        while not app.shutdown_event.is_set():
            await asyncio.sleep(0.05)
        yield "bye\\n"
    return generate(), {"Content-Type": "text/plain"}
"""


@pytest.mark.slow
def test_stream_sees_shutdown_event_and_ends_cleanly(tmp_path: pathlib.Path) -> None:
    (tmp_path / "ticker.py").write_text(APP)
    port = support.free_port()
    server = Server.pottle(tmp_path, "--app", "ticker.py", "run", "--port", str(port))
    try:
        server.wait_serving(port)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /ticks HTTP/1.1\r\nHost: localhost\r\n\r\n")
            received = b""
            while b"tick" not in received:
                received += sock.recv(4096)
            server.process.send_signal(signal.SIGTERM)
            while chunk := sock.recv(4096):
                received += chunk
        assert b"bye" in received
        # the chunked body was terminated properly, not cut
        assert received.endswith(b"0\r\n\r\n")
        assert server.wait() == 0
    finally:
        server.kill()
