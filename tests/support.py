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
