"""ProxyFix, and the translation of werkzeug's WSGI ProxyFix line."""

from __future__ import annotations

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix as WerkzeugProxyFix

from pottle import Pottle, request, url_for
from pottle.middleware import ProxyFix


def _app() -> Pottle:
    app = Pottle(__name__)

    @app.route("/where")
    def where() -> dict[str, object]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "url": url_for("where", _external=True),
        }

    return app


HEADERS = {
    "X-Forwarded-For": "203.0.113.7, 10.0.0.1",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "example.com",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/api",
}


def test_without_proxy_fix_headers_are_ignored() -> None:
    rv = _app().test_client().get("/where", headers=HEADERS)
    assert rv.json == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": "localhost",
        "url": "http://localhost/where",
    }


def test_proxy_fix_trusts_the_configured_hops() -> None:
    app = _app()
    app.asgi_app = ProxyFix(  # type: ignore[method-assign]
        app.asgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1
    )
    rv = app.test_client().get("/where", headers=HEADERS)
    assert rv.json == {
        "remote_addr": "10.0.0.1",
        "scheme": "https",
        "host": "example.com:8443",
        "url": "https://example.com:8443/api/where",
    }


def test_two_hops_take_the_second_value_from_the_right() -> None:
    app = _app()
    app.asgi_app = ProxyFix(app.asgi_app, x_for=2)  # type: ignore[method-assign]
    rv = app.test_client().get("/where", headers=HEADERS)
    assert rv.json["remote_addr"] == "203.0.113.7"


def test_fewer_values_than_hops_are_not_trusted() -> None:
    app = _app()
    app.asgi_app = ProxyFix(app.asgi_app, x_for=3)  # type: ignore[method-assign]
    rv = app.test_client().get("/where", headers=HEADERS)
    assert rv.json["remote_addr"] == "127.0.0.1"


def test_werkzeug_proxy_fix_line_is_translated() -> None:
    app = _app()
    app.wsgi_app = WerkzeugProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    assert isinstance(app.asgi_app, ProxyFix)
    rv = app.test_client().get("/where", headers=HEADERS)
    assert rv.json["remote_addr"] == "10.0.0.1"
    assert rv.json["scheme"] == "https"
    assert rv.json["host"] == "localhost"


def test_other_wsgi_middleware_is_refused_clearly() -> None:
    app = _app()

    def middleware(environ: object, start_response: object) -> object:
        return app.wsgi_app(environ, start_response)

    with pytest.raises(TypeError, match="asgi_app"):
        app.wsgi_app = middleware
    with pytest.raises(RuntimeError, match="ASGI"):
        app.wsgi_app({}, lambda *a: None)
