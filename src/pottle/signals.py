"""The signals pottle sends, on a blinker namespace of its own.

Every signal is sent with ``sender=app``; receivers may be sync or async, as
the app passes them through ``app.ensure_sync``. Imports only blinker.
"""

from __future__ import annotations

from blinker import Namespace as Namespace

# Only pottle's own signals live here; an extension makes its own Namespace.
_signals = Namespace()

#: Sent after a template is rendered, with ``template`` and ``context``.
template_rendered = _signals.signal("template-rendered")
#: Sent before a template is rendered, with ``template`` and ``context``.
before_render_template = _signals.signal("before-render-template")
#: Sent once the request context is pushed, before ``before_request``; no kwargs.
request_started = _signals.signal("request-started")
#: Sent after the session is saved, with the outgoing ``response``.
request_finished = _signals.signal("request-finished")
#: Sent after the ``teardown_request`` functions ran, with ``exc``.
request_tearing_down = _signals.signal("request-tearing-down")
#: Sent when a request raises an unhandled exception, with ``exception``.
got_request_exception = _signals.signal("got-request-exception")
#: Sent after the ``teardown_appcontext`` functions ran, with ``exc``.
appcontext_tearing_down = _signals.signal("appcontext-tearing-down")
#: Sent when an app context is pushed; no keyword arguments.
appcontext_pushed = _signals.signal("appcontext-pushed")
#: Sent when an app context is popped; no keyword arguments.
appcontext_popped = _signals.signal("appcontext-popped")
#: Sent by ``flash()``, with ``message`` and ``category``.
message_flashed = _signals.signal("message-flashed")

#: Sent once the websocket context is pushed, before ``before_websocket``; no kwargs.
websocket_started = _signals.signal("websocket-started")
#: Sent when a websocket handler has finished, with its ``response`` (or None).
websocket_finished = _signals.signal("websocket-finished")
#: Sent for each message a websocket receives, with ``data``.
websocket_received = _signals.signal("websocket-received")
#: Sent for each message a websocket sends, with ``data``.
websocket_sent = _signals.signal("websocket-sent")
#: Sent after the ``teardown_websocket`` functions ran, with ``exc``.
websocket_tearing_down = _signals.signal("websocket-tearing-down")
#: Sent when a websocket raises an unhandled exception, with ``exception``.
got_websocket_exception = _signals.signal("got-websocket-exception")
#: Sent when a background task raises, with ``exception``.
got_background_exception = _signals.signal("got-background-exception")
#: Sent when a serving hook (before, after or while) raises, with ``exception``.
got_serving_exception = _signals.signal("got-serving-exception")
