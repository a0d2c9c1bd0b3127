"""Shared checks for the extension suites (``./dev extensions``).

pytest loads the alias first (``-p pottle_flask_alias``), so every
``import flask`` in these tests and in the extensions gives pottle. The
extensions depend on the real Flask distribution, which is installed in
this venv; the checks below prove it is never imported.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
import typing as t

import flask
import pytest

import pottle


def _real_flask_dir() -> pathlib.Path | None:
    # The installed Flask distribution's package directory, found without
    # importing it (the alias answers for the name "flask" itself).
    for entry in sys.path:
        candidate = pathlib.Path(entry) / "flask" / "app.py"
        if candidate.is_file():
            return candidate.parent
    return None


def _modules_from(directory: pathlib.Path) -> list[str]:
    return [
        name
        # A copy made in one step: another thread may be importing.
        for name, module in sys.modules.copy().items()
        if (path := getattr(module, "__file__", None))
        and pathlib.Path(path).is_relative_to(directory)
    ]


def pytest_configure(config: pytest.Config) -> None:
    if flask.Flask is not pottle.Pottle:
        raise pytest.UsageError("run through ./dev extensions: the alias is not active")


@pytest.fixture(autouse=True, scope="session")
def _real_flask_never_imported() -> t.Iterator[None]:
    real = _real_flask_dir()
    yield
    if real is not None:
        loaded = _modules_from(real)
        assert not loaded, f"real Flask modules were imported: {loaded}"


@pytest.fixture(params=["sync", "async"])
def style(request: pytest.FixtureRequest) -> str:
    """Run a test once with Flask-style sync views and once with async ones."""
    return str(request.param)


def make_view(style: str, body: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """A view that returns ``body(**kwargs)``: a plain function, or an
    ``async def`` one (named after ``body`` either way, for endpoints)."""
    if style == "sync":

        def view(**kwargs: t.Any) -> t.Any:
            return body(**kwargs)

    else:

        async def view(**kwargs: t.Any) -> t.Any:
            return body(**kwargs)

    view.__name__ = body.__name__
    return view


def installed(distribution: str) -> bool:
    return importlib.util.find_spec(distribution) is not None
