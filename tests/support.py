"""Helpers for tests that start real processes and servers."""

from __future__ import annotations

import os
import socket
import sys

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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PYTHON = sys.executable


def python_with_flask() -> str | None:
    """An interpreter on PATH that has Flask and pytest installed, to check
    behaviour against real Flask in a child process (pottle's own test
    process never imports Flask); None if there is none."""
    import shutil
    import subprocess

    for candidate in ("python3", "python3.11", "python3.12", "python3.13"):
        exe = shutil.which(candidate)
        if exe is None:
            continue
        probe = subprocess.run(
            [exe, "-c", "import flask, pytest"],
            capture_output=True,
            check=False,
            env=flask_env(),
        )
        if probe.returncode == 0:
            return exe
    return None


def flask_env() -> dict[str, str]:
    """The environment for a child process that must import real Flask: no
    ``PYTHONPATH``, so neither pottle nor an alias shim can shadow it."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
