from __future__ import annotations

import json
import os
import tomllib
import types
from pathlib import Path

import pytest

from pottle.config import Config, ConfigAttribute

CONFIG_SOURCE = 'SECRET_KEY = "config"\nTEST_KEY = "foo"\nlowercase = "skipped"\n'


def assert_loaded(config: Config) -> None:
    assert config["SECRET_KEY"] == "config"
    assert config["TEST_KEY"] == "foo"
    assert "lowercase" not in config


@pytest.fixture
def pyfile(tmp_path: Path) -> Path:
    path = tmp_path / "settings.py"
    path.write_text(CONFIG_SOURCE)
    return path


def test_defaults_and_root_path(tmp_path: Path) -> None:
    config = Config(tmp_path, {"A": 1})
    assert config == {"A": 1}
    assert config.root_path == tmp_path
    assert Config(tmp_path) == {}


def test_from_pyfile(pyfile: Path) -> None:
    config = Config(pyfile.parent)
    assert config.from_pyfile("settings.py") is True
    assert_loaded(config)


def test_from_pyfile_sets_file(tmp_path: Path) -> None:
    (tmp_path / "cfg.py").write_text("HERE = __file__\n")
    config = Config(tmp_path)
    config.from_pyfile("cfg.py")
    assert config["HERE"] == os.path.join(tmp_path, "cfg.py")


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-15", "latin-1"])
def test_from_pyfile_weird_encoding(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "my_config.py"
    path.write_text(f'# -*- coding: {encoding} -*-\nTEST_VALUE = "föö"\n', encoding)
    config = Config(tmp_path)
    config.from_pyfile(os.fspath(path))
    assert config["TEST_VALUE"] == "föö"


def test_from_pyfile_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(OSError) as exc_info:
        config.from_pyfile("missing.cfg")
    msg = str(exc_info.value)
    assert msg.startswith(
        "[Errno 2] Unable to load configuration file (No such file or directory):"
    )
    assert msg.endswith("missing.cfg'")
    assert config.from_pyfile("missing.cfg", silent=True) is False
    # A directory, and a path through a file, are "missing" too.
    assert config.from_pyfile(tmp_path, silent=True) is False
    (tmp_path / "file").write_text("")
    assert config.from_pyfile("file/x.py", silent=True) is False


def test_from_object_module_and_import_string(
    pyfile: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("cfgmod")
    exec(CONFIG_SOURCE, module.__dict__)
    config = Config("")
    config.from_object(module)
    assert_loaded(config)

    monkeypatch.syspath_prepend(os.fspath(pyfile.parent))
    config = Config("")
    config.from_object("settings")
    assert_loaded(config)


def test_from_object_class_and_instance() -> None:
    class Base:
        TEST_KEY = "foo"

    class Settings(Base):
        SECRET_KEY = "config"
        lowercase = "skipped"

        @property
        def COMPUTED(self) -> str:  # noqa: N802
            return "value"

    config = Config("")
    config.from_object(Settings)
    assert_loaded(config)
    assert isinstance(config["COMPUTED"], property)

    config.from_object(Settings())
    assert config["COMPUTED"] == "value"


def test_from_file_json_and_toml(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"SECRET_KEY": "config", "TEST_KEY": "foo"}')
    (tmp_path / "c.toml").write_text('SECRET_KEY = "config"\nTEST_KEY = "foo"\n')
    config = Config(tmp_path)
    assert config.from_file("c.json", json.load) is True
    assert_loaded(config)
    config = Config(tmp_path)
    assert config.from_file(tmp_path / "c.toml", tomllib.load, text=False) is True
    assert_loaded(config)


def test_from_file_missing(tmp_path: Path) -> None:
    config = Config(tmp_path)
    with pytest.raises(OSError) as exc_info:
        config.from_file("missing.json", load=json.load)
    msg = str(exc_info.value)
    assert msg.startswith(
        "[Errno 2] Unable to load configuration file (No such file or directory):"
    )
    assert msg.endswith("missing.json'")
    assert config.from_file("missing.json", load=json.load, silent=True) is False
    assert config.from_file(tmp_path, load=json.load, silent=True) is False


def test_from_mapping() -> None:
    for args, kwargs in [
        (({"SECRET_KEY": "config", "TEST_KEY": "foo"},), {}),
        (([("SECRET_KEY", "config"), ("TEST_KEY", "foo")],), {}),
        ((), {"SECRET_KEY": "config", "TEST_KEY": "foo", "lowercase": "x"}),
        (({"SECRET_KEY": "config"},), {"TEST_KEY": "foo"}),
    ]:
        config = Config("")
        assert config.from_mapping(*args, **kwargs) is True
        assert_loaded(config)

    with pytest.raises(TypeError):
        Config("").from_mapping({}, {})  # type: ignore[call-arg]


def test_from_envvar(pyfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.environ", {})
    config = Config("")
    with pytest.raises(RuntimeError) as exc_info:
        config.from_envvar("FOO_SETTINGS")
    assert str(exc_info.value) == (
        "The environment variable 'FOO_SETTINGS' is not set and as such"
        " configuration could not be loaded. Set this variable and make it"
        " point to a configuration file"
    )
    assert config.from_envvar("FOO_SETTINGS", silent=True) is False

    monkeypatch.setattr("os.environ", {"FOO_SETTINGS": os.fspath(pyfile)})
    assert config.from_envvar("FOO_SETTINGS") is True
    assert_loaded(config)


def test_from_envvar_missing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.environ", {"FOO_SETTINGS": "missing.cfg"})
    config = Config("")
    with pytest.raises(OSError) as exc_info:
        config.from_envvar("FOO_SETTINGS")
    msg = str(exc_info.value)
    assert msg.startswith("[Errno 2] Unable to load configuration file (No such")
    assert msg.endswith("missing.cfg'")
    assert config.from_envvar("FOO_SETTINGS", silent=True) is False


def test_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "os.environ",
        {
            "FLASK_STRING": "value",
            "FLASK_BOOL": "true",
            "FLASK_INT": "1",
            "FLASK_FLOAT": "1.2",
            "FLASK_LIST": "[1, 2]",
            "FLASK_DICT": '{"k": "v"}',
            "NOT_FLASK_OTHER": "other",
            "POTTLE_EXTRA": "null",
        },
    )
    config = Config("")
    assert config.from_prefixed_env() is True
    assert config == {
        "STRING": "value",
        "BOOL": True,
        "INT": 1,
        "FLOAT": 1.2,
        "LIST": [1, 2],
        "DICT": {"k": "v"},
        "EXTRA": None,
    }


def test_from_prefixed_env_pottle_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "os.environ",
        {"POTTLE_A": "2", "FLASK_A": "1", "FLASK_B": "1", "POTTLE_C__X": "3"},
    )
    config = Config("")
    config.from_prefixed_env()
    assert config == {"A": 2, "B": 1, "C": {"X": 3}}


def test_from_prefixed_env_explicit_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "os.environ", {"FLASK_A": "a", "NOT_FLASK_A": "b", "POTTLE_B": "c"}
    )
    config = Config("")
    config.from_prefixed_env("NOT_FLASK")
    assert config == {"A": "b"}
    config = Config("")
    config.from_prefixed_env("FLASK")
    assert config == {"A": "a"}


def test_from_prefixed_env_custom_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    def loads(value: str) -> int:
        return int(value) * 10

    monkeypatch.setattr("os.environ", {"POTTLE_N": "4", "POTTLE_S": "x"})
    config = Config("")
    config.from_prefixed_env(loads=loads)
    assert config == {"N": 40, "S": "x"}


def test_from_prefixed_env_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "os.environ",
        {
            "FLASK_EXIST__ok": "other",
            "FLASK_EXIST__inner__ik": "2",
            "FLASK_EXIST__new__more": '{"k": false}',
            "FLASK_NEW__K": "v",
        },
    )
    config = Config("")
    config["EXIST"] = {"ok": "value", "flag": True, "inner": {"ik": 1}}
    config.from_prefixed_env()
    assert config["EXIST"] == {
        "ok": "other",
        "flag": True,
        "inner": {"ik": 2},
        "new": {"more": {"k": False}},
    }
    assert config["NEW"] == {"K": "v"}


def test_get_namespace() -> None:
    config = Config("")
    config.update(
        FOO_OPTION_1="foo option 1",
        FOO_OPTION_2="foo option 2",
        BAR_STUFF_1="bar stuff 1",
    )
    assert config.get_namespace("FOO_") == {
        "option_1": "foo option 1",
        "option_2": "foo option 2",
    }
    assert config.get_namespace("BAR_", lowercase=False) == {"STUFF_1": "bar stuff 1"}
    assert config.get_namespace("BAR_", trim_namespace=False) == {
        "bar_stuff_1": "bar stuff 1"
    }
    assert config.get_namespace("BAR_", lowercase=False, trim_namespace=False) == {
        "BAR_STUFF_1": "bar stuff 1"
    }


def test_repr() -> None:
    class MyConfig(Config):
        pass

    assert repr(Config("", {"A": 1})) == "<Config {'A': 1}>"
    assert repr(MyConfig("")) == "<MyConfig {}>"


def test_config_attribute() -> None:
    class Holder:
        testing = ConfigAttribute[bool]("TESTING")
        lifetime = ConfigAttribute("LIFETIME", get_converter=int)

        def __init__(self) -> None:
            self.config = Config("", {"TESTING": False, "LIFETIME": "42"})

    holder = Holder()
    assert isinstance(Holder.testing, ConfigAttribute)
    assert Holder.testing.__name__ == "TESTING"
    assert holder.testing is False
    holder.testing = True
    assert holder.config["TESTING"] is True
    assert holder.lifetime == 42
    holder.lifetime = "7"
    assert holder.config["LIFETIME"] == "7"
    assert holder.lifetime == 7
