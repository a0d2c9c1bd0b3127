"""The server side of test requests: feeds a scope and body to the app over
real ASGI messages and collects what it sends back.

This is a minimal in-memory ASGI server; the app cannot tell it from
Hypercorn.
"""

from __future__ import annotations

import asyncio
import typing as t

from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES

if t.TYPE_CHECKING:
    from ..app import Pottle

_CHUNK = 64 * 1024


class HTTPTestConnection:
    """One request to ``app``; :meth:`run` returns status, headers, body."""

    def __init__(self, app: Pottle, scope: dict[str, t.Any], body: bytes) -> None:
        self.app = app
        self.scope = scope
        self._body = body
        self._sent_body = False
        self._disconnect = asyncio.Event()
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def receive(self) -> dict[str, t.Any]:
        if not self._sent_body:
            # Deliver the body in server-sized pieces, so limits are checked
            # as bytes arrive, as they are behind a real server.
            data, self._body = self._body[:_CHUNK], self._body[_CHUNK:]
            more = bool(self._body)
            self._sent_body = not more
            return {"type": "http.request", "body": data, "more_body": more}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, t.Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self._disconnect.set()

    async def run(self) -> tuple[str, Headers, list[bytes]]:
        """Run the request to completion."""
        try:
            await self.app(self.scope, self.receive, self.send)
        finally:
            self._disconnect.set()
        return self.status_line(), self.response_headers(), self.chunks

    def status_line(self) -> str:
        code = self.status or 500
        return f"{code} {HTTP_STATUS_CODES.get(code, 'UNKNOWN').upper()}"

    def response_headers(self) -> Headers:
        # ASGI lowercases names; show them as werkzeug would have them.
        return Headers(
            [
                (k.decode("latin-1").title(), v.decode("latin-1"))
                for k, v in self.headers
            ]
        )
