"""Multipart and urlencoded forms: both access styles, uploads spooled off
the loop, and every form limit enforced while bytes arrive."""

from __future__ import annotations

import asyncio
import io
import os
import pathlib
import tempfile
import threading
import typing as t

import pytest
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

import support
from pottle import Pottle, request
from pottle.formparser import FileStorage, FormDataParser
from pottle.wrappers.request import BodyNotReceivedError
from rawasgi import Exchange

BOUNDARY = support.MULTIPART_BOUNDARY
part = support.multipart_part
multipart = support.multipart_body
CT = f"multipart/form-data; boundary={BOUNDARY}"


def parse(
    data: bytes, chunk: int | None = None, **limits: t.Any
) -> tuple[t.Any, t.Any]:
    """Parse through the streaming path, in pieces of ``chunk`` bytes."""
    parser = FormDataParser(**limits)

    async def chunks() -> t.AsyncIterator[bytes]:
        size = chunk or len(data) or 1
        for start in range(0, len(data), size):
            yield data[start : start + size]

    async def main() -> tuple[t.Any, t.Any]:
        return await parser.parse(
            chunks(), "multipart/form-data", {"boundary": BOUNDARY}
        )

    return asyncio.run(main())


# -- parsing ------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1, 3, 7, 64, 1000])
def test_fields_and_files_in_any_chunking(chunk: int | None) -> None:
    body = multipart(
        part("a", b"1"),
        part("a", b"2"),
        part("f", b"\r\n--not-a-boundary\r\n" * 20, filename="x.bin"),
        part("text", "\u00e9t\u00e9".encode()),
    )
    form, files = parse(body, chunk)
    assert form.getlist("a") == ["1", "2"]
    assert form["text"] == "\u00e9t\u00e9"
    assert files["f"].filename == "x.bin"
    assert files["f"].read() == b"\r\n--not-a-boundary\r\n" * 20


def test_parse_bytes_matches_streaming() -> None:
    body = multipart(part("a", b"1"), part("f", b"data", filename="f.txt"))
    parser = FormDataParser()
    form, files = parser.parse_bytes(
        body, "multipart/form-data", {"boundary": BOUNDARY}
    )
    assert form["a"] == "1"
    assert files["f"].read() == b"data"
    assert isinstance(files["f"], FileStorage)


def test_part_charset_is_honoured_when_safe() -> None:
    body = multipart(
        part(
            "latin",
            "\u00e9".encode("latin-1"),
            extra="Content-Type: text/plain; charset=iso-8859-1\r\n",
        ),
        part(
            "other",
            "\u00e9".encode(),
            extra="Content-Type: text/plain; charset=utf-7\r\n",
        ),
    )
    form, _ = parse(body)
    assert form["latin"] == "\u00e9"
    assert form["other"] == "\u00e9"


def test_invalid_utf8_in_a_field_is_replaced() -> None:
    form, _ = parse(multipart(part("a", b"\xff\xfe ok")))
    assert form["a"] == "\ufffd\ufffd ok"


def test_preamble_and_epilogue_are_ignored() -> None:
    body = b"preamble text\r\n" + multipart(part("a", b"1")) + b"epilogue" * 1000
    form, _ = parse(body, chunk=100)
    assert form["a"] == "1"


# -- malformed bodies: 400, never an empty form -----------------------------------


@pytest.mark.parametrize(
    ("body", "options"),
    [
        pytest.param(part("a", b"1"), {"boundary": BOUNDARY}, id="never closed"),
        pytest.param(b"", {"boundary": BOUNDARY}, id="empty"),
        pytest.param(multipart(part("a", b"1")), {}, id="no boundary"),
        pytest.param(
            multipart(part("a", b"1")), {"boundary": "x" * 300}, id="huge boundary"
        ),
        pytest.param(
            f"--{BOUNDARY}\r\nX-Other: 1\r\n\r\nv\r\n--{BOUNDARY}--\r\n".encode(),
            {"boundary": BOUNDARY},
            id="no content-disposition",
        ),
        pytest.param(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nv\r\n"
            f"--{BOUNDARY}--\r\n".encode(),
            {"boundary": BOUNDARY},
            id="no name",
        ),
        pytest.param(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=a\r\n".encode()
            + b"X-Bad: \xff\xfe\r\n\r\nv\r\n"
            + f"--{BOUNDARY}--\r\n".encode(),
            {"boundary": BOUNDARY},
            id="undecodable header",
        ),
        pytest.param(
            b"garbage without any boundary", {"boundary": BOUNDARY}, id="garbage"
        ),
    ],
)
def test_malformed_multipart_is_400(body: bytes, options: dict[str, str]) -> None:
    with pytest.raises(BadRequest) as info:
        FormDataParser().parse_bytes(body, "multipart/form-data", options)
    assert info.value.code == 400


def test_malformed_multipart_is_400_through_the_app() -> None:
    app = Pottle(__name__)

    @app.post("/")
    def view() -> str:
        return repr(request.form.to_dict())

    rv = app.test_client().post("/", data=part("a", b"1"), content_type=CT)
    assert rv.status_code == 400


# -- limits -----------------------------------------------------------------------


def test_field_over_max_form_memory_size_is_413() -> None:
    with pytest.raises(RequestEntityTooLarge):
        parse(multipart(part("a", b"x" * 101)), chunk=10, max_form_memory_size=100)
    form, _ = parse(
        multipart(part("a", b"x" * 100)), chunk=10, max_form_memory_size=100
    )
    assert len(form["a"]) == 100


def test_fields_together_over_max_form_memory_size_is_413() -> None:
    # Each field is under the limit; together they are not (aiohttp
    # CVE-2025-69228 class).
    body = multipart(*(part(f"f{i}", b"x" * 60) for i in range(3)))
    with pytest.raises(RequestEntityTooLarge):
        parse(body, chunk=16, max_form_memory_size=100)


def test_files_do_not_count_against_max_form_memory_size() -> None:
    body = multipart(part("f", b"x" * 10_000, filename="big.bin"))
    _, files = parse(body, chunk=512, max_form_memory_size=100)
    assert len(files["f"].read()) == 10_000


def test_more_parts_than_max_form_parts_is_413() -> None:
    body = multipart(*(part(f"f{i}", b"") for i in range(4)))
    with pytest.raises(RequestEntityTooLarge):
        parse(body, max_form_parts=3)
    form, _ = parse(
        multipart(*(part(f"f{i}", b"") for i in range(3))), max_form_parts=3
    )
    assert len(form) == 3


def test_a_long_part_header_is_413() -> None:
    # aiohttp CVE-2026-34516 class: part headers are bounded too.
    big = part("a", b"1", extra=f"X-Big: {'y' * 20_000}\r\n")
    with pytest.raises(RequestEntityTooLarge):
        parse(multipart(big), chunk=1024, max_part_header_size=8192)


def test_many_part_headers_are_413() -> None:
    many = "".join(f"X-H{i}: v\r\n" for i in range(2000))
    with pytest.raises(RequestEntityTooLarge):
        parse(
            multipart(part("a", b"1", extra=many)),
            chunk=1024,
            max_part_header_size=8192,
        )


def test_a_header_block_that_never_ends_is_413_while_it_arrives() -> None:
    # No blank line ever: the limit trips long before the end of the body.
    endless = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=a\r\n".encode()
    endless += b"X: y\r\n" * 100_000
    fed = 0

    async def chunks() -> t.AsyncIterator[bytes]:
        nonlocal fed
        for start in range(0, len(endless), 1024):
            fed += 1024
            yield endless[start : start + 1024]

    async def main() -> None:
        await FormDataParser(max_part_header_size=8192).parse(
            chunks(), "multipart/form-data", {"boundary": BOUNDARY}
        )

    with pytest.raises(RequestEntityTooLarge):
        asyncio.run(main())
    assert fed <= 8192 + 2048


def test_a_long_preamble_is_413() -> None:
    with pytest.raises(RequestEntityTooLarge):
        parse(
            b"p" * 50_000 + multipart(part("a", b"1")),
            chunk=1024,
            max_part_header_size=8192,
        )


def test_normal_headers_fit_the_default_limit() -> None:
    headers = "Content-Type: application/octet-stream\r\nX-Upload-Id: 123\r\n"
    form, files = parse(
        multipart(part("f", b"data", filename="f.bin", extra=headers)),
        max_part_header_size=8 * 1024,
    )
    assert files["f"].content_type == "application/octet-stream"


# -- spooling to disk, off the loop ---------------------------------------------


def test_large_uploads_spool_to_disk_in_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_threads: list[threading.Thread] = []
    made_on: list[threading.Thread] = []
    real = tempfile.TemporaryFile

    def recording(*args: t.Any, **kwargs: t.Any) -> t.Any:
        made_on.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    monkeypatch.setattr(FormDataParser, "upload_memory_size", 1000)
    body = multipart(
        part("small", b"s" * 100, filename="s.bin"),
        part("big", b"b" * 50_000, filename="b.bin"),
    )

    async def main() -> t.Any:
        loop_threads.append(threading.current_thread())

        async def chunks() -> t.AsyncIterator[bytes]:
            for start in range(0, len(body), 4096):
                yield body[start : start + 4096]

        return await FormDataParser().parse(
            chunks(), "multipart/form-data", {"boundary": BOUNDARY}
        )

    _, files = asyncio.run(main())
    assert isinstance(files["small"].stream, io.BytesIO)
    assert not isinstance(files["big"].stream, io.BytesIO)
    assert files["big"].read() == b"b" * 50_000
    assert made_on and loop_threads[0] not in made_on
    files["big"].close()


def test_spooled_files_are_closed_when_parsing_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[t.IO[bytes]] = []
    real = tempfile.TemporaryFile

    def recording(*args: t.Any, **kwargs: t.Any) -> t.Any:
        file = real(*args, **kwargs)
        opened.append(file)
        return file

    monkeypatch.setattr(tempfile, "TemporaryFile", recording)
    monkeypatch.setattr(FormDataParser, "upload_memory_size", 100)
    body = part("big", b"b" * 5000, filename="b.bin")  # never closed
    with pytest.raises(BadRequest):
        parse(body, chunk=512)
    assert opened and all(f.closed for f in opened)


# -- through the app: both access styles -----------------------------------------


@pytest.fixture
def form_app() -> Pottle:
    app = Pottle(__name__)
    app.config["TESTING"] = True

    @app.post("/sync")
    def sync_view() -> dict[str, t.Any]:
        f = request.files["f"]
        data = request.get_data(as_text=True)
        return {"a": request.form["a"], "f": len(f.read()), "data": data}

    @app.post("/async")
    async def async_view() -> dict[str, t.Any]:
        form = await request.form
        files = await request.files
        values = await request.values
        return {"a": form["a"], "f": len(files["f"].read()), "v": values["a"]}

    @app.post("/prefetched")
    async def prefetched() -> dict[str, t.Any]:
        # Flask-style access inside an async view: fine for small bodies.
        return {"a": request.form["a"]}

    return app


# werkzeug's EnvironBuilder leaves bodies over 500 kB in a temporary file it
# never closes, so uploads here stay under that; a small upload budget makes
# them spool to disk all the same.
@pytest.mark.parametrize("size", [10, 400_000])
@pytest.mark.parametrize("budget", [1024 * 1024, 1000])
@pytest.mark.parametrize("path", ["/sync", "/async"])
def test_upload_both_styles(
    form_app: Pottle,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    size: int,
    budget: int,
) -> None:
    monkeypatch.setattr(FormDataParser, "upload_memory_size", budget)
    rv = form_app.test_client().post(
        path, data={"a": "1", "f": (io.BytesIO(b"x" * size), "x.bin")}
    )
    assert rv.status_code == 200
    assert rv.json["a"] == "1"
    assert rv.json["f"] == size


def test_form_consumes_the_body_as_in_flask(form_app: Pottle) -> None:
    rv = form_app.test_client().post(
        "/sync", data={"a": "1", "f": (io.BytesIO(b"x"), "x.bin")}
    )
    assert rv.json["data"] == ""


def test_sync_form_access_in_async_view_uses_the_prefetch(form_app: Pottle) -> None:
    rv = form_app.test_client().post("/prefetched", data={"a": "1"})
    assert rv.json == {"a": "1"}


def test_sync_form_access_in_async_view_of_a_large_body_explains(
    form_app: Pottle,
) -> None:
    form_app.config["BODY_PREFETCH_SIZE"] = 10
    with pytest.raises(BodyNotReceivedError, match="await"):
        form_app.test_client().post("/prefetched", data={"a": "1" * 100})


def test_max_content_length_applies_to_forms(form_app: Pottle) -> None:
    form_app.config["MAX_CONTENT_LENGTH"] = 1000
    rv = form_app.test_client().post(
        "/async", data={"a": "1", "f": (io.BytesIO(b"x" * 5000), "x.bin")}
    )
    assert rv.status_code == 413


def test_chunked_form_over_max_content_length_is_413() -> None:
    app = Pottle(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 1000

    @app.post("/")
    async def view() -> str:
        return str(len(await request.files))

    async def main() -> Exchange:
        ex = Exchange(
            app,
            "POST",
            "/",
            [(b"content-type", CT.encode()), (b"transfer-encoding", b"chunked")],
        )
        body = multipart(part("f", b"x" * 5000, filename="f"))
        for start in range(0, len(body), 500):
            ex.push(body[start : start + 500], more=True)
        ex.push(b"")
        await ex.run()
        return ex

    assert asyncio.run(main()).status == 413


def test_max_form_part_header_size_from_config() -> None:
    app = Pottle(__name__)
    app.config["MAX_FORM_PART_HEADER_SIZE"] = 100

    @app.post("/")
    def view() -> str:
        return str(len(request.form))

    client = app.test_client()
    long = part("a", b"1", extra=f"X-Long: {'v' * 200}\r\n")
    assert client.post("/", data=multipart(long), content_type=CT).status_code == 413
    short = part("a", b"1")
    assert client.post("/", data=multipart(short), content_type=CT).data == b"1"


def test_form_limits_from_config_through_the_app() -> None:
    app = Pottle(__name__)
    app.config.update(MAX_FORM_MEMORY_SIZE=50, MAX_FORM_PARTS=2)

    @app.post("/")
    def view() -> str:
        return str(len(request.form))

    client = app.test_client()
    assert client.post("/", data={"a": "x" * 60}, content_type=CT).status_code == 413
    many = multipart(part("a", b""), part("b", b""), part("c", b""))
    assert client.post("/", data=many, content_type=CT).status_code == 413
    assert (
        client.post("/", data=multipart(part("a", b"ok")), content_type=CT).data == b"1"
    )


# -- FileStorage.save ------------------------------------------------------------


@pytest.mark.parametrize("spooled", [False, True])
def test_save_sync_and_awaited(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, spooled: bool
) -> None:
    if spooled:
        monkeypatch.setattr(FormDataParser, "upload_memory_size", 100)
    app = Pottle(__name__)
    data = os.urandom(20_000)

    @app.post("/sync")
    def sync_save() -> str:
        request.files["f"].save(tmp_path / "sync.bin")
        return "ok"

    @app.post("/async")
    async def async_save() -> str:
        await (await request.files)["f"].save(tmp_path / "async.bin")
        return "ok"

    @app.post("/fileobj")
    async def fileobj_save() -> str:
        with open(tmp_path / "obj.bin", "wb") as out:
            await (await request.files)["f"].save(out)
        return "ok"

    client = app.test_client()
    for path, name in [("/sync", "sync"), ("/async", "async"), ("/fileobj", "obj")]:
        rv = client.post(path, data={"f": (io.BytesIO(data), "f.bin")})
        assert rv.status_code == 200
        assert (tmp_path / f"{name}.bin").read_bytes() == data


# -- urlencoded ------------------------------------------------------------------


def test_urlencoded_invalid_utf8_is_replaced_not_500() -> None:
    app = Pottle(__name__)

    @app.post("/")
    def view() -> dict[str, str]:
        return request.form.to_dict()

    client = app.test_client()
    ct = "application/x-www-form-urlencoded"
    rv = client.post("/", data=b"a=\xff\xfe&b=%FF&c=ok", content_type=ct)
    assert rv.status_code == 200
    assert rv.json == {"a": "\ufffd\ufffd", "b": "%FF", "c": "ok"}


def test_urlencoded_async() -> None:
    app = Pottle(__name__)

    @app.post("/")
    async def view() -> dict[str, str]:
        return (await request.form).to_dict()

    rv = app.test_client().post("/", data={"a": "1", "b": "two words"})
    assert rv.json == {"a": "1", "b": "two words"}


def test_other_mimetypes_give_an_empty_form_and_keep_the_data() -> None:
    app = Pottle(__name__)

    @app.post("/")
    def view() -> dict[str, t.Any]:
        return {"form": len(request.form), "data": request.get_data(as_text=True)}

    rv = app.test_client().post("/", data="hello", content_type="text/plain")
    assert rv.json == {"form": 0, "data": "hello"}


def test_uploads_are_closed_when_the_request_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(FormDataParser, "upload_memory_size", 100)
    app = Pottle(__name__)
    app.config["BODY_PREFETCH_SIZE"] = 0  # not received ahead, so parsed as it arrives
    kept: list[t.Any] = []

    @app.post("/")
    async def view() -> str:
        kept.append((await request.files)["f"])
        return "ok"

    app.test_client().post("/", data={"f": (io.BytesIO(b"x" * 5000), "f.bin")})
    assert not isinstance(kept[0].stream, io.BytesIO)
    assert kept[0].stream.closed
