"""The built-in commands: ``routes`` output, ``shell``, ``--version``, and
how ``run`` turns its options and variables into a server (not started)."""

from __future__ import annotations

import os
import pathlib
import platform
import ssl
import sys
import typing as t

import click
import pytest
from click.testing import CliRunner

import pottle
from pottle import Pottle
from pottle.cli import PottleGroup, run_command


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("POTTLE_", "FLASK_")):
            monkeypatch.delenv(name)
    yield
    os.environ.clear()
    os.environ.update(saved)


def _invoke(app: Pottle, *args: str) -> click.testing.Result:
    return CliRunner().invoke(PottleGroup(create_app=lambda: app), list(args))


# -- routes --------------------------------------------------------------------


@pytest.fixture
def routed() -> Pottle:
    app = Pottle("routed", static_folder=None)
    app.add_url_rule("/zeta", "a_zeta", methods=["POST", "PUT"])
    app.add_url_rule("/", "index")
    app.add_websocket("/ws", "live")
    return app


def test_routes_output(routed: Pottle) -> None:
    result = _invoke(routed, "routes")
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Endpoint  Methods    Rule ",
        "--------  ---------  -----",
        "a_zeta    POST, PUT  /zeta",
        "index     GET        /    ",
        "live      WEBSOCKET  /ws  ",
    ]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("endpoint", ["a_zeta", "index", "live"]),
        ("methods", ["index", "a_zeta", "live"]),
        ("rule", ["index", "live", "a_zeta"]),
        ("match", None),
        ("domain", None),
    ],
)
def test_routes_sort(routed: Pottle, sort: str, order: list[str] | None) -> None:
    if order is None:  # the order in which rules are matched
        order = [rule.endpoint for rule in routed.url_map.iter_rules()]
    lines = _invoke(routed, "routes", "--sort", sort).output.splitlines()[2:]
    assert [line.split()[0] for line in lines] == order


def test_routes_all_methods(routed: Pottle) -> None:
    assert "GET, HEAD, OPTIONS " in _invoke(routed, "routes", "--all-methods").output
    assert "HEAD" not in _invoke(routed, "routes").output


def test_routes_domains() -> None:
    app = Pottle("domains", static_folder=None, subdomain_matching=True)
    app.add_url_rule("/", "api", subdomain="api")
    app.add_url_rule("/", "www")
    assert _invoke(app, "routes").output.splitlines()[:3] == [
        "Endpoint  Methods  Subdomain  Rule",
        "--------  -------  ---------  ----",
        "api       GET      api        /   ",
    ]
    hosts = Pottle("hosts", static_folder=None, host_matching=True)
    hosts.add_url_rule("/", "a", host="a.example")
    assert "Host" in _invoke(hosts, "routes").output.splitlines()[0]


def test_no_routes() -> None:
    result = _invoke(Pottle("empty", static_folder=None), "routes")
    assert result.output == "No routes were registered.\n"


# -- shell and version -----------------------------------------------------------


def test_shell_has_the_shell_context(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Pottle("shellapp")

    @app.shell_context_processor
    def sync_names() -> dict[str, int]:
        return {"answer": 42}

    @app.shell_context_processor
    async def async_names() -> dict[str, str]:
        return {"greeting": "hi"}

    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    # site's hook would set up readline history in the home folder.
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)

    code = "print(app.name, answer, greeting, from_startup, g is not None)\n"
    result = CliRunner().invoke(
        PottleGroup(create_app=lambda: app), ["shell"], input=code
    )
    assert "App: shellapp" in result.output
    assert "shellapp 42 hi yes True" in result.output


def test_version(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(PottleGroup(), ["--version"])
    lines = result.output.splitlines()
    assert lines[:2] == [
        f"Python {platform.python_version()}",
        f"pottle {pottle.__version__}",
    ]
    assert [line.split()[0] for line in lines[2:]] == ["Werkzeug", "Hypercorn"]

    # A 'flask' distribution (the extensions shim, or a real Flask beside
    # pottle) is shown too.
    from pottle.cli import options

    real = options._distribution_version
    monkeypatch.setattr(
        options, "_distribution_version", lambda n: "3.1.3" if n == "flask" else real(n)
    )
    assert "Flask 3.1.3" in CliRunner().invoke(PottleGroup(), ["--version"]).output


# -- run (the server itself is replaced) -------------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, t.Any]:
    """What ``run`` asked the server for."""
    calls: dict[str, t.Any] = {}

    def run_server(
        load_app: t.Callable[[], Pottle], host: str, port: int, **options: t.Any
    ) -> None:
        calls.update(app=load_app(), host=host, port=port, **options)

    monkeypatch.setattr("pottle.serving.run_server", run_server)
    # With the reloader, run puts the app's folder on sys.path.
    monkeypatch.setattr(sys, "path", list(sys.path))
    return calls


def _run(*args: str, **env: str) -> click.testing.Result:
    app = Pottle("served")
    return CliRunner().invoke(PottleGroup(create_app=lambda: app), list(args), env=env)


def test_run_defaults(served: dict[str, t.Any]) -> None:
    result = _run("run")
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 5000)
    assert served["use_reloader"] is False
    assert served["ssl_context"] is None
    assert result.output == " * Debug mode: off\n"


@pytest.mark.parametrize(
    ("args", "env", "reload"),
    [
        (["--debug", "run"], {}, True),
        (["run", "--debug"], {}, True),
        (["--debug", "run", "--no-reload"], {}, False),
        (["run"], {"POTTLE_DEBUG": "1"}, True),
        (["run", "--reload"], {}, True),
        (["run"], {"POTTLE_RUN_RELOAD": "true"}, True),
        (["run"], {"FLASK_RUN_RELOAD": "true"}, True),
    ],
)
def test_run_reload_follows_debug(
    served: dict[str, t.Any], args: list[str], env: dict[str, str], reload: bool
) -> None:
    _run(*args, **env)
    assert served["use_reloader"] is reload


@pytest.mark.parametrize(
    ("env", "port"),
    [
        ({"POTTLE_RUN_PORT": "8001"}, 8001),
        ({"FLASK_RUN_PORT": "8002"}, 8002),
        ({"POTTLE_RUN_PORT": "8001", "FLASK_RUN_PORT": "8002"}, 8001),
    ],
)
def test_run_port_from_variables(
    served: dict[str, t.Any], env: dict[str, str], port: int
) -> None:
    _run("run", **env)
    assert served["port"] == port


def test_run_files_options(served: dict[str, t.Any], tmp_path: pathlib.Path) -> None:
    extra = [tmp_path / "a.cfg", tmp_path / "b.cfg"]
    for path in extra:
        path.write_text("")
    joined = os.pathsep.join(map(str, extra))
    _run("run", "--extra-files", joined, "--exclude-patterns", "*.tmp", "-h", "::1")
    assert served["extra_files"] == [str(p) for p in extra]
    assert served["exclude_patterns"] == ["*.tmp"]
    assert served["host"] == "::1"


def test_run_cert_and_key(served: dict[str, t.Any]) -> None:
    _run("run", "--cert", __file__, "--key", __file__)
    assert served["ssl_context"] == (__file__, __file__)
    with pytest.raises(click.BadParameter, match="Required when using"):
        run_command.make_context("run", ["--cert", __file__])
    with pytest.raises(click.BadParameter, match='"--cert" must also be specified'):
        run_command.make_context("run", ["--key", __file__])


def test_run_cert_ssl_context(monkeypatch: pytest.MonkeyPatch) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    monkeypatch.setitem(sys.modules, "dev_tls", context)
    ctx = run_command.make_context("run", ["--cert", "dev_tls"])
    assert ctx.params["cert"] is context
    with pytest.raises(click.BadParameter, match="SSLContext object"):
        run_command.make_context("run", ["--cert", "dev_tls", "--key", __file__])


def test_run_accepts_flask_only_flags(served: dict[str, t.Any]) -> None:
    result = _run("run", "--no-debugger", "--without-threads")
    assert result.exit_code == 0, result.output


def test_run_reports_a_missing_app(tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(PottleGroup(), ["run"])
    assert result.exit_code == 2
    assert "Could not locate a pottle application" in result.output
