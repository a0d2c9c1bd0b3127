"""Testing helpers: the test client, the CLI runner, the environ builder,
the test websocket and ``test_app``.

Import paths match Flask's ``flask.testing``.
"""

from __future__ import annotations

import typing as t

from click.testing import CliRunner, Result

from ..cli import ScriptInfo
from .app import LifespanError as LifespanError
from .app import TestApp as TestApp
from .client import EnvironBuilder as EnvironBuilder
from .client import FlaskClient as FlaskClient
from .client import PottleClient as PottleClient
from .websocket import TestWebsocketConnection as TestWebsocketConnection
from .websocket import WebsocketDisconnectError as WebsocketDisconnectError
from .websocket import WebsocketResponseError as WebsocketResponseError

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
