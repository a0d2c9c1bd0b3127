"""Blueprints: groups of routes, hooks and handlers recorded now and
registered on an app later, any number of times, nested.

Registration replays the recorded functions against a
:class:`BlueprintSetupState`, whose ``add_url_rule`` extensions may replace
(Flask-RESTful does). Quart's websocket and serving hooks are here too.
"""

from __future__ import annotations

import os
import typing as t
from collections import defaultdict
from functools import update_wrapper

from . import typing as ft
from .scaffold import (
    Scaffold,
    _endpoint_from_view_func,
    _sentinel,
    setupmethod,
    static_view,
)

if t.TYPE_CHECKING:
    from .app import Pottle

DeferredSetupFunction = t.Callable[["BlueprintSetupState"], None]
F = t.TypeVar("F", bound=t.Callable[..., t.Any])


class BlueprintSetupState:
    """The state of one registration of a blueprint on an app, passed to
    the functions recorded with :meth:`Blueprint.record`."""

    def __init__(
        self,
        blueprint: Blueprint,
        app: Pottle,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        #: The app the blueprint is registered on.
        self.app = app
        #: The blueprint being registered.
        self.blueprint = blueprint
        #: The options passed to ``register_blueprint``.
        self.options = options
        #: Whether this blueprint was not registered on the app before.
        self.first_registration = first_registration

        subdomain = self.options.get("subdomain")
        if subdomain is None:
            subdomain = self.blueprint.subdomain
        #: The subdomain routes are registered under.
        self.subdomain = subdomain

        url_prefix = self.options.get("url_prefix")
        if url_prefix is None:
            url_prefix = self.blueprint.url_prefix
        #: The prefix of every URL rule.
        self.url_prefix = url_prefix

        self.name = self.options.get("name", blueprint.name)
        self.name_prefix = self.options.get("name_prefix", "")

        #: Default values for URL arguments of every rule.
        self.url_defaults = dict(self.blueprint.url_values_defaults)
        self.url_defaults.update(self.options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule on the app, with the blueprint's prefix, subdomain,
        defaults and dotted endpoint name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))

        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint(Scaffold):
    """A set of routes and hooks to register on an app.

    :param name: the blueprint's name, prefixed to its endpoints.
    :param import_name: usually ``__name__``, to find the root path.
    :param static_folder: its own static files, served under its prefix.
    :param static_url_path: the URL of its static route.
    :param template_folder: its own templates (searched after the app's).
    :param url_prefix: prefixed to every rule.
    :param subdomain: the subdomain its rules match.
    :param url_defaults: default values for its rules' arguments.
    :param root_path: the folder its paths are relative to.
    :param cli_group: the name of its command group; None adds its commands
        to the app's group.
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = _sentinel,
    ) -> None:
        super().__init__(
            import_name=import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")

        self.name = name
        self.cli.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        #: Functions run at each registration (see :meth:`record`).
        self.deferred_functions: list[DeferredSetupFunction] = []
        self.url_values_defaults = url_defaults if url_defaults is not None else {}
        self.cli_group = cli_group
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    @setupmethod
    def record(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` each time the blueprint is registered."""
        self.deferred_functions.append(func)

    @setupmethod
    def record_once(self, func: DeferredSetupFunction) -> None:
        """Call ``func(state)`` only the first time the blueprint is
        registered on an app."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(wrapper, func))

    def make_setup_state(
        self, app: Pottle, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state passed to recorded functions; override to customise."""
        return BlueprintSetupState(self, app, options, first_registration)

    @setupmethod
    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest ``blueprint`` in this one: its prefix, subdomain and name are
        combined with this one's when this one is registered."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: Pottle, options: dict[str, t.Any]) -> None:
        """Register on ``app`` (called by ``app.register_blueprint``).

        :param options: ``url_prefix``, ``subdomain``, ``url_defaults``,
            ``name`` (to register the same blueprint twice), ``cli_group``.
        """
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")

        if name in app.blueprints:
            bp_desc = "this" if app.blueprints[name] is self else "a different"
            existing_at = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for"
                f" {bp_desc} blueprint{existing_at}. Use 'name=' to"
                f" provide a unique name."
            )

        first_bp_registration = not any(bp is self for bp in app.blueprints.values())
        first_name_registration = name not in app.blueprints
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_bp_registration)

        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=static_view(self),
                endpoint="static",
            )

        # Merge hooks the first time, and again under each new name.
        if first_bp_registration or first_name_registration:
            self._merge_blueprint_funcs(app, name)

        for deferred in self.deferred_functions:
            deferred(state)

        cli_resolved_group = options.get("cli_group", self.cli_group)
        if self.cli.commands:
            if cli_resolved_group is None:
                app.cli.commands.update(self.cli.commands)
            elif cli_resolved_group is _sentinel:
                self.cli.name = name
                app.cli.add_command(self.cli)
            else:
                self.cli.name = cli_resolved_group
                app.cli.add_command(self.cli)

        for blueprint, bp_options in self._blueprints:
            blueprint.register(
                app, self._nested_options(state, name, blueprint, bp_options)
            )

    @staticmethod
    def _nested_options(
        state: BlueprintSetupState,
        name: str,
        blueprint: Blueprint,
        bp_options: dict[str, t.Any],
    ) -> dict[str, t.Any]:
        bp_options = bp_options.copy()
        bp_subdomain = bp_options.get("subdomain")
        if bp_subdomain is None:
            bp_subdomain = blueprint.subdomain
        if state.subdomain is not None and bp_subdomain is not None:
            bp_options["subdomain"] = bp_subdomain + "." + state.subdomain
        elif bp_subdomain is not None:
            bp_options["subdomain"] = bp_subdomain
        elif state.subdomain is not None:
            bp_options["subdomain"] = state.subdomain

        bp_url_prefix = bp_options.get("url_prefix")
        if bp_url_prefix is None:
            bp_url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and bp_url_prefix is not None:
            bp_options["url_prefix"] = (
                state.url_prefix.rstrip("/") + "/" + bp_url_prefix.lstrip("/")
            )
        elif bp_url_prefix is not None:
            bp_options["url_prefix"] = bp_url_prefix
        elif state.url_prefix is not None:
            bp_options["url_prefix"] = state.url_prefix

        bp_options["name_prefix"] = name
        return bp_options

    def _merge_blueprint_funcs(self, app: Pottle, name: str) -> None:
        def extend(
            bp_dict: dict[ft.AppOrBlueprintKey, list[t.Any]],
            parent_dict: dict[ft.AppOrBlueprintKey, list[t.Any]],
        ) -> None:
            for key, values in bp_dict.items():
                key = name if key is None else f"{name}.{key}"
                parent_dict[key].extend(values)

        for key, value in self.error_handler_spec.items():
            key = name if key is None else f"{name}.{key}"
            app.error_handler_spec[key] = defaultdict(
                dict, {code: dict(handlers) for code, handlers in value.items()}
            )

        for endpoint, func in self.view_functions.items():
            app.view_functions[endpoint] = func

        extend(self.before_request_funcs, app.before_request_funcs)
        extend(self.after_request_funcs, app.after_request_funcs)
        extend(self.teardown_request_funcs, app.teardown_request_funcs)
        extend(self.url_default_functions, app.url_default_functions)
        extend(self.url_value_preprocessors, app.url_value_preprocessors)
        extend(self.template_context_processors, app.template_context_processors)
        extend(self.before_websocket_funcs, app.before_websocket_funcs)
        extend(self.after_websocket_funcs, app.after_websocket_funcs)
        extend(self.teardown_websocket_funcs, app.teardown_websocket_funcs)

    @setupmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: ft.RouteCallable | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a URL rule, registered with the blueprint's prefix."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func and hasattr(view_func, "__name__") and "." in view_func.__name__:
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda s: s.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    # -- app-wide registrations ----------------------------------------------

    def _on_app(self, attribute: str, f: F) -> F:
        def register(state: BlueprintSetupState) -> None:
            registry = getattr(state.app, attribute)
            if isinstance(registry, dict):
                registry.setdefault(None, []).append(f)
            else:
                registry.append(f)

        self.record_once(register)
        return f

    def _on_jinja(self, kind: str, f: F, name: str | None) -> None:
        def register(state: BlueprintSetupState) -> None:
            getattr(state.app.jinja_env, kind)[name or f.__name__] = f

        self.record_once(register)

    @setupmethod
    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template filter of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_filter(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_filter(
        self, f: ft.TemplateFilterCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a template filter of the app."""
        self._on_jinja("filters", f, name)

    @setupmethod
    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template test of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_test(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_test(
        self, f: ft.TemplateTestCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a template test of the app."""
        self._on_jinja("tests", f, name)

    @setupmethod
    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Register the decorated function as a template global of the app."""

        def decorator(f: F) -> F:
            self.add_app_template_global(f, name=name)
            return f

        return decorator

    @setupmethod
    def add_app_template_global(
        self, f: ft.TemplateGlobalCallable, name: str | None = None
    ) -> None:
        """Register ``f`` as a template global of the app."""
        self._on_jinja("globals", f, name)

    @setupmethod
    def before_app_request(self, f: F) -> F:
        """Like :meth:`before_request`, for every request of the app."""
        return self._on_app("before_request_funcs", f)

    @setupmethod
    def after_app_request(self, f: F) -> F:
        """Like :meth:`after_request`, for every request of the app."""
        return self._on_app("after_request_funcs", f)

    @setupmethod
    def teardown_app_request(self, f: F) -> F:
        """Like :meth:`teardown_request`, for every request of the app."""
        return self._on_app("teardown_request_funcs", f)

    @setupmethod
    def app_context_processor(self, f: F) -> F:
        """Like :meth:`context_processor`, for every template of the app."""
        return self._on_app("template_context_processors", f)

    @setupmethod
    def app_url_value_preprocessor(self, f: F) -> F:
        """Like :meth:`url_value_preprocessor`, for the whole app."""
        return self._on_app("url_value_preprocessors", f)

    @setupmethod
    def app_url_defaults(self, f: F) -> F:
        """Like :meth:`url_defaults`, for the whole app."""
        return self._on_app("url_default_functions", f)

    @setupmethod
    def before_app_websocket(self, f: F) -> F:
        """Like :meth:`before_websocket`, for every websocket of the app."""
        return self._on_app("before_websocket_funcs", f)

    @setupmethod
    def after_app_websocket(self, f: F) -> F:
        """Like :meth:`after_websocket`, for every websocket of the app."""
        return self._on_app("after_websocket_funcs", f)

    @setupmethod
    def teardown_app_websocket(self, f: F) -> F:
        """Like :meth:`teardown_websocket`, for every websocket of the app."""
        return self._on_app("teardown_websocket_funcs", f)

    @setupmethod
    def before_app_serving(self, f: F) -> F:
        """Run ``f()`` when the app starts serving (see
        ``Pottle.before_serving``)."""
        return self._on_app("before_serving_funcs", f)

    @setupmethod
    def after_app_serving(self, f: F) -> F:
        """Run ``f()`` when the app stops serving."""
        return self._on_app("after_serving_funcs", f)

    @setupmethod
    def while_app_serving(self, f: F) -> F:
        """Run the async generator ``f`` around the app's serving life."""
        return self._on_app("while_serving_gens", f)

    @setupmethod
    def app_errorhandler(self, code: type[Exception] | int) -> t.Callable[[F], F]:
        """Like :meth:`errorhandler`, for errors anywhere in the app."""

        def decorator(f: F) -> F:
            def from_blueprint(state: BlueprintSetupState) -> None:
                state.app.errorhandler(code)(f)

            self.record_once(from_blueprint)
            return f

        return decorator
