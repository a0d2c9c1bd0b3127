"""The reloader: a supervisor process that runs the development server as a
child process and restarts it when a watched file changes.

The supervisor never serves. It starts each child in a process group of its
own and, on a change or on SIGINT/SIGTERM/SIGHUP, stops the whole group and
waits for it, so no process and no bound port outlives it. A child whose
supervisor dies anyway (SIGKILL) sees its lifeline pipe close and stops too.
It imports nothing from pottle.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import site
import subprocess
import sys
import sysconfig
import threading
import time
import typing as t

import click

#: Set to ``true`` in the server process the reloader runs.
RUN_MAIN_ENV = "POTTLE_RUN_MAIN"
#: The child's end of the lifeline pipe (a file descriptor number).
LIFELINE_ENV = "POTTLE_RELOADER_FD"

_SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})
_STOP_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP")
    if hasattr(signal, name)
)


def is_running_from_reloader() -> bool:
    """Whether this process is the server the reloader runs."""
    return os.environ.get(RUN_MAIN_ENV) == "true"


def run_with_reloader(
    extra_files: t.Iterable[str] = (),
    exclude_patterns: t.Iterable[str] = (),
    interval: float = 0.5,
) -> int:
    """Run this program again as a child process (with ``POTTLE_RUN_MAIN``
    set, so it serves) and restart it whenever a watched file changes, until
    a stop signal. Returns the exit status for this process."""
    watcher = FileWatcher(extra_files, exclude_patterns)
    return Supervisor(_child_args(), watcher, interval).run()


def _child_args() -> list[str]:
    # orig_argv keeps the interpreter options and "-m module" as given.
    return [sys.executable, *sys.orig_argv[1:]]


def watch_lifeline(on_lost: t.Callable[[], None]) -> None:
    """In the reloader's server process, call ``on_lost`` (from another
    thread) when the supervisor is gone."""
    value = os.environ.pop(LIFELINE_ENV, None)
    if value is None or not value.isdigit() or not is_running_from_reloader():
        return
    fd = int(value)

    def wait() -> None:
        try:
            while os.read(fd, 1):
                pass
        except OSError:  # not our pipe after all: no lifeline
            return
        on_lost()

    threading.Thread(target=wait, name="pottle-lifeline", daemon=True).start()


class Supervisor:
    """Runs ``args`` as a child process, restarting it when ``watcher``
    reports a change.

    :param args: the child's command line.
    :param watcher: tells which watched file changed.
    :param interval: seconds between two looks at the files.
    :param stop_timeout: seconds a stopped child (and anything it started)
        gets to exit before it is killed.
    """

    def __init__(
        self,
        args: list[str],
        watcher: FileWatcher,
        interval: float = 0.5,
        stop_timeout: float = 5.0,
    ) -> None:
        self.args = args
        self.watcher = watcher
        self.interval = interval
        self.stop_timeout = stop_timeout
        self._child: subprocess.Popen[bytes] | None = None
        self._signals: list[int] = []

    def run(self) -> int:
        """Supervise until a stop signal or until the child exits for good;
        return the exit status."""
        lifeline, keep_alive = os.pipe()
        previous = self._trap_signals()
        try:
            return self._supervise(lifeline)
        finally:
            self._stop_child()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(lifeline)
            os.close(keep_alive)

    def _trap_signals(self) -> dict[int, t.Any]:
        previous: dict[int, t.Any] = {}
        try:
            for signum in _STOP_SIGNALS:
                previous[signum] = signal.signal(signum, self._on_signal)
        except ValueError:  # not the main thread: signals stay as they are
            pass
        return previous

    def _on_signal(self, signum: int, frame: t.Any) -> None:
        self._signals.append(signum)

    def _supervise(self, lifeline: int) -> int:
        restarted = False
        while True:
            self._child = self._spawn(lifeline)
            changed, status = self._wait(self._child)
            if self._signals:
                return 0
            if changed is None:
                # The server exited by itself. After a reload that is most
                # likely an error in the edited code: wait for the fix.
                if status == 0 or not restarted:
                    return status
                _log(f" * The server exited with status {status}; waiting for a change")
                self._child = None
                changed, _ = self._wait(None)
                if changed is None:
                    return 0
            _log(f" * Detected change in {changed!r}, reloading")
            self._stop_child()
            restarted = True

    def _spawn(self, lifeline: int) -> subprocess.Popen[bytes]:
        _log(" * Restarting with stat")
        env = {**os.environ, RUN_MAIN_ENV: "true"}
        if sys.platform == "win32":
            return subprocess.Popen(
                self.args, env=env, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP
            )
        env[LIFELINE_ENV] = str(lifeline)
        return subprocess.Popen(
            self.args, env=env, pass_fds=(lifeline,), start_new_session=True
        )

    def _wait(self, child: subprocess.Popen[bytes] | None) -> tuple[str | None, int]:
        """Wait for a change, the child's exit or a stop signal; return the
        changed path and the child's exit status."""
        while not self._signals:
            if child is not None and (code := child.poll()) is not None:
                # A negative code is a signal number, as the shell reports it.
                return None, 128 - code if code < 0 else code
            if (path := self.watcher.changed()) is not None:
                return path, 0
            time.sleep(self.interval)
        return None, 0

    def _stop_child(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        _signal_group(child, "SIGTERM")
        try:
            child.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            _signal_group(child, "SIGKILL")
            child.wait()
        self._reap_group(child)

    def _reap_group(self, child: subprocess.Popen[bytes]) -> None:
        # Processes the app started share the child's group: give them the
        # same time to exit, then kill them.
        if sys.platform == "win32":
            return
        deadline = time.monotonic() + self.stop_timeout
        while _group_alive(child.pid):
            if time.monotonic() > deadline:
                _signal_group(child, "SIGKILL")
                return
            time.sleep(0.05)


def _signal_group(child: subprocess.Popen[bytes], name: str) -> None:
    if sys.platform == "win32":
        child.kill() if name == "SIGKILL" else child.terminate()
        return
    try:
        os.killpg(child.pid, getattr(signal, name))
    except OSError:  # the group is gone
        pass


def _group_alive(pgid: int) -> bool:
    if sys.platform == "win32":
        return False
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


def _log(message: str) -> None:
    click.echo(message, err=True)


class FileWatcher:
    """Tells which watched file changed since it last looked.

    Watched: the files of loaded modules and the ``.py`` files under the
    folders on ``sys.path``, except the standard library, installed packages,
    virtualenvs and hidden folders; plus ``extra_files``. Paths matching an
    ``exclude_patterns`` item (fnmatch) are never watched.
    """

    def __init__(
        self, extra_files: t.Iterable[str] = (), exclude_patterns: t.Iterable[str] = ()
    ) -> None:
        self.extra_files = [os.path.abspath(p) for p in extra_files]
        self.exclude_patterns = list(exclude_patterns)
        self._library = _library_dirs()
        self._stamps = self._scan()

    def changed(self) -> str | None:
        """The first watched file that changed since the last call, if any."""
        current = self._scan()
        changed = next(
            (p for p, stamp in current.items() if self._stamps.get(p, stamp) != stamp),
            None,
        )
        # Files that vanished keep their stamp: an editor that deletes and
        # rewrites a file must still count as a change.
        self._stamps.update(current)
        return changed

    def _scan(self) -> dict[str, tuple[int, int]]:
        stamps: dict[str, tuple[int, int]] = {}
        for path in self._paths():
            if path in stamps or self._excluded(path):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            stamps[path] = (st.st_mtime_ns, st.st_size)
        return stamps

    def _paths(self) -> t.Iterator[str]:
        yield from self.extra_files
        for module in list(sys.modules.values()):
            filename = getattr(module, "__file__", None)
            if isinstance(filename, str) and not self._is_library(filename):
                yield os.path.abspath(filename)
        for root in self._roots():
            yield from self._python_files(root)

    def _roots(self) -> list[str]:
        roots: list[str] = []
        for entry in sys.path:
            path = os.path.join(os.path.abspath(entry or os.curdir), "")
            if not os.path.isdir(path) or self._is_library(path):
                continue
            if not any(path.startswith(root) for root in roots):
                roots = [r for r in roots if not r.startswith(path)] + [path]
        return roots

    def _python_files(self, root: str) -> t.Iterator[str]:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d for d in dirnames if not self._skip_dir(os.path.join(dirpath, d), d)
            ]
            for name in filenames:
                if name.endswith(".py"):
                    yield os.path.join(dirpath, name)

    def _skip_dir(self, path: str, name: str) -> bool:
        return (
            name.startswith(".")
            or name in _SKIPPED_DIRS
            or self._is_library(path)
            or os.path.isfile(os.path.join(path, "pyvenv.cfg"))
        )

    def _is_library(self, path: str) -> bool:
        return os.path.join(os.path.abspath(path), "").startswith(self._library)

    def _excluded(self, path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) for p in self.exclude_patterns)


def _library_dirs() -> tuple[str, ...]:
    """Folders whose files never trigger a reload: the standard library, site
    packages, and the virtualenv (each with a trailing separator)."""
    paths = sysconfig.get_paths()
    dirs = {
        paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths
    }
    dirs.update(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.add(site.USER_SITE)
    if sys.prefix != sys.base_prefix:
        dirs.add(sys.prefix)
    return tuple(os.path.join(os.path.abspath(d), "") for d in dirs)
