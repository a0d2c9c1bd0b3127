"""What requests and websockets share: Flask's routing attributes, set by
the app after it matched the URL."""

from __future__ import annotations

import functools
import typing as t
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.sansio.request import Request as SansIORequest
from werkzeug.utils import redirect as _redirect

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.routing import Rule
    from werkzeug.sansio.request import Request as AnyRequest
    from werkzeug.wrappers import Response as WerkzeugResponse


class RoutedRequest(SansIORequest):
    """werkzeug's sans-IO request with ``url_rule``, ``view_args``,
    ``routing_exception`` and the names derived from them."""

    #: The rule that matched, set by the app after routing.
    url_rule: Rule | None = None
    #: The arguments matched from the URL, set by the app after routing.
    view_args: dict[str, t.Any] | None = None
    _routing_exception: HTTPException | None = None

    @property
    def endpoint(self) -> str | None:
        """The endpoint that matched, if any."""
        if self.url_rule is not None:
            return self.url_rule.endpoint  # type: ignore[no-any-return]
        return None

    @property
    def blueprint(self) -> str | None:
        """The registered name of the blueprint the endpoint belongs to."""
        endpoint = self.endpoint
        if endpoint is not None and "." in endpoint:
            return endpoint.rpartition(".")[0]
        return None

    @property
    def blueprints(self) -> list[str]:
        """The current blueprint and its parents, innermost first."""
        name = self.blueprint
        return [] if name is None else _split_blueprint_path(name)

    @property
    def routing_exception(self) -> HTTPException | None:
        """A routing error (404, 405, redirect) kept until dispatch raises it.

        A redirect to this request's own host (a missing trailing slash)
        answers with a path-only ``Location``, so a forged ``Host`` header
        never ends up in it.
        """
        return self._routing_exception

    @routing_exception.setter
    def routing_exception(self, value: HTTPException | None) -> None:
        if type(value) is RequestRedirect:
            url = urlsplit(value.new_url)
            if url.netloc == self.host.lower():
                value = SameHostRedirect(value.new_url)
        self._routing_exception = value


class ScopeParts(t.NamedTuple):
    """What werkzeug's request constructor needs, from an ASGI scope."""

    root_path: str
    path: str
    query_string: bytes
    headers: Headers
    server: tuple[str, int | None] | None
    remote_addr: str | None


def scope_parts(scope: dict[str, t.Any]) -> ScopeParts:
    """Headers, paths and addresses of an HTTP or websocket scope."""
    # The server has parsed and checked the headers: skip werkzeug's
    # per-value validation, and keep ASGI's lowercase names (lookups
    # ignore case).
    headers = Headers()
    headers._list = [
        (k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
    ]
    root_path = scope.get("root_path", "")
    path = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    client = scope.get("client")
    server = scope.get("server")
    return ScopeParts(
        root_path,
        path,
        scope.get("query_string", b""),
        headers,
        tuple(server) if server else None,
        client[0] if client else None,
    )


class SameHostRedirect(RequestRedirect):
    """A routing redirect whose ``Location`` is the path alone.

    ``new_url`` stays absolute (messages show it); the response carries the
    path and query, starting with exactly one slash, so it can neither name
    another host nor read as protocol-relative (aiohttp CVE-2021-21330).
    """

    def get_response(
        self,
        environ: WSGIEnvironment | AnyRequest | None = None,
        scope: dict[str, t.Any] | None = None,
    ) -> WerkzeugResponse:
        url = urlsplit(self.new_url)
        location = "/" + url.path.lstrip("/\\")
        if url.query:
            location = f"{location}?{url.query}"
        return _redirect(location, self.code)


@functools.lru_cache(maxsize=1024)
def _split_blueprint_path(name: str) -> list[str]:
    # Shared, as Flask's: callers must not change the list.
    out = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        out.append(name)
    return out
