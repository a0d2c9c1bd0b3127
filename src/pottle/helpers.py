"""The helper functions views call: URLs, responses, aborts, flashing,
streaming with context, files.

Each is a plain call in Flask code; the ones Quart makes awaitable
(``make_response``, ``flash``, ``send_file``, ``send_from_directory``) may
also be awaited.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import typing as t
from datetime import datetime
from functools import update_wrapper

from werkzeug.exceptions import abort as _wz_abort
from werkzeug.utils import redirect as _wz_redirect
from werkzeug.wrappers import Response as BaseResponse

from . import files
from ._concurrency import caller_awaits, is_async_callable, ready
from .globals import _cv_app, _cv_request, current_app, request, request_ctx, session
from .signals import message_flashed
from .wrappers.routed import _split_blueprint_path as _split_blueprint_path

T = t.TypeVar("T")


def get_debug_flag() -> bool:
    """Whether debug mode is requested by ``POTTLE_DEBUG`` (or, for migrating
    apps, ``FLASK_DEBUG``)."""
    val = os.environ.get("POTTLE_DEBUG") or os.environ.get("FLASK_DEBUG")
    return bool(val and val.lower() not in {"0", "false", "no"})


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load dotenv files: false when ``POTTLE_SKIP_DOTENV`` (or
    ``FLASK_SKIP_DOTENV``) is set to a true value."""
    val = os.environ.get("POTTLE_SKIP_DOTENV") or os.environ.get("FLASK_SKIP_DOTENV")
    if not val:
        return default
    return val.lower() in ("0", "false", "no")


def stream_with_context(generator_or_function: t.Any) -> t.Any:
    """Keep the request context active while a streamed response body
    generates, for sync and async generators alike.

    Works on a generator object or as a decorator on a generator function.
    (pottle keeps the context until the body is sent anyway; this keeps Flask
    code working unchanged.)
    """
    if is_async_callable(generator_or_function) or hasattr(
        generator_or_function, "__aiter__"
    ):
        return _stream_async(generator_or_function)
    try:
        gen = iter(generator_or_function)
    except TypeError:

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return stream_with_context(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    def generator() -> t.Iterator[t.Any]:
        req_ctx = _cv_request.get(None)
        if req_ctx is None:
            raise RuntimeError(
                "'stream_with_context' can only be used when a request"
                " context is active, such as in a view function."
            )
        app_ctx = _cv_app.get()
        # Primed below, so the context check runs now, in the view.
        yield None
        with app_ctx, req_ctx:
            try:
                yield from gen
            finally:
                if hasattr(gen, "close"):
                    gen.close()

    wrapped = generator()
    next(wrapped)
    return wrapped


def _stream_async(generator_or_function: t.Any) -> t.Any:
    if not hasattr(generator_or_function, "__aiter__"):

        def decorator(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return _stream_async(generator_or_function(*args, **kwargs))

        return update_wrapper(decorator, generator_or_function)

    req_ctx = _cv_request.get(None)
    if req_ctx is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request"
            " context is active, such as in a view function."
        )
    app_ctx = _cv_app.get()
    agen = generator_or_function

    async def generator() -> t.AsyncIterator[t.Any]:
        async with app_ctx, req_ctx:
            try:
                async for item in agen:
                    yield item
            finally:
                if hasattr(agen, "aclose"):
                    await agen.aclose()

    return generator()


def make_response(*args: t.Any) -> t.Any:
    """Turn a view's return value into a response object, to change it
    before returning it. Takes the same values a view may return.
    Awaitable, for Quart code."""
    if not args:
        rv = current_app.response_class()
    else:
        rv = current_app.make_response(args[0] if len(args) == 1 else args)
    return ready(rv) if caller_awaits() else rv


def url_for(
    endpoint: str,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: t.Any,
) -> str:
    """Build a URL for ``endpoint`` with the given values (see
    :meth:`Pottle.url_for`)."""
    return current_app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(
    location: str,
    code: int = 302,
    Response: type[BaseResponse] | None = None,  # noqa: N803 (Flask's name)
) -> BaseResponse:
    """A redirect response to ``location`` (the app's ``redirect`` when an
    app context is active)."""
    if current_app:
        return current_app.redirect(location, code=code)
    return _wz_redirect(location, code=code, Response=Response)


def abort(code: int | BaseResponse, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
    """Raise the HTTP exception for ``code`` (through the app's aborter when
    an app context is active), or raise a response as it is."""
    if current_app:
        current_app.aborter(code, *args, **kwargs)
    _wz_abort(code, *args, **kwargs)


def get_template_attribute(template_name: str, attribute: str) -> t.Any:
    """A macro or variable exported by a template, to use from Python::

        hello = get_template_attribute("_macros.html", "hello")
        return hello("World")

    ``await get_template_attribute(...)`` takes it from the async
    environment; its macros must then be awaited: ``await hello("World")``.

    :param template_name: the name of the template.
    :param attribute: the name of the macro or variable to get.
    """
    if caller_awaits():
        return _get_template_attribute_async(template_name, attribute)
    return getattr(current_app.jinja_env.get_template(template_name).module, attribute)


async def _get_template_attribute_async(template_name: str, attribute: str) -> t.Any:
    template = current_app.jinja_env.async_env.get_template(template_name)
    return getattr(await template.make_module_async(), attribute)


def flash(message: str, category: str = "message") -> t.Any:
    """Store a message for the next request to show. Awaitable, for Quart
    code.

    :param message: the message.
    :param category: ``"message"``, ``"error"``, ``"info"``, ``"warning"``...
    """
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if caller_awaits():
        return _send_async(message_flashed, app, message=message, category=category)
    if message_flashed.receivers:
        message_flashed.send(
            app, _async_wrapper=app.ensure_sync, message=message, category=category
        )
    return None


async def _send_async(signal: t.Any, app: t.Any, **kwargs: t.Any) -> None:
    if signal.receivers:
        from ._pipeline import to_worker

        await signal.send_async(app, _sync_wrapper=to_worker, **kwargs)


def get_flashed_messages(
    with_categories: bool = False, category_filter: t.Iterable[str] = ()
) -> list[str] | list[tuple[str, str]]:
    """Take the flashed messages out of the session (they stay available for
    the rest of this request).

    :param with_categories: return ``(category, message)`` pairs.
    :param category_filter: only messages in these categories.
    """
    flashes = request_ctx.flashes
    if flashes is None:
        flashes = session.pop("_flashes") if "_flashes" in session else []
        request_ctx.flashes = flashes
    if category_filter:
        flashes = [f for f in flashes if f[0] in category_filter]
    if not with_categories:
        return [x[1] for x in flashes]
    return flashes


def _prepare_send_file_kwargs(**kwargs: t.Any) -> dict[str, t.Any]:
    if kwargs.get("max_age") is None:
        kwargs["max_age"] = current_app.get_send_file_max_age
    kwargs.update(
        request=request._get_current_object(),  # type: ignore[attr-defined]
        use_x_sendfile=current_app.config["USE_X_SENDFILE"],
        response_class=current_app.response_class,
        root_path=current_app.root_path,
    )
    return kwargs


def send_file(
    path_or_file: os.PathLike[t.AnyStr] | str | t.IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: None | (int | t.Callable[[str | None], int | None]) = None,
) -> t.Any:
    """Send the contents of a file. Await it in async code (then even the
    ``stat`` runs off the event loop); the file itself is always read
    without blocking the loop.

    Never pass a path that comes from the client: use
    :func:`send_from_directory` for that.

    :param path_or_file: a path, relative to the app's root path, or a
        binary file object (such as :class:`io.BytesIO`), which is closed
        after sending.
    :param mimetype: the MIME type; guessed from the file name if not given.
    :param as_attachment: ask browsers to save the file rather than show it.
    :param download_name: the name browsers save it as; the file's name by
        default.
    :param conditional: answer conditional and range requests (304, 412,
        206, 416).
    :param etag: compute an ETag from the path, or use this string.
    :param last_modified: the modification time to send; the file's by
        default.
    :param max_age: seconds browsers may cache the file; by default
        :meth:`~pottle.Pottle.get_send_file_max_age`.
    """
    kwargs = _prepare_send_file_kwargs(
        mimetype=mimetype,
        as_attachment=as_attachment,
        download_name=download_name,
        conditional=conditional,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
    )
    if caller_awaits():
        return files.send_file_async(path_or_file, **kwargs)  # type: ignore[arg-type]
    return files.send_file(path_or_file, **kwargs)  # type: ignore[arg-type]


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: t.Any
) -> t.Any:
    """Send a file from inside ``directory``: 404 for a path that would
    escape it (``..``, an absolute path, a backslash, NUL) or that is not a
    regular file, whether or not the target exists. Await it in async code.

    :param directory: the trusted directory, relative to the app's root
        path; never a value from the client.
    :param path: the untrusted path inside it.
    :param kwargs: :func:`send_file`'s options.
    """
    options = _prepare_send_file_kwargs(**kwargs)
    if caller_awaits():
        return files.send_from_directory_async(directory, path, **options)
    return files.send_from_directory(directory, path, **options)


def get_root_path(import_name: str) -> str:
    """The directory of the module or package ``import_name`` (the cwd when
    it cannot be found)."""
    mod = sys.modules.get(import_name)
    mod_file: str | None = getattr(mod, "__file__", None)
    if mod_file is not None:
        return os.path.dirname(os.path.abspath(mod_file))
    try:
        spec = importlib.util.find_spec(import_name)
        if spec is None:
            raise ValueError
    except (ImportError, ValueError):
        loader = None
    else:
        loader = spec.loader
    if loader is None:
        return os.getcwd()
    filepath: str | None
    if hasattr(loader, "get_filename"):
        filepath = loader.get_filename(import_name)
    else:
        __import__(import_name)
        filepath = getattr(sys.modules[import_name], "__file__", None)
        if filepath is None:
            raise RuntimeError(
                "No root path can be found for the provided module"
                f" {import_name!r}. This can happen because the module"
                " came from an import hook that does not provide file"
                " name information or because it's a namespace package."
                " In this case the root path needs to be explicitly"
                " provided."
            )
    return os.path.dirname(os.path.abspath(filepath))
