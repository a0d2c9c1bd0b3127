"""Errors and log output that explain common mistakes, used in debug mode.

Flask's messages, nearly word for word. Imports ``pottle.globals`` and
werkzeug only; the app, request and scaffold types are named under
``TYPE_CHECKING`` (sources are told apart without ``isinstance``).
"""

from __future__ import annotations

import typing as t

from werkzeug.routing import RequestRedirect

from .globals import request, websocket

if t.TYPE_CHECKING:
    from jinja2.loaders import BaseLoader

    from .app import Pottle
    from .wrappers import Request


class UnexpectedUnicodeError(AssertionError, UnicodeError):
    """Raised where unexpected text or binary data deserves a clearer error
    than the usual one.
    """


class DebugFilesKeyError(KeyError, AssertionError):
    """Raised in debug mode by ``request.files[key]`` when ``key`` was sent as
    a form field instead: the form lacked ``enctype="multipart/form-data"``.

    :param request: The request whose files were looked up.
    :param key: The missing key.
    """

    def __init__(self, request: Request, key: str) -> None:
        msg = (
            f"You tried to access the file {key!r} in the request.files"
            " dictionary but it does not exist. The mimetype for the"
            f" request is {request.mimetype!r} instead of"
            " 'multipart/form-data' which means that no file contents"
            " were transmitted. To fix this error you should provide"
            ' enctype="multipart/form-data" in your form.'
        )
        names = ", ".join(repr(name) for name in request.form.getlist(key))
        if names:
            msg += (
                "\n\nThe browser instead transmitted some file names. "
                f"This was submitted: {names}"
            )
        self.msg = msg

    def __str__(self) -> str:
        return self.msg


class FormDataRoutingRedirect(AssertionError):  # noqa: N818 (Flask's name)
    """Raised in debug mode when routing redirects a request whose method is
    not GET, HEAD or OPTIONS with a code other than 307 or 308: browsers
    would drop the method and the form data.

    :param request: The request, whose ``routing_exception`` is the
        :class:`~werkzeug.routing.RequestRedirect`.
    """

    def __init__(self, request: Request) -> None:
        redirect = t.cast(RequestRedirect, request.routing_exception)
        msg = (
            f"A request was sent to '{request.url}', but routing issued"
            f" a redirect to the canonical URL '{redirect.new_url}'."
        )
        if f"{request.base_url}/" == redirect.new_url.partition("?")[0]:
            msg += (
                " The URL was defined with a trailing slash. pottle"
                " will redirect to the URL with a trailing slash if it"
                " was accessed without one."
            )
        msg += (
            " Send requests to the canonical URL, or use 307 or 308 for"
            " routing redirects. Otherwise, browsers will drop form"
            " data.\n\n"
            "This exception is only raised in debug mode."
        )
        super().__init__(msg)


def attach_enctype_error_multidict(request: Request) -> None:
    """Make ``request.files[key]`` raise :exc:`DebugFilesKeyError` when
    ``key`` is missing from the files but present in the form.

    :param request: The request to patch.
    :meta private:
    """
    files = request.files
    base = type(files)

    def getitem(self: t.Any, key: str) -> t.Any:
        try:
            return base.__getitem__(self, key)
        except KeyError as e:
            if key not in request.form:
                raise
            raise DebugFilesKeyError(request, key).with_traceback(
                e.__traceback__
            ) from None

    # A subclass made for this one object keeps the class's name in reprs.
    namespace = {"__getitem__": getitem, "__module__": base.__module__}
    files.__class__ = type(base.__name__, (base,), namespace)


def _dump_loader_info(loader: BaseLoader) -> t.Iterator[str]:
    yield f"class: {type(loader).__module__}.{type(loader).__name__}"
    for key, value in sorted(loader.__dict__.items()):
        if key.startswith("_"):
            continue
        if isinstance(value, tuple | list):
            if all(isinstance(item, str) for item in value):
                yield f"{key}:"
                yield from (f"  - {item}" for item in value)
        elif isinstance(value, str | int | float | bool):
            yield f"{key}: {value!r}"


def _describe_source(app: Pottle, source: object) -> str:
    # The app is its own template source; any other source with a name and
    # an import name is one of its blueprints.
    name = getattr(source, "name", None)
    import_name = getattr(source, "import_name", None)
    if source is app:
        return f"application {import_name!r}"
    if name is not None and import_name is not None:
        return f"blueprint {name!r} ({import_name})"
    return repr(source)


def _current_blueprint() -> str | None:
    if request:
        return request.blueprint
    if websocket:
        return websocket.blueprint
    return None


def explain_template_loading_attempts(
    app: Pottle,
    template: str,
    attempts: t.Sequence[
        tuple[
            BaseLoader,
            object,
            tuple[str, str | None, t.Callable[[], bool] | None] | None,
        ]
    ],
) -> None:
    """Log, with ``app.logger.info``, each loader that was asked for a
    template and what it answered; used when ``EXPLAIN_TEMPLATE_LOADING``
    is set.

    :param app: The app whose logger to use.
    :param template: The template name that was looked up.
    :param attempts: ``(loader, source, result)`` for each loader asked,
        where ``source`` is the app or a blueprint and ``result`` is the
        loader's ``get_source`` triple, or ``None`` if it found nothing.
    """
    info = [f"Locating template {template!r}:"]
    total_found = 0
    for idx, (loader, source, triple) in enumerate(attempts):
        info.append(f"{idx + 1:5}: trying loader of {_describe_source(app, source)}")
        info.extend(f"       {line}" for line in _dump_loader_info(loader))
        if triple is None:
            detail = "no match"
        else:
            detail = f"found ({triple[1] or '<string>'!r})"
            total_found += 1
        info.append(f"       -> {detail}")

    if total_found == 0:
        info.append("Error: the template could not be found.")
    elif total_found > 1:
        info.append("Warning: multiple loaders returned a match for the template.")
    blueprint = _current_blueprint()
    if total_found != 1 and blueprint is not None:
        info.append(
            "  The template was looked up from an endpoint that belongs"
            f" to the blueprint {blueprint!r}."
        )
        info.append("  Maybe you did not place a template in the right folder?")
        info.append("  See https://flask.palletsprojects.com/blueprints/#templates")
    app.logger.info("\n".join(info))
