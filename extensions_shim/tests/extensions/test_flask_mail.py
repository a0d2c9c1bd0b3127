"""Flask-Mail: messages sent from sync and async views, in the app context
Flask-Mail reads its config from, recorded with its own test helper."""

from __future__ import annotations

import flask
from flask_mail import Mail, Message

from conftest import make_view


def test_send_from_views(style: str) -> None:
    app = flask.Flask(__name__)
    app.config.update(MAIL_SUPPRESS_SEND=True, MAIL_DEFAULT_SENDER="app@example.com")
    mail = Mail(app)

    def notify() -> str:
        mail.send(Message("Hello", recipients=[flask.request.args["to"]], body="hi"))
        return "sent"

    app.add_url_rule("/notify", view_func=make_view(style, notify))
    with mail.record_messages() as outbox:
        response = app.test_client().get("/notify?to=ada@example.com")
    assert response.data == b"sent"
    assert [(m.subject, m.recipients, m.sender) for m in outbox] == [
        ("Hello", ["ada@example.com"], "app@example.com")
    ]
    assert app.extensions["mail"].default_sender == "app@example.com"
