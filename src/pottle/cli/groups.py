"""The command groups: :class:`AppGroup` (``app.cli``, ``bp.cli``), whose
commands run in the app context and may be ``async def``, and
:class:`PottleGroup`, the ``pottle`` command itself.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import traceback
import typing as t
from functools import update_wrapper

import click

from ..globals import current_app
from .commands import routes_command, run_command, shell_command
from .discovery import NoAppException, ScriptInfo, run_coroutine, with_appcontext
from .options import app_option, debug_option, env_file_option, version_option

if t.TYPE_CHECKING:
    from ..app import Pottle


def _run_coroutine_results(command: click.Command) -> click.Command:
    """Let ``command``'s callback be ``async def`` (see :func:`run_coroutine`),
    with or without :func:`with_appcontext`."""
    callback = command.callback
    if callback is None or getattr(callback, "_pottle_awaits", False):
        return command

    def run(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return run_coroutine(callback(*args, **kwargs))

    run._pottle_awaits = True  # type: ignore[attr-defined]
    command.callback = update_wrapper(run, callback)
    return command


class AppGroup(click.Group):
    """A click group for an app's commands: :meth:`command` runs them in the
    app context (unless ``with_appcontext=False``), :meth:`group` makes
    nested :class:`AppGroup` s, and any command may be ``async def``.

    Not to be confused with :class:`PottleGroup`, the ``pottle`` command.
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command]:
        """Like :meth:`click.Group.command`, wrapping the callback in
        :func:`with_appcontext` unless ``with_appcontext=False`` is passed."""
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return super(AppGroup, self).command(*args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group]:
        """Like :meth:`click.Group.group`, with :class:`AppGroup` as the
        default class."""
        kwargs.setdefault("cls", AppGroup)
        return super().group(*args, **kwargs)  # type: ignore[no-any-return]

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(_run_coroutine_results(cmd), name)


class PottleGroup(AppGroup):
    """The ``pottle`` command: an :class:`AppGroup` that also finds the app
    (``--app``, ``POTTLE_APP``, ``wsgi.py``/``app.py``), loads dotenv files,
    offers the app's ``app.cli`` commands in its app context, and loads
    plugin commands from the ``pottle.commands`` and ``flask.commands``
    entry-point groups. ``FlaskGroup`` is another name for it.

    :param add_default_commands: add the ``run``, ``shell`` and ``routes``
        commands.
    :param create_app: a function that returns the app, instead of finding it.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load the default dotenv files (see
        :func:`load_dotenv`).
    :param set_debug_flag: set the app's debug flag from ``POTTLE_DEBUG``.
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., Pottle] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        # Options and their callbacks, not a group callback, do the work, so
        # a custom group callback keeps the behaviour.
        params: list[click.Parameter] = list(extra.pop("params", None) or ())
        params.extend((env_file_option, app_option, debug_option))
        if add_version_option:
            params.append(version_option)
        extra.setdefault("context_settings", {})
        extra["context_settings"].setdefault("auto_envvar_prefix", "POTTLE")
        super().__init__(params=params, **extra)

        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        if self._loaded_plugin_commands:
            return
        self._loaded_plugin_commands = True
        # pottle's group last, so its commands win a name clash.
        for group in ("flask.commands", "pottle.commands"):
            entry_points = importlib.metadata.entry_points(group=group)
            if group == "flask.commands" and entry_points:
                # Flask extensions' commands import ``flask``: load the app
                # first, so that an app importing pottle_flask_alias makes
                # ``flask`` mean pottle before they do. A failure is reported
                # by the command that needs the app.
                with contextlib.suppress(Exception):
                    ctx.ensure_object(ScriptInfo).load_app()
            for ep in entry_points:
                try:
                    command = ep.load()
                except Exception as e:
                    # One broken plugin must not take the whole CLI down.
                    click.secho(
                        f" * Skipping the command {ep.name!r} from {ep.value!r}"
                        f" ({group}): {type(e).__name__}: {e}",
                        err=True,
                        fg="yellow",
                    )
                    continue
                self.add_command(command, ep.name)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._load_plugin_commands(ctx)
        # Built-in and plugin commands work even if the app fails to load.
        if (rv := super().get_command(ctx, name)) is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
            return None
        # The app's commands and their parameter callbacks see its context.
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands(ctx)
        rv = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            rv.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as e:
            click.secho(f"Error: {e.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(rv)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        # An unguarded app.run() in the app's module must not start a server
        # while another command loads the app.
        os.environ["POTTLE_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if (not args and self.no_args_is_help) or (
            len(args) == 1 and args[0] in self.get_help_option_names(ctx)
        ):
            # Help stops parsing before eager options from the environment
            # are handled; handle these two so the app's commands are listed.
            env_file_option.handle_parse_result(ctx, {}, [])
            app_option.handle_parse_result(ctx, {}, [])
        return super().parse_args(ctx, args)


#: Flask's name for :class:`PottleGroup`.
FlaskGroup = PottleGroup


cli = PottleGroup(
    name="pottle",
    help="""\
A general utility script for pottle applications.

An application to load must be given with the '--app' option,
'POTTLE_APP' (or 'FLASK_APP') environment variable, or with a 'wsgi.py'
or 'app.py' file in the current directory.
""",
)


def main() -> None:
    """Run the ``pottle`` command."""
    cli.main()
