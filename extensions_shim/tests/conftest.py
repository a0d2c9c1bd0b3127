"""The real Flask that the precedence tests install beside the alias."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support import REAL_FLASK


@pytest.fixture(scope="session")
def real_flask(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a real Flask distribution (with its metadata), as
    pip leaves it when an extension pulls Flask in."""
    target = tmp_path_factory.mktemp("real-flask")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        + ["--disable-pip-version-check", "--target", str(target), REAL_FLASK],
        check=True,
        timeout=300,
    )
    return target
