"""Run code in a fresh interpreter: the alias changes the whole process for
good, so every alias test runs its code in a new one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

_HERE = Path(__file__).resolve().parent
# Both packages' sources, so the tests also run where neither is installed.
_SOURCES = [_HERE.parent / "src", _HERE.parents[1] / "src"]

#: The real Flask the precedence tests install: not FLASK_VERSION, so the
#: answers tell the two apart.
REAL_FLASK = "flask==3.0.3"


def run_python(
    code: str, *, path_first: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a new interpreter with warnings as errors; a directory
    holding a real Flask can be put first on its path."""
    paths = [str(p) for p in _SOURCES]
    if path_first is not None:
        paths.insert(0, str(path_first))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_python(code: str, *, path_first: Path | None = None) -> str:
    """Like :func:`run_python`, but the code must succeed; returns stdout."""
    result = run_python(code, path_first=path_first)
    assert result.returncode == 0, result.stderr
    return result.stdout
