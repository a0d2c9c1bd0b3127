"""The ASGI protocol layer: the only code that reads or writes ASGI messages.

Each connection type has a class the app instantiates per connection
(``asgi_http_class``, ``asgi_websocket_class``, ``asgi_lifespan_class``).
"""

from __future__ import annotations

from .http import ASGIHTTPConnection as ASGIHTTPConnection
from .lifespan import ASGILifespan as ASGILifespan
from .websocket import ASGIWebsocketConnection as ASGIWebsocketConnection
