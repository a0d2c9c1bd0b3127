"""send_file and send_from_directory: Flask 3.1's parameters, reads that
never block the loop, conditional and range requests, and containment."""

from __future__ import annotations

import io
import os
import pathlib
import threading
import typing as t
from datetime import UTC, datetime

import aiofiles.threadpool
import pytest
from werkzeug.exceptions import NotFound

from pottle import Pottle, send_file, send_from_directory
from pottle.files import MAX_RANGES, join_in_directory, satisfiable_ranges

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "data.bin").write_bytes(CONTENT)
    (tmp_path / "static" / "page.html").write_text("<p>hi</p>")
    (tmp_path / "static" / "archive.tar.gz").write_bytes(b"gz")
    (tmp_path / "static" / "sub").mkdir()
    (tmp_path / "static" / "sub" / "inner.txt").write_text("inner")
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "static1").mkdir()
    (tmp_path / "static1" / "sibling.txt").write_text("sibling")
    return tmp_path


@pytest.fixture
def app(root: pathlib.Path) -> Pottle:
    app = Pottle(__name__, root_path=str(root))
    app.config["TESTING"] = True

    @app.get("/sync/<path:name>")
    def sync_file(name: str) -> t.Any:
        return send_file(f"static/{name}")

    @app.get("/async/<path:name>")
    async def async_file(name: str) -> t.Any:
        return await send_file(f"static/{name}")

    @app.get("/dir/<path:name>")
    def sync_dir(name: str) -> t.Any:
        return send_from_directory("static", name)

    @app.get("/adir/<path:name>")
    async def async_dir(name: str) -> t.Any:
        return await send_from_directory("static", name)

    return app


STYLES = ["/sync/", "/async/"]


# -- the basics -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", STYLES)
def test_send_a_path(app: Pottle, prefix: str) -> None:
    rv = app.test_client().get(prefix + "data.bin")
    assert rv.status_code == 200
    assert rv.data == CONTENT
    assert rv.headers["Content-Length"] == str(len(CONTENT))
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert rv.headers["Content-Type"] == "application/octet-stream"
    assert rv.headers["Content-Disposition"] == "inline; filename=data.bin"
    assert "ETag" in rv.headers and "Last-Modified" in rv.headers
    assert rv.cache_control.no_cache


def test_sync_call_returns_a_passthrough_response(app: Pottle) -> None:
    with app.test_request_context():
        rv = send_file("static/data.bin")
        assert rv.direct_passthrough
        rv.direct_passthrough = False
        assert rv.data == CONTENT
        rv.close()


def test_mimetype_from_the_name_and_encoding(app: Pottle) -> None:
    client = app.test_client()
    assert client.get("/sync/page.html").mimetype == "text/html"
    rv = client.get("/sync/archive.tar.gz")
    assert rv.headers["Content-Encoding"] == "gzip"
    assert rv.mimetype == "application/x-tar"


def test_options(app: Pottle) -> None:
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)

    @app.get("/options")
    async def options() -> t.Any:
        return await send_file(
            "static/page.html",
            mimetype="text/plain",
            as_attachment=True,
            download_name="r\u00e9sum\u00e9.txt",
            etag="fixed",
            last_modified=moment,
            max_age=60,
        )

    rv = app.test_client().get("/options")
    assert rv.mimetype == "text/plain"
    assert rv.headers["Content-Disposition"] == (
        "attachment; filename=resume.txt; filename*=UTF-8''r%C3%A9sum%C3%A9.txt"
    )
    assert rv.headers["ETag"] == '"fixed"'
    assert rv.last_modified == moment
    assert rv.cache_control.max_age == 60
    assert rv.cache_control.public
    assert "Expires" in rv.headers


def test_attachment_does_not_send_the_encoding(app: Pottle) -> None:
    @app.get("/gz")
    def gz() -> t.Any:
        return send_file("static/archive.tar.gz", as_attachment=True)

    assert "Content-Encoding" not in app.test_client().get("/gz").headers


def test_no_etag(app: Pottle) -> None:
    @app.get("/plain")
    def plain() -> t.Any:
        return send_file("static/page.html", etag=False)

    assert "ETag" not in app.test_client().get("/plain").headers


def test_max_age_from_config_and_app(app: Pottle) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    assert app.test_client().get("/async/page.html").cache_control.max_age == 3600


# -- file objects -----------------------------------------------------------------


@pytest.mark.parametrize("awaited", [False, True])
def test_bytesio(app: Pottle, awaited: bool) -> None:
    buffers: list[io.BytesIO] = []

    @app.get("/bio")
    async def bio() -> t.Any:
        buffer = io.BytesIO(b"hello world")
        buffers.append(buffer)
        if awaited:
            return await send_file(buffer, download_name="hello.txt")
        return send_file(buffer, download_name="hello.txt")

    rv = app.test_client().get("/bio")
    assert rv.data == b"hello world"
    assert rv.mimetype == "text/plain"
    assert rv.headers["Content-Length"] == "11"
    assert "ETag" not in rv.headers
    assert buffers[0].closed


def test_real_file_object_is_read_in_a_thread_and_closed(
    app: Pottle, root: pathlib.Path
) -> None:
    files: list[t.IO[bytes]] = []

    @app.get("/obj")
    async def obj() -> t.Any:
        file = open(root / "static" / "data.bin", "rb")  # noqa: SIM115
        files.append(file)
        return await send_file(file, mimetype="application/x-test")

    rv = app.test_client().get("/obj")
    assert rv.data == CONTENT
    assert rv.mimetype == "application/x-test"
    assert files[0].closed


def test_file_object_needs_a_name_or_mimetype(app: Pottle) -> None:
    with app.test_request_context(), pytest.raises(TypeError, match="MIME type"):
        send_file(io.BytesIO(b"x"))
    with app.test_request_context(), pytest.raises(TypeError, match="attachment"):
        send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)


def test_text_file_objects_are_refused(app: Pottle) -> None:
    with app.test_request_context(), pytest.raises(ValueError, match="binary"):
        send_file(io.StringIO("x"), mimetype="text/plain")


# -- no blocking file I/O on the loop ---------------------------------------------


def test_awaited_send_file_does_no_file_io_on_the_loop(
    app: Pottle, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop_threads: list[threading.Thread] = []
    io_threads: list[threading.Thread] = []
    real_open, real_stat = aiofiles.threadpool.sync_open, os.stat

    def recording_open(*args: t.Any, **kwargs: t.Any) -> t.Any:
        io_threads.append(threading.current_thread())
        return real_open(*args, **kwargs)

    def recording_stat(*args: t.Any, **kwargs: t.Any) -> t.Any:
        io_threads.append(threading.current_thread())
        return real_stat(*args, **kwargs)

    @app.get("/watched")
    async def watched() -> t.Any:
        loop_threads.append(threading.current_thread())
        return await send_file("static/data.bin")

    monkeypatch.setattr(aiofiles.threadpool, "sync_open", recording_open)
    monkeypatch.setattr(os, "stat", recording_stat)
    assert app.test_client().get("/watched").data == CONTENT
    assert io_threads  # the file was opened, through aiofiles
    assert loop_threads[0] not in io_threads


# -- conditional requests ---------------------------------------------------------


@pytest.mark.parametrize("prefix", STYLES)
def test_if_none_match_is_304(app: Pottle, prefix: str) -> None:
    client = app.test_client()
    etag = client.get(prefix + "data.bin").headers["ETag"]
    rv = client.get(prefix + "data.bin", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""


def test_if_modified_since_is_304(app: Pottle) -> None:
    client = app.test_client()
    modified = client.get("/async/data.bin").headers["Last-Modified"]
    rv = client.get("/async/data.bin", headers={"If-Modified-Since": modified})
    assert rv.status_code == 304


def test_failed_if_match_is_412(app: Pottle) -> None:
    rv = app.test_client().get("/async/data.bin", headers={"If-Match": '"other"'})
    assert rv.status_code == 412
    assert rv.data == b""


def test_conditional_off(app: Pottle) -> None:
    @app.get("/unconditional")
    def unconditional() -> t.Any:
        return send_file("static/data.bin", conditional=False)

    rv = app.test_client().get("/unconditional", headers={"Range": "bytes=0-1"})
    assert (rv.status_code, len(rv.data)) == (200, len(CONTENT))


# -- ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("prefix", STYLES)
@pytest.mark.parametrize(
    ("header", "start", "stop"),
    [
        ("bytes=0-9", 0, 10),
        ("bytes=100-", 100, len(CONTENT)),
        ("bytes=-5", len(CONTENT) - 5, len(CONTENT)),
        ("bytes=10000-99999", 10000, len(CONTENT)),
        ("bytes=0-4,5-9", 0, 10),  # adjacent ranges merge
        ("bytes=0-9,-10235", 0, len(CONTENT)),  # so do overlapping ones
    ],
)
def test_single_range_is_206(
    app: Pottle, prefix: str, header: str, start: int, stop: int
) -> None:
    rv = app.test_client().get(prefix + "data.bin", headers={"Range": header})
    assert rv.status_code == 206
    assert rv.data == CONTENT[start:stop]
    assert rv.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(CONTENT)}"
    assert rv.headers["Content-Length"] == str(stop - start)


@pytest.mark.parametrize("prefix", STYLES)
def test_multiple_ranges_are_multipart_byteranges(app: Pottle, prefix: str) -> None:
    rv = app.test_client().get(
        prefix + "data.bin", headers={"Range": "bytes=0-9,100-109,-3"}
    )
    assert rv.status_code == 206
    assert rv.mimetype == "multipart/byteranges"
    boundary = rv.mimetype_params["boundary"]
    assert rv.headers["Content-Length"] == str(len(rv.data))
    parts = rv.data.split(f"--{boundary}".encode())
    assert parts[0] == b"" and parts[-1] == b"--\r\n"
    bodies = [p.split(b"\r\n\r\n", 1) for p in parts[1:-1]]
    assert [b[1].removesuffix(b"\r\n") for b in bodies] == [
        CONTENT[0:10],
        CONTENT[100:110],
        CONTENT[-3:],
    ]
    assert b"Content-Range: bytes 100-109/10240" in bodies[1][0]


@pytest.mark.parametrize(
    "header",
    [
        "bytes=99999-",  # beyond the end
        "bytes=abc",  # malformed
        "bytes=5-1",  # backwards
        "bytes=0-9,5-20",  # overlapping, in order (werkzeug's parser refuses)
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2 * MAX_RANGES + 2, 2)),
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 20000, 2)),  # CVE-2025-62727
    ],
)
def test_unsatisfiable_or_hostile_ranges_are_416(app: Pottle, header: str) -> None:
    rv = app.test_client().get("/async/data.bin", headers={"Range": header})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_unknown_range_unit_is_ignored(app: Pottle) -> None:
    rv = app.test_client().get("/async/data.bin", headers={"Range": "lines=1-2"})
    assert (rv.status_code, rv.data) == (200, CONTENT)


def test_if_range_that_no_longer_matches_sends_everything(app: Pottle) -> None:
    client = app.test_client()
    etag = client.get("/async/data.bin").headers["ETag"]
    rv = client.get(
        "/async/data.bin", headers={"Range": "bytes=0-1", "If-Range": '"old"'}
    )
    assert (rv.status_code, rv.data) == (200, CONTENT)
    rv = client.get("/async/data.bin", headers={"Range": "bytes=0-1", "If-Range": etag})
    assert (rv.status_code, rv.data) == (206, CONTENT[:2])


def test_range_parsing_is_bounded_and_merged() -> None:
    assert satisfiable_ranges("bytes=0-4,5-9,20-29", 100) == [(0, 10), (20, 30)]
    assert satisfiable_ranges("bytes=90-", 100) == [(90, 100)]
    assert satisfiable_ranges("items=1-2", 100) is None


def test_head_sends_headers_only(app: Pottle) -> None:
    rv = app.test_client().head("/async/data.bin")
    assert rv.status_code == 200
    assert rv.headers["Content-Length"] == str(len(CONTENT))
    assert rv.data == b""


def test_x_sendfile(app: Pottle, root: pathlib.Path) -> None:
    app.config["USE_X_SENDFILE"] = True
    rv = app.test_client().get("/sync/data.bin")
    assert rv.headers["X-Sendfile"] == str(root / "static" / "data.bin")
    assert rv.data == b""


# -- send_from_directory: containment ---------------------------------------------


@pytest.mark.parametrize("prefix", ["/dir/", "/adir/"])
def test_send_from_directory(app: Pottle, prefix: str) -> None:
    client = app.test_client()
    assert client.get(prefix + "data.bin").data == CONTENT
    assert client.get(prefix + "sub/inner.txt").data == b"inner"


TRAVERSALS = [
    "../secret.txt",
    "../static1/sibling.txt",  # Starlette CVE-2023-29159: a sibling by prefix
    "sub/../../secret.txt",
    "/etc/passwd",
    "..\\secret.txt",
    "sub\\..\\..\\secret.txt",
    "data.bin\x00.txt",
    "\x00",
    "sub",  # a directory
    "missing.txt",
    "../missing.txt",
]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_escapes_are_404_whether_or_not_the_target_exists(
    root: pathlib.Path, name: str
) -> None:
    with pytest.raises(NotFound):
        join_in_directory_and_stat(root, name)


def join_in_directory_and_stat(root: pathlib.Path, name: str) -> None:
    app = Pottle(__name__, root_path=str(root))
    with app.test_request_context():
        send_from_directory("static", name)


@pytest.mark.parametrize("name", TRAVERSALS)
def test_escapes_are_404_through_the_raw_path(
    app: Pottle, root: pathlib.Path, name: str
) -> None:
    import asyncio

    from rawasgi import Exchange

    async def main(path: str) -> int | None:
        ex = Exchange(app, "GET", path)
        ex.push(b"")
        await ex.run()
        return ex.status

    for prefix in ("/dir/", "/adir/"):
        assert asyncio.run(main(prefix + name)) in (404, 308)


def test_join_in_directory() -> None:
    assert join_in_directory("static", "a/b.txt") == "static/a/b.txt"
    assert join_in_directory("static", "a.txt", "/root") == "/root/static/a.txt"
    for bad in ["../x", "a\\b", "a\x00b", "/abs"]:
        with pytest.raises(NotFound):
            join_in_directory("static", bad)


def test_symlinks_inside_the_directory_are_followed(
    app: Pottle, root: pathlib.Path
) -> None:
    # The directory's contents are trusted (Flask's rule): a link placed in
    # it is served; the path from the client can still not leave it.
    (root / "static" / "link.txt").symlink_to(root / "secret.txt")
    assert app.test_client().get("/dir/link.txt").data == b"secret"


def test_static_route(app: Pottle, root: pathlib.Path) -> None:
    app2 = Pottle(__name__, root_path=str(root))
    client = app2.test_client()
    assert client.get("/static/data.bin").data == CONTENT
    assert client.get("/static/../secret.txt").status_code == 404
    rv = client.get("/static/data.bin", headers={"Range": "bytes=1-2"})
    assert (rv.status_code, rv.data) == (206, CONTENT[1:3])
