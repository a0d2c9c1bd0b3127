"""Where a framework's time goes per request: the in-process loop of
micro.py, sampled by py-spy (every thread, little distortion) or traced by
cProfile (exact call counts, main thread only, inflated times).

    bench/.venv/bin/python bench/hotpath.py -f pottle -e hello
    bench/.venv/bin/python bench/hotpath.py -f pottle-sync -e json --tool cprofile
    bench/.venv/bin/python bench/hotpath.py -f pottle -e hello --server uvicorn

Times are given in µs per request: a function's share of the samples times
the CPU time one request takes without the profiler. ``--server`` samples a
real server process under wrk instead (its CPU time per request from /proc).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import cProfile
import json
import pstats
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import micro
from endpoints import ENDPOINTS, FRAMEWORKS

# The timed loop of micro.make_runner (not the imports and setup).
LOOP_FRAME = "make_runner.<locals>.run ("
# Frames that run a request's sync work on pottle's worker threads.
WORKER_FRAMES = ("_serve_pool_thread",)
# A worker thread waiting for work (a leaf here is a blocking queue get).
IDLE_FRAMES = ("Worker.serve_forever ", "Worker.serve_until ")
FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]*)(?::(?P<line>\d+))?\)$")


async def hotpath_loop(
    fname: str, ename: str, number: int, profile: cProfile.Profile | None = None
) -> dict[str, float]:
    """Run ``number`` requests; wall and CPU µs per request."""
    framework = FRAMEWORKS[fname]
    app = micro.load(framework)
    async with (
        micro.lifespan(app) if framework.wsgi is None else contextlib.nullcontext()
    ):
        run = await micro.make_runner(framework, ENDPOINTS[ename], app)
        await run(max(number // 10, 10))
        if profile is not None:
            profile.enable()
        wall, cpu = await run(number)
        if profile is not None:
            profile.disable()
    return {"wall_us": wall, "cpu_us": cpu}


def child(args: argparse.Namespace) -> None:
    """The profiled process: run the loop, print its timing as JSON."""
    import uvloop

    timing = uvloop.run(hotpath_loop(args.framework, args.endpoint, args.number))
    print("TIMING " + json.dumps(timing))


def short(frame: str, keep_lines: bool) -> str:
    match = FRAME.match(frame)
    if match is None:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if match["line"] and keep_lines:
        path += f":{match['line']}"
    return f"{match['name']} ({path})"


def pyspy(args: argparse.Namespace) -> None:
    # The profiled loop runs a few times longer than unprofiled: time the
    # requests apart, without the sampler.
    timing = micro_timing(args)
    command = [
        sys.executable, __file__, "--child", "-f", args.framework,
        "-e", args.endpoint, "-n", str(args.number),
    ]  # fmt: skip
    stacks = record(args, ["--", *command])
    # Only the timed loop and the worker threads, not imports and setup.
    kept = [
        line
        for line in stacks
        if any(f.startswith((LOOP_FRAME, *WORKER_FRAMES)) for f in line.split(";"))
    ]
    report(
        args,
        kept,
        timing["cpu_us"],
        f"{timing['wall_us']:.1f} µs wall, {timing['cpu_us']:.1f} µs CPU per"
        " request in process",
    )


def pyspy_server(args: argparse.Namespace) -> None:
    """Sample a real server (``--server``) while wrk loads it."""
    import run

    framework, endpoint = FRAMEWORKS[args.framework], ENDPOINTS[args.endpoint]
    logs = run.RESULTS / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (
        run.Server(args.server, framework, 0, logs) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        load = run.Load(
            argparse.Namespace(wrk="wrk", connections=64, client_cpu=1),
            server,
            endpoint,
            Path(tmp),
        )
        load.run(2)  # warm up
        sampler = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--nonblocking",
                "-r",
                str(args.rate),
                "-f",
                "raw",
                "-o",
                f"{tmp}/stacks.txt",
                "-d",
                str(args.duration),
                "--pid",
                str(server.process.pid),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = load.run(args.duration)
        sampler.wait()
        stacks = Path(f"{tmp}/stacks.txt").read_text().splitlines()
    report(
        args,
        stacks,
        result["cpu_us"],
        f"{args.server}, {result['rps']:,.0f} req/s, {result['cpu_us']:.1f} µs"
        " server CPU per request",
    )


def record(args: argparse.Namespace, target: list[str]) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".txt") as out:
        command = [
            str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking",
            "-r", str(args.rate), "-f", "raw", "-o", out.name, *target,
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        return Path(out.name).read_text().splitlines()


def report(
    args: argparse.Namespace, stacks: list[str], cpu_us: float, title: str
) -> None:
    """Print the self and inclusive tables of py-spy's collapsed stacks."""
    self_time: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in stacks:
        stack, _, count_text = line.rpartition(" ")
        names = [short(f, args.lines) for f in stack.split(";")]
        if names[-1].startswith(IDLE_FRAMES):
            continue  # py-spy takes a worker blocked on its queue for busy
        count = int(count_text)
        total += count
        self_time[names[-1]] += count
        for name in set(names):
            inclusive[name] += count
    per_sample = cpu_us / max(total, 1)
    print(f"{args.framework} {args.endpoint}: {title}; py-spy, {total} samples\n")
    print_table("self", self_time, per_sample, args.top)
    print()
    skip = ("hotpath", "micro.py", "asyncio/", "uvloop", "<module>", "run (")
    cumulative = collections.Counter(
        {k: v for k, v in inclusive.items() if not any(s in k for s in skip)}
    )
    print_table("inclusive", cumulative, per_sample, args.top)


def micro_timing(args: argparse.Namespace) -> dict[str, float]:
    import uvloop

    runs = [
        uvloop.run(hotpath_loop(args.framework, args.endpoint, args.number))
        for _ in range(3)
    ]
    return min(runs, key=lambda r: r["cpu_us"])


def print_table(
    title: str, counts: collections.Counter[str], per_sample: float, top: int
) -> None:
    total = sum(counts.values()) if title == "self" else None
    print(f"| function ({title}) | µs/request | share |")
    print("|---|---:|---:|")
    grand = total or max(counts.values(), default=1)
    for name, count in counts.most_common(top):
        name = name.replace("|", "\\|")
        print(f"| `{name}` | {count * per_sample:.1f} | {count / grand:.0%} |")


def cprofile(args: argparse.Namespace) -> None:
    profile = cProfile.Profile()
    import uvloop

    timing = uvloop.run(
        hotpath_loop(args.framework, args.endpoint, args.number, profile)
    )
    stats = pstats.Stats(profile)
    n = args.number
    print(
        f"{args.framework} {args.endpoint}: cProfile, main thread only, times"
        f" inflated by tracing ({timing['wall_us']:.1f} µs wall per request"
        " while traced)\n"
    )
    print("| function | calls/request | own µs | cumulative µs |")
    print("|---|---:|---:|---:|")
    rows = sorted(
        stats.stats.items(),  # type: ignore[attr-defined]
        key=lambda item: item[1][2 if args.sort == "tottime" else 3],
        reverse=True,
    )
    for (path, line, name), (_, calls, tottime, cumtime, _) in rows[: args.top]:
        where = short(f"{name} ({path}:{line})", args.lines)
        print(
            f"| `{where}` | {calls / n:.1f} | {tottime / n * 1e6:.2f}"
            f" | {cumtime / n * 1e6:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-f", "--framework", default="pottle", choices=FRAMEWORKS)
    parser.add_argument("-e", "--endpoint", default="hello", choices=ENDPOINTS)
    parser.add_argument("-n", "--number", type=int, default=20000)
    parser.add_argument("--tool", choices=["py-spy", "cprofile"], default="py-spy")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples/s")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", choices=["tottime", "cumtime"], default="tottime")
    parser.add_argument("--lines", action="store_true", help="keep line numbers")
    parser.add_argument(
        "--server",
        choices=["uvicorn", "hypercorn", "granian"],
        help="sample this server under wrk instead of the in-process loop",
    )
    parser.add_argument("-d", "--duration", type=int, default=10, help="--server")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
    elif args.server:
        pyspy_server(args)
    elif args.tool == "py-spy":
        pyspy(args)
    else:
        cprofile(args)


if __name__ == "__main__":
    main()
