"""Flask-Mail: messages sent from sync and async views and from background
tasks, in the app context Flask-Mail reads its config from, recorded with its
own test helper and its ``email_dispatched`` signal, and over real SMTP.

Flask-Mail's ``send`` is plain blocking code: from a sync view it runs on the
request's worker thread; from an ``async def`` view it runs on the loop (so
such a view should hand slow SMTP to a background task, as shown here).
"""

from __future__ import annotations

import socketserver
import threading
import typing as t

import flask
import pytest
from flask_mail import Attachment, Mail, Message, email_dispatched
from running import Threads, on_uvloop, run_on_uvloop

from conftest import make_view


def _app(**config: t.Any) -> tuple[flask.Flask, Mail]:
    app = flask.Flask(__name__)
    app.config.update(
        {"MAIL_SUPPRESS_SEND": True, "MAIL_DEFAULT_SENDER": "app@example.com", **config}
    )
    return app, Mail(app)


def test_send_from_views(style: str) -> None:
    app, mail = _app()

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


def test_rich_messages(style: str) -> None:
    app, mail = _app(MAIL_DEFAULT_SENDER=("Pottle", "app@example.com"))

    def invoice() -> str:
        message = Message(
            "Invoice",
            recipients=["ada@example.com"],
            cc=["boss@example.com"],
            bcc=["audit@example.com"],
            reply_to="billing@example.com",
            body="See attached.",
            html=flask.render_template_string("<b>{{ total }}</b>", total="42 €"),
        )
        message.attach("invoice.csv", "text/csv", b"item,total\nbook,42\n")
        mail.send(message)
        mail.send_message("Receipt", recipients=["ada@example.com"], body="thanks")
        return "ok"

    app.add_url_rule("/invoice", view_func=make_view(style, invoice))
    with mail.record_messages() as outbox:
        assert app.test_client().get("/invoice").data == b"ok"
    message, receipt = outbox
    assert message.send_to == {
        "ada@example.com",
        "boss@example.com",
        "audit@example.com",
    }
    assert message.sender == "Pottle <app@example.com>"
    assert message.html == "<b>42 €</b>"
    attachment: Attachment = message.attachments[0]
    assert (attachment.filename, attachment.content_type) == ("invoice.csv", "text/csv")
    with app.app_context():  # rendering reads the mail config
        text = message.as_string()
    assert "Reply-To: billing@example.com" in text
    assert "Bcc" not in text
    assert 'filename="invoice.csv"' in text
    assert receipt.subject == "Receipt"


def test_send_from_a_background_task(style: str) -> None:
    app, mail = _app()
    sent_on: list[str] = []

    def welcome(address: str) -> None:
        # A fresh app context: Flask-Mail finds its config through current_app.
        sent_on.append(threading.current_thread().name)
        mail.send(Message("Welcome", recipients=[address], body="hello"))

    async def welcome_async(address: str) -> None:
        sent_on.append(threading.current_thread().name)
        mail.send(Message("Welcome", recipients=[address], body="hello"))

    def signup() -> tuple[str, int]:
        task = welcome if style == "sync" else welcome_async
        app.add_background_task(task, flask.request.form["email"])
        return "accepted", 202

    app.add_url_rule("/signup", view_func=make_view(style, signup), methods=["POST"])
    with mail.record_messages() as outbox, app.test_app() as test_app:
        response = test_app.test_client().post("/signup", data={"email": "bob@x.org"})
        assert response.status_code == 202
    # test_app's exit waits for the background tasks.
    assert [(m.subject, m.recipients) for m in outbox] == [("Welcome", ["bob@x.org"])]
    # A sync task runs on a worker thread, an async one on the loop.
    assert sent_on[0].startswith("pottle-worker") == (style == "sync")


def test_email_dispatched_signal(style: str) -> None:
    app, mail = _app()
    threads = Threads(app)
    received: list[tuple[t.Any, str]] = []

    def on_dispatch(sender: flask.Flask, message: Message) -> None:
        threads.record("receiver")
        received.append((sender, message.subject))

    def notify() -> str:
        mail.send(Message("Ping", recipients=["ada@example.com"], body="."))
        return "ok"

    app.add_url_rule("/notify", view_func=make_view(style, notify))
    email_dispatched.connect(on_dispatch, app)
    try:
        app.test_client().get("/notify")
    finally:
        email_dispatched.disconnect(on_dispatch, app)
    assert received == [(app, "Ping")]
    # Sent synchronously from the view: wherever the view ran.
    ran_on_loop = bool(threads.seen["receiver"] & threads.loop)
    assert ran_on_loop == (style == "async")


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every message's DATA is recorded."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server = t.cast(_SMTPServer, self.server)
        self.reply("220 test ESMTP")
        while line := self.rfile.readline().decode():
            command = line.strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command == "DATA":
                self.reply("354 go ahead")
                lines = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    lines.append(data)
                server.messages.append("".join(lines))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 ok")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    messages: list[str]


@pytest.fixture
def smtp_server() -> t.Iterator[_SMTPServer]:
    server = _SMTPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_send_over_smtp(style: str, smtp_server: _SMTPServer) -> None:
    app, mail = _app(
        MAIL_SUPPRESS_SEND=False,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_server.server_address[1],
    )

    def send() -> str:
        with mail.connect() as connection:
            for name in flask.request.args.getlist("to"):
                connection.send(Message(f"Hi {name}", recipients=[f"{name}@x.org"]))
        return "sent"

    app.add_url_rule("/send", view_func=make_view(style, send))
    assert app.test_client().get("/send?to=ada&to=bob").data == b"sent"
    assert len(smtp_server.messages) == 2
    assert "Subject: Hi ada" in smtp_server.messages[0]
    assert "To: bob@x.org" in smtp_server.messages[1]


def test_on_uvloop() -> None:
    app, mail = _app()

    @app.route("/async")
    async def async_view() -> dict[str, bool]:
        mail.send(Message("From async", recipients=["a@x.org"], body="."))
        app.add_background_task(background)
        return {"uvloop": on_uvloop()}

    @app.route("/sync")
    def sync_view() -> str:
        mail.send(Message("From sync", recipients=["a@x.org"], body="."))
        return "ok"

    def background() -> None:
        mail.send(Message("From a task", recipients=["a@x.org"], body="."))

    async def main() -> t.Any:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            first = await client.get("/async")
            await client.get("/sync")
        return first.json

    with mail.record_messages() as outbox:
        assert run_on_uvloop(main) == {"uvloop": True}
    assert sorted(m.subject for m in outbox) == [
        "From a task",
        "From async",
        "From sync",
    ]
