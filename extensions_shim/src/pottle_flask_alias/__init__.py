"""Make ``flask`` mean pottle, so Flask extensions and Flask code run unmodified.

Importing this module activates the alias for the whole process, for good:
``flask`` becomes a thin module that forwards to ``pottle``, every ``flask.X``
submodule *is* ``pottle.X``, and ``importlib.metadata`` reports a ``Flask``
distribution at :data:`FLASK_VERSION`. It imports pottle; pottle never
imports it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import pathlib
import re
import sys
import types
import typing as t
import warnings

import pottle

if t.TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from _typeshed import StrPath

__all__ = ["FLASK_VERSION"]

#: The Flask release whose API pottle implements. ``flask.__version__`` and
#: ``importlib.metadata.version("flask")`` answer it.
FLASK_VERSION = "3.1.3"

_METADATA = f"""\
Metadata-Version: 2.1
Name: Flask
Version: {FLASK_VERSION}
Summary: pottle, standing in for Flask through pottle-flask-alias
Requires-Dist: pottle
"""

# Set on the finder, so a second copy of this module (one popped from
# sys.modules and imported again) sees that the alias is already active.
_MARK = "__pottle_flask_alias__"


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class FlaskModule(types.ModuleType):
    """``sys.modules["flask"]``. Public names are read from, written to and
    deleted from ``pottle`` itself, so patching ``flask.x`` patches pottle;
    only the module's dunders (``__name__`` is ``"flask"``) and the
    deprecated ``__version__`` are its own."""

    def __getattr__(self, name: str) -> t.Any:
        if name == "__version__":
            # Flask 3.1 warns the same way; the attribute goes in Flask 3.2.
            warnings.warn(
                "The '__version__' attribute is deprecated and will be removed in"
                " Flask 3.2. Use feature detection or"
                " 'importlib.metadata.version(\"flask\")' instead.",
                DeprecationWarning,
                stacklevel=2,
            )
            return FLASK_VERSION
        try:
            return getattr(pottle, name)
        except AttributeError:
            if name == "__all__":
                # So ``from flask import *`` gives what ``from pottle import *``
                # gives, rather than this module's few dunders.
                return [n for n in vars(pottle) if not n.startswith("_")]
            raise AttributeError(
                f"module 'flask' has no attribute {name!r} (flask is pottle"
                " here, through pottle_flask_alias)",
                name=name,
                obj=self,
            ) from None

    def __setattr__(self, name: str, value: t.Any) -> None:
        if _is_dunder(name):
            super().__setattr__(name, value)
        else:
            setattr(pottle, name, value)

    def __delattr__(self, name: str) -> None:
        if _is_dunder(name):
            super().__delattr__(name)
        else:
            delattr(pottle, name)

    def __dir__(self) -> list[str]:
        return sorted({*dir(pottle), *vars(self)})


class _FlaskDistribution(importlib.metadata.Distribution):
    """The ``Flask`` distribution as this process sees it: pottle, at
    :data:`FLASK_VERSION`, with no files or entry points of its own."""

    def read_text(self, filename: str) -> str | None:
        return _METADATA if filename == "METADATA" else None

    def locate_file(self, path: StrPath) -> pathlib.Path:
        return pathlib.Path(pottle.__file__).parent.parent / path


def _is_flask(distribution_name: str) -> bool:
    return re.sub(r"[-_.]+", "-", distribution_name).lower() == "flask"


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """First on ``sys.meta_path``: finds ``flask`` and ``flask.X`` as pottle's
    modules (ahead of any installed Flask), and the ``Flask`` distribution
    for ``importlib.metadata``."""

    __pottle_flask_alias__ = True

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "flask":
            return _package_spec()
        if not fullname.startswith("flask."):
            return None
        pottle_name = "pottle" + fullname.removeprefix("flask")
        try:
            found = importlib.util.find_spec(pottle_name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: pottle_flask_alias maps flask.*"
                f" to pottle.*, and pottle has no module {pottle_name!r}",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(
        self, spec: importlib.machinery.ModuleSpec
    ) -> types.ModuleType | None:
        if spec.name == "flask":
            return _FLASK
        module = importlib.import_module("pottle" + spec.name.removeprefix("flask"))
        # The import system will overwrite __spec__ with ours; keep the real
        # one so exec_module can put it back.
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # With __spec__ left as "flask.x", a relative import run later inside
        # pottle.x warns that __package__ != __spec__.parent.
        spec = module.__spec__
        original = None if spec is None else spec.loader_state
        if original is not None:
            module.__spec__ = original

    def find_distributions(
        self, context: importlib.metadata.DistributionFinder.Context | None = None
    ) -> Iterator[importlib.metadata.Distribution]:
        name = None if context is None else context.name
        if name is None or _is_flask(name):
            yield _FlaskDistribution()


_FINDER = _AliasFinder()


def _package_spec() -> importlib.machinery.ModuleSpec:
    spec = importlib.machinery.ModuleSpec(
        "flask", _FINDER, origin=pottle.__file__, is_package=True
    )
    # Package-relative lookups (jinja's PackageLoader("flask")) see pottle's.
    spec.submodule_search_locations = list(pottle.__path__)
    return spec


def _new_flask_module() -> FlaskModule:
    module = FlaskModule("flask", pottle.__doc__)
    module.__spec__ = _package_spec()
    module.__loader__ = _FINDER
    module.__package__ = "flask"
    module.__path__ = list(pottle.__path__)
    module.__file__ = pottle.__file__
    return module


_FLASK = _new_flask_module()


def _activate() -> None:
    if any(getattr(finder, _MARK, False) for finder in sys.meta_path):
        return
    loaded = [
        name
        for name, module in sys.modules.items()
        if module is not None and name.split(".")[0] == "flask"
    ]
    if loaded:
        origin = getattr(sys.modules.get("flask"), "__file__", None)
        raise ImportError(
            "pottle_flask_alias must be imported before Flask: the real Flask is"
            f" already imported in this process ({len(loaded)} flask modules;"
            f" flask from {origin or 'an unknown location'}), and it must not"
            " run alongside pottle. Import pottle_flask_alias first: at the top"
            " of the program's entry point, before any Flask extension, or run"
            " pytest with '-p pottle_flask_alias'."
        )
    sys.meta_path.insert(0, _FINDER)
    sys.modules["flask"] = _FLASK


_activate()
