"""The Flask compatibility harness: Flask 3.1.3's own tests and examples, run
against pottle through pottle_flask_alias (``./dev compat``; docs/compat.md).

It fetches the Flask sdist from PyPI (cached in build/compat/, never
committed), builds a virtualenv of its own, runs each suite with junit XML,
prints per-file counts and totals, and exits 1 when a suite passes fewer
items than compat/baseline.json records. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import typing as t
import venv
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "compat"
BUILD = REPO / "build" / "compat"
VENV = BUILD / "venv"
RESULTS = BUILD / "results"
BASELINE = HERE / "baseline.json"

FLASK_VERSION = "3.1.3"
SDIST_SHA256 = "0ef0e52b8a9cd932855379197dd8f94047b359ca0a78695144304cb45f87c9eb"
SDIST_DIR = BUILD / f"flask-{FLASK_VERSION}"

# What the suites need besides pottle and the alias. No Flask: the alias
# must be the only flask in the process.
REQUIREMENTS = [
    # Flask 3.1.3's conftest imports _pytest.monkeypatch.notset (gone in 9).
    "pytest>=8,<9",
    # Flask 3.1.3's lock file; with 3.1.9 test_bad_environ_raises_bad_request
    # fails even on Flask itself.
    "werkzeug==3.1.5",
    "pytest-timeout",
    "python-dotenv",  # test_cli's .env / .flaskenv cases
    "asgiref",  # test_async skips without it
    "greenlet",  # test_reqctx's greenlet cases skip without it
    "celery>=5.4,<6",  # the Celery example
]

# Flask's tests silence this warning only when it comes from the module
# "flask.app"; pottle raises it from pottle.app. Same filter, our module name.
SERVER_NAME_FILTER = "ignore:Current server name:UserWarning:pottle.app"

ALIAS = ["-p", "pottle_flask_alias"]
PYTEST = ["-m", "pytest", "-p", "no:cacheprovider", "-o", "junit_family=xunit1"]


@dataclass
class Suite:
    """One pytest run: where it runs and what it is given."""

    name: str
    title: str
    cwd: Path
    args: list[str]
    pythonpath: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def suites() -> list[Suite]:
    examples = SDIST_DIR / "examples"
    deselect = [
        arg
        for line in (HERE / "deselected.txt").read_text().splitlines()
        if (item := line.split("#")[0].strip())
        for arg in ("--deselect", item)
    ]
    return [
        Suite(
            "alias",
            "pottle_flask_alias's own tests",
            REPO / "extensions_shim",
            # The extension suites need the extensions: ./dev extensions.
            ["--ignore", "tests/extensions"],
        ),
        Suite(
            "flask",
            f"Flask {FLASK_VERSION} tests/",
            SDIST_DIR,
            [*ALIAS, "-W", SERVER_NAME_FILTER, "--timeout", "60"]
            + ["--continue-on-collection-errors", *deselect, "tests"],
        ),
        Suite(
            "flaskr",
            "examples/tutorial (flaskr)",
            examples / "tutorial",
            [*ALIAS, "--timeout", "60", "tests"],
            pythonpath=[examples / "tutorial"],
        ),
        Suite(
            "js_example",
            "examples/javascript (js_example)",
            examples / "javascript",
            [*ALIAS, "--timeout", "60", "tests"],
            pythonpath=[examples / "javascript"],
        ),
        Suite(
            "celery",
            "examples/celery (task_app), eager",
            HERE / "celery",
            [*ALIAS, "--timeout", "60"],
            env={"FLASK_CELERY_EXAMPLE": str(examples / "celery")},
        ),
    ]


# -- setup ------------------------------------------------------------------


def venv_python() -> Path:
    return VENV / "bin" / "python"


def pip(*args: str | Path) -> None:
    """Run pip in the harness's venv quietly; show its output if it fails."""
    options = ["--quiet", "--disable-pip-version-check"]
    cmd = [str(a) for a in (venv_python(), "-m", "pip", *options, *args)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"compat: setup step failed: {' '.join(cmd)}")


def ensure_venv() -> None:
    """(Re)build the harness's virtualenv when its inputs changed."""
    inputs = [sys.version, *REQUIREMENTS]
    for pyproject in (REPO / "pyproject.toml", REPO / "extensions_shim/pyproject.toml"):
        inputs.append(pyproject.read_text())
    digest = hashlib.sha256("\n".join(inputs).encode()).hexdigest()[:16]
    stamp = VENV / f".compat-{digest}"
    if stamp.exists():
        return
    print(f"compat: building {VENV.relative_to(REPO)}", flush=True)
    venv.create(VENV, clear=True, with_pip=True)
    pip("install", "-e", REPO, "-e", "extensions_shim", *REQUIREMENTS)
    stamp.touch()


def ensure_sdist() -> None:
    """Fetch Flask's sdist once, check it, and unpack a fresh copy."""
    archive = BUILD / "sdist" / f"flask-{FLASK_VERSION}.tar.gz"
    if not archive.exists():
        pip(
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "-d",
            archive.parent,
            f"flask=={FLASK_VERSION}",
        )
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        archive.unlink()
        sys.exit(f"compat: {archive.name} has sha256 {digest}, expected {SDIST_SHA256}")
    shutil.rmtree(SDIST_DIR, ignore_errors=True)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(BUILD, filter="data")
        else:
            tar.extractall(BUILD)


# -- running and counting -----------------------------------------------------


@dataclass
class Outcome:
    """What one suite's junit XML says, per test file."""

    counts: dict[str, Counter[str]]
    failing: list[str]
    deselected: int = 0

    @property
    def totals(self) -> Counter[str]:
        return sum(self.counts.values(), Counter[str]())


def run_suite(suite: Suite, verbose: bool) -> Outcome:
    xml = RESULTS / f"{suite.name}.xml"
    log = RESULTS / f"{suite.name}.log"
    xml.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(suite.env)
    if suite.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(map(str, suite.pythonpath))
    cmd = [str(venv_python()), *PYTEST, f"--junitxml={xml}", "-rfE", *suite.args]
    print(f"compat: running {suite.title}", flush=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=suite.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in proc.stdout or ():
            out.write(line)
            if verbose:
                sys.stdout.write(line)
        proc.wait()
    if not xml.exists():
        sys.exit(f"compat: {suite.name} wrote no junit XML; see {log}")
    outcome = read_junit(xml)
    if found := re.search(r"(\d+) deselected", log.read_text()):
        outcome.deselected = int(found[1])
    return outcome


def read_junit(xml: Path) -> Outcome:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    failing = []
    for case in ET.parse(xml).iter("testcase"):
        status = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                status = {"failure": "failed", "error": "errors"}.get(
                    child.tag, "skipped"
                )
                break
        file = case.get("file", "?")
        counts[file][status] += 1
        if status in ("failed", "errors"):
            failing.append(node_id(file, case.get("classname", ""), case.get("name")))
    return Outcome(dict(counts), sorted(failing))


def node_id(file: str, classname: str, name: str | None) -> str:
    """pytest's id for a junit case: "tests.test_cli.TestRoutes" names the
    module and then the class."""
    module = file.removesuffix(".py").replace("/", ".")
    cls = classname.removeprefix(module + ".") if classname != module else ""
    return "::".join(filter(None, [file, cls, name]))


# -- reporting and the gate ---------------------------------------------------

COLUMNS = ("passed", "failed", "errors", "skipped")

#: compat/baseline.json: per suite, the pass count and the failing items.
Baseline = dict[str, dict[str, t.Any]]


def table_row(label: str, counts: Counter[str], width: int) -> str:
    return f"  {label:<{width}}" + "".join(f"{counts[c]:>9}" for c in COLUMNS)


def print_outcome(suite: Suite, outcome: Outcome) -> None:
    width = max(len("total"), *map(len, outcome.counts))
    deselected = f", {outcome.deselected} deselected" if outcome.deselected else ""
    print(f"\n{suite.title}  ({suite.name}{deselected})")
    print(f"  {'file':<{width}}" + "".join(f"{c:>9}" for c in COLUMNS))
    for file in sorted(outcome.counts):
        print(table_row(file, outcome.counts[file], width))
    print(table_row("total", outcome.totals, width))


def gate(outcomes: dict[str, Outcome], baseline: Baseline) -> bool:
    """Print the totals against the baseline; False if a suite has none or
    passes fewer items than it records."""
    print(f"\n  {'suite':<12}" + "".join(f"{c:>9}" for c in COLUMNS) + " baseline")
    ok = True
    for name, outcome in outcomes.items():
        recorded = baseline.get(name)
        totals = outcome.totals
        line = f"  {name:<12}" + "".join(f"{totals[c]:>9}" for c in COLUMNS)
        if recorded is None:
            print(f"{line}        -  no baseline: record one with --record")
            ok = False
            continue
        delta = totals["passed"] - recorded["passed"]
        print(f"{line} {recorded['passed']:>8}  ({delta:+d})")
        if delta < 0:
            ok = False
            new = sorted(set(outcome.failing) - set(recorded.get("failing", [])))
            for item in new:
                print(f"      newly failing: {item}")
    everything = sum((o.totals for o in outcomes.values()), Counter[str]())
    print(f"  {'all':<12}" + "".join(f"{everything[c]:>9}" for c in COLUMNS))
    return ok


def record(outcomes: dict[str, Outcome], baseline: Baseline) -> None:
    for name, outcome in outcomes.items():
        baseline[name] = {
            "passed": outcome.totals["passed"],
            "failing": outcome.failing,
        }
    BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
    print(f"compat: recorded {BASELINE.relative_to(REPO)}")


def main(argv: list[str] | None = None) -> int:
    names = [s.name for s in suites()]
    parser = argparse.ArgumentParser(prog="./dev compat", description=__doc__)
    parser.add_argument(
        "--record",
        action="store_true",
        help="write the pass counts to compat/baseline.json",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=names,
        help="run only this suite (repeatable)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show pytest's output as it runs"
    )
    args = parser.parse_args(argv)

    RESULTS.mkdir(parents=True, exist_ok=True)
    ensure_venv()
    ensure_sdist()
    outcomes = {}
    for suite in suites():
        if args.suite and suite.name not in args.suite:
            continue
        outcomes[suite.name] = outcome = run_suite(suite, args.verbose)
        print_outcome(suite, outcome)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if args.record:
        record(outcomes, baseline)
        return 0
    ok = gate(outcomes, baseline)
    print(f"\nlogs and junit XML: {RESULTS.relative_to(REPO)}/")
    if ok:
        print("compat gate: ok, no suite passes fewer items than its baseline")
        return 0
    print(f"compat gate: FAILED, see the baseline column ({BASELINE.name})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
