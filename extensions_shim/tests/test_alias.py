"""What ``import pottle_flask_alias`` promises; each case runs in a fresh
interpreter (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

from support import REAL_FLASK, check_python, run_python

# The flask.* modules that Flask's tests and the popular extensions import.
FLASK_SUBMODULES = [
    "app",
    "blueprints",
    "cli",
    "config",
    "ctx",
    "debughelpers",
    "globals",
    "helpers",
    "json",
    "json.provider",
    "json.tag",
    "logging",
    "sessions",
    "signals",
    "templating",
    "testing",
    "typing",
    "views",
    "wrappers",
]


def test_flask_forwards_to_pottle() -> None:
    check_python(
        """
        import pottle_flask_alias
        import flask, pottle

        assert flask.__name__ == "flask"
        assert flask.Flask is pottle.Flask
        assert flask.request is pottle.request
        assert flask.json is pottle.json
        assert "Flask" in dir(flask)
        """
    )


def test_submodules_are_pottle_modules() -> None:
    check_python(
        f"""
        import importlib
        import pottle_flask_alias
        import flask

        for name in {FLASK_SUBMODULES!r}:
            alias = importlib.import_module("flask." + name)
            assert alias is importlib.import_module("pottle." + name), name
        assert flask.json.provider is importlib.import_module("pottle.json.provider")
        """
    )


def test_patching_flask_patches_pottle() -> None:
    check_python(
        """
        from unittest import mock
        import pottle_flask_alias
        import flask, flask.helpers, pottle, pottle.helpers

        flask.helpers.url_for = "patched"
        assert pottle.helpers.url_for == "patched"

        original = pottle.url_for
        with mock.patch("flask.url_for", "patched"):
            assert pottle.url_for == "patched"
        assert pottle.url_for is original

        flask.extra = 1
        assert pottle.extra == 1
        del flask.extra
        assert not hasattr(pottle, "extra")
        """
    )


def test_names_extensions_import_are_pottles() -> None:
    check_python(
        """
        import blinker
        import pottle_flask_alias
        import pottle.globals
        from flask import Flask
        from flask.globals import app_ctx, request_ctx
        from flask.signals import Namespace
        from flask.testing import FlaskClient

        assert request_ctx is pottle.globals.request_ctx
        assert app_ctx is pottle.globals.app_ctx
        assert Namespace is blinker.Namespace

        class LoginClient(FlaskClient):
            pass

        app = Flask("ext")
        app.test_client_class = LoginClient
        assert isinstance(app.test_client(), LoginClient)
        """
    )


def test_star_import_gives_the_public_api() -> None:
    check_python(
        """
        import pottle_flask_alias
        from flask import *
        import pottle

        assert Flask is pottle.Flask
        assert render_template is pottle.render_template
        """
    )


def test_module_pottle_lacks_raises_naming_pottle() -> None:
    result = run_python(
        """
        import pottle_flask_alias
        try:
            from flask.sansio.app import App
        except ModuleNotFoundError as e:
            assert e.name == "flask.sansio", e.name
            raise
        """
    )
    assert result.returncode == 1
    assert "No module named 'flask.sansio'" in result.stderr
    assert "pottle has no module 'pottle.sansio'" in result.stderr


def test_missing_attribute_says_flask_is_pottle() -> None:
    result = run_python("import pottle_flask_alias, flask; flask.no_such_name")
    assert result.returncode == 1
    assert "module 'flask' has no attribute 'no_such_name'" in result.stderr
    assert "pottle" in result.stderr


def test_version_is_the_flask_api_version() -> None:
    check_python(
        """
        import importlib.metadata as md
        import warnings
        import pottle_flask_alias
        import flask

        assert md.version("flask") == pottle_flask_alias.FLASK_VERSION == "3.1.3"
        assert md.version("Flask") == "3.1.3"
        assert md.metadata("flask")["Name"] == "Flask"
        assert md.requires("flask") == ["pottle"]
        assert "Flask" in {d.metadata["Name"] for d in md.distributions()}

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert flask.__version__ == "3.1.3"
        assert caught[0].category is DeprecationWarning
        """
    )


def test_other_distributions_keep_their_metadata() -> None:
    check_python(
        """
        import importlib.metadata as md
        import pytest
        import pottle_flask_alias

        assert md.version("pytest") == pytest.__version__
        try:
            md.version("no-such-distribution")
        except md.PackageNotFoundError:
            pass
        else:
            raise AssertionError("found a distribution that does not exist")
        """
    )


def test_spec_is_restored_for_relative_imports() -> None:
    # Run with warnings as errors: a "flask.app" __spec__ on pottle.app would
    # make the relative import warn that __package__ != __spec__.parent.
    check_python(
        """
        import importlib.util
        import pottle_flask_alias
        import flask.app, flask.json.provider, pottle

        assert flask.app.__spec__.name == "pottle.app"
        assert flask.json.provider.__spec__.name == "pottle.json.provider"
        exec("from . import ctx", dict(vars(flask.app)))
        spec = importlib.util.find_spec("flask")
        assert spec.submodule_search_locations == list(pottle.__path__)
        """
    )


def test_purged_modules_come_back_as_pottle() -> None:
    # Flask's test_apps fixture drops modules first imported during a test.
    check_python(
        """
        import sys
        import pottle_flask_alias
        import flask.app, pottle.app

        for name in [n for n in sys.modules if n.split(".")[0] == "flask"]:
            del sys.modules[name]
        del sys.modules["pottle_flask_alias"]
        import pottle_flask_alias
        import flask, flask.app

        assert flask.app is pottle.app
        assert flask.Flask is pottle.Flask
        assert sum(type(f).__name__ == "_AliasFinder" for f in sys.meta_path) == 1
        """
    )


def test_wins_over_an_installed_flask(real_flask: Path) -> None:
    before = check_python(
        "import flask, importlib.metadata as md;"
        " print(flask.__file__, md.version('flask'))",
        path_first=real_flask,
    )
    assert before.startswith(str(real_flask))
    assert before.split()[1] == REAL_FLASK.split("==")[1]

    check_python(
        f"""
        import importlib.metadata as md, sys
        import pottle_flask_alias
        import flask, flask.app, flask.json.provider, flask.testing, pottle.app

        assert flask.app is pottle.app
        assert flask.Flask is pottle.Flask
        assert md.version("flask") == "3.1.3"
        for name in [n for n in sys.modules if n.split(".")[0] == "flask"]:
            del sys.modules[name]
        import flask.app
        assert flask.app is pottle.app
        files = [getattr(m, "__file__", None) or "" for m in sys.modules.values()]
        assert not [f for f in files if f.startswith({str(real_flask)!r})], files
        """,
        path_first=real_flask,
    )


def test_real_flask_imported_first_is_refused(real_flask: Path) -> None:
    result = run_python(
        "import flask.json\nimport pottle_flask_alias", path_first=real_flask
    )
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: pottle_flask_alias must be imported")
    assert f"flask from {real_flask}" in message
    assert "-p pottle_flask_alias" in message
