"""The ``pottle`` command line: finding the app, environment variables and
dotenv files, and custom commands (sync and async) through click's runner."""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import textwrap
import types
import typing as t

import click
import pytest
from click.testing import CliRunner

from pottle import Blueprint, Pottle, current_app, g
from pottle.cli import (
    AppGroup,
    FlaskGroup,
    NoAppException,
    PottleGroup,
    ScriptInfo,
    find_app_by_string,
    find_best_app,
    load_dotenv,
    locate_app,
    prepare_import,
    with_appcontext,
)


@pytest.fixture(autouse=True)
def _restore_environment(monkeypatch: pytest.MonkeyPatch) -> t.Iterator[None]:
    """The CLI writes os.environ (dotenv, --debug, POTTLE_RUN_FROM_CLI)."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("POTTLE_", "FLASK_")):
            monkeypatch.delenv(name)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def modules(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[t.Callable[[str, str], pathlib.Path]]:
    """Write importable modules into a temporary folder (also the cwd)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)

    def write(name: str, source: str) -> pathlib.Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        return path

    yield write
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _app_module(name: str) -> str:
    return f"""
        from pottle import Pottle
        app = Pottle({name!r})

        @app.route("/{name}")
        def {name}_view():
            return ""
    """


# -- finding the app -----------------------------------------------------------


def _module(name: str, **attrs: t.Any) -> types.ModuleType:
    module = types.ModuleType(name)
    vars(module).update(attrs)
    return module


def test_find_best_app_by_name_instance_and_factory() -> None:
    named = _module("named", application=Pottle("named"), other=Pottle("other"))
    single = _module("single", mine=Pottle("single"))
    factory = _module("factory", make_app=lambda **kw: Pottle("made"))

    assert find_best_app(named) is named.application
    assert find_best_app(single) is single.mine
    assert find_best_app(factory).name == "made"


def test_find_best_app_errors() -> None:
    def create_app(config: str) -> Pottle:
        return Pottle(config)

    def broken_factory() -> Pottle:
        raise TypeError("inside the factory")

    with pytest.raises(NoAppException, match="Detected multiple pottle applications"):
        find_best_app(_module("two", a=Pottle("a"), b=Pottle("b")))
    with pytest.raises(NoAppException, match=r"Use 'needs_args:create_app\(args\)'"):
        find_best_app(_module("needs_args", create_app=create_app))
    with pytest.raises(TypeError, match="inside the factory"):
        find_best_app(_module("broken", make_app=broken_factory))
    with pytest.raises(NoAppException, match="Failed to find pottle application"):
        find_best_app(_module("empty"))


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("a.b", "Failed to parse 'a.b' as an attribute name or function call."),
        ("a.b()", "Function reference must be a simple name: 'a.b()'."),
        ("factory(x)", "Failed to parse arguments as literal values: 'factory(x)'."),
        ("missing", "Failed to find attribute 'missing' in 'mod'."),
        ("not_app", "A valid pottle application was not obtained from 'mod:not_app'."),
        ("factory()", "The factory 'factory()' in module 'mod' could not be called"),
    ],
)
def test_find_app_by_string_errors(
    modules: t.Callable[[str, str], pathlib.Path], expression: str, message: str
) -> None:
    modules(
        "mod.py",
        """
        from pottle import Pottle
        not_app = 42
        def factory(name):
            return Pottle(name)
        """,
    )
    import mod

    with pytest.raises(NoAppException) as info:
        find_app_by_string(mod, expression)
    assert message in info.value.format_message()


def test_factory_with_literal_arguments(
    modules: t.Callable[[str, str], pathlib.Path],
) -> None:
    modules(
        "factory.py",
        """
        from pottle import Pottle
        def create_app(name, *, debug=False):
            app = Pottle(name)
            app.debug = debug
            return app
        """,
    )
    app = locate_app("factory", " create_app('custom', debug=True) ")
    assert (app.name, app.debug) == ("custom", True)


def test_locate_app_import_errors(
    modules: t.Callable[[str, str], pathlib.Path],
) -> None:
    modules("broken.py", "import not_a_module_anywhere\n")
    with pytest.raises(NoAppException) as info:
        locate_app("broken", None)
    assert "While importing 'broken', an ImportError was raised" in str(info.value)
    assert "not_a_module_anywhere" in str(info.value)
    with pytest.raises(NoAppException, match="Could not import 'nowhere'"):
        locate_app("nowhere", None)
    assert locate_app("nowhere", None, raise_if_not_found=False) is None


def test_prepare_import_finds_the_package_root(
    modules: t.Callable[[str, str], pathlib.Path], tmp_path: pathlib.Path
) -> None:
    modules("pkg/__init__.py", "")
    path = modules("pkg/sub/__init__.py", "")
    assert prepare_import(str(path)) == "pkg.sub"
    assert sys.path[0] == str(tmp_path)


def test_script_info_import_paths(
    modules: t.Callable[[str, str], pathlib.Path],
) -> None:
    path = modules("pkg/server.py", _app_module("server"))
    modules("pkg/__init__.py", "")
    for import_path in ("pkg.server", "pkg.server:app", str(path), f"{path}:app"):
        app = ScriptInfo(app_import_path=import_path).load_app()
        assert app.name == "server"


@pytest.mark.parametrize("filename", ["wsgi.py", "app.py"])
def test_script_info_default_files(
    modules: t.Callable[[str, str], pathlib.Path], filename: str
) -> None:
    modules(filename, _app_module("default"))
    info = ScriptInfo()
    app = info.load_app()
    assert app.name == "default"
    assert info.load_app() is app


def test_script_info_without_app_names_every_way(
    modules: t.Callable[[str, str], pathlib.Path],
) -> None:
    with pytest.raises(NoAppException) as info:
        ScriptInfo().load_app()
    message = info.value.format_message()
    for way in ("'pottle --app'", "'POTTLE_APP'", "'FLASK_APP'", "'wsgi.py'"):
        assert way in message


@pytest.mark.parametrize(
    ("env", "debug"),
    [
        ({}, False),
        ({"POTTLE_DEBUG": "1"}, True),
        ({"FLASK_DEBUG": "1"}, True),
        ({"POTTLE_DEBUG": "0", "FLASK_DEBUG": "1"}, False),
    ],
)
def test_debug_flag_from_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], debug: bool
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app = ScriptInfo(create_app=lambda: Pottle("env")).load_app()
    assert app.debug is debug


# -- the pottle group and the environment --------------------------------------


def _group_with(command: click.Command | None = None) -> PottleGroup:
    group = PottleGroup()
    if command is not None:
        group.add_command(command)
    return group


@with_appcontext
def _name() -> None:
    click.echo(f"{current_app.name} debug={current_app.debug}")


name_command = click.command("name")(_name)


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"POTTLE_APP": "first"}, [], "first"),
        ({"FLASK_APP": "second"}, [], "second"),
        ({"POTTLE_APP": "first", "FLASK_APP": "second"}, [], "first"),
        ({"POTTLE_APP": "first"}, ["--app", "second"], "second"),
    ],
)
def test_app_from_option_and_variables(
    modules: t.Callable[[str, str], pathlib.Path],
    runner: CliRunner,
    env: dict[str, str],
    args: list[str],
    expected: str,
) -> None:
    modules("first.py", _app_module("first"))
    modules("second.py", _app_module("second"))
    result = runner.invoke(_group_with(name_command), [*args, "name"], env=env)
    assert result.output == f"{expected} debug=False\n"


def test_debug_option_sets_both_variables(
    modules: t.Callable[[str, str], pathlib.Path], runner: CliRunner
) -> None:
    modules("first.py", _app_module("first"))
    group = _group_with(name_command)
    result = runner.invoke(group, ["--app", "first", "--debug", "name"])
    assert result.output == "first debug=True\n"
    assert os.environ["POTTLE_DEBUG"] == os.environ["FLASK_DEBUG"] == "1"
    # The flag's default leaves the variable alone.
    result = runner.invoke(group, ["--app", "first", "name"], env={"POTTLE_DEBUG": "1"})
    assert result.output == "first debug=True\n"


DOTENV = {
    ".flaskenv": "FROM=flaskenv\nA=flaskenv\nB=flaskenv\nC=flaskenv\nD=flaskenv\n",
    ".pottleenv": "FROM=pottleenv\nB=pottleenv\nC=pottleenv\nD=pottleenv\n",
    ".env": "FROM=env\nC=env\nD=env\nPRESET=env\n",
    "custom.env": "D=custom\n",
}


def _write_dotenv(root: pathlib.Path) -> None:
    for name, text in DOTENV.items():
        (root / name).write_text(text)


def test_dotenv_precedence(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dotenv(tmp_path)
    for name in ("FROM", "A", "B", "C", "D"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRESET", "environment")
    # Found from a subfolder too: the files are searched upwards.
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")

    assert load_dotenv(tmp_path / "custom.env")
    values = {name: os.environ[name] for name in ("A", "B", "C", "D", "PRESET")}
    assert values == {
        "A": "flaskenv",
        "B": "pottleenv",
        "C": "env",
        "D": "custom",
        "PRESET": "environment",
    }


def test_env_file_option_and_defaults_through_the_group(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    _write_dotenv(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("FROM", "D"):
        monkeypatch.delenv(name, raising=False)

    @click.command("show")
    def show() -> None:
        click.echo(f"{os.environ['FROM']} {os.environ['D']}")

    result = runner.invoke(_group_with(show), ["-e", "custom.env", "show"])
    assert result.output == "env custom\n"


@pytest.mark.parametrize("variable", ["POTTLE_SKIP_DOTENV", "FLASK_SKIP_DOTENV"])
def test_skip_dotenv(
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    runner: CliRunner,
    variable: str,
) -> None:
    _write_dotenv(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FROM", raising=False)
    monkeypatch.setenv(variable, "1")
    runner.invoke(PottleGroup(), ["--help"])
    assert "FROM" not in os.environ


def test_without_python_dotenv(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    _write_dotenv(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FROM", raising=False)
    monkeypatch.setitem(sys.modules, "dotenv", None)

    result = runner.invoke(PottleGroup(), ["--help"])
    assert "Install python-dotenv to use them." in result.stderr
    assert "FROM" not in os.environ
    result = runner.invoke(PottleGroup(), ["-e", "custom.env", "--help"])
    assert result.exit_code == 2
    assert "python-dotenv must be installed to load an env file." in result.stderr


def test_flaskenv_names_the_app(
    modules: t.Callable[[str, str], pathlib.Path], runner: CliRunner
) -> None:
    modules("legacy.py", _app_module("legacy"))
    modules(".flaskenv", "FLASK_APP=legacy\nFLASK_DEBUG=1\n")
    result = runner.invoke(_group_with(name_command), ["name"])
    assert result.output == "legacy debug=True\n"


def test_flask_group_is_pottle_group() -> None:
    assert FlaskGroup is PottleGroup


# -- custom commands -----------------------------------------------------------


@pytest.fixture
def app() -> Pottle:
    return Pottle("cmdapp")


def test_sync_command_runs_in_the_app_context(app: Pottle) -> None:
    @app.cli.command()
    @click.argument("who")
    def greet(who: str) -> None:
        g.greeting = "hello"
        click.echo(f"{g.greeting} {who} from {current_app.name}")

    result = app.test_cli_runner().invoke(args=["greet", "you"])
    assert result.output == "hello you from cmdapp\n"


def test_async_command_runs_in_the_app_context(app: Pottle) -> None:
    @app.cli.command()
    @click.option("--count", default=3)
    async def gather(count: int) -> list[int]:
        async def square(n: int) -> int:
            await asyncio.sleep(0)
            return n * n

        results = await asyncio.gather(*(square(n) for n in range(count)))
        click.echo(f"{current_app.name}: {results}")
        return results

    runner = app.test_cli_runner()
    result = runner.invoke(args=["gather", "--count", "4"], standalone_mode=False)
    assert result.exception is None
    assert result.output == "cmdapp: [0, 1, 4, 9]\n"
    assert result.return_value == [0, 1, 4, 9]


def test_async_command_error_fails_the_command(app: Pottle) -> None:
    @app.cli.command()
    async def fail() -> None:
        await asyncio.sleep(0)
        raise ValueError("async failure")

    result = app.test_cli_runner().invoke(args=["fail"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)


def test_sync_command_may_run_its_own_loop(app: Pottle) -> None:
    @app.cli.command()
    def own_loop() -> None:
        async def main() -> str:
            await asyncio.sleep(0)
            return current_app.name

        click.echo(asyncio.run(main()))

    assert app.test_cli_runner().invoke(args=["own-loop"]).output == "cmdapp\n"


def test_async_commands_in_groups_blueprints_and_add_command(app: Pottle) -> None:
    @app.cli.group()
    def db() -> None:
        pass

    @db.command()
    async def init() -> None:
        click.echo(f"init {current_app.name}")

    bp = Blueprint("users", __name__, cli_group="users")

    @bp.cli.command()
    async def create() -> None:
        click.echo(f"create {current_app.name}")

    app.register_blueprint(bp)

    async def plain() -> None:
        click.echo(f"plain {bool(current_app)}")

    app.cli.add_command(click.Command("plain", callback=plain))

    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "init"]).output == "init cmdapp\n"
    assert runner.invoke(args=["users", "create"]).output == "create cmdapp\n"
    # Through the pottle group, app commands get the app context too.
    group = PottleGroup(create_app=lambda: app)
    assert CliRunner().invoke(group, ["plain"]).output == "plain True\n"


def test_command_without_app_context(runner: CliRunner) -> None:
    @click.group(cls=AppGroup)
    def cli() -> None:
        pass

    @cli.command(with_appcontext=False)
    async def bare() -> None:
        click.echo(f"app context: {bool(current_app)}")

    assert runner.invoke(cli, ["bare"]).output == "app context: False\n"


def test_with_appcontext_runs_an_async_command(runner: CliRunner) -> None:
    @click.command()
    @with_appcontext
    async def report() -> None:
        await asyncio.sleep(0)
        click.echo(current_app.name)

    obj = ScriptInfo(create_app=lambda: Pottle("standalone"))
    result = runner.invoke(report, obj=obj)
    assert result.output == "standalone\n"


# -- plugins -------------------------------------------------------------------


def test_plugin_commands_from_entry_points(
    modules: t.Callable[[str, str], pathlib.Path], runner: CliRunner
) -> None:
    modules(
        "plugin_commands.py",
        """
        import click

        @click.command()
        def migrate():
            click.echo("flask plugin")

        @click.command()
        async def limits():
            click.echo("pottle plugin")

        @click.command()
        def clash():
            click.echo("from pottle.commands")

        @click.command()
        def clash_flask():
            click.echo("from flask.commands")
        """,
    )
    modules(
        "plugins-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: plugins\nVersion: 1.0\n",
    )
    modules(
        "plugins-1.0.dist-info/entry_points.txt",
        """
        [flask.commands]
        db = plugin_commands:migrate
        clash = plugin_commands:clash_flask
        broken = not_a_module_anywhere:cmd

        [pottle.commands]
        limiter = plugin_commands:limits
        clash = plugin_commands:clash
        """,
    )
    group = PottleGroup(create_app=lambda: Pottle("plugins"))
    result = runner.invoke(group, ["db"])
    assert result.stdout == "flask plugin\n"
    assert "Skipping the command 'broken'" in result.stderr
    assert runner.invoke(group, ["limiter"]).output.endswith("pottle plugin\n")
    assert runner.invoke(group, ["clash"]).output.endswith("from pottle.commands\n")
    assert "limiter" in runner.invoke(group, ["--help"]).stdout


def test_flask_plugins_are_loaded_after_the_app(
    modules: t.Callable[[str, str], pathlib.Path], runner: CliRunner
) -> None:
    # A Flask extension's command module imports ``flask``; an app that
    # activates pottle_flask_alias must run first, or the real Flask loads.
    modules("load_order.py", "ORDER = []\n")
    modules(
        "ordered_app.py",
        """
        import load_order
        from pottle import Pottle

        load_order.ORDER.append("app")
        app = Pottle("ordered")
        """,
    )
    modules(
        "ordered_plugin.py",
        """
        import click
        import load_order

        load_order.ORDER.append("plugin")

        @click.command()
        def hello():
            click.echo("plugin ran")
        """,
    )
    modules(
        "ordered-1.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: ordered\nVersion: 1.0\n",
    )
    modules(
        "ordered-1.0.dist-info/entry_points.txt",
        "[flask.commands]\nhello = ordered_plugin:hello\n",
    )
    result = runner.invoke(PottleGroup(), ["--app", "ordered_app", "hello"])
    assert result.stdout == "plugin ran\n"
    import load_order

    assert load_order.ORDER == ["app", "plugin"]

    # An app that fails to load does not keep the plugin from running.
    del sys.modules["ordered_plugin"]
    result = runner.invoke(PottleGroup(), ["--app", "no_such_module", "hello"])
    assert result.stdout == "plugin ran\n"
