"""The app's configuration: a dict with loaders, and the attribute forwarding it.

``Config`` behaves as Flask's does, error messages included; only
``from_prefixed_env`` also reads ``POTTLE_`` variables. Imports werkzeug and
the standard library only, never the app.
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t

from werkzeug.utils import import_string

T = t.TypeVar("T")


class _HasConfig(t.Protocol):
    @property
    def config(self) -> Config: ...


class ConfigAttribute(t.Generic[T]):
    """A class attribute that reads and writes one key of ``obj.config``.

    :param name: The config key to forward to.
    :param get_converter: Applied to the config value on every read.
    """

    def __init__(
        self, name: str, get_converter: t.Callable[[t.Any], T] | None = None
    ) -> None:
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(self, obj: None, owner: type[t.Any] | None = None) -> t.Self: ...

    @t.overload
    def __get__(self, obj: _HasConfig, owner: type[t.Any] | None = None) -> T: ...

    def __get__(
        self, obj: _HasConfig | None, owner: type[t.Any] | None = None
    ) -> T | t.Self:
        if obj is None:
            return self
        value = obj.config[self.__name__]
        if self.get_converter is not None:
            return self.get_converter(value)
        return t.cast(T, value)

    def __set__(self, obj: _HasConfig, value: t.Any) -> None:
        obj.config[self.__name__] = value


class Config(dict[str, t.Any]):
    """A dict that can also load itself from Python files, objects, data
    files and environment variables. Only uppercase keys are loaded, so a
    config module may keep lowercase helpers of its own::

        app.config.from_object("yourapp.default_settings")
        app.config.from_envvar("YOURAPP_SETTINGS")

    :param root_path: Relative file names are resolved against this path;
        for an app's config it is the app's root path.
    :param defaults: Initial values.
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: dict[str, t.Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python config file named by an environment variable,
        with :meth:`from_pyfile`.

        :param variable_name: The environment variable holding the path.
        :param silent: Return ``False`` instead of raising when the variable
            is unset or the file is missing.
        :return: ``True`` if a file was loaded.
        """
        path = os.environ.get(variable_name)
        if not path:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set"
                " and as such configuration could not be loaded. Set"
                " this variable and make it point to a configuration"
                " file"
            )
        return self.from_pyfile(path, silent=silent)

    def from_prefixed_env(
        self,
        prefix: str | None = None,
        *,
        loads: t.Callable[[str], t.Any] = json.loads,
    ) -> bool:
        """Load the environment variables named ``{prefix}_KEY`` as ``KEY``,
        in sorted order. Each value is passed through ``loads`` and kept as a
        string if that raises. A ``__`` in the key sets an item of a nested
        dict, creating intermediate dicts as needed: ``POTTLE_DB__HOST``
        sets ``config["DB"]["HOST"]``.

        Unlike Flask, the default prefix loads ``FLASK_`` variables first
        and then ``POTTLE_`` ones, so a ``POTTLE_`` variable wins over its
        ``FLASK_`` twin. An explicit prefix loads only that prefix.

        :param prefix: The prefix to load, without the trailing underscore.
        :param loads: Converts each string value; :func:`json.loads` by
            default, so numbers, booleans, lists and dicts are parsed.
        :return: Always ``True``.
        """
        for name in ("FLASK", "POTTLE") if prefix is None else (prefix,):
            self._load_prefixed_env(f"{name}_", loads)
        return True

    def _load_prefixed_env(self, prefix: str, loads: t.Callable[[str], t.Any]) -> None:
        for env_key in sorted(os.environ):
            if not env_key.startswith(prefix):
                continue
            raw = os.environ[env_key]
            try:
                value = loads(raw)
            except Exception:
                value = raw
            *parts, tail = env_key.removeprefix(prefix).split("__")
            target: dict[str, t.Any] = self
            for part in parts:
                if part not in target:
                    target[part] = {}
                target = target[part]
            target[tail] = value

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Execute a Python file as a module and load its uppercase names,
        as :meth:`from_object` does.

        :param filename: An absolute path, or one relative to
            :attr:`root_path`.
        :param silent: Return ``False`` instead of raising when the file is
            missing.
        :return: ``True`` if the file was loaded.
        """
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        # As in Flask, an OSError raised by the file's own code is reported
        # (and silenced) like a missing file.
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), module.__dict__)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the uppercase attributes of a module or class. A dict will
        not work, its keys are not attributes; use :meth:`from_mapping`.
        A class with properties must be instantiated first.

        :param obj: The object, or an import string naming it.
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: t.Callable[[t.IO[t.Any]], t.Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with ``load`` and pass the result to
        :meth:`from_mapping`::

            app.config.from_file("config.json", load=json.load)
            app.config.from_file("config.toml", load=tomllib.load, text=False)

        :param filename: An absolute path, or one relative to
            :attr:`root_path`.
        :param load: Takes the open file and returns a mapping.
        :param silent: Return ``False`` instead of raising when the file is
            missing.
        :param text: Open the file in text mode, else in binary mode.
        :return: ``True`` if the file was loaded.
        """
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as f:
                obj = load(f)
        except OSError as e:
            if silent and e.errno in (errno.ENOENT, errno.EISDIR):
                return False
            e.strerror = f"Unable to load configuration file ({e.strerror})"
            raise
        return self.from_mapping(obj)

    def from_mapping(
        self, mapping: t.Mapping[str, t.Any] | None = None, **kwargs: t.Any
    ) -> bool:
        """Update the config like :meth:`dict.update`, skipping keys that are
        not uppercase.

        :return: Always ``True``.
        """
        items: dict[str, t.Any] = {}
        if mapping is not None:
            items.update(mapping)
        items.update(kwargs)
        for key, value in items.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the options whose key starts with ``namespace``, for
        example to pass them as keyword arguments::

            app.config["IMAGE_STORE_PATH"] = "/var/app/images"
            app.config.get_namespace("IMAGE_STORE_")  # {"path": "/var/..."}

        :param namespace: The key prefix to match.
        :param lowercase: Lowercase the returned keys.
        :param trim_namespace: Remove the prefix from the returned keys.
        """
        rv = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            if trim_namespace:
                key = key[len(namespace) :]
            rv[key.lower() if lowercase else key] = value
        return rv

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
