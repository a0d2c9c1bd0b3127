"""Websocket routes through the test client: messages, accepting, closing and
denying, disconnects, errors and the session."""

from __future__ import annotations

import asyncio
import functools
import logging
import typing as t

import pytest

import pottle
from pottle import Blueprint, WebsocketDisconnect, abort, session, websocket
from pottle.testing import WebsocketDisconnectError, WebsocketResponseError


def test_echo_text_and_bytes(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        while True:
            await websocket.send(await websocket.receive())

    with client.websocket("/ws") as ws:
        ws.send("hello")
        assert ws.receive() == "hello"
        ws.send(b"\x00\xff")
        assert ws.receive() == b"\x00\xff"


def test_async_client(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def echo() -> None:
        await websocket.send(f"got {await websocket.receive()}")

    async def main() -> str | bytes:
        async with client.websocket("/ws") as ws:
            await ws.send("x")
            return t.cast("str | bytes", await ws.receive())

    assert asyncio.run(main()) == "got x"


def test_blueprint_websocket_and_add_websocket(
    app: pottle.Pottle, client: t.Any
) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.websocket("/ws/<int:n>")
    async def numbered(n: int) -> None:
        await websocket.send(f"{websocket.endpoint} {n} {websocket.blueprint}")

    async def plain() -> None:
        await websocket.send("plain")

    app.register_blueprint(bp)
    app.add_websocket("/plain", "plain", plain)

    with client.websocket("/bp/ws/7") as ws:
        assert ws.receive() == "bp.numbered 7 bp"
    with client.websocket("/plain") as ws:
        assert ws.receive() == "plain"


def test_request_attributes(app: pottle.Pottle, client: t.Any) -> None:
    seen: dict[str, t.Any] = {}

    @app.websocket("/ws/<name>")
    async def handler(name: str) -> None:
        seen.update(
            path=websocket.path,
            args=websocket.args.to_dict(),
            header=websocket.headers["X-Test"],
            cookie=websocket.cookies.get("flavour"),
            scheme=websocket.scheme,
            url=websocket.url,
            method=websocket.method,
            view_args=websocket.view_args,
            protocols=websocket.requested_subprotocols,
            has_ctx=pottle.has_websocket_context(),
            has_request=pottle.has_request_context(),
        )
        await websocket.accept()

    client.set_cookie("flavour", "oat")
    with client.websocket(
        "/ws/ann?x=1", headers={"X-Test": "yes"}, subprotocols=["chat", "v2"]
    ):
        pass
    assert seen == {
        "path": "/ws/ann",
        "args": {"x": "1"},
        "header": "yes",
        "cookie": "oat",
        "scheme": "ws",
        "url": "ws://localhost/ws/ann?x=1",
        "method": "GET",
        "view_args": {"name": "ann"},
        "protocols": ["chat", "v2"],
        "has_ctx": True,
        "has_request": False,
    }


def test_accept_with_subprotocol_and_headers(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept({"X-Hello": "there"}, subprotocol="v2")
        await websocket.send(str(websocket.accepted))

    with client.websocket("/ws", subprotocols=["v1", "v2"]) as ws:
        assert ws.subprotocol == "v2"
        assert ws.accept_headers["X-Hello"] == "there"
        assert ws.receive() == "True"


def test_accept_refuses_a_subprotocol_not_offered(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept(subprotocol="v3")

    with pytest.raises(ValueError, match="'v3' was not requested"):
        with client.websocket("/ws", subprotocols=["v1"]):
            pass


def test_json_messages(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        data = await websocket.receive_json()
        await websocket.send_json(data)
        await websocket.send_json(1, 2)
        await websocket.send_json(answer=42)

    with client.websocket("/ws") as ws:
        ws.send_json({"a": [1, "b"]})
        assert ws.receive_json() == {"a": [1, "b"]}
        assert ws.receive_json() == [1, 2]
        assert ws.receive_json() == {"answer": 42}


def test_invalid_json_closes_with_1008(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.receive_json()

    with client.websocket("/ws") as ws:
        ws.send("{not json")
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (1008, "Bad Request")


def test_send_refuses_other_types(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send(42)  # type: ignore[arg-type]

    with pytest.raises(TypeError, match="must be 'str' or 'bytes', not 'int'"):
        with client.websocket("/ws"):
            pass


def test_handler_return_closes_normally(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("bye")

    with client.websocket("/ws") as ws:
        assert ws.receive() == "bye"
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert info.value.code == 1000


def test_app_close_code_and_reason(app: pottle.Pottle, client: t.Any) -> None:
    codes = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        await websocket.close(4000, "done")
        await websocket.close(4001, "again")  # closing twice does nothing
        await websocket.send("ignored")
        codes.append((websocket.close_code, websocket.close_reason))
        with pytest.raises(WebsocketDisconnect) as info:
            await websocket.receive()
        codes.append((info.value.code, info.value.reason))

    with client.websocket("/ws") as ws:
        with pytest.raises(WebsocketDisconnectError) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (4000, "done")
    assert codes == [(4000, "done"), (4000, "done")]


# -- the client leaves ------------------------------------------------------------


def test_disconnect_raises_with_code_and_reason(
    app: pottle.Pottle, client: t.Any
) -> None:
    seen = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.receive()
        except WebsocketDisconnect as e:
            seen.append(
                (e.code, e.reason, websocket.close_code, websocket.close_reason)
            )
            raise

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        seen.append(exc)

    with client.websocket("/ws") as ws:
        ws.send("x")
        ws.close(4001, "bye")
    assert seen == [(4001, "bye", 4001, "bye"), None]


def test_quart_style_cleanup_in_except_cancelled(
    app: pottle.Pottle, client: t.Any
) -> None:
    cleaned = []

    @app.websocket("/ws")
    async def handler() -> None:
        try:
            while True:
                await websocket.receive()
        except asyncio.CancelledError:
            cleaned.append(websocket.close_code)
            raise

    with client.websocket("/ws") as ws:
        ws.close(1001)
    assert cleaned == [1001]


def test_handler_not_receiving_is_cancelled(app: pottle.Pottle, client: t.Any) -> None:
    seen: list[t.Any] = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        try:
            await asyncio.Event().wait()  # never set: only a cancel ends this
        except asyncio.CancelledError as e:
            seen.append((type(e) is asyncio.CancelledError, websocket.close_code))
            raise
        finally:
            seen.append("finally")

    @app.teardown_websocket
    def teardown(exc: BaseException | None) -> None:
        seen.append(("teardown", exc))

    with client.websocket("/ws") as ws:
        ws.close(1000)
    assert seen == [(True, 1000), "finally", ("teardown", None)]


def test_uncaught_disconnect_in_a_task_group_is_a_normal_end(
    app: pottle.Pottle, client: t.Any
) -> None:
    finished = []

    @app.websocket("/ws")
    async def handler() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(asyncio.Event().wait())
            while True:
                await websocket.receive()

    @app.after_websocket
    def after(response: t.Any) -> t.Any:
        finished.append(response)
        return response

    with client.websocket("/ws") as ws:
        ws.close()
    assert finished == [None]


def test_an_exception_group_goes_to_the_error_handlers(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.errorhandler(ExceptionGroup)
    def group(e: ExceptionGroup[Exception]) -> tuple[str, int]:
        return f"{len(e.exceptions)} errors", 500

    @app.websocket("/ws")
    async def handler() -> None:
        async def fail() -> None:
            raise KeyError("x")

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(fail())

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert info.value.response.data == b"1 errors"


def test_sending_to_a_websocket_whose_client_left_does_nothing(
    app: pottle.Pottle, client: t.Any
) -> None:
    sockets: list[t.Any] = []
    results: list[t.Any] = []

    @app.websocket("/first")
    async def first() -> None:
        sockets.append(websocket._get_current_object())  # type: ignore[attr-defined]
        while True:
            await websocket.receive()

    @app.websocket("/second")
    async def second() -> None:
        await websocket.receive()
        results.append(await sockets[0].send("late"))
        results.append(sockets[0].close_code)
        await websocket.send("done")

    with client.websocket("/first") as one:
        one.send("hello")  # the handler is waiting: it has registered
        with client.websocket("/second") as two:
            one.close(4002)
            two.send("go")
            assert two.receive() == "done"
    assert results == [None, 4002]


# -- denying the handshake --------------------------------------------------------


def test_return_before_accept_denies_with_the_response(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.websocket("/ws")
    async def handler() -> t.Any:
        return "go away", 401, {"X-Why": "token"}

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    response = info.value.response
    assert response.status_code == 401
    assert response.headers["X-Why"] == "token"
    assert response.data == b"go away"


def test_abort_in_before_websocket_denies(app: pottle.Pottle, client: t.Any) -> None:
    called = []

    @app.before_websocket
    def check() -> None:
        if "token" not in websocket.args:
            abort(403)

    @app.websocket("/ws")
    async def handler() -> None:
        called.append(True)
        await websocket.send("in")

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 403
    assert called == []
    with client.websocket("/ws?token=1") as ws:
        assert ws.receive() == "in"


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/page", 400)])
def test_routing_errors_deny(
    app: pottle.Pottle, client: t.Any, path: str, status: int
) -> None:
    @app.route("/page")
    def page() -> str:
        return "a page"

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket(path):
            pass
    assert info.value.response.status_code == status


def test_http_request_to_a_websocket_route_is_400(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        pass

    assert client.get("/ws").status_code == 400


def test_close_or_return_before_accept_is_403(
    app: pottle.Pottle, client: t.Any
) -> None:
    @app.websocket("/close")
    async def close() -> None:
        await websocket.close(1000)

    @app.websocket("/nothing")
    async def nothing() -> None:
        pass

    for path in ("/close", "/nothing"):
        with pytest.raises(WebsocketResponseError) as info:
            with client.websocket(path):
                pass
        assert info.value.response.status_code == 403


# -- errors -----------------------------------------------------------------------


def test_errors_propagate_when_testing(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.receive()
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        with client.websocket("/ws") as ws:
            ws.send("go")
            ws.receive()


def test_error_after_accept_closes_1011_and_is_logged(
    app: pottle.Pottle, client: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    app.testing = False
    got = []

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        raise ZeroDivisionError("boom")

    def on_exception(sender: t.Any, exception: Exception) -> None:
        got.append(exception)

    with pottle.got_websocket_exception.connected_to(on_exception, app):
        with caplog.at_level(logging.ERROR):
            with client.websocket("/ws") as ws:
                with pytest.raises(WebsocketDisconnectError) as info:
                    ws.receive()
    assert (info.value.code, info.value.reason) == (1011, "Internal Server Error")
    assert [type(e) for e in got] == [ZeroDivisionError]
    assert "Exception on /ws [GET]" in caplog.text


def test_error_before_accept_denies_with_500_handler(
    app: pottle.Pottle, client: t.Any
) -> None:
    app.testing = False

    @app.websocket("/ws")
    async def handler() -> None:
        raise ZeroDivisionError("boom")

    @app.errorhandler(500)
    def server_error(e: Exception) -> tuple[str, int]:
        return f"handled {type(e.original_exception).__name__}", 500  # type: ignore[attr-defined]

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert info.value.response.status_code == 500
    assert info.value.response.data == b"handled ZeroDivisionError"


def test_error_handlers_apply(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__)

    class RefusedError(Exception):
        pass

    @bp.errorhandler(RefusedError)
    def refused(e: RefusedError) -> tuple[str, int]:
        return "refused", 409

    @bp.websocket("/before")
    async def before() -> None:
        raise RefusedError()

    @bp.websocket("/after")
    async def after() -> None:
        await websocket.accept()
        raise RefusedError()

    app.register_blueprint(bp)
    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/before"):
            pass
    assert info.value.response.status_code == 409
    with client.websocket("/after") as ws:
        with pytest.raises(WebsocketDisconnectError) as closed:
            ws.receive()
    assert (closed.value.code, closed.value.reason) == (1008, "Conflict")


# -- registration -----------------------------------------------------------------


def test_sync_handler_is_refused(app: pottle.Pottle) -> None:
    def handler() -> None:
        pass

    with pytest.raises(TypeError, match="must be an 'async def' function"):
        app.add_websocket("/ws", view_func=handler)


def test_sync_decorator_around_an_async_handler_is_accepted(
    app: pottle.Pottle, client: t.Any
) -> None:
    def decorate(f: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        @functools.wraps(f)
        def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return f(*args, **kwargs)

        return wrapper

    @app.websocket("/ws")
    @decorate
    async def handler() -> None:
        await websocket.send("wrapped")

    with client.websocket("/ws") as ws:
        assert ws.receive() == "wrapped"


# -- the session and URLs ---------------------------------------------------------


def test_session_is_readable(app: pottle.Pottle, client: t.Any) -> None:
    @app.route("/login")
    def login() -> str:
        session["user"] = "ann"
        return ""

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send(session.get("user", "nobody"))

    client.get("/login")
    with client.websocket("/ws") as ws:
        assert ws.receive() == "ann"


def test_session_write_is_saved_on_a_denial(app: pottle.Pottle, client: t.Any) -> None:
    @app.websocket("/ws")
    async def handler() -> tuple[str, int]:
        session["denied"] = True
        return "no", 403

    with pytest.raises(WebsocketResponseError) as info:
        with client.websocket("/ws"):
            pass
    assert "session=" in info.value.response.headers["Set-Cookie"]


def test_session_write_after_accept_is_lost_with_a_warning(
    app: pottle.Pottle, client: t.Any, caplog: pytest.LogCaptureFixture
) -> None:
    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.accept()
        session["lost"] = True

    with caplog.at_level(logging.WARNING):
        with client.websocket("/ws"):
            pass
    assert "The session was modified during the websocket '/ws'" in caplog.text


def test_url_for_in_a_websocket(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.route("/page")
    def page() -> str:
        return ""

    @bp.websocket("/ws")
    async def handler() -> None:
        await websocket.send(pottle.url_for(".page"))

    app.register_blueprint(bp)
    with client.websocket("/bp/ws") as ws:
        assert ws.receive() == "/bp/page"
