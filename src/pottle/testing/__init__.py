"""Testing helpers: the test client, the CLI runner, the environ builder.

Import paths match Flask's ``flask.testing``.
"""

from __future__ import annotations

import typing as t

from click.testing import CliRunner, Result

from ..cli import ScriptInfo
from .client import EnvironBuilder as EnvironBuilder
from .client import FlaskClient as FlaskClient
from .client import PottleClient as PottleClient

if t.TYPE_CHECKING:
    from ..app import Pottle


class PottleCliRunner(CliRunner):
    """A click ``CliRunner`` for the app's commands. ``FlaskCliRunner`` is
    another name for it."""

    def __init__(self, app: Pottle, **kwargs: t.Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: t.Any = None, args: t.Any = None, **kwargs: t.Any
    ) -> Result:
        """Invoke ``cli`` (the app's command group by default) with an
        ``obj`` that loads this app."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)


FlaskCliRunner = PottleCliRunner
