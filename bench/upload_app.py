"""The app ``upload_stream.py`` serves: a streaming upload route, a
multipart route (uploads spooled to disk), and a ping."""

from __future__ import annotations

from pottle import Pottle, request

app = Pottle(__name__)
app.config["MAX_CONTENT_LENGTH"] = 300 * 1024 * 1024
app.config["BODY_TIMEOUT"] = 300


@app.get("/ping")
async def ping() -> str:
    return "pong"


@app.post("/stream", stream=True)
async def stream() -> str:
    total = 0
    async for chunk in request.body:
        total += len(chunk)
    return str(total)


@app.post("/multipart")
async def multipart() -> str:
    files = await request.files
    upload = files["file"]
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    return f"{size} on disk: {not hasattr(upload.stream, 'getbuffer')}"
