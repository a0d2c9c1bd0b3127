from __future__ import annotations

import asyncio
import inspect
import os
import typing as t
from datetime import timedelta
from pathlib import Path

import pytest

import pottle
from pottle import Blueprint, url_for
from pottle._concurrency import in_loop_thread

HERE = Path(__file__).parent


def test_static_route(app: pottle.Pottle, client: t.Any) -> None:
    rv = client.get("/static/hello.txt")
    assert rv.status_code == 200
    assert rv.data == (HERE / "static" / "hello.txt").read_bytes()
    assert rv.mimetype == "text/plain"
    rv.close()
    assert client.get("/static/style.css").mimetype == "text/css"
    assert client.get("/static/missing.txt").status_code == 404
    with app.test_request_context():
        assert url_for("static", filename="hello.txt") == "/static/hello.txt"


@pytest.mark.parametrize(
    "path", ["/static/%2e%2e/conftest.py", "/static/../conftest.py"]
)
def test_static_route_stays_in_its_folder(client: t.Any, path: str) -> None:
    assert client.get(path).status_code == 404


def test_static_view_runs_on_the_loop(app: pottle.Pottle) -> None:
    assert inspect.iscoroutinefunction(app.view_functions["static"])


def test_static_url_path_and_no_folder(tmp_path: Path) -> None:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.txt").write_text("a")
    app = pottle.Pottle("s", root_path=str(tmp_path), static_url_path="/assets/")
    assert app.test_client().get("/assets/a.txt").text == "a"
    bare = pottle.Pottle("s", root_path=str(tmp_path), static_folder=None)
    assert "static" not in bare.view_functions
    assert bare.test_client().get("/static/a.txt").status_code == 404
    with bare.app_context(), pytest.raises(RuntimeError, match="'static_folder'"):
        bare.send_static_file("a.txt")


def test_static_host() -> None:
    app = pottle.Pottle(
        "s", root_path=str(HERE), host_matching=True, static_host="cdn.test"
    )
    client = app.test_client()
    assert client.get("/static/hello.txt", "http://cdn.test/").status_code == 200
    assert client.get("/static/hello.txt", "http://other.test/").status_code == 404
    with app.test_request_context("/", "http://www.test/"):
        assert url_for("static", filename="a.css") == "http://cdn.test/static/a.css"


@pytest.mark.parametrize(
    "kwargs", [{"static_host": "cdn.test"}, {"host_matching": True}]
)
def test_static_host_needs_host_matching(kwargs: dict[str, t.Any]) -> None:
    with pytest.raises(AssertionError, match="static_host/host_matching"):
        pottle.Pottle("s", root_path=str(HERE), **kwargs)


@pytest.mark.parametrize(
    ("setting", "max_age"),
    [(None, None), (3600, 3600), (timedelta(hours=2), 7200)],
)
def test_send_file_max_age(
    app: pottle.Pottle, client: t.Any, setting: t.Any, max_age: int | None
) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = setting
    rv = client.get("/static/hello.txt")
    assert rv.cache_control.max_age == max_age
    with app.app_context():
        assert app.get_send_file_max_age("hello.txt") == max_age


def test_overridden_max_age_runs_off_the_loop() -> None:
    seen: list[bool] = []

    class App(pottle.Pottle):
        def get_send_file_max_age(self, filename: str | None) -> int:
            seen.append(in_loop_thread())
            return 10 if filename and filename.endswith(".css") else 20

    app = App("s", root_path=str(HERE))
    client = app.test_client()
    assert client.get("/static/style.css").cache_control.max_age == 10
    assert client.get("/static/hello.txt").cache_control.max_age == 20
    assert seen == [False, False]


def test_replaced_send_static_file_is_honoured(app: pottle.Pottle) -> None:
    calls: list[tuple[str, bool]] = []
    original = app.send_static_file

    def send_static_file(filename: str) -> t.Any:
        calls.append((filename, in_loop_thread()))
        return original(filename)

    app.send_static_file = send_static_file  # type: ignore[method-assign]
    assert app.test_client().get("/static/hello.txt").status_code == 200
    assert calls == [("hello.txt", False)]


def test_send_static_file_plain_and_awaited(app: pottle.Pottle) -> None:
    with app.test_request_context():
        rv = app.send_static_file("hello.txt")
        rv.direct_passthrough = False
        assert rv.data == b"Hello static\n"
        rv.close()

    async def awaited() -> bytes:
        async with app.test_request_context():
            rv = await app.send_static_file("hello.txt")
            rv.direct_passthrough = False
            try:
                return t.cast(bytes, await rv.get_data())
            finally:
                rv.close()

    assert asyncio.run(awaited()) == b"Hello static\n"


def test_blueprint_static_route(app: pottle.Pottle, client: t.Any) -> None:
    bp = Blueprint("bp", __name__, static_folder="static", url_prefix="/bp")
    app.register_blueprint(bp)
    assert client.get("/bp/static/style.css").text == "body { color: red; }\n"
    assert inspect.iscoroutinefunction(app.view_functions["bp.static"])


# -- resources ----------------------------------------------------------------


@pytest.mark.parametrize("owner", ["app", "blueprint"])
def test_open_resource(app: pottle.Pottle, owner: str) -> None:
    scaffold: t.Any = app if owner == "app" else Blueprint("bp", __name__)
    with scaffold.open_resource("static/hello.txt") as f:
        assert f.read() == b"Hello static\n"
    for mode in ("r", "rt"):
        with scaffold.open_resource("static/hello.txt", mode, encoding="ascii") as f:
            assert f.read() == "Hello static\n"


@pytest.mark.parametrize("mode", ["w", "wb", "a", "r+", "x"])
def test_open_resource_is_read_only(app: pottle.Pottle, mode: str) -> None:
    with pytest.raises(ValueError, match="only be opened for reading"):
        app.open_resource("static/hello.txt", mode)


def test_open_resource_awaited(app: pottle.Pottle) -> None:
    async def read() -> tuple[bytes, str, bool]:
        async with await app.open_resource("static/hello.txt") as f:
            data = await f.read()
        async with await app.open_resource("static/hello.txt", "r") as f:
            text = await f.read()
        return data, text, in_loop_thread()

    assert asyncio.run(read()) == (b"Hello static\n", "Hello static\n", True)


def test_open_instance_resource(tmp_path: Path) -> None:
    app = pottle.Pottle("s", instance_path=str(tmp_path))
    with app.open_instance_resource("notes.txt", "w") as f:
        f.write("caf\u00e9")
    assert (tmp_path / "notes.txt").read_bytes() == "caf\u00e9".encode()
    with app.open_instance_resource("notes.txt") as f:
        assert f.read() == "caf\u00e9".encode()

    async def round_trip() -> str:
        async with await app.open_instance_resource("async.txt", "w") as f:
            await f.write("\u2603 written")
        async with await app.open_instance_resource("async.txt", "r") as f:
            return t.cast(str, await f.read())

    assert asyncio.run(round_trip()) == "\u2603 written"
    assert os.path.exists(tmp_path / "async.txt")
