"""``pottle run``, ``app.run()`` and ``app.run_task()`` serve real requests,
stop cleanly, and exit non-zero with the reason when they cannot start."""

from __future__ import annotations

import pathlib
import shutil
import signal
import socket
import subprocess
import sys

import pytest
from pottle_process import APP, Server, get, port_is_free, wait_for_body

import support

pytestmark = pytest.mark.slow

# Sends lifespan.startup.failed, as an app whose startup hook fails does.
FAILING_LIFESPAN = """
from pottle import Pottle

app = Pottle(__name__)
inner = app.asgi_app

async def asgi_app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})
        return
    await inner(scope, receive, send)

app.asgi_app = asgi_app
"""


def _run(cwd: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pottle", *args],
        cwd=cwd,
        env=support.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_run_answers_and_stops_cleanly(tmp_path: pathlib.Path, signum: int) -> None:
    (tmp_path / "app.py").write_text(APP)
    port = support.free_port()
    server = Server.pottle(tmp_path, "--app", "app", "run", "--port", str(port))
    try:
        server.wait_serving(port)
        assert get(port) == "version 1"
        assert server.stop(signum) == 0
        assert port_is_free(port)
        assert " * Serving pottle app 'app'" in server.output
        assert " * Debug mode: off" in server.output
    finally:
        server.kill()


def test_port_from_environment_and_flaskenv(tmp_path: pathlib.Path) -> None:
    (tmp_path / "hello.py").write_text(APP)
    (tmp_path / ".flaskenv").write_text("FLASK_APP=hello\n")
    port = support.free_port()
    server = Server.pottle(tmp_path, "run", FLASK_RUN_PORT=str(port))
    try:
        server.wait_serving(port)
        assert get(port) == "version 1"
        assert server.stop() == 0
    finally:
        server.kill()


def test_busy_port_exits_nonzero(tmp_path: pathlib.Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        for extra in ([], ["--reload"]):
            result = _run(tmp_path, "--app", "app", "run", "--port", str(port), *extra)
            assert result.returncode == 1
            assert f"Port {port} is in use by another program" in result.stderr


@pytest.mark.parametrize("extra", [[], ["--reload"]])
def test_lifespan_startup_failure_exits_nonzero(
    tmp_path: pathlib.Path, extra: list[str]
) -> None:
    (tmp_path / "app.py").write_text(FAILING_LIFESPAN)
    port = str(support.free_port())
    result = _run(tmp_path, "--app", "app", "run", "--port", port, *extra)
    assert result.returncode == 1
    assert "The application failed to start" in result.stderr
    assert "no database" in result.stderr


@pytest.mark.parametrize("extra", [[], ["--reload"]])
def test_import_error_exits_nonzero(tmp_path: pathlib.Path, extra: list[str]) -> None:
    (tmp_path / "app.py").write_text("import not_a_module_anywhere\n")
    port = str(support.free_port())
    result = _run(tmp_path, "--app", "app", "run", "--port", port, *extra)
    assert result.returncode == 2
    assert "No module named 'not_a_module_anywhere'" in result.stderr


@pytest.mark.parametrize("debug", [True, False])
def test_traceback_page_only_in_debug_mode(tmp_path: pathlib.Path, debug: bool) -> None:
    (tmp_path / "app.py").write_text(APP)
    port = support.free_port()
    flag = "--debug" if debug else "--no-debug"
    server = Server.pottle(
        tmp_path, "--app", "app", flag, "run", "--no-reload", "--port", str(port)
    )
    try:
        server.wait_serving(port)
        page = get(port, "/boom", Accept="text/html")
        assert ("ZeroDivisionError" in page) is debug
        assert ("return 1 / 0" in page) is debug
        assert server.stop() == 0
    finally:
        server.kill()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_tls_with_cert_and_key(tmp_path: pathlib.Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-keyout", "key.pem", "-out", "cert.pem"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    port = support.free_port()
    cert = ["--cert", "cert.pem", "--key", "key.pem"]
    server = Server.pottle(tmp_path, "--app", "app", "run", "--port", str(port), *cert)
    try:
        server.wait_serving(port)
        assert get(port, scheme="https") == "version 1"
        assert server.stop() == 0
    finally:
        server.kill()


def test_app_run_serves_and_fails_nonzero(tmp_path: pathlib.Path) -> None:
    port = support.free_port()
    (tmp_path / "served.py").write_text(APP + f"\napp.run(port={port})\n")
    server = Server([sys.executable, "served.py"], tmp_path)
    try:
        server.wait_serving(port)
        assert get(port) == "version 1"
        assert server.stop() == 0
    finally:
        server.kill()

    (tmp_path / "failing.py").write_text(FAILING_LIFESPAN + f"\napp.run(port={port})\n")
    result = subprocess.run(
        [sys.executable, "failing.py"],
        cwd=tmp_path,
        env=support.subprocess_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "no database" in result.stderr


def test_run_task_serves_in_a_running_loop(tmp_path: pathlib.Path) -> None:
    port = support.free_port()
    (tmp_path / "embedded.py").write_text(
        APP
        + f"""
import asyncio

async def main():
    await app.run_task(port={port})

asyncio.run(main())
"""
    )
    server = Server([sys.executable, "embedded.py"], tmp_path)
    try:
        server.wait_serving(port)
        wait_for_body(port, "version 1")
        assert server.stop() == 0
        assert port_is_free(port)
    finally:
        server.kill()
