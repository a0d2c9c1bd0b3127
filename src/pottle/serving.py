"""Serving the app with Hypercorn: ``app.run()`` and ``app.run_task()``."""

from __future__ import annotations

import asyncio
import os
import typing as t

from hypercorn.asyncio import serve
from hypercorn.config import Config

if t.TYPE_CHECKING:
    from .app import Pottle


def is_running_from_reloader() -> bool:
    """Whether this process is the server child of the reloader."""
    return os.environ.get("POTTLE_RUN_MAIN") == "true"


def _config(
    app: Pottle, host: str, port: int, certfile: str | None, keyfile: str | None
) -> Config:
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.certfile = certfile
    config.keyfile = keyfile
    config.accesslog = "-" if app.debug else None
    config.errorlog = "-"
    return config


def serve_task(
    app: Pottle,
    host: str,
    port: int,
    certfile: str | None = None,
    keyfile: str | None = None,
    shutdown_trigger: t.Callable[..., t.Awaitable[None]] | None = None,
) -> t.Coroutine[t.Any, t.Any, None]:
    """A coroutine serving ``app`` in the running loop."""
    config = _config(app, host, port, certfile, keyfile)
    return serve(app, config, shutdown_trigger=shutdown_trigger)  # type: ignore[arg-type]


def run_app(app: Pottle, host: str | None, port: int | None, **options: t.Any) -> None:
    """Serve ``app`` until interrupted."""
    server_name = app.config.get("SERVER_NAME")
    sn_host = sn_port = None
    if server_name:
        sn_host, _, sn_port = server_name.partition(":")
    host = host or sn_host or "127.0.0.1"
    if port or port == 0:
        port = int(port)
    elif sn_port:
        port = int(sn_port)
    else:
        port = 5000
    asyncio.run(
        serve_task(app, host, port, options.get("certfile"), options.get("keyfile"))
    )
