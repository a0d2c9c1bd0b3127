"""The development server's configuration and its start-up errors (no
request is served here; see tests/e2e/test_serving.py)."""

from __future__ import annotations

import asyncio
import socket
import ssl

import pytest

from pottle import Pottle
from pottle.serving import BindError, make_config, serve_app


def test_config_binds_and_logs() -> None:
    config = make_config("127.0.0.1", 5000)
    assert config.bind == ["127.0.0.1:5000"]
    assert (config.accesslog, config.errorlog) == ("-", "-")
    assert not config.ssl_enabled
    assert make_config("::1", 8000).bind == ["[::1]:8000"]


def test_config_tls() -> None:
    config = make_config("127.0.0.1", 5000, ("cert.pem", "key.pem"))
    assert (config.certfile, config.keyfile) == ("cert.pem", "key.pem")
    assert config.ssl_enabled

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    config = make_config("127.0.0.1", 5000, context)
    assert config.ssl_enabled
    assert config.create_ssl_context() is context

    with pytest.raises(ValueError, match="Unknown ssl_context 'cert.pem'"):
        make_config("127.0.0.1", 5000, "cert.pem")


def test_config_options() -> None:
    config = make_config("127.0.0.1", 5000, keep_alive_timeout=17, threaded=True)
    assert config.keep_alive_timeout == 17
    with pytest.raises(TypeError, match="Unknown server option 'colour'"):
        make_config("127.0.0.1", 5000, colour="blue")


def test_busy_port_is_a_bind_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = make_config("127.0.0.1", port)
        with pytest.raises(BindError) as info:
            asyncio.run(serve_app(Pottle(__name__), config))
    assert f"Port {port} is in use by another program" in str(info.value.strerror)
    assert isinstance(info.value, OSError)


def test_app_run_is_a_no_op_under_the_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POTTLE_RUN_FROM_CLI", "true")
    monkeypatch.delenv("POTTLE_RUN_MAIN", raising=False)
    Pottle(__name__).run()
    assert "Ignoring a call to 'app.run()'" in capsys.readouterr().out
