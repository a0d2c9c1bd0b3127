"""Jinja templating in both worlds.

``app.jinja_env`` is a sync environment, as in Flask, so Flask code and
extensions call ``render_template(...)`` and get a string. Awaiting the same
functions (``await render_template(...)``) renders with an async twin of that
environment, where templates may call async globals and loop over async
generators. Both share loaders, globals, filters, tests and policies. The rule
is documented in docs/templating.md. Imports no app module.
"""

from __future__ import annotations

import typing as t

from blinker import Signal
from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from ._concurrency import caller_awaits, in_loop_thread, is_async_callable, on_loop
from ._pipeline import step, to_worker
from .globals import _cv_app, _cv_request, current_app
from .helpers import stream_with_context
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
    from jinja2.ext import Extension

    from .app import Pottle
    from .scaffold import Scaffold

TemplateRef = t.Union[str, Template, list[str | Template]]  # noqa: UP007


@on_loop
def _default_template_ctx_processor() -> dict[str, t.Any]:
    """Put ``g`` and ``request`` in the template context (``session`` is a
    global)."""
    appctx = _cv_app.get(None)
    reqctx = _cv_request.get(None)
    rv: dict[str, t.Any] = {}
    if appctx is not None:
        rv["g"] = appctx.g
    if reqctx is not None:
        rv["request"] = reqctx.request
    return rv


class Environment(BaseEnvironment):
    """The app's Jinja environment: it loads templates through the app and
    its blueprints. :attr:`async_env` is its async twin."""

    def __init__(self, app: Pottle, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def __setattr__(self, name: str, value: t.Any) -> None:
        # Apps change settings after creation (``jinja_env.trim_blocks =
        # True``, ``undefined = StrictUndefined``): rebuild the twin then.
        super().__setattr__(name, value)
        self.__dict__.pop("_async_twin", None)

    def add_extension(self, extension: str | type[Extension]) -> None:
        super().add_extension(extension)
        self.__dict__.pop("_async_twin", None)

    @property
    def async_env(self) -> BaseEnvironment:
        """An ``enable_async`` overlay of this environment: the same loader,
        globals, filters, tests and policies, its own compiled templates."""
        if self.is_async:
            return self
        twin: BaseEnvironment | None = self.__dict__.get("_async_twin")
        if twin is None:
            twin = self.overlay(enable_async=True)
            self.__dict__["_async_twin"] = twin
        return twin


class DispatchingJinjaLoader(BaseLoader):
    """Looks for templates in the app's folder, then in each blueprint's."""

    def __init__(self, app: Pottle) -> None:
        self.app = app

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _source, loader in self._iter_loaders(template):
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, t.Callable[[], bool] | None]:
        attempts = []
        found = None
        for source, loader in self._iter_loaders(template):
            try:
                rv = loader.get_source(environment, template)
            except TemplateNotFound:
                rv = None
            if found is None:
                found = rv
            attempts.append((loader, source, rv))

        from .debughelpers import explain_template_loading_attempts

        explain_template_loading_attempts(self.app, template, attempts)
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self, template: str) -> t.Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        result: set[str] = set()
        for _source, loader in self._iter_loaders(""):
            result.update(loader.list_templates())
        return list(result)


# -- the sync world (Flask) ---------------------------------------------------


def _send(
    signal: Signal, app: Pottle, template: Template, context: dict[str, t.Any]
) -> None:
    if signal.receivers:
        signal.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )


def _check_sync_render(app: Pottle) -> None:
    """On the event loop a plain render cannot wait for async code: say so
    now, rather than fail deep inside the bridge."""
    if not in_loop_thread():
        return
    req_ctx = _cv_request.get(None)
    names = (None, *(req_ctx.request.blueprints if req_ctx else ()))
    processors = app.template_context_processors
    for name in names:
        for func in processors.get(name, ()):
            if is_async_callable(func):
                _refuse("the context processor", func)
    for signal in (before_render_template, template_rendered):
        for receiver in signal.receivers_for(app):
            if is_async_callable(receiver):
                _refuse(f"the {getattr(signal, 'name', '')!r} receiver", receiver)


def _refuse(what: str, func: t.Any) -> t.NoReturn:
    name = getattr(func, "__qualname__", repr(func))
    raise RuntimeError(
        f"A template was rendered synchronously on the event loop, but {what}"
        f" {name!r} is async and cannot be waited for there. In async code,"
        " await the call: 'await render_template(...)' (or"
        " render_template_string, stream_template)."
    )


def _render(app: Pottle, template: Template, context: dict[str, t.Any]) -> str:
    _check_sync_render(app)
    app.update_template_context(context)
    _send(before_render_template, app, template, context)
    rv = template.render(context)
    _send(template_rendered, app, template, context)
    return rv


def _stream(
    app: Pottle, template: Template, context: dict[str, t.Any]
) -> t.Iterator[str]:
    _check_sync_render(app)
    app.update_template_context(context)
    _send(before_render_template, app, template, context)

    def generate() -> t.Iterator[str]:
        yield from template.generate(context)
        _send(template_rendered, app, template, context)

    rv = generate()
    if _cv_request.get(None) is not None:
        rv = stream_with_context(rv)
    return rv


# -- the async world (Quart) --------------------------------------------------


async def _send_async(
    signal: Signal, app: Pottle, template: Template, context: dict[str, t.Any]
) -> None:
    if signal.receivers:
        await signal.send_async(
            app, _sync_wrapper=to_worker, template=template, context=context
        )


async def _render_async(
    app: Pottle, template: Template, context: dict[str, t.Any]
) -> str:
    await step(app, app, "update_template_context", context)
    await _send_async(before_render_template, app, template, context)
    rv = await template.render_async(context)
    await _send_async(template_rendered, app, template, context)
    return rv


async def _stream_async(
    app: Pottle, template: Template, context: dict[str, t.Any]
) -> t.AsyncIterator[str]:
    await step(app, app, "update_template_context", context)
    await _send_async(before_render_template, app, template, context)

    async def generate() -> t.AsyncIterator[str]:
        async for chunk in template.generate_async(context):
            yield chunk
        await _send_async(template_rendered, app, template, context)

    rv = generate()
    if _cv_request.get(None) is not None:
        rv = stream_with_context(rv)
    return rv


# -- the public functions -----------------------------------------------------


def _environment(app: Pottle, awaited: bool) -> BaseEnvironment:
    return app.jinja_env.async_env if awaited else app.jinja_env


def render_template(template_name_or_list: TemplateRef, **context: t.Any) -> t.Any:
    """Render a template from the template folders with the given context.

    Returns the text. ``await render_template(...)`` renders with the async
    environment: the template may call async functions and loop over async
    generators, and context processors may be async.

    :param template_name_or_list: the template name, or a list of names to
        try in order.
    :param context: variables available in the template.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    awaited = caller_awaits()
    env = _environment(app, awaited)
    template = env.get_or_select_template(template_name_or_list)
    if awaited:
        return _render_async(app, template, context)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> t.Any:
    """Render a template from a source string with the given context.
    Awaitable, like :func:`render_template`.

    :param source: the template's source.
    :param context: variables available in the template.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    awaited = caller_awaits()
    template = _environment(app, awaited).from_string(source)
    if awaited:
        return _render_async(app, template, context)
    return _render(app, template, context)


def stream_template(template_name_or_list: TemplateRef, **context: t.Any) -> t.Any:
    """Render a template as a stream of strings, to return from a view as a
    streaming response; the request context stays available while it
    renders.

    Returns an iterator. ``await stream_template(...)`` gives an async
    iterator rendered with the async environment.

    :param template_name_or_list: the template name, or a list of names to
        try in order.
    :param context: variables available in the template.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    awaited = caller_awaits()
    env = _environment(app, awaited)
    template = env.get_or_select_template(template_name_or_list)
    if awaited:
        return _stream_async(app, template, context)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: t.Any) -> t.Any:
    """Like :func:`stream_template`, from a source string.

    :param source: the template's source.
    :param context: variables available in the template.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    awaited = caller_awaits()
    template = _environment(app, awaited).from_string(source)
    if awaited:
        return _stream_async(app, template, context)
    return _stream(app, template, context)
