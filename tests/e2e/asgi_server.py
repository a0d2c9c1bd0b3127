"""Run an app under a real ASGI server (Hypercorn or uvicorn) in a child
process for end-to-end tests: start it, wait until it listens, stop it."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import time
import typing as t

import support

STARTUP_SECONDS = 15

# Hypercorn in this process (its CLI spawns a worker process, which a test
# could leave behind): python -c HYPERCORN module:app host:port graceful_timeout
HYPERCORN = """
import asyncio, importlib, sys
from hypercorn.asyncio import serve
from hypercorn.config import Config

sys.path.insert(0, ".")
module, _, name = sys.argv[1].partition(":")
config = Config()
config.bind = [sys.argv[2]]
config.graceful_timeout = float(sys.argv[3])
asyncio.run(serve(getattr(importlib.import_module(module), name), config))
"""


class Served(t.NamedTuple):
    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """The server process's resident memory, from /proc (Linux)."""
        status = pathlib.Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1])

    def stop(self) -> str:
        """Stop it with SIGTERM (a graceful shutdown) and return its output."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=30)
        return out


@contextlib.contextmanager
def serve(
    app_dir: str | os.PathLike[str],
    target: str,
    server: str = "hypercorn",
    graceful_timeout: float = 3,
) -> t.Iterator[Served]:
    """Serve ``target`` (``module:app``, importable from ``app_dir``) with
    ``server`` (``hypercorn`` or ``uvicorn``)."""
    port = support.free_port()
    if server == "hypercorn":
        bind = f"127.0.0.1:{port}"
        command = ["-c", HYPERCORN, target, bind, str(graceful_timeout)]
    else:
        command = ["-m", "uvicorn", target, "--port", str(port), "--app-dir", "."]
    process = subprocess.Popen(
        [support.PYTHON, *command],
        cwd=app_dir,
        env=support.subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, port)
    try:
        # The output is read only once the process has exited (reading
        # a running server's pipe would block).
        support.wait_listening(
            port, process, lambda: _exited_output(process), STARTUP_SECONDS
        )
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _exited_output(process: subprocess.Popen[str]) -> str:
    return process.communicate()[0] if process.poll() is not None else ""


def wait_for(check: t.Callable[[], bool], seconds: float = 10) -> bool:
    """Poll ``check`` until it is true; False if it never became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
