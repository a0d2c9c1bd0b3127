"""The side-by-side benchmark: every app in apps/ on every server, driven by
wrk (HTTP) or wsload.py (websocket), with the server pinned to one core and
the load generator to another.

    python3 bench/run.py                       # everything (long)
    python3 bench/run.py -s uvicorn -e hello,json -d 3 -r 1   # a quick look
    python3 bench/run.py --micro [micro.py args]     # in-process µs/request
    python3 bench/run.py --hotpath [hotpath.py args] # profile pottle

The first run creates bench/.venv with the peers (requirements.txt) and
pottle from this checkout (editable), then re-runs itself inside it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
import zlib
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
RESULTS = BENCH / "results"
SERVERS = ["uvicorn", "hypercorn", "granian"]

# -- the bench venv ------------------------------------------------------------


def ensure_venv() -> None:
    """Create or refresh bench/.venv, then re-run this script inside it."""
    inputs = (BENCH / "requirements.txt").read_bytes() + (
        ROOT / "pyproject.toml"
    ).read_bytes()
    stamp = VENV / f".stamp-{zlib.crc32(inputs):08x}"
    if not stamp.exists():
        if not VENV_PYTHON.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run(
            [*pip, "-r", str(BENCH / "requirements.txt"), "-e", str(ROOT)],
            check=True,
        )
        for old in VENV.glob(".stamp-*"):
            old.unlink()
        stamp.touch()
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])


def ensure_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False)
        wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("run.py needs wrk: apt-get install wrk")
    return wrk


# -- servers -------------------------------------------------------------------


def server_command(server: str, framework: t.Any, port: int) -> list[str]:
    """The command serving ``framework`` on ``server``: one worker process,
    no access log. WSGI apps are served as WSGI where the server can."""
    bin_dir = VENV / "bin"
    asgi_target = f"{framework.module}:{framework.asgi}"
    if server == "uvicorn":
        return [
            str(bin_dir / "uvicorn"), asgi_target, "--port", str(port),
            "--loop", "uvloop", "--http", "httptools", "--ws", "websockets",
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
    if server == "hypercorn":
        target = asgi_target
        if framework.wsgi:
            target = f"wsgi:{framework.module}:{framework.wsgi}"
        return [
            str(bin_dir / "hypercorn"), target, "--bind", f"127.0.0.1:{port}",
            "--worker-class", "asyncio", "--workers", "1",
            "--log-level", "warning",
        ]  # fmt: skip
    if server == "granian":
        interface, target = "asgi", asgi_target
        if framework.wsgi:
            interface, target = "wsgi", f"{framework.module}:{framework.wsgi}"
        return [
            str(bin_dir / "granian"), "--interface", interface, target,
            "--port", str(port), "--workers", "1", "--runtime-threads", "1",
            "--loop", "uvloop", "--log-level", "warning",
        ]  # fmt: skip
    raise ValueError(server)


class Server:
    """One server process, pinned to ``cpu``; its output goes to a log."""

    def __init__(self, server: str, framework: t.Any, cpu: int, logs: Path) -> None:
        self.name, self.framework = server, framework
        self.port = free_port()
        self.command = server_command(server, framework, self.port)
        self.log_path = logs / f"{server}-{framework.name}.log"
        self.cpu = cpu
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        env = dict(os.environ, PYTHONPATH=str(BENCH / "apps"))
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["taskset", "-c", str(self.cpu), *self.command],
                cwd=BENCH / "apps",
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start: see {self.log_path}")
            time.sleep(0.1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The server's own process group (granian forks a worker).
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the server is not running")
        return self.process.pid

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's processes (its group)."""
        return group_cpu_seconds(self.pid)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(pgid: int) -> float:
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # Fields after the command name, which may hold spaces.
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- load ----------------------------------------------------------------------

WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
    .. '"errors":%d,"status_errors":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua one here


def prepare(server: Server, endpoint: t.Any) -> dict[str, str]:
    """Check the endpoint answers as expected and return the request headers
    to replay (the session cookie from a first request)."""
    headers = {}
    if endpoint.content_type:
        headers["Content-Type"] = endpoint.content_type
    if endpoint.cookie:
        with urllib.request.urlopen(server.url(endpoint.path), timeout=10) as rsp:
            cookie = rsp.headers.get("Set-Cookie", "")
        headers["Cookie"] = cookie.split(";", 1)[0]
    request = urllib.request.Request(
        server.url(endpoint.path),
        data=endpoint.body or None,
        headers=headers,
        method=endpoint.method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    if endpoint.expect not in body:
        raise RuntimeError(f"unexpected answer from {endpoint.path}: {body[:200]!r}")
    return headers


def wrk_script(endpoint: t.Any, headers: dict[str, str]) -> str:
    return WRK_SCRIPT.format(
        method=lua_string(endpoint.method),
        body=lua_string(endpoint.body.decode()) if endpoint.body else "nil",
        headers="\n".join(
            f"wrk.headers[{lua_string(k)}] = {lua_string(v)}"
            for k, v in headers.items()
        ),
    )


def run_load(command: list[str], cpu: int, duration: float) -> dict[str, t.Any]:
    """Run one load-generator pass pinned to ``cpu``; its BENCH line."""
    out = subprocess.run(
        ["taskset", "-c", str(cpu), *command],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            result: dict[str, t.Any] = json.loads(line[6:])
            return result
    raise RuntimeError(f"load generator failed: {out.stdout}{out.stderr}"[:500])


class Load:
    """The load-generator command for one endpoint of one running server."""

    def __init__(
        self, args: argparse.Namespace, server: Server, endpoint: t.Any, tmp: Path
    ) -> None:
        self.args, self.server, self.endpoint = args, server, endpoint
        if endpoint.websocket:
            self.url, self.script = server.url(endpoint.path, "ws"), None
        else:
            self.url = server.url(endpoint.path)
            self.script = tmp / f"{server.port}-{endpoint.name}.lua"
            self.script.write_text(wrk_script(endpoint, prepare(server, endpoint)))

    def run(self, duration: int) -> dict[str, t.Any]:
        args = self.args
        if self.script is None:
            command = [
                str(VENV_PYTHON), str(BENCH / "wsload.py"), self.url,
                "-c", str(args.ws_connections), "-d", str(duration),
            ]  # fmt: skip
        else:
            command = [
                args.wrk, "-t1", f"-c{args.connections}", f"-d{duration}s",
                "--timeout", "10s", "-s", str(self.script), self.url,
            ]  # fmt: skip
        cpu = self.server.cpu_seconds()
        result = run_load(command, args.client_cpu, duration)
        cpu = self.server.cpu_seconds() - cpu
        if "error" in result:
            raise RuntimeError(result["error"])
        result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
        result["cpu_us"] = cpu / max(result["requests"], 1) * 1e6
        return result


def summarize(passes: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    return {
        "rps": statistics.median(p["rps"] for p in passes),
        "p99_us": statistics.median(p["p99_us"] for p in passes),
        "cpu_us": statistics.median(p["cpu_us"] for p in passes),
        "errors": sum(p["errors"] + p["status_errors"] for p in passes),
        "passes": [round(p["rps"]) for p in passes],
        "loadavg": os.getloadavg()[0],
    }


# -- the run ---------------------------------------------------------------------


def pottle_has_websocket() -> bool:
    try:
        import pottle
    except ImportError:
        return False
    return hasattr(pottle.Pottle, "websocket") and hasattr(pottle, "websocket")


def run(args: argparse.Namespace) -> list[dict[str, t.Any]]:
    """Every server kind in turn, with all the frameworks' servers up at
    once (idle ones cost nothing), so that passes can be interleaved."""
    from endpoints import ENDPOINTS, FRAMEWORKS

    logs = RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for server_name in args.servers:
            with contextlib.ExitStack() as stack:
                servers = {}
                for fname in args.frameworks:
                    server = Server(
                        server_name, FRAMEWORKS[fname], args.server_cpu, logs
                    )
                    try:
                        servers[fname] = stack.enter_context(server)
                    except RuntimeError as exc:
                        print(f"{server_name} {fname}: {exc}", file=sys.stderr)
                for ename in args.endpoints:
                    endpoint = ENDPOINTS[ename]
                    rows += run_endpoint(args, servers, endpoint, Path(tmp))
    return rows


def run_endpoint(
    args: argparse.Namespace, servers: dict[str, Server], endpoint: t.Any, tmp: Path
) -> list[dict[str, t.Any]]:
    """Warm every framework up, then run pass 1 of each, pass 2 of each...:
    a disturbance from elsewhere on the machine then falls on all of them
    alike instead of on one framework's cell."""
    rows: dict[str, dict[str, t.Any]] = {}
    loads: dict[str, Load] = {}
    passes: dict[str, list[dict[str, t.Any]]] = {}
    for fname, server in servers.items():
        row = rows[fname] = {
            "server": server.name, "framework": fname, "endpoint": endpoint.name
        }  # fmt: skip
        if endpoint.websocket and not server.framework.websocket:
            del rows[fname]
        elif endpoint.websocket and fname == "pottle" and not pottle_has_websocket():
            row["error"] = "not yet available"
        else:
            try:
                loads[fname] = Load(args, server, endpoint, tmp)
                if args.warmup:
                    loads[fname].run(args.warmup)
            except FAILURES as exc:
                row["error"] = one_line(exc)
    for _ in range(args.repeats):
        for fname, load in loads.items():
            if "error" not in rows[fname]:
                try:
                    passes.setdefault(fname, []).append(load.run(args.duration))
                except FAILURES as exc:
                    rows[fname]["error"] = one_line(exc)
    for fname, row in rows.items():
        if "error" not in row and passes.get(fname):
            row.update(summarize(passes[fname]))
        print(progress(row), file=sys.stderr, flush=True)
    return list(rows.values())


FAILURES = (RuntimeError, OSError, subprocess.TimeoutExpired)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


def progress(row: dict[str, t.Any]) -> str:
    head = f"{row['server']:9} {row['framework']:11} {row['endpoint']:8}"
    if "error" in row:
        return f"{head} {row['error']}"
    return f"{head} {row['rps']:9.0f}/s  p99 {row['p99_us'] / 1000:.2f} ms"


def add_ratios(rows: list[dict[str, t.Any]]) -> None:
    """Each row against the raw ASGI app on the same server and endpoint:
    the ratio of req/s, the time per request above it (1/rps - 1/raw), and
    the server CPU time per request above it. The CPU figure holds when
    other processes share the machine; on a quiet machine they agree."""
    raw = {
        (r["server"], r["endpoint"]): r
        for r in rows
        if r["framework"] == "raw" and r.get("rps") and r.get("cpu_us")
    }
    for row in rows:
        base = raw.get((row["server"], row["endpoint"]))
        if base and row.get("rps") and row.get("cpu_us"):
            row["ratio"] = row["rps"] / base["rps"]
            row["cpu_ratio"] = base["cpu_us"] / row["cpu_us"]
            row["overhead_us"] = (1 / row["rps"] - 1 / base["rps"]) * 1e6
            row["cpu_overhead_us"] = row["cpu_us"] - base["cpu_us"]


def table(rows: list[dict[str, t.Any]]) -> str:
    lines = [
        "| server | endpoint | framework | req/s | p99 ms | × raw"
        " | CPU µs/req | CPU µs over raw |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "error" in r:
            cells = [r["error"], "", "", "", ""]
        else:
            cells = [
                f"{r['rps']:,.0f}"
                + (f" ({r['errors']} errors)" if r["errors"] else ""),
                f"{r['p99_us'] / 1000:.1f}",
                f"{r['ratio']:.2f}" if "ratio" in r else "",
                f"{r['cpu_us']:.1f}",
                f"{r['cpu_overhead_us']:.1f}" if "ratio" in r else "",
            ]
        lines.append(
            f"| {r['server']} | {r['endpoint']} | {r['framework']} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def goals(rows: list[dict[str, t.Any]]) -> list[str]:
    """pottle's performance goals against this run, each judged by req/s
    and by server CPU time (the two agree on a quiet machine)."""
    cell = {(r["server"], r["endpoint"], r["framework"]): r for r in rows}

    def values(server: str, endpoint: str, fw: str, key: str) -> tuple[t.Any, ...]:
        row = cell.get((server, endpoint, fw), {})
        return row.get(key), row.get(f"cpu_{key}"), row.get("error")

    def check(text: str, by: tuple[t.Any, ...], ok: t.Callable[[float], bool]) -> str:
        by_rps, by_cpu, error = by
        if by_rps is None or by_cpu is None:
            return f"- {text}: {error or 'not measured'}"
        verdict = "met" if ok(by_rps) and ok(by_cpu) else "NOT met"
        return f"- {text}: {by_rps:.2f} by req/s, {by_cpu:.2f} by CPU — {verdict}"

    out = [
        check(
            f"uvicorn {endpoint}: pottle µs over raw ≤ 25",
            values("uvicorn", endpoint, "pottle", "overhead_us"),
            lambda v: v <= 25,
        )
        for endpoint in ("hello", "json")
    ]
    for endpoint in ("hello", "json"):
        sync = values("uvicorn", endpoint, "pottle-sync", "overhead_us")
        async_ = values("uvicorn", endpoint, "pottle", "overhead_us")
        quotients = tuple(
            s / a if isinstance(s, float) and isinstance(a, float) and a else None
            for s, a in zip(sync[:2], async_[:2], strict=True)
        )
        out.append(
            check(
                f"uvicorn {endpoint}: sync-view overhead / async overhead ≤ 2",
                (*quotients, sync[2] or async_[2]),
                lambda v: v <= 2,
            )
        )
    for server, endpoint, goal in [
        ("hypercorn", "hello", 0.9),
        ("uvicorn", "template", 0.8),
        ("uvicorn", "ws", 0.9),
    ]:
        out.append(
            check(
                f"{server} {endpoint}: pottle × raw ≥ {goal}",
                values(server, endpoint, "pottle", "ratio"),
                lambda v, goal=goal: v >= goal,
            )
        )
    return out


def machine() -> dict[str, t.Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from importlib.metadata import version

    packages = ["pottle", "starlette", "quart", "flask", "werkzeug", "jinja2"]
    packages += ["uvicorn", "uvloop", "httptools", "hypercorn", "granian", "a2wsgi"]
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "wrk": (wrk.stdout + wrk.stderr).split("\n", 1)[0].strip(),
        "pottle_commit": commit,
        "versions": {name: version(name) for name in packages},
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    from endpoints import ENDPOINTS, FRAMEWORKS

    def names(known: t.Iterable[str]) -> t.Callable[[str], list[str]]:
        def parse(value: str) -> list[str]:
            chosen = [v for v in value.split(",") if v]
            if unknown := set(chosen) - set(known):
                raise argparse.ArgumentTypeError(f"unknown: {sorted(unknown)}")
            return chosen

        return parse

    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="run.py --micro [...] and run.py --hotpath [...] run micro.py and"
        " hotpath.py in the bench venv (see their --help).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )

    def listed(names: t.Iterable[str]) -> str:
        return "comma-separated, of: " + ",".join(names)

    p.add_argument(
        "-s", "--servers", type=names(SERVERS), default=SERVERS, help=listed(SERVERS)
    )
    p.add_argument(
        "-f",
        "--frameworks",
        type=names(FRAMEWORKS),
        default=list(FRAMEWORKS),
        help=listed(FRAMEWORKS),
    )
    p.add_argument(
        "-e",
        "--endpoints",
        type=names(ENDPOINTS),
        default=list(ENDPOINTS),
        help=listed(ENDPOINTS),
    )
    p.add_argument("-d", "--duration", type=int, default=10, help="seconds a pass")
    p.add_argument("-r", "--repeats", type=int, default=3, help="passes a cell")
    p.add_argument("-w", "--warmup", type=int, default=2, help="seconds")
    p.add_argument("-c", "--connections", type=int, default=64)
    p.add_argument("--ws-connections", type=int, default=16)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("-o", "--output", type=Path, help="JSON results file")
    return p.parse_args(argv)


def main() -> None:
    ensure_venv()
    sys.path.insert(0, str(BENCH))
    for tool in ("--micro", "--hotpath"):
        if sys.argv[1:2] == [tool]:
            script = BENCH / f"{tool[2:]}.py"
            os.execv(sys.executable, [sys.executable, str(script), *sys.argv[2:]])
    args = parse_args(sys.argv[1:])
    args.wrk = ensure_wrk()
    cells = len(args.servers) * len(args.frameworks) * len(args.endpoints)
    minutes = cells * (args.warmup + args.repeats * args.duration + 1) / 60
    print(f"{cells} cells, about {minutes:.0f} minutes", file=sys.stderr)
    info = machine()
    busy = os.getloadavg()[0]
    if busy > (os.cpu_count() or 1) / 2:
        print(
            f"warning: the machine is busy (load average {busy:.1f}): req/s will"
            " be low; the CPU columns suffer less",
            file=sys.stderr,
        )
    rows = run(args)
    add_ratios(rows)
    RESULTS.mkdir(exist_ok=True)
    output = args.output or RESULTS / f"run-{info['date'].replace(':', '')}.json"
    output.write_text(
        json.dumps({"machine": info, "args": sys.argv[1:], "rows": rows}, indent=1)
    )
    print(
        f"\n{info['date']}, {info['nproc']} cpus ({info['cpu']}), Python"
        f" {info['python']}, {info['wrk']}; pottle {info['pottle_commit']}"
    )
    print(", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    loads = [r["loadavg"] for r in rows if "loadavg" in r]
    if loads:
        print(f"load average while measuring: {min(loads):.1f} to {max(loads):.1f}")
    print(
        f"{args.connections} connections (websocket: {args.ws_connections}),"
        f" {args.duration:g} s x {args.repeats} (median), server on cpu"
        f" {args.server_cpu}, load on cpu {args.client_cpu}\n"
    )
    print(table(rows))
    print("\nGoals\n" + "\n".join(goals(rows)))
    print(f"\nSaved to {output}")


if __name__ == "__main__":
    main()
