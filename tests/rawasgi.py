"""A hand-driven ASGI server for protocol tests: the test decides what the
app receives and when (body pieces, a disconnect), and sees every message
the app sends and every time it called ``receive``."""

from __future__ import annotations

import asyncio
import typing as t


class Exchange:
    """One HTTP request to ``app``, driven by hand from async test code."""

    def __init__(
        self,
        app: t.Any,
        method: str = "GET",
        path: str = "/",
        headers: t.Iterable[tuple[bytes, bytes]] = (),
        http_version: str = "1.1",
        query_string: bytes = b"",
    ) -> None:
        self.app = app
        headers = list(headers)
        if not any(name == b"host" for name, _ in headers):
            headers.append((b"host", b"localhost"))
        self.scope: dict[str, t.Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": http_version,
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("latin-1", "replace"),
            "query_string": query_string,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 80),
        }
        self.inbox: asyncio.Queue[dict[str, t.Any]] = asyncio.Queue()
        self.sent: list[dict[str, t.Any]] = []
        #: How many times the app called ``receive``.
        self.receives = 0
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> dict[str, t.Any]:
        self.receives += 1
        return await self.inbox.get()

    async def send(self, message: dict[str, t.Any]) -> None:
        self.sent.append(message)

    def push(self, data: bytes, more: bool = False) -> None:
        """Queue a body piece for the app."""
        self.inbox.put_nowait({"type": "http.request", "body": data, "more_body": more})

    def disconnect(self) -> None:
        """Queue ``http.disconnect``, as a server does when the client left."""
        self.inbox.put_nowait({"type": "http.disconnect"})

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self.app(self.scope, self.receive, self.send))
        return self.task

    async def run(self, timeout: float = 10) -> None:
        """Run the exchange to its end."""
        task = self.task or self.start()
        await asyncio.wait_for(asyncio.shield(task), timeout)

    async def until(self, predicate: t.Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``predicate()`` holds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                if self.task is not None and self.task.done():
                    self.task.result()
                    raise AssertionError("the app finished before that happened")
                await asyncio.sleep(0.001)

    @property
    def status(self) -> int | None:
        for message in self.sent:
            if message["type"] == "http.response.start":
                return int(message["status"])
        return None

    @property
    def headers(self) -> dict[bytes, bytes]:
        for message in self.sent:
            if message["type"] == "http.response.start":
                return dict(message["headers"])
        return {}

    @property
    def body(self) -> bytes:
        return b"".join(
            m.get("body", b"") for m in self.sent if m["type"] == "http.response.body"
        )

    @property
    def body_messages(self) -> int:
        return sum(1 for m in self.sent if m["type"] == "http.response.body")

    @property
    def complete(self) -> bool:
        """Whether the response's last body message was sent."""
        return any(
            m["type"] == "http.response.body" and not m.get("more_body", False)
            for m in self.sent
        )
