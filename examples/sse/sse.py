"""Server-sent events: a chat-like feed that every open page receives.

Serve it with ``pottle --app examples/sse/sse.py run`` and open
http://127.0.0.1:5000/ in two windows; ``POST /publish`` (the form on the
page) reaches both. A closed page ends its stream at once: the generator's
``finally`` unsubscribes it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import typing as t

from pottle import Flask, Response, request, stream_with_context

app = Flask(__name__)

PAGE = """<!doctype html>
<title>pottle SSE</title>
<form method="post" action="/publish"
      onsubmit="fetch('/publish', {method: 'POST', body: new FormData(this)});
                this.reset(); return false;">
  <input name="message" autofocus> <button>Send</button>
</form>
<ul id="feed"></ul>
<script>
  const feed = document.getElementById("feed");
  new EventSource("/events").onmessage = (event) => {
    const item = document.createElement("li");
    item.textContent = JSON.parse(event.data).message;
    feed.append(item);
  };
</script>
"""


class Broker:
    """Hands each published message to every subscriber's queue."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[dict[str, t.Any]]] = set()
        self._ids = itertools.count(1)

    def publish(self, message: str) -> int:
        event = {"id": next(self._ids), "message": message}
        for queue in self.subscribers:
            queue.put_nowait(event)
        return len(self.subscribers)

    async def events(self, limit: int | None = None) -> t.AsyncIterator[str]:
        """One subscriber's stream, as SSE text."""
        queue: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self.subscribers.add(queue)
        try:
            yield "retry: 2000\n\n"
            for _ in itertools.count() if limit is None else range(limit):
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"  # a comment: proxies keep the line open
                    continue
                yield f"id: {event['id']}\ndata: {json.dumps(event)}\n\n"
        finally:
            # Runs when the stream ends, and when the client goes away.
            self.subscribers.discard(queue)


broker = Broker()


def sse(body: t.Any) -> Response:
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: do not buffer
    response.timeout = None  # a feed may stay open for hours
    return response


@app.get("/")
def index() -> str:
    return PAGE


@app.get("/events")
async def events() -> Response:
    return sse(broker.events(request.args.get("limit", type=int)))


@app.post("/publish")
async def publish() -> dict[str, int]:
    message = (await request.form).get("message", "")
    return {"delivered": broker.publish(message)}


@app.get("/clock")
def clock() -> Response:
    # The Flask way: a sync generator, with the request context kept.
    @stream_with_context
    def ticks() -> t.Iterator[str]:
        for _ in range(request.args.get("count", 3, type=int)):
            yield f"data: {time.strftime('%H:%M:%S')}\n\n"
            time.sleep(request.args.get("every", 1.0, type=float))

    return sse(ticks())
