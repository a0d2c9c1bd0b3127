"""``app.run()`` serves a real HTTP request from another process."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import urllib.request

import pytest

import support

APP = """
import sys
from pottle import Flask, jsonify, request

app = Flask(__name__)

@app.route("/")
def index():
    return jsonify(hello=request.args.get("name", "world"))

if __name__ == "__main__":
    app.run(port=int(sys.argv[1]))
"""


@pytest.mark.slow
def test_app_run_answers_http(tmp_path: pathlib.Path) -> None:
    (tmp_path / "served.py").write_text(APP)
    port = support.free_port()
    process = subprocess.Popen(
        [sys.executable, "served.py", str(port)],
        cwd=tmp_path,
        env=support.subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        support.wait_listening(port, process, timeout=15)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?name=pottle") as rv:
            assert rv.status == 200
            assert rv.read() == b'{"hello":"pottle"}\n'
    finally:
        process.terminate()
        process.communicate(timeout=10)
