"""The Flask-style app and its tests are real Flask code: run them on Flask
itself with only the imports changed (in a separate interpreter that has
Flask installed; pottle's own environment never imports Flask)."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

import support

HERE = pathlib.Path(__file__).parent / "flaskstyle"


@pytest.mark.slow
def test_flaskstyle_app_passes_on_real_flask(tmp_path: pathlib.Path) -> None:
    python = support.python_with_flask()
    package = tmp_path / "flaskstyle_on_flask"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("app.py", "test_flaskstyle.py"):
        source = (HERE / name).read_text()
        assert "from pottle import" in source
        (package / name).write_text(
            source.replace("from pottle import", "from flask import")
        )
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env=support.flask_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
