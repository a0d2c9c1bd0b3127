"""The reloader's file watcher (the supervisor itself runs real processes:
see tests/e2e/test_reload.py)."""

from __future__ import annotations

import os
import pathlib
import sys
import typing as t

import pytest

from pottle.reloader import FileWatcher, is_running_from_reloader


@pytest.fixture
def project(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[pathlib.Path]:
    """A folder on sys.path with one module in it."""
    (tmp_path / "module.py").write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path


def _touch(path: pathlib.Path, text: str = "changed = True\n") -> None:
    """Rewrite ``path`` with a later mtime, whatever the clock's resolution."""
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))


def test_reports_a_changed_file_once(project: pathlib.Path) -> None:
    watcher = FileWatcher()
    assert watcher.changed() is None
    _touch(project / "module.py")
    assert watcher.changed() == str(project / "module.py")
    assert watcher.changed() is None


def test_new_files_are_watched_from_then_on(project: pathlib.Path) -> None:
    watcher = FileWatcher()
    (project / "pkg").mkdir()
    new = project / "pkg" / "views.py"
    new.write_text("")
    assert watcher.changed() is None
    _touch(new)
    assert watcher.changed() == str(new)


def test_rewritten_after_deletion_is_a_change(project: pathlib.Path) -> None:
    watcher = FileWatcher()
    module = project / "module.py"
    stamp = module.stat().st_mtime_ns
    module.unlink()
    assert watcher.changed() is None
    module.write_text("x = 2  # rewritten\n")
    os.utime(module, ns=(stamp + 10**9, stamp + 10**9))
    assert watcher.changed() == str(module)


def test_excluded_hidden_and_virtualenv_files(project: pathlib.Path) -> None:
    for folder in (".git", "venv", "__pycache__", "node_modules"):
        (project / folder).mkdir()
        (project / folder / "x.py").write_text("")
    (project / "venv" / "pyvenv.cfg").write_text("")
    (project / "scratch.py").write_text("")
    watcher = FileWatcher(exclude_patterns=["*/scratch.py"])
    for path in [project / "scratch.py", *project.glob("*/x.py")]:
        _touch(path)
    assert watcher.changed() is None


def test_extra_files_outside_sys_path(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text("debug = true\n")
    watcher = FileWatcher(extra_files=[str(config)])
    _touch(config, "debug = false\n")
    assert watcher.changed() == str(config)


def test_installed_packages_are_not_watched(project: pathlib.Path) -> None:
    watched = set(FileWatcher()._scan())
    assert str(project / "module.py") in watched
    assert pytest.__file__ not in watched
    assert os.__file__ not in watched
    assert sys.executable not in watched


def test_is_running_from_reloader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POTTLE_RUN_MAIN", raising=False)
    assert not is_running_from_reloader()
    monkeypatch.setenv("POTTLE_RUN_MAIN", "true")
    assert is_running_from_reloader()
