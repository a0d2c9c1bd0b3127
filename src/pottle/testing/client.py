"""The test client: Flask's ``FlaskClient`` API over real ASGI.

From sync code, ``client.get("/")`` runs the request on a background event
loop while this thread runs the request's sync code (so a sqlite connection
made by a test fixture works in views), and returns a response. From async
code, ``await client.get("/")`` runs it on the caller's loop. ``with
client:`` (or ``async with``) keeps the last request's contexts.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import typing as t
from copy import copy
from urllib.parse import urlsplit

import werkzeug.test
from werkzeug.test import Client, TestResponse
from werkzeug.wrappers import Request as BaseRequest
from werkzeug.wsgi import get_current_url

from .._concurrency import block_on, caller_awaits, in_loop_thread, portal, ready
from ..sessions import SessionMixin
from ..wrappers.request import scope_from_environ
from .connections import HTTPTestConnection
from .websocket import TestWebsocketConnection, websocket_scope

if t.TYPE_CHECKING:
    from types import TracebackType

    from ..app import Pottle


class EnvironBuilder(werkzeug.test.EnvironBuilder):
    """werkzeug's ``EnvironBuilder`` with the app's defaults: the base URL
    comes from ``SERVER_NAME``, ``APPLICATION_ROOT`` and
    ``PREFERRED_URL_SCHEME``, and JSON is dumped with ``app.json``."""

    def __init__(
        self,
        app: Pottle,
        path: str = "/",
        base_url: str | None = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> None:
        if (base_url or subdomain or url_scheme) and (base_url is not None) == bool(
            subdomain or url_scheme
        ):
            raise AssertionError(
                'Cannot pass "subdomain" or "url_scheme" with "base_url".'
            )
        if base_url is None:
            http_host = app.config.get("SERVER_NAME") or "localhost"
            app_root = app.config["APPLICATION_ROOT"]
            if subdomain:
                http_host = f"{subdomain}.{http_host}"
            if url_scheme is None:
                url_scheme = app.config["PREFERRED_URL_SCHEME"]
            url = urlsplit(path)
            base_url = (
                f"{url.scheme or url_scheme}://{url.netloc or http_host}"
                f"/{app_root.lstrip('/')}"
            )
            path = url.path
            if url.query:
                path = f"{path}?{url.query}"
        self.app = app
        super().__init__(path, base_url, *args, **kwargs)

    def json_dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        """Serialize ``obj`` with the app's JSON provider."""
        return self.app.json.dumps(obj, **kwargs)


_werkzeug_version = ""


def _get_werkzeug_version() -> str:
    global _werkzeug_version
    if not _werkzeug_version:
        _werkzeug_version = importlib.metadata.version("werkzeug")
    return _werkzeug_version


class PottleClient(Client):
    """Sends requests to the app (see the module docstring). ``FlaskClient``
    is another name for it.

    Requests take werkzeug's ``EnvironBuilder`` arguments: ``data``,
    ``json``, ``headers``, ``query_string``, ``base_url``, ``content_type``...
    """

    application: Pottle  # type: ignore[assignment]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.response_wrapper = type(
            "WrapperTestResponse", (AwaitableTestResponse, self.response_wrapper), {}
        )
        #: Keep the contexts of the last request (set by ``with client:``).
        self.preserve_context = False
        self._new_contexts: list[t.Any] = []
        self._context_stack = contextlib.ExitStack()
        self._async_context_stack = contextlib.AsyncExitStack()
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Defaults for every request's environ.
        self.environ_base = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"Werkzeug/{_get_werkzeug_version()}",
        }

    def session_transaction(self, *args: t.Any, **kwargs: t.Any) -> _SessionTransaction:
        """Open the session the next request will see, to read or change it
        in a ``with`` (or ``async with``) block; it is saved to the client's
        cookies at the end. Takes ``test_request_context`` arguments."""
        if self._cookies is None:
            raise TypeError(
                "Cookies are disabled. Create a client with 'use_cookies=True'."
            )
        return _SessionTransaction(self, args, kwargs)

    def websocket(
        self,
        *args: t.Any,
        subprotocols: t.Sequence[str] | None = None,
        **kwargs: t.Any,
    ) -> TestWebsocketConnection:
        """Open a websocket to the app: ``with client.websocket("/ws") as
        ws:`` in sync tests, ``async with`` in async ones. Takes the path and
        the ``EnvironBuilder`` arguments of a request (``headers``,
        ``query_string``...); the client's cookies are sent.

        :param subprotocols: the subprotocols to offer.
        """
        kwargs["environ_base"] = {**self.environ_base, **kwargs.get("environ_base", {})}
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        self._add_cookies_to_wsgi(environ)
        scope, _ = scope_from_environ(environ)
        return TestWebsocketConnection(
            self.application, websocket_scope(scope, subprotocols)
        )

    def _copy_environ(self, other: dict[str, t.Any]) -> dict[str, t.Any]:
        out = {**self.environ_base, **other}
        if self.preserve_context:
            out["werkzeug.debug.preserve_context"] = self._new_contexts.append
        return out

    def _request_from_builder_args(
        self, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> BaseRequest:
        kwargs["environ_base"] = self._copy_environ(kwargs.get("environ_base", {}))
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_request()
        finally:
            builder.close()

    def open(
        self,
        *args: t.Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: t.Any,
    ) -> t.Any:
        """Send a request and return the response; awaitable in async code."""
        if caller_awaits():
            return self._open_async(args, buffered, follow_redirects, kwargs)
        if self._loop is not None:
            # A redirect followed inside an async open: no context juggling.
            return self._send(args, buffered, follow_redirects, kwargs)
        # Pop the contexts preserved from the previous request.
        self._context_stack.close()
        response = self._send(args, buffered, follow_redirects, kwargs)
        for cm in self._new_contexts:
            self._context_stack.enter_context(cm)
        self._new_contexts.clear()
        return response

    def _open_method(method: str) -> t.Callable[..., t.Any]:  # type: ignore[misc]  # noqa: N805
        def open_method(self: PottleClient, *args: t.Any, **kwargs: t.Any) -> t.Any:
            kwargs["method"] = method
            if caller_awaits():
                buffered = kwargs.pop("buffered", False)
                follow = kwargs.pop("follow_redirects", False)
                return self._open_async(args, buffered, follow, kwargs)
            return self.open(*args, **kwargs)

        open_method.__name__ = method.lower()
        open_method.__doc__ = f"Send a {method} request (see :meth:`open`)."
        return open_method

    get = _open_method("GET")
    post = _open_method("POST")
    put = _open_method("PUT")
    delete = _open_method("DELETE")
    patch = _open_method("PATCH")
    options = _open_method("OPTIONS")
    head = _open_method("HEAD")
    trace = _open_method("TRACE")
    del _open_method

    async def _open_async(
        self,
        args: tuple[t.Any, ...],
        buffered: bool,
        follow_redirects: bool,
        kwargs: dict[str, t.Any],
    ) -> TestResponse:
        await self._async_context_stack.aclose()
        # The app runs on this loop; the client's sync machinery (and the
        # app's sync code) run in a thread that waits on it.
        self._loop = asyncio.get_running_loop()
        try:
            response = await asyncio.to_thread(
                self._send, args, buffered, follow_redirects, kwargs
            )
        finally:
            self._loop = None
        for cm in self._new_contexts:
            await self._async_context_stack.enter_async_context(cm)
        self._new_contexts.clear()
        return response

    def _send(
        self,
        args: tuple[t.Any, ...],
        buffered: bool,
        follow_redirects: bool,
        kwargs: dict[str, t.Any],
    ) -> TestResponse:
        if args and isinstance(
            args[0], (werkzeug.test.EnvironBuilder, dict, BaseRequest)
        ):
            if isinstance(args[0], werkzeug.test.EnvironBuilder):
                builder = copy(args[0])
                builder.environ_base = self._copy_environ(builder.environ_base or {})  # type: ignore[arg-type]
                request = builder.get_request()
            elif isinstance(args[0], dict):
                request = EnvironBuilder.from_environ(
                    args[0], app=self.application, environ_base=self._copy_environ({})
                ).get_request()
            else:
                request = copy(args[0])
                request.environ = self._copy_environ(request.environ)
        else:
            request = self._request_from_builder_args(args, kwargs)
        response = super().open(
            request, buffered=buffered, follow_redirects=follow_redirects
        )
        response.json_module = self.application.json  # type: ignore[assignment]
        return response

    def run_wsgi_app(
        self, environ: dict[str, t.Any], buffered: bool = False
    ) -> tuple[t.Iterable[bytes], str, t.Any]:
        """Run the request described by ``environ`` through the app's ASGI
        interface (the name is werkzeug's)."""
        self._add_cookies_to_wsgi(environ)
        scope, body = scope_from_environ(environ)
        connection = HTTPTestConnection(self.application, scope, body)
        if self._loop is None and in_loop_thread():
            # A sync call inside an async test: run on the background loop.
            status, headers, chunks = _run_elsewhere(connection)
        else:
            status, headers, chunks = block_on(
                connection.run(), loop=self._loop or portal()
            )
        url = urlsplit(get_current_url(environ))
        self._update_cookies_from_response(
            url.hostname or "localhost", url.path, headers.getlist("Set-Cookie")
        )
        return chunks, status, headers

    def __enter__(self) -> PottleClient:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()

    async def __aenter__(self) -> PottleClient:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        await self._async_context_stack.aclose()
        self._context_stack.close()


def _run_elsewhere(connection: HTTPTestConnection) -> tuple[str, t.Any, list[bytes]]:
    # This thread runs a loop, so it cannot serve the request's sync code
    # while blocked: let a helper thread wait (and serve) instead.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        return executor.submit(block_on, connection.run(), portal()).result()


class AwaitableTestResponse(TestResponse):
    """A test response that is also awaitable (it is already complete), so
    a request made without ``await`` in async code can still be passed to
    ``asyncio.gather``."""

    def __await__(self) -> t.Generator[t.Any, None, t.Self]:
        return ready(self).__await__()


class _SessionTransaction:
    """``with client.session_transaction() as session:`` (sync or async)."""

    def __init__(
        self, client: PottleClient, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> None:
        self.client = client
        self.app = client.application
        self.ctx = self.app.test_request_context(*args, **kwargs)
        self.session: SessionMixin | None = None

    def __enter__(self) -> SessionMixin:
        app, ctx = self.app, self.ctx
        self.client._add_cookies_to_wsgi(ctx.request.environ)
        self._refresh_request()
        with ctx:
            sess = app.ensure_sync(app.session_interface.open_session)(app, ctx.request)
        return self._opened(sess)

    async def __aenter__(self) -> SessionMixin:
        app, ctx = self.app, self.ctx
        self.client._add_cookies_to_wsgi(ctx.request.environ)
        self._refresh_request()
        async with ctx:
            sess = await app.ensure_async(app.session_interface.open_session)(
                app, ctx.request
            )
        return self._opened(sess)

    def _refresh_request(self) -> None:
        # The request was built before the cookies were added to its environ.
        request = self.ctx.request
        cookie = request.environ.get("HTTP_COOKIE")
        request.__dict__.pop("cookies", None)
        request.headers.pop("Cookie", None)
        if cookie:
            request.headers["Cookie"] = cookie

    def _opened(self, sess: SessionMixin | None) -> SessionMixin:
        if sess is None:
            raise RuntimeError("Session backend did not open a session.")
        self.session = sess
        return sess

    def __exit__(self, exc_type: t.Any, exc: t.Any, tb: t.Any) -> None:
        if exc_type is not None or self._is_null():
            return
        response = self.app.response_class()
        with self.ctx:
            self.app.ensure_sync(self.app.session_interface.save_session)(
                self.app, self.session, response
            )
        self._store(response)

    async def __aexit__(self, exc_type: t.Any, exc: t.Any, tb: t.Any) -> None:
        if exc_type is not None or self._is_null():
            return
        response = self.app.response_class()
        async with self.ctx:
            await self.app.ensure_async(self.app.session_interface.save_session)(
                self.app, self.session, response
            )
        self._store(response)

    def _is_null(self) -> bool:
        return self.app.session_interface.is_null_session(self.session)

    def _store(self, response: t.Any) -> None:
        request = self.ctx.request
        self.client._update_cookies_from_response(
            request.host.partition(":")[0],
            request.path,
            response.headers.getlist("Set-Cookie"),
        )


FlaskClient = PottleClient
