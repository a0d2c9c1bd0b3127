"""ASGI middleware for apps behind proxies.

:class:`ProxyFix` is werkzeug's ``ProxyFix`` for ASGI, with the same
parameters and rules, so ``app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)``
becomes ``app.asgi_app = ProxyFix(app.asgi_app, x_for=1)`` (pottle also
accepts the first form, see ``Pottle.wsgi_app``). Imports nothing from
pottle.
"""

from __future__ import annotations

import typing as t

Scope = dict[str, t.Any]
ASGIApp = t.Callable[
    [
        Scope,
        t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ],
    t.Awaitable[None],
]


class ProxyFix:
    """Trust the ``X-Forwarded-*`` headers set by a known number of proxies.

    Each ``x_*`` value is how many proxies set that header; 0 ignores it.
    Only trust headers that your proxies set (and overwrite): a client can
    send any of them. The original values are kept in
    ``scope["pottle.proxy_fix.orig"]``.

    :param app: the ASGI app to wrap (``app.asgi_app``).
    :param x_for: ``X-Forwarded-For`` sets the client address.
    :param x_proto: ``X-Forwarded-Proto`` sets the scheme.
    :param x_host: ``X-Forwarded-Host`` sets the ``Host`` header.
    :param x_port: ``X-Forwarded-Port`` sets the port in the host.
    :param x_prefix: ``X-Forwarded-Prefix`` sets the root path.
    """

    def __init__(
        self,
        app: ASGIApp,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    async def __call__(
        self,
        scope: Scope,
        receive: t.Callable[[], t.Awaitable[dict[str, t.Any]]],
        send: t.Callable[[dict[str, t.Any]], t.Awaitable[None]],
    ) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = self.fix_scope(scope)
        await self.app(scope, receive, send)

    def fix_scope(self, scope: Scope) -> Scope:
        """A copy of ``scope`` with the trusted forwarded values applied."""
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name.startswith(b"x-forwarded-") or name == b"host":
                key = name.decode("latin-1")
                # Repeated headers are one comma-separated list (RFC 9110).
                previous = headers.get(key)
                text = value.decode("latin-1")
                headers[key] = f"{previous},{text}" if previous else text

        scope = dict(scope)
        host = headers.get("host")
        scope["pottle.proxy_fix.orig"] = {
            "client": scope.get("client"),
            "scheme": scope.get("scheme"),
            "host": host,
            "root_path": scope.get("root_path", ""),
        }

        if (addr := _trusted(self.x_for, headers.get("x-forwarded-for"))) is not None:
            port = scope["client"][1] if scope.get("client") else 0
            scope["client"] = (addr, port)
        if (
            proto := _trusted(self.x_proto, headers.get("x-forwarded-proto"))
        ) is not None:
            proto = proto.lower()
            if scope["type"] == "websocket":
                proto = {"https": "wss", "http": "ws"}.get(proto, proto)
            scope["scheme"] = proto

        new_host = host
        if (
            x_host := _trusted(self.x_host, headers.get("x-forwarded-host"))
        ) is not None:
            new_host = x_host
        if (
            x_port := _trusted(self.x_port, headers.get("x-forwarded-port"))
        ) is not None:
            if new_host:
                # "]" ends an IPv6 address that has no port.
                if ":" in new_host and not new_host.endswith("]"):
                    new_host = new_host.rsplit(":", 1)[0]
                new_host = f"{new_host}:{x_port}"
        if new_host != host and new_host is not None:
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"host"] + [
                (b"host", new_host.encode("latin-1"))
            ]

        if (
            prefix := _trusted(self.x_prefix, headers.get("x-forwarded-prefix"))
        ) is not None:
            prefix = prefix.rstrip("/")
            root_path = scope.get("root_path", "")
            path = scope["path"]
            # ASGI paths include the root path; keep that true for the new one.
            if root_path and path.startswith(root_path):
                path = path[len(root_path) :]
            scope["root_path"] = prefix
            scope["path"] = prefix + path
        return scope


def _trusted(trusted: int, value: str | None) -> str | None:
    """The value set by the outermost of ``trusted`` proxies, or None if
    fewer values than that were sent (werkzeug's rule)."""
    if not (trusted and value):
        return None
    values = [part.strip() for part in value.split(",")]
    if len(values) >= trusted:
        return values[-trusted] or None
    return None
