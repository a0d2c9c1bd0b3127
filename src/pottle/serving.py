"""Serving an app with Hypercorn in this process, for ``app.run()``,
``app.run_task()`` and ``pottle run`` alike; with the reloader, this process
becomes the supervisor of a child that serves (:mod:`pottle.reloader`).

The address is bound before the app starts, so a busy port fails fast; a
failed start (busy port, lifespan startup failure) exits non-zero. The app is
only imported for type checking.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import typing as t

import click
from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.utils import LifespanFailureError, LifespanTimeoutError

from .reloader import is_running_from_reloader, run_with_reloader, watch_lifeline

if t.TYPE_CHECKING:
    import ssl

    from .app import Pottle

#: ``werkzeug.serving.run_simple`` options that mean nothing here; Flask
#: code may still pass them to ``app.run()``.
IGNORED_OPTIONS = frozenset(
    {
        "passthrough_errors",
        "processes",
        "request_handler",
        "reloader_type",
        "static_files",
        "threaded",
        "use_debugger",
        "use_evalex",
    }
)

SSLOption = t.Union["ssl.SSLContext", tuple[str, str], str, None]


class BindError(OSError):
    """The server could not listen on its address."""


class ServerConfig(Config):
    """Hypercorn's configuration, which may also carry a ready
    :class:`ssl.SSLContext` (``--cert adhoc`` or an imported context)."""

    #: Used instead of ``certfile``/``keyfile`` when set.
    ssl_context: ssl.SSLContext | None = None

    @property
    def ssl_enabled(self) -> bool:
        return self.ssl_context is not None or super().ssl_enabled

    def create_ssl_context(self) -> ssl.SSLContext | None:
        if self.ssl_context is not None:
            return self.ssl_context
        return super().create_ssl_context()


def make_config(
    host: str, port: int, ssl_context: SSLOption = None, **options: t.Any
) -> ServerConfig:
    """The Hypercorn configuration of a development server.

    :param host: the interface to listen on.
    :param port: the port (0 picks a free one).
    :param ssl_context: a ``(certfile, keyfile)`` pair, ``"adhoc"`` for a
        self-signed certificate, or an :class:`ssl.SSLContext`.
    :param options: Hypercorn :class:`~hypercorn.config.Config` attributes;
        werkzeug-only options (``threaded``...) are ignored.
    """
    config = ServerConfig()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    # Like werkzeug's server: every request is logged, errors to stderr.
    config.accesslog = "-"
    config.errorlog = "-"
    # A reload should not wait long for streams that never end.
    config.graceful_timeout = 1.0
    if isinstance(ssl_context, tuple):
        config.certfile, config.keyfile = ssl_context
    elif ssl_context == "adhoc":
        from werkzeug.serving import generate_adhoc_ssl_context

        config.ssl_context = generate_adhoc_ssl_context()
        config.ssl_context.set_alpn_protocols(config.alpn_protocols)
    elif isinstance(ssl_context, str):
        raise ValueError(
            f"Unknown ssl_context {ssl_context!r}: pass a (certfile, keyfile)"
            " pair, 'adhoc' or an ssl.SSLContext."
        )
    elif ssl_context is not None:
        config.ssl_context = ssl_context
    for name, value in options.items():
        if name in IGNORED_OPTIONS:
            continue
        if not hasattr(Config, name):
            raise TypeError(f"Unknown server option {name!r}.")
        setattr(config, name, value)
    return config


def _bind(config: ServerConfig) -> None:
    """Listen on the ``host:port`` binds now and hand the sockets to Hypercorn
    as ``fd://`` binds, so a busy port fails before the app starts."""
    sockets: dict[str, socket.socket] = {}
    try:
        for address in config.bind:
            if not address.startswith(("unix:", "fd://")):
                sockets[address] = _listen(address)
    except BindError:
        for sock in sockets.values():
            sock.close()
        raise
    # detach(): Hypercorn's socket objects own the descriptors from now on.
    config.bind = [
        f"fd://{sockets[a].detach()}" if a in sockets else a for a in config.bind
    ]


def _listen(address: str) -> socket.socket:
    host, _, port = address.replace("[", "").replace("]", "").rpartition(":")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, int(port)))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            message = (
                "Address already in use\n"
                f"Port {port} is in use by another program. Either identify and"
                " stop that program, or start the server with a different port."
            )
        else:
            message = f"Could not listen on {address}: {e.strerror or e}"
        raise BindError(e.errno, message) from e
    sock.setblocking(False)
    return sock


async def serve_app(
    app: Pottle,
    config: ServerConfig,
    shutdown_trigger: t.Callable[..., t.Awaitable[t.Any]] | None = None,
) -> None:
    """Bind, start the app (ASGI lifespan) and serve it in the running loop
    until ``shutdown_trigger`` returns (SIGINT/SIGTERM when None).

    :raises BindError: the address cannot be bound.
    :raises hypercorn.utils.LifespanFailureError: the app failed to start.
    """
    _bind(config)
    # Refuse oversized websocket messages in the server, before they are
    # queued, not only in the app.
    limit = app.config.get("WEBSOCKET_MAX_MESSAGE_SIZE")
    if limit is not None and limit < config.websocket_max_message_size:
        config.websocket_max_message_size = limit
    trigger = shutdown_trigger
    if shutdown_trigger is not None:
        stop = shutdown_trigger

        async def trigger_and_tell_the_app() -> None:
            # Long-lived websockets and streams can watch app.shutdown_event
            # and end before the server's graceful timeout runs out.
            await stop()
            app.shutdown_event.set()

        trigger = trigger_and_tell_the_app
    await serve(app, config, shutdown_trigger=trigger)  # type: ignore[arg-type]


def run_server(
    load_app: t.Callable[[], Pottle],
    host: str,
    port: int,
    *,
    use_reloader: bool = False,
    ssl_context: SSLOption = None,
    extra_files: t.Iterable[str] | None = None,
    exclude_patterns: t.Iterable[str] | None = None,
    reloader_interval: float = 0.5,
    **options: t.Any,
) -> None:
    """Serve the app ``load_app()`` returns until SIGINT or SIGTERM.

    With ``use_reloader``, this process only supervises: it runs the program
    again as a child that serves, restarts it when a file changes, and exits
    with :exc:`SystemExit` when stopped; it never calls ``load_app``, so the
    app's import-time side effects happen in the serving process only. A
    server that cannot start exits with :exc:`SystemExit` (status 1) after
    printing why.

    :param extra_files: more files whose change triggers a reload.
    :param exclude_patterns: fnmatch patterns of files that never do.
    :param reloader_interval: seconds between two looks at the files.
    :param options: see :func:`make_config`.
    """
    if use_reloader and not is_running_from_reloader():
        raise SystemExit(
            run_with_reloader(
                extra_files or (), exclude_patterns or (), reloader_interval
            )
        )
    config = make_config(host, port, ssl_context, **options)
    app = load_app()
    try:
        asyncio.run(_serve_until_stopped(app, config))
    except KeyboardInterrupt:  # a second Ctrl+C: stop without waiting
        pass
    except BindError as e:
        _fail(e.strerror)
    except (LifespanFailureError, LifespanTimeoutError) as e:
        _fail(f"The application failed to start: {e}")


async def _serve_until_stopped(app: Pottle, config: ServerConfig) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def request_stop() -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    def request_stop_threadsafe() -> None:
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # the loop has closed already
            pass

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, request_stop)
        except NotImplementedError:  # Windows
            signal.signal(signum, lambda *_: request_stop_threadsafe())
        except (RuntimeError, ValueError):  # not the main thread
            break
    watch_lifeline(request_stop_threadsafe)
    await serve_app(app, config, stop.wait)


def _fail(message: str | None) -> t.NoReturn:
    click.secho(f"Error: {message}", err=True, fg="red")
    raise SystemExit(1)
