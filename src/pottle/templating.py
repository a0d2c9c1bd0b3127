"""Jinja templating in both worlds.

``app.jinja_env`` is a sync environment, as in Flask, so Flask code and
extensions call ``render_template(...)`` and get a string. Awaiting the same
functions (``await render_template(...)``) renders with an async overlay of
that environment, where templates may call async globals and loop over async
generators. Both share loaders, globals, filters and tests.
"""

from __future__ import annotations

import typing as t

from jinja2 import BaseLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

from ._concurrency import caller_awaits, on_loop
from ._pipeline import step, to_worker
from .globals import _cv_app, _cv_request, current_app
from .helpers import stream_with_context
from .signals import before_render_template, template_rendered

if t.TYPE_CHECKING:
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
    its blueprints."""

    def __init__(self, app: Pottle, **options: t.Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app
        self._async_overlay: tuple[tuple[str, ...], Environment] | None = None

    @property
    def async_env(self) -> Environment:
        """An ``enable_async`` overlay sharing this environment's globals,
        filters, tests and loader, with its own template cache."""
        if self.is_async:
            return self
        key = tuple(self.extensions)
        if self._async_overlay is None or self._async_overlay[0] != key:
            overlay = self.overlay(enable_async=True, cache_size=400)
            self._async_overlay = (key, overlay)
        overlay = self._async_overlay[1]
        overlay.auto_reload = self.auto_reload
        return overlay


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


def _send(
    signal: t.Any, app: Pottle, template: Template, context: dict[str, t.Any]
) -> None:
    if signal.receivers:
        signal.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )


async def _send_async(
    signal: t.Any, app: Pottle, template: Template, context: dict[str, t.Any]
) -> None:
    if signal.receivers:
        await signal.send_async(
            app, _sync_wrapper=to_worker, template=template, context=context
        )


def _render(app: Pottle, template: Template, context: dict[str, t.Any]) -> str:
    app.update_template_context(context)
    _send(before_render_template, app, template, context)
    rv = template.render(context)
    _send(template_rendered, app, template, context)
    return rv


async def _render_async(
    app: Pottle, template: Template, context: dict[str, t.Any]
) -> str:
    await step(app, app, "update_template_context", context)
    await _send_async(before_render_template, app, template, context)
    rv = await template.render_async(context)
    await _send_async(template_rendered, app, template, context)
    return rv


def render_template(template_name_or_list: TemplateRef, **context: t.Any) -> t.Any:
    """Render a template from the template folders with the given context.

    Returns the text; ``await render_template(...)`` renders asynchronously,
    so the template may call async functions and loop over async generators.

    :param template_name_or_list: the template name, or a list of names to
        try in order.
    :param context: variables available in the template.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if caller_awaits():
        env = app.jinja_env.async_env
        template = env.get_or_select_template(template_name_or_list)
        return _render_async(app, template, context)
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: t.Any) -> t.Any:
    """Render a template from a source string (awaitable, like
    :func:`render_template`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if caller_awaits():
        template = app.jinja_env.async_env.from_string(source)
        return _render_async(app, template, context)
    return _render(app, app.jinja_env.from_string(source), context)


class TemplateStream:
    """A template rendered in pieces: iterate it (sync) or ``async for`` it.

    Return it from a view to stream the page. The request context stays
    available while it renders.
    """

    def __init__(
        self,
        app: Pottle,
        source: TemplateRef | None,
        string: str | None,
        context: dict[str, t.Any],
    ) -> None:
        self._app, self._source, self._string = app, source, string
        self._context = context
        self._sync: t.Iterator[str] | None = None

    def _template(self, env: BaseEnvironment) -> Template:
        if self._string is not None:
            return env.from_string(self._string)
        return env.get_or_select_template(self._source)  # type: ignore[arg-type]

    def __iter__(self) -> t.Iterator[str]:
        if self._sync is None:
            app, context = self._app, self._context
            template = self._template(app.jinja_env)
            app.update_template_context(context)
            _send(before_render_template, app, template, context)

            def generate() -> t.Iterator[str]:
                yield from template.generate(context)
                _send(template_rendered, app, template, context)

            stream = generate()
            self._sync = (
                stream_with_context(stream) if _cv_request.get(None) else stream
            )
        return self._sync

    def __next__(self) -> str:
        return next(iter(self))

    async def __aiter__(self) -> t.AsyncIterator[str]:
        app, context = self._app, self._context
        template = self._template(app.jinja_env.async_env)
        await step(app, app, "update_template_context", context)
        await _send_async(before_render_template, app, template, context)
        async for chunk in template.generate_async(context):
            yield chunk
        await _send_async(template_rendered, app, template, context)


def stream_template(template_name_or_list: TemplateRef, **context: t.Any) -> t.Any:
    """Render a template as a stream of strings, to return from a view.

    The result can be iterated (Flask) or async-iterated; awaiting the call
    gives an async iterator (Quart)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stream = TemplateStream(app, template_name_or_list, None, context)
    return _maybe_awaited(stream)


def stream_template_string(source: str, **context: t.Any) -> t.Any:
    """Like :func:`stream_template`, from a source string."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stream = TemplateStream(app, None, source, context)
    return _maybe_awaited(stream)


def _maybe_awaited(stream: TemplateStream) -> t.Any:
    if caller_awaits(3):
        from ._concurrency import ready

        return ready(stream.__aiter__())
    return stream
