"""The ``pottle`` command line (placeholder: groups and app-context commands).

The full CLI (app discovery, ``run``, ``routes``, ``shell``) is built on this.
"""

from __future__ import annotations

import typing as t
from functools import update_wrapper

import click

from .globals import current_app

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """Raised if an application cannot be found or loaded."""


class ScriptInfo:
    """Helper object to deal with Flask applications."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., t.Any] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        self._loaded_app: t.Any = None

    def load_app(self) -> t.Any:
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is None:
            raise NoAppException("Could not locate a pottle application.")
        self._loaded_app = self.create_app()
        return self._loaded_app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the decorated command inside the app's application context."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


class AppGroup(click.Group):
    """A click group whose commands run in an app context by default."""

    def command(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        wrap_for_ctx = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if wrap_for_ctx:
                f = with_appcontext(f)
            return click.Group.command(self, *args, **kwargs)(f)  # type: ignore[no-any-return]

        return decorator

    def group(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


def main() -> None:
    """The ``pottle`` command (not yet implemented)."""
    raise SystemExit("The pottle command line is not available yet.")


def load_dotenv(path: str | None = None, load_defaults: bool = True) -> bool:
    """Load ``.env`` / ``.flaskenv`` / ``.pottleenv`` (not yet implemented)."""
    return False
