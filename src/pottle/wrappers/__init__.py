"""Request, response and websocket objects, on werkzeug's sans-IO classes.

Wrappers never import the app, contexts or globals (one documented
exception: ``Response.max_cookie_size``); the app passes limits in.
"""

from __future__ import annotations

from .body import Body as Body
from .request import Request as Request
from .response import Response as Response
from .websocket import Websocket as Websocket
from .websocket import WebsocketDisconnect as WebsocketDisconnect
