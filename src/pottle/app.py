"""The application object: configuration, registries and the request
pipeline, in Flask's order (see docs/architecture.md).

Each pipeline method (``full_dispatch_request``, ``handle_exception``...) is
written once as a generator of pipeline ops (``_pipeline``): called from sync
code it behaves as in Flask, awaited (or run by the ASGI layer) it awaits
async user code on the loop and sends sync user code to the request's worker
thread. Extensions may still replace any of them on the instance.
"""

from __future__ import annotations

import asyncio
import os
import sys
import typing as t
from datetime import timedelta
from itertools import chain
from urllib.parse import quote as _url_quote

from werkzeug.datastructures import ImmutableDict
from werkzeug.exceptions import (
    Aborter,
)
from werkzeug.routing import BuildError, MapAdapter
from werkzeug.sansio.request import Request as SansIORequest
from werkzeug.utils import cached_property
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from . import typing as ft
from ._concurrency import (
    block_on,
    caller_awaits,
    is_async_callable,
    run_sync,
    runs_on_loop,
)
from ._pipeline import (
    inline_method,
)
from .asgi import ASGIHTTPConnection, ASGILifespan, ASGIWebsocketConnection
from .config import Config, ConfigAttribute
from .ctx import (
    AppContext,
    RequestContext,
    WebsocketContext,
    _AppCtxGlobals,
    with_prefetched_body,
)
from .dispatch import RequestDispatch
from .globals import _cv_app, _cv_request, _cv_websocket, g, request, session
from .helpers import (
    _split_blueprint_path,
    get_debug_flag,
    get_flashed_messages,
    get_load_dotenv,
)
from .json.provider import DefaultJSONProvider, JSONProvider
from .lifecycle import Lifecycle
from .logging import create_logger
from .routing import Map, Rule
from .scaffold import (
    Scaffold,
    _endpoint_from_view_func,
    find_package,
    open_file,
    setupmethod,
    static_view,
)
from .sessions import SecureCookieSessionInterface, SessionInterface
from .templating import DispatchingJinjaLoader, Environment
from .websocket_dispatch import WebsocketDispatch
from .wrappers import Request, Response, Websocket

if t.TYPE_CHECKING:
    from .testing import FlaskClient, FlaskCliRunner, TestApp

T_shell_context_processor = t.TypeVar(
    "T_shell_context_processor", bound=ft.ShellContextProcessorCallable
)
T_teardown = t.TypeVar("T_teardown", bound=ft.TeardownCallable)
T_template_filter = t.TypeVar("T_template_filter", bound=ft.TemplateFilterCallable)
T_template_global = t.TypeVar("T_template_global", bound=ft.TemplateGlobalCallable)
T_template_test = t.TypeVar("T_template_test", bound=ft.TemplateTestCallable)
F = t.TypeVar("F", bound=t.Callable[..., t.Any])

_sentinel: t.Any = object()


def _make_timedelta(value: timedelta | int | None) -> timedelta | None:
    if value is None or isinstance(value, timedelta):
        return value
    return timedelta(seconds=value)


class Pottle(Lifecycle, WebsocketDispatch, RequestDispatch, Scaffold):
    """The application: create one in your main module or package.

    ``Flask`` is another name for this class, so Flask code runs unchanged.
    The app is an ASGI application; serve it with ``app.run()``, ``pottle
    run`` or any ASGI server.

    :param import_name: the name of the application package, usually
        ``__name__``; it locates resources and templates.
    :param static_url_path: the URL of the static route (the static folder's
        name by default).
    :param static_folder: the folder of static files served at
        ``static_url_path``; None for no static route.
    :param static_host: the host of the static route, with ``host_matching``.
    :param host_matching: match rules on the ``host`` option.
    :param subdomain_matching: match rules on the ``subdomain`` option
        relative to ``SERVER_NAME``.
    :param template_folder: the folder of templates.
    :param instance_path: the instance folder; found automatically.
    :param instance_relative_config: load config files relative to the
        instance folder.
    :param root_path: the folder the other paths are relative to.
    """

    #: The class of ``request``.
    request_class: type[Request] = Request
    #: The class of responses.
    response_class: type[Response] = Response
    #: The class of ``websocket``.
    websocket_class: type[Websocket] = Websocket
    #: Runs the HTTP side of the ASGI protocol.
    asgi_http_class = ASGIHTTPConnection
    #: Runs the websocket side of the ASGI protocol.
    asgi_websocket_class = ASGIWebsocketConnection
    #: Runs the lifespan side of the ASGI protocol.
    asgi_lifespan_class = ASGILifespan
    aborter_class = Aborter
    jinja_environment = Environment
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    jinja_options: dict[str, t.Any] = {}
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[FlaskClient] | None = None
    test_cli_runner_class: type[FlaskCliRunner] | None = None
    test_app_class: type[TestApp] | None = None
    #: The session interface (signed cookies by default).
    session_interface: SessionInterface = SecureCookieSessionInterface()

    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute[str | bytes | None]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=_make_timedelta,  # type: ignore[arg-type]
    )

    #: Flask's defaults, plus pottle's limits and timeouts (see docs/config.md).
    default_config = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
            # pottle's own keys
            "BODY_TIMEOUT": 60,
            "BODY_PREFETCH_SIZE": 256 * 1024,
            "MAX_FORM_PART_HEADER_SIZE": 8 * 1024,
            "RESPONSE_TIMEOUT": 60,
            "BACKGROUND_TASK_SHUTDOWN_TIMEOUT": 5,
            "WEBSOCKET_MAX_MESSAGE_SIZE": 1024 * 1024,
            "WEBSOCKET_MAX_QUEUE": 32,
            "WORKER_THREADS": 40,
        }
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        #: The instance folder, for files not in version control.
        self.instance_path = instance_path
        #: The configuration dict.
        self.config = self.make_config(instance_relative_config)
        #: Raises HTTP exceptions for :func:`~pottle.abort`.
        self.aborter = self.make_aborter()
        #: The JSON provider: ``dumps``, ``loads``, ``response``.
        self.json: JSONProvider = self.json_provider_class(self)
        #: Called with ``(error, endpoint, values)`` when ``url_for`` fails.
        self.url_build_error_handlers: list[
            t.Callable[[Exception, str, dict[str, t.Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[ft.TeardownCallable] = []
        self.shell_context_processors: list[ft.ShellContextProcessorCallable] = []
        #: Registered blueprints by name.
        self.blueprints: dict[str, t.Any] = {}
        #: Where extensions keep their state, by extension name.
        self.extensions: dict[str, t.Any] = {}
        #: The URL map.
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False

        #: Functions run before the app starts serving (lifespan startup).
        self.before_serving_funcs: list[t.Callable[[], t.Any]] = []
        #: Functions run after the app stops serving.
        self.after_serving_funcs: list[t.Callable[[], t.Any]] = []
        #: Async generator functions that wrap the serving life.
        self.while_serving_gens: list[
            t.Callable[[], t.AsyncGenerator[t.Any, None]]
        ] = []
        #: Set when the app starts shutting down; long-running work may wait
        #: on it to stop early.
        self.shutdown_event = asyncio.Event()
        #: The background tasks still running (kept alive by this set).
        self.background_tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[asyncio.Task[t.Any]] = set()
        self._serving_gens: list[t.AsyncGenerator[t.Any, None]] = []

        self.cli.name = self.name
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=static_view(self),
            )

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )

    # -- properties and factories --------------------------------------------

    @cached_property
    def name(self) -> str:
        """The app's name: the import name, or the script's name when it is
        ``__main__``."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @cached_property
    def logger(self) -> t.Any:
        """The app's :class:`logging.Logger`, named after :attr:`name`."""
        return create_logger(self)

    @cached_property
    def jinja_env(self) -> Environment:
        """The Jinja environment, created on first use."""
        return self.create_jinja_environment()

    def make_config(self, instance_relative: bool = False) -> Config:
        """Create :attr:`config` with the defaults and ``DEBUG`` from the
        environment."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    def make_aborter(self) -> Aborter:
        """Create :attr:`aborter`."""
        return self.aborter_class()

    def auto_find_instance_path(self) -> str:
        """The instance folder: ``instance`` beside the package, or
        ``$PREFIX/var/<name>-instance`` when installed."""
        prefix, package_path = find_package(self.import_name)
        if prefix is None:
            return os.path.join(package_path, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

    def create_jinja_environment(self) -> Environment:
        """Create the Jinja environment with Flask's globals and options."""
        options = dict(self.jinja_options)
        if "autoescape" not in options:
            options["autoescape"] = self.select_jinja_autoescape
        if "auto_reload" not in options:
            auto_reload = self.config["TEMPLATES_AUTO_RELOAD"]
            if auto_reload is None:
                auto_reload = self.debug
            options["auto_reload"] = auto_reload
        rv = self.jinja_environment(self, **options)
        rv.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        rv.policies["json.dumps_function"] = self.json.dumps
        return rv

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader that searches the app's and blueprints' templates."""
        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Autoescape templates from strings and ``.html``, ``.htm``,
        ``.xml``, ``.xhtml`` and ``.svg`` files."""
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    @property
    def debug(self) -> bool:
        """Debug mode (``DEBUG``): tracebacks, reloading templates."""
        return self.config["DEBUG"]  # type: ignore[no-any-return]

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None:
            self.jinja_env.auto_reload = value

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.Any:
        """Open a file in the instance folder; writing is allowed. ``await``
        it for an aiofiles file, as with :meth:`open_resource`.

        :param resource: the path, relative to the instance folder.
        :param mode: any :func:`open` mode.
        :param encoding: the text encoding, in text mode.
        """
        path = os.path.join(self.instance_path, resource)
        return open_file(path, mode, encoding, caller_awaits())

    # -- registration ---------------------------------------------------------

    @setupmethod
    def register_blueprint(self, blueprint: t.Any, **options: t.Any) -> None:
        """Register a :class:`~pottle.Blueprint` (see ``Blueprint.register``
        for the options)."""
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[t.Any]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        required_methods: set[str] = set(getattr(view_func, "required_methods", ()))

        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required_methods.add("OPTIONS")
            else:
                provide_automatic_options = False

        methods |= required_methods
        rule_obj = self.url_rule_class(rule, methods=methods, **options)
        rule_obj.provide_automatic_options = provide_automatic_options
        self.url_map.add(rule_obj)
        if view_func is not None:
            old_func = self.view_functions.get(endpoint)
            if old_func is not None and old_func != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    @setupmethod
    def template_filter(
        self, name: str | None = None
    ) -> t.Callable[[T_template_filter], T_template_filter]:
        """Register the decorated function as a Jinja filter."""

        def decorator(f: T_template_filter) -> T_template_filter:
            self.add_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_filter(
        self, f: ft.TemplateFilterCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a Jinja filter (named after it by default)."""
        self.jinja_env.filters[name or f.__name__] = f

    @setupmethod
    def template_test(
        self, name: str | None = None
    ) -> t.Callable[[T_template_test], T_template_test]:
        """Register the decorated function as a Jinja test."""

        def decorator(f: T_template_test) -> T_template_test:
            self.add_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_test(
        self, f: ft.TemplateTestCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a Jinja test."""
        self.jinja_env.tests[name or f.__name__] = f

    @setupmethod
    def template_global(
        self, name: str | None = None
    ) -> t.Callable[[T_template_global], T_template_global]:
        """Register the decorated function as a Jinja global."""

        def decorator(f: T_template_global) -> T_template_global:
            self.add_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_template_global(
        self, f: ft.TemplateGlobalCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a Jinja global."""
        self.jinja_env.globals[name or f.__name__] = f

    @setupmethod
    def teardown_appcontext(self, f: T_teardown) -> T_teardown:
        """Run ``f(exc)`` when each app context is popped (after every request
        and at the end of ``with app.app_context()``)."""
        self.teardown_appcontext_funcs.append(f)
        return f

    @setupmethod
    def shell_context_processor(
        self, f: T_shell_context_processor
    ) -> T_shell_context_processor:
        """Add the dict ``f()`` returns to ``pottle shell``'s namespace."""
        self.shell_context_processors.append(f)
        return f

    def make_shell_context(self) -> dict[str, t.Any]:
        """The namespace of ``pottle shell``: ``app`` and ``g``, updated with
        what each shell context processor returns."""
        rv: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(self.ensure_sync(processor)())
        return rv

    @setupmethod
    def before_serving(self, f: F) -> F:
        """Run ``f()`` (sync or async) once when the server starts, before
        any request."""
        self.before_serving_funcs.append(f)
        return f

    @setupmethod
    def after_serving(self, f: F) -> F:
        """Run ``f()`` once when the server stops, after the last request."""
        self.after_serving_funcs.append(f)
        return f

    @setupmethod
    def while_serving(self, f: F) -> F:
        """Register an async generator function: the code before its
        ``yield`` runs at startup, the code after it at shutdown."""
        self.while_serving_gens.append(f)
        return f

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response (used by :func:`~pottle.redirect`)."""
        return _wz_redirect(location, code=code, Response=self.response_class)

    # -- URLs -----------------------------------------------------------------

    @inline_method
    def create_url_adapter(self, request: SansIORequest | None) -> MapAdapter | None:
        """Bind the URL map to ``request`` (or websocket), or for building
        outside a request to ``SERVER_NAME`` (None if it is not set)."""
        if request is not None:
            if (trusted_hosts := self.config["TRUSTED_HOSTS"]) is not None:
                request.trusted_hosts = trusted_hosts
            # Validate the host here, so an untrusted one is a 400.
            request.host  # noqa: B018
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                # The configured name would hide the request's host.
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_request(
                request, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Run the ``url_defaults`` functions for ``endpoint`` on
        ``values``."""
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            names = chain(
                names, reversed(_split_blueprint_path(endpoint.rpartition(".")[0]))
            )
        for name in names:
            if name in self.url_default_functions:
                for func in self.url_default_functions[name]:
                    func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Try the :attr:`url_build_error_handlers`; re-raise ``error`` if
        none returns a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of ``endpoint``.

        :param endpoint: the endpoint name; ``.name`` is relative to the
            current blueprint.
        :param _anchor: a ``#fragment`` to append.
        :param _method: the method the URL is for.
        :param _scheme: the scheme of an external URL.
        :param _external: build an absolute URL (the default outside a
            request).
        :param values: the rule's arguments; others go in the query string.
        """
        req_ctx: RequestContext | WebsocketContext | None = _cv_request.get(None)
        if req_ctx is None:
            req_ctx = _cv_websocket.get(None)
        if req_ctx is not None:
            url_adapter = req_ctx.url_adapter
            blueprint_name = (
                req_ctx.request
                if isinstance(req_ctx, RequestContext)
                else req_ctx.websocket
            ).blueprint
            if endpoint[:1] == ".":
                if blueprint_name is not None:
                    endpoint = f"{blueprint_name}{endpoint}"
                else:
                    endpoint = endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            app_ctx = _cv_app.get(None)
            if app_ctx is not None:
                url_adapter = app_ctx.url_adapter
            else:
                url_adapter = self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request"
                    " without 'SERVER_NAME' configured. Also configure"
                    " 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                    " needed."
                )
            if _external is None:
                _external = True

        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")

        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(  # type: ignore[union-attr]
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=_external,
            )
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)

        if _anchor is not None:
            _anchor = _url_quote(_anchor, safe="%!#$&'()*+,/:;=?@")
            rv = f"{rv}#{_anchor}"
        return rv

    # -- sync and async -------------------------------------------------------

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """``func`` if it is sync, else a sync wrapper that runs it on the
        event loop and waits (from a worker thread; never on the loop)."""
        if is_async_callable(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """A sync wrapper around the async ``func`` (see :meth:`ensure_sync`)."""

        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return block_on(with_prefetched_body(func(*args, **kwargs)))

        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper

    def ensure_async(
        self, func: t.Callable[..., t.Any]
    ) -> t.Callable[..., t.Awaitable[t.Any]]:
        """``func`` if it is async, else an async wrapper that runs it on the
        request's worker thread."""
        if is_async_callable(func):
            return func
        return self.sync_to_async(func)

    def sync_to_async(
        self, func: t.Callable[..., t.Any]
    ) -> t.Callable[..., t.Awaitable[t.Any]]:
        """An async wrapper that runs the sync ``func`` off the event loop."""

        async def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if runs_on_loop(func):
                return func(*args, **kwargs)
            return await run_sync(func, *args, **kwargs)

        wrapper.__wrapped__ = func  # type: ignore[attr-defined]
        return wrapper

    # -- contexts -------------------------------------------------------------

    def app_context(self) -> AppContext:
        """A new application context (``with`` or ``async with`` it)."""
        return AppContext(self)

    def request_context(self, environ: t.Any) -> RequestContext:
        """A request context for a WSGI environ or a :class:`Request`."""
        if isinstance(environ, Request):
            return RequestContext(self, request=environ)
        return RequestContext(self, environ)

    def websocket_context(self, websocket: Websocket) -> WebsocketContext:
        """A websocket context for ``websocket``."""
        return WebsocketContext(self, websocket)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for a request built from werkzeug's
        ``EnvironBuilder`` arguments (path, method, data, json, headers...),
        to test code that uses ``request`` without a full request."""
        from .testing import EnvironBuilder

        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    # -- serving --------------------------------------------------------------

    async def asgi_app(
        self,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        """The ASGI application. Wrap it to add ASGI middleware:
        ``app.asgi_app = Middleware(app.asgi_app)``."""
        kind = scope["type"]
        if kind == "http":
            await self._track(self.asgi_http_class(self, scope, receive, send))
        elif kind == "websocket":
            await self._track(self.asgi_websocket_class(self, scope, receive, send))
        elif kind == "lifespan":
            await self.asgi_lifespan_class(self, scope, receive, send)()
        else:
            raise RuntimeError(f"Unknown ASGI scope type {kind!r}.")

    async def __call__(
        self,
        scope: dict[str, t.Any],
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        await self.asgi_app(scope, receive, send)

    @property
    def wsgi_app(self) -> _WSGIPlaceholder:
        """There is no WSGI app: pottle is ASGI. Wrap :meth:`asgi_app` with
        ASGI middleware instead. One WSGI idiom is translated because it is
        so common: ``app.wsgi_app = ProxyFix(app.wsgi_app, ...)`` with
        werkzeug's ``ProxyFix`` installs :class:`pottle.middleware.ProxyFix`
        with the same settings."""
        return _WSGIPlaceholder(self)

    @wsgi_app.setter
    def wsgi_app(self, value: t.Any) -> None:
        from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

        from .middleware import ProxyFix

        if isinstance(value, WerkzeugProxyFix) and isinstance(
            value.app, _WSGIPlaceholder
        ):
            self.asgi_app = ProxyFix(  # type: ignore[method-assign]
                self.asgi_app,
                x_for=value.x_for,
                x_proto=value.x_proto,
                x_host=value.x_host,
                x_port=value.x_port,
                x_prefix=value.x_prefix,
            )
            return
        raise TypeError(
            "pottle apps are ASGI applications, so WSGI middleware cannot wrap"
            f" them ({type(value).__name__}). Wrap 'app.asgi_app' with ASGI"
            " middleware instead; werkzeug's ProxyFix is translated"
            " automatically, and 'pottle.middleware.ProxyFix' is its ASGI form."
        )

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with Hypercorn, for development (``pottle run`` does
        the same from the command line). In production, run it with an ASGI
        server: ``hypercorn module:app``.

        Call it in an ``if __name__ == "__main__":`` block: it does nothing
        while a ``pottle`` command loads the app. If the server cannot start
        (busy port, failed lifespan startup) it exits with ``SystemExit(1)``.

        :param host: the interface, ``127.0.0.1`` by default (or
            ``SERVER_NAME``'s host).
        :param port: the port, 5000 by default (or ``SERVER_NAME``'s port).
        :param debug: set debug mode (reloader, traceback pages).
        :param load_dotenv: load the ``.flaskenv``, ``.pottleenv`` and
            ``.env`` files first.
        :param options: ``use_reloader`` (debug mode by default),
            ``certfile`` and ``keyfile`` or ``ssl_context``, ``extra_files``,
            ``exclude_patterns``, ``reloader_interval``, and Hypercorn
            config attributes. werkzeug-only options are ignored.
        """
        from .cli import load_dotenv as _load_dotenv
        from .cli import show_server_banner
        from .reloader import is_running_from_reloader
        from .serving import run_server

        if os.environ.get("POTTLE_RUN_FROM_CLI") == "true":
            if not is_running_from_reloader():
                import click

                click.secho(
                    " * Ignoring a call to 'app.run()' that would block"
                    " the current 'pottle' CLI command.\n"
                    "   Only call 'app.run()' in an 'if __name__ =="
                    ' "__main__"\' guard.',
                    fg="red",
                )
            return

        if get_load_dotenv(load_dotenv):
            _load_dotenv()
            if "POTTLE_DEBUG" in os.environ or "FLASK_DEBUG" in os.environ:
                self.debug = get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)

        sn_host, _, sn_port = (self.config.get("SERVER_NAME") or "").partition(":")
        host = host or sn_host or "127.0.0.1"
        if port or port == 0:
            port = int(port)
        else:
            port = int(sn_port or 5000)
        options.setdefault("use_reloader", self.debug)
        certfile = options.pop("certfile", None)
        keyfile = options.pop("keyfile", None)
        if certfile is not None:
            # A single file may hold both the certificate and the key.
            options.setdefault("ssl_context", (certfile, keyfile or certfile))

        show_server_banner(self.debug, self.name)
        try:
            run_server(lambda: self, host, port, **options)
        finally:
            self._got_first_request = False

    def run_task(
        self,
        host: str = "127.0.0.1",
        port: int = 5000,
        debug: bool | None = None,
        ca_certs: str | None = None,
        certfile: str | None = None,
        keyfile: str | None = None,
        shutdown_trigger: t.Callable[..., t.Awaitable[t.Any]] | None = None,
    ) -> t.Coroutine[t.Any, t.Any, None]:
        """A coroutine that serves the app with Hypercorn in the running event
        loop, for embedding: ``await app.run_task(port=8000)``.

        :param ca_certs: a CA bundle to verify client certificates.
        :param certfile: the TLS certificate (with ``keyfile``).
        :param shutdown_trigger: serving stops when this coroutine function's
            awaitable completes; by default on SIGINT or SIGTERM.
        :raises BindError: the address cannot be bound
            (:class:`pottle.serving.BindError`, an :exc:`OSError`).
        """
        from .serving import make_config, serve_app

        if debug is not None:
            self.debug = debug
        cert = (certfile, keyfile or certfile) if certfile is not None else None
        config = make_config(host, port, cert, ca_certs=ca_certs)
        return serve_app(self, config, shutdown_trigger)

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> FlaskClient:
        """A test client that sends requests to the app through ASGI; usable
        from sync tests (``client.get``) and async ones (``await
        client.get``)."""
        from .testing import PottleClient

        cls = self.test_client_class or PottleClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_app(self, **kwargs: t.Any) -> TestApp:
        """Drive the app's startup and shutdown (the serving hooks) around a
        test: ``async with app.test_app() as test_app:`` or ``with
        app.test_app():``. Takes ``startup_timeout`` and
        ``shutdown_timeout``."""
        from .testing import TestApp

        cls = self.test_app_class or TestApp
        return cls(self, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> FlaskCliRunner:
        """A click runner for the app's commands."""
        from .testing import PottleCliRunner

        cls = self.test_cli_runner_class or PottleCliRunner
        return cls(self, **kwargs)


#: Flask's name for the application class.
Flask = Pottle


class _WSGIPlaceholder:
    """What ``app.wsgi_app`` returns: something WSGI middleware can wrap, but
    that cannot serve WSGI."""

    def __init__(self, app: Pottle) -> None:
        self.app = app

    def __call__(self, environ: t.Any, start_response: t.Any) -> t.NoReturn:
        raise RuntimeError(
            "pottle apps are ASGI applications and cannot be called as WSGI"
            " apps; serve them with an ASGI server (pottle run, hypercorn)."
        )
