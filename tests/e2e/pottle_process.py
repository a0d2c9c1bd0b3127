"""Helpers for tests that run ``pottle`` (or a script) in a child process:
start it, wait until it serves, send requests, stop it, and find the
processes it left behind."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import support

APP = """
from pottle import Pottle

app = Pottle(__name__)

@app.route("/")
def index():
    return "version 1"

@app.route("/boom")
def boom():
    return 1 / 0
"""


class Server:
    """A child process started in ``cwd``, its output going to a log file."""

    def __init__(self, args: list[str], cwd: pathlib.Path, **env: str) -> None:
        self.log_path = cwd / f"server-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=support.subprocess_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @classmethod
    def pottle(cls, cwd: pathlib.Path, *args: str, **env: str) -> Server:
        return cls([sys.executable, "-m", "pottle", *args], cwd, **env)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_serving(self, port: int, timeout: float = 20) -> None:
        support.wait_listening(port, self.process, lambda: self.output, timeout)

    def wait_output(self, text: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in:\n{self.output}")
            time.sleep(0.05)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 20) -> int:
        """Send ``signum`` and wait for the exit status."""
        self.process.send_signal(signum)
        return self.wait(timeout)

    def wait(self, timeout: float = 20) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the process did not exit:\n{self.output}") from None

    def kill(self) -> None:
        """Clean up after a failed test: the process and anything it started."""
        for pid in descendants(self.pid):
            _kill(pid)
        _kill(self.pid)
        self.process.wait()
        self._log.close()


def get(port: int, path: str = "/", scheme: str = "http", **headers: str) -> str:
    """The body of a GET (of an error response too); raises OSError when
    nothing answers."""
    request = urllib.request.Request(f"{scheme}://127.0.0.1:{port}{path}")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    context = ssl._create_unverified_context() if scheme == "https" else None
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as rv:
            return rv.read().decode()
    except urllib.error.HTTPError as e:
        return e.read().decode()


def wait_for_body(port: int, expected: str, timeout: float = 20) -> None:
    """Poll ``/`` until it answers ``expected`` (a restart in between is fine)."""
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        try:
            if (body := get(port)) == expected:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/ answered {body!r}, not {expected!r}")


def descendants(pid: int) -> list[int]:
    """The living processes below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            children.setdefault(stat[1], []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running (not zombie) process."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def wait_gone(pids: list[int], timeout: float = 10) -> list[int]:
    """Wait for ``pids`` to exit; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
