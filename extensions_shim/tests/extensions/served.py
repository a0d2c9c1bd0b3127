"""Requests served the way an ASGI server serves them, for the extension
suites that must see where code runs.

The test client lends the calling thread to each request (sync code runs on
the test's thread, as with Flask's client). Behind a server there is no
such thread: sync code runs on pottle's worker pool. :func:`serve` plays the
server in-process, with pottle's in-memory ASGI connection, so a test can
check both.
"""

from __future__ import annotations

import typing as t

from werkzeug.datastructures import Headers

from pottle.testing.connections import HTTPTestConnection


class Served(t.NamedTuple):
    status: int
    headers: Headers
    data: bytes


async def serve(
    app: t.Any,
    path: str = "/",
    *,
    method: str = "GET",
    headers: t.Mapping[str, str] | None = None,
    body: bytes = b"",
) -> Served:
    """Send one request to ``app`` over ASGI from the running loop, as a
    server would (no thread is lent to the request)."""
    path, _, query = path.partition("?")
    raw_headers = [(b"host", b"localhost")]
    raw_headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (headers or {}).items()
    ]
    if body:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
    }
    connection = HTTPTestConnection(app, scope, body)
    status, response_headers, chunks = await connection.run()
    return Served(int(status.split()[0]), response_headers, b"".join(chunks))
