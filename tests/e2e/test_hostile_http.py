"""Hostile HTTP against a real Hypercorn on 127.0.0.1, over raw sockets:
every limit answers with its 4xx while the bytes arrive, and after each
attack a fresh request still gets its 200 (see docs/limits.md)."""

from __future__ import annotations

import json
import pathlib
import socket
import time
import typing as t

import pytest
from rawhttp import Reply, get, healthy, here, hypercorn, request

import support

pytestmark = pytest.mark.slow

BOUNDARY = support.MULTIPART_BOUNDARY
part = support.multipart_part
multipart = support.multipart_body


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[tuple[int, str]]:
    root = tmp_path_factory.mktemp("root")
    (root / "static").mkdir()
    (root / "static" / "data.bin").write_bytes(bytes(range(256)) * 40)
    (root / "secret.txt").write_text("secret")
    (root / "static1").mkdir()
    (root / "static1" / "sibling.txt").write_text("sibling")
    log = str(root / "server.log")
    with hypercorn("hostile_app:app", here(), log, {"HOSTILE_ROOT": str(root)}) as (
        port,
        _process,
    ):
        yield port, log


@pytest.fixture
def port(server: tuple[int, str]) -> int:
    return server[0]


def post(
    port: int,
    path: str,
    body: bytes,
    content_type: str,
    *,
    chunked: bool = False,
    pieces: t.Iterable[bytes] = (),
    extra: str = "",
) -> Reply:
    framing = (
        "Transfer-Encoding: chunked\r\n"
        if chunked
        else f"Content-Length: {len(body)}\r\n"
    )
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"{framing}{extra}Connection: close\r\n\r\n"
    ).encode()
    if chunked:
        return request(port, head, pieces=[*map(_chunk, pieces), b"0\r\n\r\n"])
    return request(port, head + body, pieces=pieces)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


# -- body size -------------------------------------------------------------------


def test_health(port: int) -> None:
    assert healthy(port)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/form", MULTIPART), ("/aform", MULTIPART), ("/json", "application/json")],
)
def test_declared_length_over_the_limit_is_413_at_once(
    port: int, path: str, content_type: str
) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Content-Length: 10000000000\r\nConnection: close\r\n\r\n"
    )
    assert request(port, head.encode()).status == 413
    assert healthy(port)


@pytest.mark.parametrize("path", ["/form", "/aform"])
def test_chunked_body_over_the_limit_is_413(port: int, path: str) -> None:
    pieces = [b"x" * 65536] * 17  # just over 1 MiB
    form = "application/x-www-form-urlencoded"
    reply = post(port, path, b"", form, chunked=True, pieces=pieces)
    assert reply.status == 413
    assert healthy(port)


# -- forms -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/form", "/aform"])
@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(multipart(part("a", b"1")), 200, id="valid"),
        pytest.param(multipart(part("a", b"x" * 20_000)), 413, id="field too big"),
        pytest.param(
            multipart(*(part(f"f{i}", b"x" * 4000) for i in range(4))),
            413,
            id="fields too big together",
        ),
        pytest.param(
            multipart(*(part(f"f{i}", b"") for i in range(60))), 413, id="parts"
        ),
        pytest.param(
            multipart(part("a", b"1", extra=f"X-Big: {'y' * 5000}\r\n")),
            413,
            id="part header",
        ),
        pytest.param(
            multipart(part("a", b"1", extra="X: y\r\n" * 500)),
            413,
            id="many part headers",
        ),
        pytest.param(part("a", b"1"), 400, id="never closed"),
        pytest.param(b"garbage", 400, id="garbage"),
    ],
)
def test_multipart_limits(port: int, path: str, body: bytes, status: int) -> None:
    assert post(port, path, body, MULTIPART).status == status
    assert healthy(port)


def test_multipart_without_a_boundary_is_400(port: int) -> None:
    body = multipart(part("a", b"1"))
    assert post(port, "/form", body, "multipart/form-data").status == 400
    assert healthy(port)


def test_upload_spooled_to_disk(port: int) -> None:
    body = multipart(part("a", b"1"), part("f", b"z" * 900_000, filename="f.bin"))
    reply = post(port, "/aform", body, MULTIPART)
    assert reply.status == 200
    assert json.loads(reply.body) == {"form": {"a": "1"}, "files": 1}
    assert healthy(port)


def test_urlencoded_invalid_utf8(port: int) -> None:
    reply = post(
        port, "/form", b"a=\xff\xfe&b=%ff", "application/x-www-form-urlencoded"
    )
    assert reply.status == 200
    assert json.loads(reply.body)["form"] == {"a": "\ufffd\ufffd", "b": "%FF"}
    assert healthy(port)


# -- JSON ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{", b"[" * 200_000, b"1" * 20_000, b'{"a": "\xff"}', b"\xff\xfe{\x00"],
    ids=["truncated", "deep", "huge int", "bad utf-8", "odd utf-16"],
)
def test_bad_json_is_400(port: int, body: bytes) -> None:
    assert post(port, "/json", body, "application/json").status == 400
    assert healthy(port)


def test_json_with_a_bom(port: int) -> None:
    body = b"\xff\xfe" + '{"a": "\u00e9"}'.encode("utf-16-le")
    reply = post(port, "/json", body, "application/json")
    assert json.loads(reply.body) == {"value": {"a": "\u00e9"}}
    assert healthy(port)


# -- time ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/form", "/aform"])
def test_a_body_that_stops_arriving_is_408(port: int, path: str) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {MULTIPART}\r\n"
        "Content-Length: 5000\r\nConnection: close\r\n\r\n"
    ).encode()
    # Half the body, then nothing: BODY_TIMEOUT (1 s here) answers.
    assert request(port, head + b"x" * 100).status == 408
    assert healthy(port)


def test_streaming_upload_past_max_content_length(port: int) -> None:
    pieces = [b"u" * 65536] * 40  # 2.5 MiB, the route lifts the limit
    reply = post(
        port, "/upload", b"", "application/octet-stream", chunked=True, pieces=pieces
    )
    assert (reply.status, reply.body) == (200, str(65536 * 40).encode())
    assert healthy(port)


def test_disconnect_mid_upload(port: int) -> None:
    head = (
        b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + b"x" * 1000)
    assert healthy(port)


# -- files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/%2e%2e%2fsecret.txt",
        "/static/..%5csecret.txt",
        "/static/..\\secret.txt",
        "/static/%00",
        "/static/data.bin%00.txt",
        "/static/../static1/sibling.txt",
        "/static/%2fetc%2fpasswd",
        "/files/..%2fsecret.txt",
        "/files/..%5csecret.txt",
        "/files/%2e%2e/missing.txt",
        "/static/missing.txt",
    ],
)
def test_traversal_is_404(port: int, path: str) -> None:
    reply = get(port, path)
    if reply.status == 308:  # "//" merged: a path-only redirect, then 404
        location = reply.headers["location"]
        assert location.startswith("/") and location[1:2] not in ("/", "\\")
        reply = get(port, location)
    assert reply.status in (404, 400), reply
    assert b"secret" not in reply.body and b"sibling" not in reply.body
    assert healthy(port)


def test_ranges(port: int) -> None:
    data = bytes(range(256)) * 40
    reply = get(port, "/static/data.bin", extra="Range: bytes=10-19\r\n")
    assert (reply.status, reply.body) == (206, data[10:20])
    reply = get(port, "/static/data.bin", extra="Range: bytes=0-0,-1\r\n")
    assert reply.status == 206
    assert reply.headers["content-type"].startswith("multipart/byteranges")
    many = ",".join(f"{i}-{i}" for i in range(0, 4000, 2))
    assert get(port, "/static/data.bin", extra=f"Range: bytes={many}\r\n").status == 416
    assert healthy(port)


def test_conditional(port: int) -> None:
    etag = get(port, "/static/data.bin").headers["etag"]
    assert (
        get(port, "/static/data.bin", extra=f"If-None-Match: {etag}\r\n").status == 304
    )
    assert get(port, "/static/data.bin", extra='If-Match: "x"\r\n').status == 412
    assert healthy(port)


# -- Host ------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["x/admin", "foo?", "evil.example/admin?x"])
def test_a_forged_host_never_reaches_a_guarded_path(port: int, host: str) -> None:
    reply = get(port, "/admin", host=host)
    assert reply.status in (400, 403)
    reply = get(port, "/where", host=host)
    if reply.status == 200:
        assert json.loads(reply.body)["path"] == "/where"
    assert healthy(port)


def test_untrusted_host_is_400(port: int) -> None:
    assert get(port, "/where", host="evil.example").status == 400
    assert get(port, "/where", host="example.test").status == 200
    assert healthy(port)


@pytest.mark.parametrize(
    "path", ["//evil.example", "///evil.example/", "/\\evil.example", "/folder"]
)
def test_redirects_are_never_protocol_relative(port: int, path: str) -> None:
    reply = get(port, path, host="example.test")
    if reply.status in (301, 302, 307, 308):
        location = reply.headers["location"]
        assert location.startswith("/") and location[1:2] not in ("/", "\\")
    assert healthy(port)


def test_strict_slash_redirect_is_path_only(port: int) -> None:
    reply = get(port, "/folder?x=1", host="example.test")
    assert (reply.status, reply.headers["location"]) == (308, "/folder/?x=1")
    assert healthy(port)


# -- disconnects -----------------------------------------------------------------


def stats(port: int) -> dict[str, int]:
    return t.cast(dict[str, int], json.loads(get(port, "/stats").body))


def wait_for(check: t.Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def open_stream(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    return sock


def test_300_streams_aborted_at_once(port: int) -> None:
    before = stats(port)
    paths = ["/stream/async"] * 280 + ["/stream/sync"] * 20
    socks = [open_stream(port, path) for path in paths]
    try:
        for sock in socks:
            assert b"data: tick" in _read_until(sock, b"data: tick")
    finally:
        for sock in socks:
            sock.close()
    wait_for(lambda: stats(port)["finalised"] - before["finalised"] >= 300)
    after = stats(port)
    assert after["streams"] - before["streams"] == 300
    assert after["finalised"] - before["finalised"] == 300
    assert after["teardowns"] - before["teardowns"] == 300
    assert healthy(port)


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_nothing_above_made_the_server_fail(server: tuple[int, str]) -> None:
    # Last in the module: no 500, no error from the ASGI layer, in its log.
    port, log = server
    assert healthy(port)
    output = pathlib.Path(log).read_text()
    assert "Traceback" not in output, output
    assert "Error in ASGI Framework" not in output, output
