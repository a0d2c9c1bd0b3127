"""The three-blueprint app and its Flask-style tests are real Flask code:
run them on Flask itself with only the imports changed, in a separate
interpreter that has Flask installed (pottle's own test process never
imports Flask). The async twin is pottle's alone and stays behind."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest

import support

HERE = pathlib.Path(__file__).parent / "threebp"
POTTLE_ONLY = {"twin.py", "test_twin.py"}


def copy_as_flask_code(target: pathlib.Path) -> None:
    shutil.copytree(
        HERE, target, ignore=shutil.ignore_patterns("__pycache__", *POTTLE_ONLY)
    )
    for path in target.rglob("*.py"):
        source = path.read_text().replace("from pottle", "from flask")
        # Only the imports may use pottle (prose may name it).
        assert not re.search(r"^\s*import pottle|\bpottle\.\w", source, re.M), path
        path.write_text(source)


@pytest.mark.slow
def test_threebp_passes_on_real_flask(tmp_path: pathlib.Path) -> None:
    python = support.python_with_flask()
    copy_as_flask_code(tmp_path / "threebp")
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "threebp"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=support.flask_env(),
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "29 passed" in result.stdout, result.stdout
