"""The ``pottle`` group's own options (``--env-file``, ``--app``,
``--debug``, ``--version``), dotenv loading, and the option class that reads
``FLASK_*`` variables when the ``POTTLE_*`` ones are not set.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import typing as t

import click
from click.core import ParameterSource

from .discovery import ScriptInfo

#: Default dotenv files, lowest precedence first (see docs/cli.md).
DOTENV_FILES = (".flaskenv", ".pottleenv", ".env")


class EnvOption(click.Option):
    """An option whose ``POTTLE_*`` variable falls back to the ``FLASK_*`` one
    (``FLASK_APP``, ``FLASK_RUN_PORT``), for apps migrating from Flask."""

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        rv = super().resolve_envvar_value(ctx)
        prefix = ctx.auto_envvar_prefix
        if rv is not None or not self.allow_from_autoenv or not self.name:
            return rv
        if prefix is None or not (prefix == "POTTLE" or prefix.startswith("POTTLE_")):
            return None
        return os.environ.get(f"FLASK{prefix[6:]}_{self.name.upper()}") or None


def _set_app(ctx: click.Context, param: click.Option, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value
    return value


# Eager, and listed before --help, so that --help can show the app's commands.
app_option = EnvOption(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The application or factory function to load, as 'module:name'. The"
        " module may be a dotted import or a file path. The name may be left"
        " out if it is 'app', 'application', 'create_app' or 'make_app', and"
        " may be 'name(args)' to pass arguments."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)


def _set_debug(ctx: click.Context, param: click.Option, value: bool) -> bool | None:
    # A flag left at its default must not override POTTLE_DEBUG.
    source = ctx.get_parameter_source(param.name)
    if source in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
        return None
    # Through the environment, so a factory sees it while the app is created;
    # FLASK_DEBUG too, for code written against Flask that reads it.
    os.environ["POTTLE_DEBUG"] = os.environ["FLASK_DEBUG"] = "1" if value else "0"
    return value


debug_option = EnvOption(
    ["--debug/--no-debug"],
    help="Set debug mode.",
    expose_value=False,
    callback=_set_debug,
)


def _env_file_callback(
    ctx: click.Context, param: click.Option, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        # Without a file given, load_dotenv below only shows a tip.
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file.",
                ctx=ctx,
                param=param,
            ) from None
    defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)
    return value


# Eager and first, so the variables it sets are seen by the other options.
env_file_option = EnvOption(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help=(
        "Load environment variables from this file, taking precedence over"
        " those set by '.env', '.pottleenv' and '.flaskenv'. Variables set"
        " directly in the environment take highest precedence. python-dotenv"
        " must be installed."
    ),
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)


def _distribution_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def get_version(
    ctx: click.Context, param: click.Parameter | None, value: t.Any
) -> None:
    """Print the versions of Python, pottle, Werkzeug and Hypercorn (and of
    the ``flask`` distribution, when one is installed) and exit."""
    if not value or ctx.resilient_parsing:
        return
    from .. import __version__

    lines = [f"Python {platform.python_version()}", f"pottle {__version__}"]
    if flask_version := _distribution_version("flask"):
        lines.append(f"Flask {flask_version}")
    for name in ("Werkzeug", "Hypercorn"):
        lines.append(f"{name} {_distribution_version(name.lower())}")
    click.echo("\n".join(lines), color=ctx.color)
    ctx.exit()


# Never from a variable: CI systems set *_VERSION variables for other reasons.
version_option = click.Option(
    ["--version"],
    allow_from_autoenv=False,
    help="Show the pottle version.",
    expose_value=False,
    callback=get_version,
    is_flag=True,
    is_eager=True,
)


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Set environment variables from dotenv files: ``.flaskenv``, then
    ``.pottleenv``, then ``.env`` (each found from the current directory
    upwards), then ``path``; a later file wins over an earlier one, and a
    variable already in the environment wins over all of them.

    Does nothing (but shows a tip if such files exist) without python-dotenv.

    :param path: a file to load, taking precedence over the default files.
    :param load_defaults: search for and load the default files.
    :return: whether at least one variable was found in the files.
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in DOTENV_FILES):
            click.secho(
                " * Tip: There are .env files present. Install python-dotenv"
                " to use them.",
                fg="yellow",
                err=True,
            )
        return False

    data: dict[str, str | None] = {}
    if load_defaults:
        for name in DOTENV_FILES:
            if found := dotenv.find_dotenv(name, usecwd=True):
                data.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        data.update(dotenv.dotenv_values(path, encoding="utf-8"))

    for key, value in data.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(data)
