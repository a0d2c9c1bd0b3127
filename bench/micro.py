"""In-process micro-benchmark: each app is called directly with a synthetic
ASGI scope/receive/send (Flask with a WSGI environ), with no server and no
socket, so the figure is the framework's own cost per request.

    bench/.venv/bin/python bench/micro.py                    # everything
    bench/.venv/bin/python bench/micro.py -f pottle,pottle-sync -e hello,json

``python bench/run.py --micro ...`` runs it after preparing the venv.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import io
import statistics
import sys
import time
import typing as t

from endpoints import APPS_DIR, ENDPOINTS, FRAMEWORKS, Endpoint, Framework

sys.path.insert(0, str(APPS_DIR))

Runner = t.Callable[[int], t.Awaitable[tuple[float, float]]]


def load(framework: Framework) -> t.Any:
    module = importlib.import_module(framework.module)
    return getattr(module, framework.wsgi or framework.asgi)


def base_headers(endpoint: Endpoint, cookie: bytes | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"micro")]
    if endpoint.content_type:
        headers.append((b"content-type", endpoint.content_type.encode()))
    if endpoint.method == "POST":
        headers.append((b"content-length", str(len(endpoint.body)).encode()))
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return headers


def http_scope(endpoint: Endpoint, cookie: bytes | None) -> dict[str, t.Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": endpoint.method,
        "scheme": "http",
        "path": endpoint.path,
        "raw_path": endpoint.path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": base_headers(endpoint, cookie),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


class Result:
    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = b""

    def cookie(self) -> bytes | None:
        for name, value in self.headers:
            if name.lower() == b"set-cookie":
                return value.split(b";", 1)[0]
        return None


async def call_asgi(app: t.Any, scope: dict[str, t.Any], body: bytes) -> Result:
    result = Result()
    received = False

    async def receive() -> dict[str, t.Any]:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Like a server: nothing more until the client goes away.
        await asyncio.get_running_loop().create_future()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, t.Any]) -> None:
        if message["type"] == "http.response.start":
            result.status = message["status"]
            result.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            result.body += message.get("body", b"")

    await app(scope, receive, send)
    return result


def call_wsgi(app: t.Any, scope: dict[str, t.Any], body: bytes) -> Result:
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"],
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in scope["headers"]:
        key = name.decode().upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        environ[key] = value.decode("latin-1")
    result = Result()

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> None:
        result.status = int(status.split()[0])
        result.headers = [(k.lower().encode(), v.encode()) for k, v in headers]

    iterable = app(environ, start_response)
    try:
        result.body = b"".join(iterable)
    finally:
        if hasattr(iterable, "close"):
            iterable.close()
    return result


@contextlib.asynccontextmanager
async def lifespan(app: t.Any) -> t.AsyncIterator[None]:
    """Run the app's lifespan startup, and its shutdown on exit (apps that
    refuse lifespan are run without it)."""
    loop = asyncio.get_running_loop()
    started = loop.create_future()
    stopping = asyncio.Event()
    messages = [{"type": "lifespan.shutdown"}, {"type": "lifespan.startup"}]

    async def receive() -> dict[str, t.Any]:
        if len(messages) == 1:
            await stopping.wait()
        return messages.pop()

    async def send(message: dict[str, t.Any]) -> None:
        if not started.done():
            started.set_result(message["type"])

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, receive, send))
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    try:
        yield
    finally:
        stopping.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


async def make_runner(framework: Framework, endpoint: Endpoint, app: t.Any) -> Runner:
    """A function running ``n`` requests and returning wall and CPU µs per
    request (CPU time counts every thread of the process and not the time
    other processes take the core); the first request is checked, and gives
    the session cookie to replay."""
    wsgi = framework.wsgi is not None

    async def once(scope: dict[str, t.Any]) -> Result:
        if wsgi:
            return call_wsgi(app, scope, endpoint.body)
        return await call_asgi(app, scope, endpoint.body)

    cookie = None
    if endpoint.cookie:
        cookie = (await once(http_scope(endpoint, None))).cookie()
    base = http_scope(endpoint, cookie)
    first = await once(dict(base))
    if first.status != 200 or endpoint.expect not in first.body:
        raise RuntimeError(f"{first.status} {first.body[:200]!r}")

    async def run(n: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            await once(dict(base))
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        return wall / n * 1e6, cpu / n * 1e6

    return run


async def measure(
    frameworks: list[str], endpoints: list[str], number: int, repeat: int, clock: str
) -> dict[tuple[str, str], float | str]:
    """µs per request by ``clock`` ("cpu" or "wall"), median of ``repeat``."""
    pick = 1 if clock == "cpu" else 0
    results: dict[tuple[str, str], float | str] = {}
    for fname in frameworks:
        framework = FRAMEWORKS[fname]
        app = load(framework)
        async with contextlib.AsyncExitStack() as stack:
            if framework.wsgi is None:
                await stack.enter_async_context(lifespan(app))
            for ename in endpoints:
                try:
                    run = await make_runner(framework, ENDPOINTS[ename], app)
                except Exception as exc:  # reported in the table, not fatal
                    results[fname, ename] = f"error: {exc}"[:40]
                    continue
                await run(max(number // 10, 10))  # warm caches and the JIT-less VM
                runs = [await run(number) for _ in range(repeat)]
                results[fname, ename] = statistics.median(r[pick] for r in runs)
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                print(
                    f"  {fname:12} {ename:9} {wall:8.1f} µs wall {cpu:8.1f} µs CPU",
                    file=sys.stderr,
                )
    return results


def table(
    results: dict[tuple[str, str], float | str],
    frameworks: list[str],
    endpoints: list[str],
) -> str:
    """µs per request; in brackets the cost above the raw ASGI app."""
    lines = [
        "| endpoint | " + " | ".join(frameworks) + " |",
        "|---|" + "---:|" * len(frameworks),
    ]
    for ename in endpoints:
        raw = results.get(("raw", ename))
        cells = []
        for fname in frameworks:
            value = results.get((fname, ename), "")
            if isinstance(value, float):
                cell = f"{value:.1f}"
                if isinstance(raw, float) and fname != "raw":
                    cell += f" (+{value - raw:.1f})"
                cells.append(cell)
            else:
                cells.append(str(value))
        lines.append(f"| {ename} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_list(value: str, known: t.Iterable[str]) -> list[str]:
    names = [v for v in value.split(",") if v]
    unknown = set(names) - set(known)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown: {', '.join(sorted(unknown))}")
    return names


def main(argv: list[str] | None = None) -> None:
    http_endpoints = [e.name for e in ENDPOINTS.values() if not e.websocket]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "-f",
        "--frameworks",
        default=",".join(FRAMEWORKS),
        type=lambda v: parse_list(v, FRAMEWORKS),
    )
    parser.add_argument(
        "-e",
        "--endpoints",
        default=",".join(http_endpoints),
        type=lambda v: parse_list(v, http_endpoints),
    )
    parser.add_argument(
        "-n", "--number", type=int, default=3000, help="requests per measurement"
    )
    parser.add_argument(
        "-r",
        "--repeat",
        type=int,
        default=5,
        help="measurements per cell (the median is shown)",
    )
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu: process CPU time (steady on a shared machine); wall: elapsed",
    )
    args = parser.parse_args(argv)
    coro = measure(
        args.frameworks, args.endpoints, args.number, args.repeat, args.clock
    )
    if args.loop == "uvloop":
        import uvloop

        results = uvloop.run(coro)
    else:
        results = asyncio.run(coro)
    print(
        f"\n{args.clock} µs per request, in process, {args.loop} "
        f"(median of {args.repeat} x {args.number}; flask is called as WSGI)\n"
    )
    print(table(results, args.frameworks, args.endpoints))


if __name__ == "__main__":
    main()
