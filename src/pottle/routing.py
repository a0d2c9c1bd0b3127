"""URL rules and maps: werkzeug's, bound to a request instead of an environ.

:class:`Rule` adds the ``stream`` option (the view reads the body itself,
nothing is buffered); websocket rules use werkzeug's own ``websocket`` flag.
:meth:`Map.bind_to_request` does what werkzeug's ``bind_to_environ`` does,
from a sans-IO request.
"""

from __future__ import annotations

import functools
import typing as t
import warnings

from werkzeug.exceptions import BadHost
from werkzeug.routing import Map as WerkzeugMap
from werkzeug.routing import MapAdapter, RuleFactory
from werkzeug.routing import Rule as WerkzeugRule

if t.TYPE_CHECKING:
    from werkzeug.sansio.request import Request


class Rule(WerkzeugRule):
    """A URL rule. Besides werkzeug's options:

    :param stream: the view streams the request body itself
        (``async for chunk in request.body``); it is never buffered.
    """

    #: Whether the app answers OPTIONS for this rule itself.
    provide_automatic_options: bool = False

    def __init__(self, string: str, *, stream: bool = False, **options: t.Any) -> None:
        super().__init__(string, **options)
        self.stream = stream

    def get_empty_kwargs(self) -> t.Mapping[str, t.Any]:
        return {**super().get_empty_kwargs(), "stream": self.stream}


class Map(WerkzeugMap):
    """The URL map, with :meth:`bind_to_request`; it remembers what requests
    to rules without converters matched (see :func:`match_request`)."""

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        # Before werkzeug's __init__, which adds the rules it is given.
        self._static_matches: dict[
            tuple[str | None, str, str, bool], tuple[WerkzeugRule, dict[str, t.Any]]
        ] = {}
        super().__init__(*args, **kwargs)

    def add(self, rulefactory: RuleFactory) -> None:
        super().add(rulefactory)
        self._static_matches.clear()

    def bind_to_request(
        self,
        request: Request,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """Bind to ``request`` for matching and building, as werkzeug's
        ``bind_to_environ`` does for an environ.

        :param server_name: the configured server name; when given and the
            request's host does not end with it, the subdomain is invalid and
            nothing matches (a warning says so).
        :param subdomain: the current subdomain; computed from the host and
            ``server_name`` when None.
        """
        host = request.host.lower()
        scheme = request.scheme
        if server_name is None:
            server_name = host
        else:
            server_name = server_name.lower()
            # Drop the default port, as get_host() does for the request.
            if scheme in {"http", "ws"} and server_name.endswith(":80"):
                server_name = server_name[:-3]
            elif scheme in {"https", "wss"} and server_name.endswith(":443"):
                server_name = server_name[:-4]

        if subdomain is None and not self.host_matching:
            current = host.split(".")
            configured = server_name.split(".")
            offset = -len(configured)
            if current[offset:] != configured:
                warnings.warn(
                    f"Current server name {host!r} doesn't match configured"
                    f" server name {server_name!r}",
                    stacklevel=2,
                )
                subdomain = "<invalid>"
            else:
                subdomain = ".".join(filter(None, current[:offset]))

        if self.host_matching:
            subdomain = None
        elif subdomain is None:
            subdomain = self.default_subdomain
        return MapAdapter(
            self,
            _idna_host(server_name.lower()),
            request.root_path or "/",
            subdomain,
            scheme,
            request.path,
            request.method,
            request.query_string.decode("latin-1"),
        )


#: Static matches a map remembers at most (it starts over when full).
_STATIC_MATCHES_LIMIT = 1024


def match_request(adapter: MapAdapter) -> tuple[WerkzeugRule, dict[str, t.Any]]:
    """``adapter.match(return_rule=True)``, with a fresh dict of arguments.

    werkzeug's state machine costs about 10 µs even for ``/hello``. When the
    rule that matched has no converters, the answer depends only on the map
    and on (domain, path, method, websocket), so a :class:`Map` keeps it
    until a rule is added. Converters may do anything (a database lookup),
    so their rules are matched every time, as are redirects and errors,
    which raise. Only rules that matched are remembered, so a client cannot
    grow the table with paths of its own; it is capped all the same.
    """
    url_map = adapter.map
    if type(adapter) is not MapAdapter or not isinstance(url_map, Map):
        rule, args = adapter.match(return_rule=True)
        return rule, dict(args)
    domain = adapter.server_name if url_map.host_matching else adapter.subdomain
    key = (domain, adapter.path_info, adapter.default_method, adapter.websocket)
    cache = url_map._static_matches
    hit = cache.get(key)
    if hit is not None:
        return hit[0], dict(hit[1])
    rule, args = adapter.match(return_rule=True)
    # werkzeug's Rule keeps its converters in ``_converters`` (an argument
    # may have both a converter and a default); without it, never remember.
    if not getattr(rule, "_converters", True):
        if len(cache) >= _STATIC_MATCHES_LIMIT:
            cache.clear()
        cache[key] = (rule, dict(args))
    return rule, dict(args)


@functools.lru_cache(maxsize=512)
def _idna_host(server_name: str) -> str:
    # What werkzeug's Map.bind does to the host on every request, cached:
    # the idna codec is pure Python, and a site sees few distinct hosts.
    name, port_sep, port = server_name.partition(":")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise BadHost() from e
    return f"{name}{port_sep}{port}"
