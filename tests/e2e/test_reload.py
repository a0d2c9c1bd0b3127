"""``pottle run --reload``: the supervisor restarts the server when a source
file changes and leaves no process or bound port behind when it stops."""

from __future__ import annotations

import os
import pathlib
import signal
import sys
import typing as t

import pytest
from pottle_process import (
    APP,
    Server,
    alive,
    descendants,
    port_is_free,
    wait_for_body,
    wait_gone,
)

import support

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc"),
]


@pytest.fixture
def app_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def reloading(app_dir: pathlib.Path) -> t.Iterator[tuple[Server, int]]:
    port = support.free_port()
    server = Server.pottle(
        app_dir, "--app", "app", "run", "--port", str(port), "--reload"
    )
    try:
        server.wait_serving(port)
        yield server, port
    finally:
        server.kill()


def _edit(path: pathlib.Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_edit_reloads_and_stop_leaves_nothing(
    reloading: tuple[Server, int], app_dir: pathlib.Path, signum: int
) -> None:
    server, port = reloading
    wait_for_body(port, "version 1")
    (first_child,) = descendants(server.pid)

    _edit(app_dir / "app.py", "version 1", "version two")
    wait_for_body(port, "version two")
    assert not alive(first_child), "the old server process survived the reload"
    (second_child,) = descendants(server.pid)
    assert second_child != first_child
    assert "Detected change in" in server.output

    assert server.stop(signum) == 0
    assert wait_gone([first_child, second_child]) == []
    assert port_is_free(port)


def test_broken_edit_waits_for_the_fix(
    reloading: tuple[Server, int], app_dir: pathlib.Path
) -> None:
    server, port = reloading
    _edit(app_dir / "app.py", "def index():", "def index(:")
    # The new server process fails; the supervisor keeps watching.
    server.wait_output("waiting for a change")
    assert "SyntaxError" in server.output
    assert descendants(server.pid) == []
    assert server.process.poll() is None

    _edit(app_dir / "app.py", "def index(:", "def index():")
    _edit(app_dir / "app.py", "version 1", "version 3")
    wait_for_body(port, "version 3")
    assert server.stop() == 0
    assert port_is_free(port)


def test_processes_the_app_started_are_stopped_too(app_dir: pathlib.Path) -> None:
    pid_file = app_dir / "helper.pid"
    (app_dir / "app.py").write_text(
        APP
        + f"""
import subprocess, sys
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
with open({str(pid_file)!r}, "a") as f:
    f.write(f"{{helper.pid}}\\n")
"""
    )
    port = support.free_port()
    server = Server.pottle(
        app_dir, "--app", "app", "run", "--port", str(port), "--reload"
    )
    try:
        server.wait_serving(port)
        # Only the server process imports the app, the supervisor does not.
        (helper,) = map(int, pid_file.read_text().split())
        assert alive(helper)
        assert server.stop() == 0
        assert wait_gone([helper]) == []
    finally:
        server.kill()


def test_server_stops_when_the_supervisor_is_killed(
    reloading: tuple[Server, int],
) -> None:
    server, port = reloading
    (child,) = descendants(server.pid)
    # SIGKILL cannot be handled: the child notices its lifeline closing.
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    assert wait_gone([child]) == []
    assert port_is_free(port)


def test_app_run_with_debug_reloads(tmp_path: pathlib.Path) -> None:
    port = support.free_port()
    script = tmp_path / "served.py"
    script.write_text(APP + f"\napp.run(port={port}, debug=True)\n")
    server = Server([sys.executable, str(script)], tmp_path)
    try:
        server.wait_serving(port)
        wait_for_body(port, "version 1")
        _edit(script, "version 1", "version 2")
        wait_for_body(port, "version 2")
        children = descendants(server.pid)
        assert server.stop() == 0
        assert wait_gone(children) == []
        assert port_is_free(port)
    finally:
        server.kill()
