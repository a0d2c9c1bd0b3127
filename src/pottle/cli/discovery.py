"""Finding and loading the app for the command line: ``--app`` import
strings, ``wsgi.py``/``app.py``, factories, and :class:`ScriptInfo`, which
commands receive as the click context's ``obj``.

The app class is imported lazily (``scaffold`` imports the cli package).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
import typing as t
from functools import update_wrapper
from types import ModuleType

import click

from .._concurrency import block_on
from ..globals import current_app
from ..helpers import get_debug_flag, get_load_dotenv

if t.TYPE_CHECKING:
    from ..app import Pottle

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class NoAppException(click.UsageError):
    """Raised if an application cannot be found or loaded."""


# -- finding the app -----------------------------------------------------------


def find_best_app(module: ModuleType) -> Pottle:
    """Find the app in ``module``: an ``app`` or ``application`` attribute,
    else the only app instance, else what ``create_app()`` or ``make_app()``
    returns. Raises :exc:`NoAppException` if there is none."""
    from ..app import Pottle

    for name in ("app", "application"):
        if isinstance(app := getattr(module, name, None), Pottle):
            return app

    apps = [v for v in vars(module).values() if isinstance(v, Pottle)]
    if len(apps) == 1:
        return apps[0]
    if apps:
        raise NoAppException(
            f"Detected multiple pottle applications in module '{module.__name__}'."
            f" Use '{module.__name__}:name' to specify the correct one."
        )

    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if not inspect.isfunction(factory):
            continue
        try:
            app = factory()
        except TypeError as e:
            if not _called_with_wrong_args(factory):
                raise
            raise NoAppException(
                f"Detected factory '{name}' in module '{module.__name__}', but could"
                f" not call it without arguments. Use '{module.__name__}:{name}(args)'"
                " to specify arguments."
            ) from e
        if isinstance(app, Pottle):
            return app

    raise NoAppException(
        f"Failed to find pottle application or factory in module"
        f" '{module.__name__}'. Use '{module.__name__}:name' to specify one."
    )


def _called_with_wrong_args(f: t.Callable[..., t.Any]) -> bool:
    """Whether the ``TypeError`` being handled comes from calling ``f`` with
    the wrong arguments (the traceback never entered ``f``), rather than
    from inside it."""
    tb = sys.exc_info()[2]
    while tb is not None:
        if tb.tb_frame.f_code is f.__code__:
            return False
        tb = tb.tb_next
    return True


def _parse_app_expression(app_name: str) -> tuple[str, list[t.Any], dict[str, t.Any]]:
    """Split ``name`` or ``name(args)`` into the name and literal arguments."""
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        expr = None
    if isinstance(expr, ast.Name):
        return expr.id, [], {}
    if not isinstance(expr, ast.Call):
        raise NoAppException(
            f"Failed to parse {app_name!r} as an attribute name or function call."
        )
    if not isinstance(expr.func, ast.Name):
        raise NoAppException(f"Function reference must be a simple name: {app_name!r}.")
    try:
        args = [ast.literal_eval(arg) for arg in expr.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in expr.keywords if k.arg}
    except ValueError:
        raise NoAppException(
            f"Failed to parse arguments as literal values: {app_name!r}."
        ) from None
    return expr.func.id, args, kwargs


def find_app_by_string(module: ModuleType, app_name: str) -> Pottle:
    """Get the app named by ``app_name`` in ``module``: an attribute, or a
    factory call with literal arguments such as ``create_app("dev")``."""
    from ..app import Pottle

    name, args, kwargs = _parse_app_expression(app_name)
    try:
        attr = getattr(module, name)
    except AttributeError as e:
        raise NoAppException(
            f"Failed to find attribute {name!r} in {module.__name__!r}."
        ) from e

    app = attr
    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as e:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could not"
                " be called with the specified arguments."
            ) from e

    if isinstance(app, Pottle):
        return app
    raise NoAppException(
        "A valid pottle application was not obtained from"
        f" '{module.__name__}:{app_name}'."
    )


def prepare_import(path: str) -> str:
    """Turn a file path or dotted name into a module name, putting the folder
    that contains its top-level package first on ``sys.path``."""
    path = os.path.realpath(path)
    base, ext = os.path.splitext(path)
    if ext == ".py":
        path = base
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)

    parts: list[str] = []
    while True:
        path, name = os.path.split(path)
        parts.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break

    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(parts))


def split_import_path(import_path: str) -> tuple[str, str | None]:
    """Split ``--app``'s ``module:name`` into the module (or file) and the
    name, if any."""
    # A colon followed by a slash is part of a Windows path (C:\).
    path, *name = re.split(r":(?![\\/])", import_path, maxsplit=1)
    return path, name[0] if name else None


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> Pottle: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = ...
) -> Pottle | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Pottle | None:
    """Import ``module_name`` and find the app in it (by ``app_name`` if
    given). An import error raised inside the module is reported with its
    traceback; a missing module gives None unless ``raise_if_not_found``."""
    try:
        __import__(module_name)
    except ImportError:
        # More than one frame: the module was found and failed inside.
        tb = sys.exc_info()[2]
        if tb is not None and tb.tb_next is not None:
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None

    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


class ScriptInfo:
    """What the command line knows about the app to load: an import path or
    a factory. Created by :class:`PottleGroup` and passed to commands as the
    click context's ``obj``.

    :param app_import_path: ``module:name``, ``module:factory(args)`` or a file
        path, as given to ``--app``.
    :param create_app: a function that returns the app; wins over the path.
    :param set_debug_flag: set ``app.debug`` from ``POTTLE_DEBUG``.
    :param load_dotenv_defaults: whether the default dotenv files are loaded
        (false when ``POTTLE_SKIP_DOTENV`` is set).
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., Pottle] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: Arbitrary data commands may share.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: Pottle | None = None

    def load_app(self) -> Pottle:
        """Load the app once (later calls return the same app): from
        ``create_app``, else the import path, else ``wsgi.py`` or ``app.py``
        in the current directory."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Pottle | None
        if self.create_app is not None:
            app = self.create_app()
        elif self.app_import_path:
            path, name = split_import_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            app = None
            for filename in ("wsgi.py", "app.py"):
                app = locate_app(prepare_import(filename), None, False)
                if app is not None:
                    break

        if app is None:
            raise NoAppException(
                "Could not locate a pottle application. Use the 'pottle --app'"
                " option, the 'POTTLE_APP' (or 'FLASK_APP') environment variable,"
                " or a 'wsgi.py' or 'app.py' file in the current directory."
            )
        if self.set_debug_flag:
            # Through the property, so settings that follow debug update too.
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the decorated command (and its subcommands) in the app's context,
    loading the app if needed; an ``async def`` command is run to completion
    in it. ``app.cli`` and :class:`AppGroup` commands get this by default."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return run_coroutine(ctx.invoke(f, *args, **kwargs))

    return update_wrapper(decorator, f)  # type: ignore[return-value]


def run_coroutine(rv: t.Any) -> t.Any:
    """``rv``, or if it is a coroutine (from an ``async def`` command), its
    result: it runs on pottle's loop through the ``app.ensure_sync`` bridge,
    in the current context (the app context included)."""
    return block_on(rv) if inspect.iscoroutine(rv) else rv
