"""The app the hostile-input suite serves with Hypercorn: small limits, a
form route, a JSON route, a streaming upload, a static folder, a guarded
path and endless streams that count how they end."""

from __future__ import annotations

import asyncio
import os
import threading
import time
import typing as t

from pottle import Pottle, abort, request, send_from_directory, stream_with_context

HERE = os.path.dirname(os.path.abspath(__file__))
app = Pottle(__name__, root_path=os.environ.get("HOSTILE_ROOT", HERE))
app.config.update(
    MAX_CONTENT_LENGTH=1024 * 1024,
    MAX_FORM_MEMORY_SIZE=10_000,
    MAX_FORM_PARTS=50,
    MAX_FORM_PART_HEADER_SIZE=1024,
    BODY_TIMEOUT=1,
    TRUSTED_HOSTS=["127.0.0.1", "localhost", "example.test"],
)

stats = {"finalised": 0, "teardowns": 0, "streams": 0}
lock = threading.Lock()


def count(key: str) -> None:
    with lock:
        stats[key] += 1


# Async hooks: a request that runs sync code keeps its worker thread until
# teardown (one thread for all its sync code), so sync hooks would put every
# open stream on the 40-thread pool.
@app.teardown_request
async def teardown(exc: BaseException | None) -> None:
    if request.path.startswith("/stream"):
        count("teardowns")


@app.before_request
async def guard() -> None:
    if request.path.startswith("/admin"):
        abort(403)


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/stats")
def get_stats() -> dict[str, int]:
    with lock:
        return dict(stats)


@app.get("/admin")
def admin() -> str:
    return "secret"


@app.get("/where")
def where() -> dict[str, str]:
    return {"path": request.path, "host": request.host}


@app.get("/folder/")
def folder() -> str:
    return "folder"


@app.post("/form")
def form() -> dict[str, t.Any]:
    return {"form": request.form.to_dict(), "files": len(request.files)}


@app.post("/aform")
async def aform() -> dict[str, t.Any]:
    files = await request.files
    return {"form": (await request.form).to_dict(), "files": len(files)}


@app.post("/json")
async def json_view() -> t.Any:
    return {"value": await request.get_json()}


@app.post("/upload", stream=True)
async def upload() -> str:
    request.max_content_length = None
    total = 0
    async for chunk in request.body:
        total += len(chunk)
    return str(total)


@app.get("/files/<path:name>")
async def files(name: str) -> t.Any:
    return await send_from_directory("static", name)


@app.get("/stream/async")
async def stream_async() -> t.Any:
    count("streams")

    async def gen() -> t.AsyncIterator[str]:
        try:
            while True:
                yield "data: tick\n\n"
                await asyncio.sleep(0.05)
        finally:
            count("finalised")

    return gen(), {"Content-Type": "text/event-stream"}


@app.get("/stream/sync")
def stream_sync() -> t.Any:
    count("streams")

    def gen() -> t.Iterator[str]:
        try:
            while True:
                yield "data: tick\n\n"
                time.sleep(0.05)
        finally:
            count("finalised")

    return stream_with_context(gen()), {"Content-Type": "text/event-stream"}
