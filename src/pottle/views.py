"""Class-based views: :class:`View` and :class:`MethodView`.

``as_view`` makes an ``async def`` view function when the class has async
code to run (an async ``dispatch_request``, or an async method handler), so
it is awaited on the loop; otherwise a sync one, which runs entirely on the
request's worker thread as in Flask (if its sync ``dispatch_request`` returns
an async handler's coroutine, as Flask-RESTful's ``Resource`` does, the view
finishes it on the loop).
"""

from __future__ import annotations

import inspect
import typing as t

from . import typing as ft
from ._concurrency import block_on, in_loop_thread, is_async_callable
from ._pipeline import call_async
from .ctx import with_prefetched_body
from .globals import current_app, request

http_method_funcs = frozenset(
    ["get", "post", "head", "options", "delete", "put", "trace", "patch"]
)


class View:
    """Subclass and implement :meth:`dispatch_request` (sync or async), then
    register ``MyView.as_view("name")`` with ``add_url_rule``.

    Class attributes: ``methods``, ``provide_automatic_options``,
    ``decorators`` (applied to the view function, innermost first) and
    ``init_every_request`` (False reuses one instance for all requests).
    """

    #: The methods this view handles (``["GET"]`` when None).
    methods: t.ClassVar[t.Collection[str] | None] = None
    #: Whether the app answers OPTIONS for this view.
    provide_automatic_options: t.ClassVar[bool | None] = None
    #: Decorators applied to the generated view function.
    decorators: t.ClassVar[list[t.Callable[..., t.Any]]] = []
    #: Create a new instance for every request.
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self) -> ft.ResponseReturnValue:
        """The view body; the URL arguments come as keyword arguments."""
        raise NotImplementedError()

    @classmethod
    def _is_async(cls) -> bool:
        return is_async_callable(cls.dispatch_request)

    @classmethod
    def as_view(
        cls, name: str, *class_args: t.Any, **class_kwargs: t.Any
    ) -> ft.RouteCallable:
        """A view function for this class, to register with ``add_url_rule``.

        :param name: the endpoint name.
        :param class_args: passed to the class when it is instantiated.
        :param class_kwargs: passed to the class when it is instantiated.
        """
        if cls.init_every_request:

            def make() -> View:
                made: View = view.view_class(*class_args, **class_kwargs)
                return made

        else:
            instance = cls(*class_args, **class_kwargs)

            def make() -> View:
                return instance

        view: t.Any
        if cls._is_async():

            async def view(**kwargs: t.Any) -> t.Any:
                return await make()._dispatch_async(**kwargs)

        else:

            def view(**kwargs: t.Any) -> t.Any:
                rv = current_app.ensure_sync(make().dispatch_request)(**kwargs)
                if inspect.isawaitable(rv) and not in_loop_thread():
                    # dispatch_request called an async handler without
                    # awaiting it (Flask-RESTful's Resource does): finish it
                    # here, before a wrapper around this view sees it.
                    rv = block_on(with_prefetched_body(rv))
                return rv

        if cls.decorators:
            view.__name__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)

        view.view_class = cls
        view.__name__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods
        view.provide_automatic_options = cls.provide_automatic_options
        return t.cast(ft.RouteCallable, view)

    async def _dispatch_async(self, **kwargs: t.Any) -> t.Any:
        return await call_async(self.dispatch_request, **kwargs)


class MethodView(View):
    """Dispatches each request to the method named after the HTTP method
    (``get``, ``post``...), sync or async; HEAD falls back to ``get``.
    ``methods`` is derived from the methods defined."""

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" not in cls.__dict__:
            methods = set()
            for base in cls.__bases__:
                if getattr(base, "methods", None):
                    methods.update(base.methods)  # type: ignore[attr-defined]
            for key in http_method_funcs:
                if hasattr(cls, key):
                    methods.add(key.upper())
            if methods:
                cls.methods = methods

    @classmethod
    def _is_async(cls) -> bool:
        if cls.dispatch_request is not MethodView.dispatch_request:
            return is_async_callable(cls.dispatch_request)
        return any(is_async_callable(getattr(cls, m, None)) for m in http_method_funcs)

    def _handler(self) -> t.Callable[..., t.Any]:
        meth = getattr(self, request.method.lower(), None)
        if meth is None and request.method == "HEAD":
            meth = getattr(self, "get", None)
        if meth is None:
            raise AssertionError(f"Unimplemented method {request.method!r}")
        return meth  # type: ignore[no-any-return]

    def dispatch_request(self, **kwargs: t.Any) -> ft.ResponseReturnValue:
        return current_app.ensure_sync(self._handler())(**kwargs)  # type: ignore[no-any-return]

    async def _dispatch_async(self, **kwargs: t.Any) -> t.Any:
        if type(self).dispatch_request is not MethodView.dispatch_request:
            return await call_async(self.dispatch_request, **kwargs)
        return await call_async(self._handler(), **kwargs)
