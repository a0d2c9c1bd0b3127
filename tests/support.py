"""Helpers for tests that start real processes and servers."""

from __future__ import annotations

import os
import pathlib
import socket
import sys
import time
import typing as t

import pottle

#: The directory that contains the ``pottle`` package under test.
SRC = os.path.dirname(os.path.dirname(os.path.abspath(pottle.__file__)))


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python process that must import the same
    pottle as this test run (a worktree's ``src`` before the installed one)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (SRC, env.get("PYTHONPATH", "")) if p
    )
    env.update(extra)
    return env


#: The boundary of the multipart bodies the tests build.
MULTIPART_BOUNDARY = "b0und4ry"


def multipart_part(
    name: str, value: bytes, filename: str | None = None, extra: str = ""
) -> bytes:
    """One part of a multipart/form-data body (``extra``: more header lines,
    each ending in CRLF)."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = (
        f"--{MULTIPART_BOUNDARY}\r\nContent-Disposition: {disposition}\r\n{extra}\r\n"
    )
    return head.encode() + value + b"\r\n"


def multipart_body(*parts: bytes) -> bytes:
    """``parts`` and the closing delimiter."""
    return b"".join(parts) + f"--{MULTIPART_BOUNDARY}--\r\n".encode()


def wait_listening(
    port: int,
    process: t.Any,
    output: t.Callable[[], str] = lambda: "",
    timeout: float = 20,
) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``.

    Fails, with ``output()`` (the server's output so far), if ``process``
    (a ``subprocess.Popen``) exits first or nothing listens in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early:\n{output()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}:\n{output()}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PYTHON = sys.executable


#: The Flask release behaviour is compared with (the one ``./dev compat`` runs).
FLASK_VERSION = "3.1.3"
_FLASK_VENV = pathlib.Path(SRC).parent / "build" / "flask-venv"


def python_with_flask() -> str:
    """An interpreter with real Flask and pytest, to check behaviour against
    Flask in a child process (pottle's own test process never imports
    Flask): ``build/flask-venv``, created on first use with Flask
    ``FLASK_VERSION`` from PyPI. Fails, rather than skips, when it cannot be
    built: these checks must not go quiet on a fresh machine."""
    import subprocess

    python = _FLASK_VENV / "bin" / "python"
    stamp = _FLASK_VENV / f".flask-{FLASK_VERSION}"
    if not stamp.exists():
        for command in (
            [sys.executable, "-m", "venv", "--clear", str(_FLASK_VENV)],
            [str(python), "-m", "pip", "install", "-q", f"flask=={FLASK_VERSION}"]
            + ["pytest"],
        ):
            result = subprocess.run(
                command, capture_output=True, text=True, check=False, env=flask_env()
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"Could not build {_FLASK_VENV} for the Flask comparison"
                    f" tests: {' '.join(command)}\n{result.stdout}{result.stderr}"
                )
        stamp.touch()
    return str(python)


def flask_env() -> dict[str, str]:
    """The environment for a child process that must import real Flask: no
    ``PYTHONPATH``, so neither pottle nor an alias shim can shadow it."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
