"""What the app and blueprints share: the route, hook and error handler
decorators and their registries, static and template folders, resources.

Registries are plain dicts keyed by blueprint name (``None`` for the app),
as in Flask, because extensions read and append to them directly. Every
hook may be a sync or an ``async def`` function.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import pathlib
import sys
import typing as t
import weakref
from collections import defaultdict
from datetime import timedelta
from functools import update_wrapper

import aiofiles
from jinja2 import BaseLoader, FileSystemLoader
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.utils import cached_property

from . import typing as ft
from ._concurrency import caller_awaits, is_async_callable
from ._pipeline import call_async
from .cli import AppGroup
from .globals import current_app
from .helpers import get_root_path, send_from_directory
from .templating import _default_template_ctx_processor

if t.TYPE_CHECKING:
    from .wrappers import Response

_sentinel: t.Any = object()

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
T_after_request = t.TypeVar("T_after_request", bound=ft.AfterRequestCallable[t.Any])
T_before_request = t.TypeVar("T_before_request", bound=ft.BeforeRequestCallable)
T_error_handler = t.TypeVar("T_error_handler", bound=ft.ErrorHandlerCallable)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_context_processor = t.TypeVar(
    "T_template_context_processor", bound=ft.TemplateContextProcessorCallable
)
T_url_defaults = t.TypeVar("T_url_defaults", bound=ft.URLDefaultCallable)
T_url_value_preprocessor = t.TypeVar(
    "T_url_value_preprocessor", bound=ft.URLValuePreprocessorCallable
)
T_route = t.TypeVar("T_route", bound=ft.RouteCallable)
T_websocket = t.TypeVar("T_websocket", bound=ft.WebsocketCallable)


def setupmethod(f: F) -> F:
    """Refuse to run ``f`` once the app has handled a request (or the
    blueprint has been registered): the change would apply inconsistently."""
    name = f.__name__

    def wrapper(self: Scaffold, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._check_setup_finished(name)
        return f(self, *args, **kwargs)

    return t.cast(F, update_wrapper(wrapper, f))


class Scaffold:
    """The common base of :class:`~pottle.Pottle` and
    :class:`~pottle.Blueprint`.

    :param import_name: the name of the module or package that defines it,
        used to find its root path.
    :param static_folder: a folder of static files, relative to the root
        path.
    :param static_url_path: the URL prefix of the static route.
    :param template_folder: a folder of templates, relative to the root path.
    :param root_path: the folder that the other paths are relative to;
        found from ``import_name`` by default.
    """

    cli: AppGroup
    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        #: Click commands registered on this object (``flask``-style CLI).
        self.cli = AppGroup()

        #: Endpoint name to view function.
        self.view_functions: dict[str, ft.RouteCallable] = {}
        #: Blueprint name, then status code (None for exception classes),
        #: then exception class, to error handler.
        self.error_handler_spec: dict[
            ft.AppOrBlueprintKey,
            dict[int | None, dict[type[Exception], ft.ErrorHandlerCallable]],
        ] = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.BeforeRequestCallable]
        ] = defaultdict(list)
        self.after_request_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.AfterRequestCallable[t.Any]]
        ] = defaultdict(list)
        self.teardown_request_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.TeardownCallable]
        ] = defaultdict(list)
        self.template_context_processors: dict[
            ft.AppOrBlueprintKey, list[ft.TemplateContextProcessorCallable]
        ] = defaultdict(list, {None: [_default_template_ctx_processor]})
        self.url_value_preprocessors: dict[
            ft.AppOrBlueprintKey, list[ft.URLValuePreprocessorCallable]
        ] = defaultdict(list)
        self.url_default_functions: dict[
            ft.AppOrBlueprintKey, list[ft.URLDefaultCallable]
        ] = defaultdict(list)
        self.before_websocket_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.BeforeWebsocketCallable]
        ] = defaultdict(list)
        self.after_websocket_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.AfterWebsocketCallable[t.Any]]
        ] = defaultdict(list)
        self.teardown_websocket_funcs: dict[
            ft.AppOrBlueprintKey, list[ft.TeardownCallable]
        ] = defaultdict(list)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def _check_setup_finished(self, f_name: str) -> None:
        raise NotImplementedError

    # -- folders --------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, if any."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        """Whether a static folder is set."""
        return self.static_folder is not None

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix of the static route (the folder's name by
        default)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A loader for this object's template folder, if it has one."""
        if self.template_folder is not None:
            return FileSystemLoader(os.path.join(self.root_path, self.template_folder))
        return None

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The cache max age for a static file (``SEND_FILE_MAX_AGE_DEFAULT``,
        None by default so browsers revalidate)."""
        value = current_app.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    def send_static_file(self, filename: str) -> t.Any:
        """Send a file from :attr:`static_folder` (the view of the static
        route). Returns a response; ``await`` it to send the file with the
        async file sending.

        :param filename: the path of the file inside the static folder.
        """
        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        # send_file only asks the app for the max age; ask here, so that a
        # blueprint's own get_send_file_max_age is used for its files.
        max_age = self.get_send_file_max_age(filename)
        folder = t.cast(str, self.static_folder)
        if caller_awaits():
            return _send_from_directory_async(folder, filename, max_age)
        return send_from_directory(folder, filename, max_age=max_age)

    async def _serve_static(self, filename: str) -> Response:
        # Our own methods do no blocking work on the loop. A replacement of
        # either one is user code: a sync one runs on the worker thread.
        if _is_own(self, "send_static_file") and _is_own(self, "get_send_file_max_age"):
            rv: Response = await self.send_static_file(filename)
            return rv
        return await call_async(self.send_static_file, filename)  # type: ignore[no-any-return]

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.Any:
        """Open a file relative to :attr:`root_path`, for reading only::

            with app.open_resource("schema.sql") as f:
                db.executescript(f.read())

        ``await`` it for an :mod:`aiofiles` file, which does not block the
        event loop::

            async with await app.open_resource("schema.sql") as f:
                script = await f.read()

        :param resource: the path, relative to the root path.
        :param mode: ``"rb"`` (default), ``"r"`` or ``"rt"``.
        :param encoding: the text encoding, in text mode.
        """
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        return open_file(path, mode, encoding, caller_awaits())

    # -- routes ---------------------------------------------------------------

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[T_route], T_route]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    @setupmethod
    def get(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    @setupmethod
    def post(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    @setupmethod
    def put(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    @setupmethod
    def delete(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    @setupmethod
    def patch(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    @setupmethod
    def route(self, rule: str, **options: t.Any) -> t.Callable[[T_route], T_route]:
        """Register the decorated function as the view for ``rule``.

        :param rule: the URL rule, with werkzeug converters
            (``/user/<int:id>``).
        :param options: :meth:`add_url_rule` options: ``endpoint``,
            ``methods``, ``defaults``, ``host``, ``subdomain``,
            ``strict_slashes``, ``stream`` (read the body yourself)...
        """

        def decorator(f: T_route) -> T_route:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a URL rule (see :meth:`route`)."""
        raise NotImplementedError

    @setupmethod
    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Register the decorated function as the view of ``endpoint``
        (added separately with :meth:`add_url_rule`)."""

        def decorator(f: F) -> F:
            self.view_functions[endpoint] = f
            return f

        return decorator

    @setupmethod
    def websocket(
        self, rule: str, **options: t.Any
    ) -> t.Callable[[T_websocket], T_websocket]:
        """Register the decorated ``async def`` function as the handler of
        websocket connections to ``rule``."""

        def decorator(f: T_websocket) -> T_websocket:
            endpoint = options.pop("endpoint", None)
            self.add_websocket(rule, endpoint, f, **options)
            return f

        return decorator

    @setupmethod
    def add_websocket(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.WebsocketCallable | None = None,
        **options: t.Any,
    ) -> None:
        """Register a websocket rule (see :meth:`websocket`)."""
        if view_func is not None and not (
            is_async_callable(view_func) or is_async_callable(inspect.unwrap(view_func))
        ):
            raise TypeError(
                f"The websocket handler {view_func!r} must be an 'async def'"
                " function: the websocket API is async, and a sync handler"
                " would hold a worker thread for the connection's whole life."
            )
        options["websocket"] = True
        options.setdefault("methods", ["GET"])
        self.add_url_rule(
            rule,
            endpoint,
            view_func,  # type: ignore[arg-type]
            provide_automatic_options=False,
            **options,
        )

    # -- hooks ----------------------------------------------------------------

    @setupmethod
    def before_request(self, f: T_before_request) -> T_before_request:
        """Run ``f()`` before each request; a non-None return value is used as
        the response and the view is skipped."""
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_request(self, f: T_after_request) -> T_after_request:
        """Run ``f(response)`` after each request; it returns the response to
        send."""
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_request(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when the request context is popped, even after an
        unhandled error (``exc``)."""
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def before_websocket(self, f: F) -> F:
        """Run ``f()`` before each websocket handler."""
        self.before_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def after_websocket(self, f: F) -> F:
        """Run ``f(response)`` after each websocket handler (``response`` is
        None when the handler returned nothing)."""
        self.after_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def teardown_websocket(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when a websocket context is popped."""
        self.teardown_websocket_funcs.setdefault(None, []).append(f)
        return f

    @setupmethod
    def context_processor(
        self, f: T_template_context_processor
    ) -> T_template_context_processor:
        """Add the dict ``f()`` returns to every template's context."""
        self.template_context_processors[None].append(f)
        return f

    @setupmethod
    def url_value_preprocessor(
        self, f: T_url_value_preprocessor
    ) -> T_url_value_preprocessor:
        """Run ``f(endpoint, values)`` before the view, to pop values from the
        URL's arguments."""
        self.url_value_preprocessors[None].append(f)
        return f

    @setupmethod
    def url_defaults(self, f: T_url_defaults) -> T_url_defaults:
        """Run ``f(endpoint, values)`` when building URLs, to fill in
        values."""
        self.url_default_functions[None].append(f)
        return f

    @setupmethod
    def errorhandler(
        self, code_or_exception: type[Exception] | int
    ) -> t.Callable[[T_error_handler], T_error_handler]:
        """Handle an HTTP status code or an exception class (and its
        subclasses) with the decorated function."""

        def decorator(f: T_error_handler) -> T_error_handler:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    @setupmethod
    def register_error_handler(
        self, code_or_exception: type[Exception] | int, f: ft.ErrorHandlerCallable
    ) -> None:
        """:meth:`errorhandler` without the decorator."""
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[Exception] | int,
    ) -> tuple[type[Exception], int | None]:
        exc_class: type[Exception]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP"
                    " error code. Use a subclass of HTTPException with"
                    " that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers"
                " can only be registered for Exception classes or HTTP"
                " error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception."
                " Handlers can only be registered for Exception classes"
                " or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None


def _is_own(obj: Scaffold, name: str) -> bool:
    """Whether ``obj.name`` is Scaffold's method, not a replacement."""
    return getattr(getattr(obj, name), "__func__", None) is getattr(Scaffold, name)


def static_view(owner: Scaffold) -> ft.RouteCallable:
    """The view of ``owner``'s static route. It holds ``owner`` weakly, so an
    app can be freed when its last reference goes."""
    ref = weakref.ref(owner)

    async def static(filename: str) -> Response:
        scaffold = ref()
        if scaffold is None:
            raise RuntimeError("The static files' owner was garbage collected.")
        return await scaffold._serve_static(filename)

    return static


async def _send_from_directory_async(
    folder: str, filename: str, max_age: int | None
) -> Response:
    rv: Response = await send_from_directory(folder, filename, max_age=max_age)
    return rv


def open_file(path: str, mode: str, encoding: str | None, awaited: bool) -> t.Any:
    """Open ``path`` for :meth:`Scaffold.open_resource`: a file object, or,
    when the caller awaits, a coroutine that gives an aiofiles file (to use
    with ``async with``)."""
    if awaited:
        return _open_async(path, mode, None if "b" in mode else encoding)
    if "b" in mode:
        return open(path, mode)
    return open(path, mode, encoding=encoding)


async def _open_async(path: str, mode: str, encoding: str | None) -> t.Any:
    # aiofiles types each literal mode; ours is only known at run time.
    return aiofiles.open(path, mode, encoding=encoding)  # type: ignore[call-overload]


def _endpoint_from_view_func(view_func: ft.RouteCallable | None) -> str:
    if view_func is None:
        raise TypeError("expected view func if endpoint is not provided.")
    return view_func.__name__


def _find_package_path(import_name: str) -> str:
    root_mod_name, _, _ = import_name.partition(".")
    try:
        root_spec = importlib.util.find_spec(root_mod_name)
        if root_spec is None:
            raise ValueError("not found")
    except (ImportError, ValueError):
        return os.getcwd()

    if root_spec.submodule_search_locations:
        if root_spec.origin is None or root_spec.origin == "namespace":
            # A namespace package: find the location of the sub package.
            package_spec = importlib.util.find_spec(import_name)
            if package_spec is not None and package_spec.submodule_search_locations:
                package_path = pathlib.Path(
                    os.path.commonpath(package_spec.submodule_search_locations)
                )
                search_location = next(
                    location
                    for location in root_spec.submodule_search_locations
                    if package_path.is_relative_to(location)
                )
            else:
                search_location = root_spec.submodule_search_locations[0]
            return os.path.dirname(search_location)
        return os.path.dirname(os.path.dirname(root_spec.origin))
    return os.path.dirname(t.cast(str, root_spec.origin))


def find_package(import_name: str) -> tuple[str | None, str]:
    """Where ``import_name`` is installed: the prefix (None when it is not
    installed in a ``site-packages``-style location) and the package path."""
    package_path = _find_package_path(import_name)
    py_prefix = os.path.abspath(sys.prefix)
    if pathlib.PurePath(package_path).is_relative_to(py_prefix):
        return py_prefix, package_path
    site_parent, site_folder = os.path.split(package_path)
    if site_folder.lower() == "site-packages":
        parent, folder = os.path.split(site_parent)
        if folder.lower() == "lib":
            return parent, package_path
        if os.path.basename(parent).lower() == "lib":
            return os.path.dirname(parent), package_path
        return site_parent, package_path
    return None, package_path
