"""The built-in commands: ``run`` (the development server), ``shell`` and
``routes``, with the option types ``run`` uses.
"""

from __future__ import annotations

import importlib
import os
import sys
import typing as t
from operator import itemgetter

import click
from werkzeug.utils import import_string

from ..globals import current_app
from ..helpers import get_debug_flag
from ..reloader import is_running_from_reloader
from .discovery import (
    ScriptInfo,
    pass_script_info,
    prepare_import,
    split_import_path,
    with_appcontext,
)
from .options import EnvOption, debug_option

if t.TYPE_CHECKING:
    import ssl

    from werkzeug.routing import Rule


def show_server_banner(debug: bool | None, app_import_path: str | None) -> None:
    """Print which app is served and whether debug mode is on, once (not
    again in the reloader's server process)."""
    if is_running_from_reloader():
        return
    if app_import_path is not None:
        click.echo(f" * Serving pottle app '{app_import_path}'")
    if debug is not None:
        click.echo(f" * Debug mode: {'on' if debug else 'off'}")


# -- run -----------------------------------------------------------------------


class CertParamType(click.ParamType):  # type: ignore[type-arg]
    """The ``--cert`` option's type: an existing file, ``adhoc`` (a
    self-signed certificate; needs the cryptography library), or the import
    name of an :class:`ssl.SSLContext`."""

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                'Using "--cert" requires Python to be compiled with SSL support.',
                ctx,
                param,
            ) from None
        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            value = click.STRING(value, param, ctx).lower()
            if value == "adhoc":
                try:
                    importlib.import_module("cryptography")
                except ImportError:
                    raise click.BadParameter(
                        "Using ad-hoc certificates requires the cryptography library.",
                        ctx,
                        param,
                    ) from None
                return value
            if isinstance(obj := import_string(value, silent=True), ssl.SSLContext):
                return obj
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """``--key`` goes with a certificate file, and only with one; the pair
    becomes the ``cert`` parameter."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    try:
        import ssl
    except ImportError:
        is_context = False
    else:
        is_context = isinstance(cert, ssl.SSLContext)

    if value is not None:
        if is_adhoc:
            raise click.BadParameter(
                'When "--cert" is "adhoc", "--key" is not used.', ctx, param
            )
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.',
                ctx,
                param,
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = cert, value
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """A list of paths separated by :data:`os.pathsep`, each checked as a
    :class:`click.Path`."""

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        convert = super().convert
        return [convert(item, param, ctx) for item in self.split_envvar_value(value)]


@click.command("run", short_help="Run a development server.")
@click.option(
    "--host", "-h", cls=EnvOption, default="127.0.0.1", help="The interface to bind to."
)
@click.option("--port", "-p", cls=EnvOption, default=5000, help="The port to bind to.")
@click.option(
    "--cert",
    cls=EnvOption,
    type=CertParamType(),
    help="Specify a certificate file to use HTTPS.",
    is_eager=True,
)
@click.option(
    "--key",
    cls=EnvOption,
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file to use when specifying a certificate.",
)
@click.option(
    "--reload/--no-reload",
    cls=EnvOption,
    default=None,
    help="Enable or disable the reloader. By default the reloader is active if"
    " debug is enabled.",
)
@click.option(
    "--debugger/--no-debugger",
    cls=EnvOption,
    default=None,
    hidden=True,
    help="Accepted for compatibility with 'flask run'; pottle has no"
    " interactive debugger (debug mode shows a traceback page).",
)
@click.option(
    "--with-threads/--without-threads",
    cls=EnvOption,
    default=True,
    hidden=True,
    help="Accepted for compatibility with 'flask run'; sync code always runs"
    " on worker threads.",
)
@click.option(
    "--extra-files",
    cls=EnvOption,
    default=None,
    type=SeparatedPathType(),
    help="Extra files that trigger a reload on change. Multiple paths are"
    f" separated by {os.path.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    cls=EnvOption,
    default=None,
    type=SeparatedPathType(),
    help="Files matching these fnmatch patterns will not trigger a reload on"
    f" change. Multiple patterns are separated by {os.path.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    cert: ssl.SSLContext | tuple[str, str] | t.Literal["adhoc"] | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run a local development server (Hypercorn, in this process).

    The reloader restarts the server when a source file changes; it is on by
    default with the '--debug' option. For production, run the app with
    'hypercorn module:app' or another ASGI server.
    """
    from ..serving import run_server

    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    if reload is None:
        reload = debug
    if reload and not is_running_from_reloader():
        # The supervisor never loads the app, but watches the app's folder.
        prepare_import(split_import_path(info.app_import_path or "app.py")[0])
    run_server(
        info.load_app,
        host,
        port,
        use_reloader=reload,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


run_command.params.insert(0, debug_option)


# -- shell and routes ------------------------------------------------------------


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """Run an interactive Python shell in the app's context, with the names
    from its shell context processors (``app`` and ``g`` by default)."""
    import code

    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {current_app.import_name}\n"
        f"Instance: {current_app.instance_path}"
    )
    namespace: dict[str, t.Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            eval(compile(f.read(), startup, "exec"), namespace)
    namespace.update(current_app.make_shell_context())

    # The interactive hook (site's readline setup) would complete names from
    # pottle.__main__; complete from the shell's namespace instead.
    interactive_hook = getattr(sys, "__interactivehook__", None)
    if interactive_hook is not None:
        try:
            import readline
            from rlcompleter import Completer
        except ImportError:
            pass
        else:
            readline.set_completer(Completer(namespace).complete)
        interactive_hook()

    code.interact(banner=banner, local=namespace)


def _rule_methods(rule: Rule, ignored: set[str]) -> str:
    if rule.websocket:
        return "WEBSOCKET"
    return ", ".join(sorted((rule.methods or set()) - ignored))


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    cls=EnvOption,
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help="Method to sort routes by. 'match' is the order that pottle will match"
    " routes when dispatching a request.",
)
@click.option(
    "--all-methods", cls=EnvOption, is_flag=True, help="Show HEAD and OPTIONS methods."
)
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show all registered routes with endpoints and methods; websocket
    routes show WEBSOCKET as their method."""
    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return

    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching

    def domain(rule: Rule) -> str:
        return (rule.host if host_matching else rule.subdomain) or ""

    has_domain = any(domain(rule) for rule in rules)
    headers = ["Endpoint", "Methods"]
    sorts = ["endpoint", "methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
        sorts.append("domain")
    headers.append("Rule")
    sorts.append("rule")

    rows = [
        [rule.endpoint, _rule_methods(rule, ignored)]
        + ([domain(rule)] if has_domain else [])
        + [rule.rule]
        for rule in rules
    ]
    # 'match' (and 'domain' without a domain column) keep the map's order.
    if sort in sorts:
        rows.sort(key=itemgetter(sorts.index(sort)))

    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, ["-" * w for w in widths], *rows]:
        click.echo(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        )
