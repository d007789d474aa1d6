"""`make test` beside a reference commit's, on this machine, in one run (prints figures; not a test).

``.venv/bin/python -m bench suite [--reference c0de244] [--rounds 2]``

Each figure is one run of `.ci/run` in a clean clone (the suite as CI runs it: its own install, ruff and mypy, a
fresh PostgreSQL database, Redis, headless Chromium), one run at a time, nothing else of the bench running:

- the reference's suite: the reference commit's own `.ci/run`;
- this suite: the checked-out commit's;
- the reference's tests today: this commit's `.ci/run` with only the tests whose file name and function the
  reference held (bench/suite_select.py), with every parameter they have today: the work the reference's suite
  did, done by today's machinery. Tests added since are the difference between the two lines above it.

With `--rounds 2` the runs go again in the opposite order, so that a machine that slows down or speeds up during
the bench weighs on both sides. For each run: the tests that passed, pytest's own seconds, the whole `.ci/run`'s,
the machine's busy and idle CPU-seconds (from /proc/stat, Linux only) and each time as a share of the reference's
in the same round. The machine should be otherwise idle; these are wall-clock figures of a shared machine, so
compare the ratios of one bench, never figures of two.

Needs the repository's history (the reference is checked out from it), PostgreSQL on 127.0.0.1:5432 and Redis,
as `.ci/run` does. Logs are kept under var/bench-suite/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.suite_select import VARIABLE

REPO = Path(__file__).resolve().parents[1]
#: The commit issue 28 was filed at: "half of today's time" is measured against its suite.
DEFAULT_REFERENCE = "c0de244"
#: pytest's last line: "==== 3322 passed, 2 deselected in 364.44s (0:06:04) ====".
SUMMARY = re.compile(r"=+ (?P<passed>\d+) passed\b[^\n]*? in (?P<seconds>[\d.]+)s")
TEST_FUNCTION = re.compile(r"^\s*(?:async\s+)?def (test_\w+)")
#: The three runs of a round, in the order of the table (the first is the one the others are a share of).
LABELS = ["the reference's suite", "this suite", "the reference's tests today"]


@dataclass
class Run:
    label: str
    commit: str
    passed: int | None
    pytest_seconds: float | None
    seconds: float
    busy: float | None
    idle: float | None
    returncode: int


def cpu_seconds() -> tuple[float, float] | None:
    """The machine's busy and idle CPU-seconds since boot (all cores), or None off Linux."""
    try:
        first = Path("/proc/stat").read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(value) for value in first[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    hertz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hertz, idle / hertz


def reference_tests(repo: Path, commit: str) -> list[str]:
    """`file_name.py::test_function` of every test function under the commit's tests/ (its own history)."""
    found = subprocess.run(
        ["git", "-C", str(repo), "grep", "-n", "-E", r"^\s*(async\s+)?def test_", commit, "--", "tests"],
        capture_output=True,
        text=True,
    )
    if found.returncode not in (0, 1):  # 1: nothing found
        raise SystemExit(f"git grep at {commit} failed: {found.stderr.strip()}")
    tests = set()
    for line in found.stdout.splitlines():
        _, path, _, text = line.split(":", 3)
        match = TEST_FUNCTION.match(text)
        if match and Path(path).name.startswith("test_"):
            tests.add(f"{Path(path).name}::{match[1]}")
    return sorted(tests)


def passed_and_seconds(output: str) -> tuple[int | None, float | None]:
    """The passed count and pytest's seconds from the last summary line of a run's output."""
    matches = list(SUMMARY.finditer(output))
    if not matches:
        return None, None
    return int(matches[-1]["passed"]), float(matches[-1]["seconds"])


def clone_at(commit: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO), str(into)], check=True)
    subprocess.run(["git", "-C", str(into), "checkout", "-q", commit], check=True)
    return into


def ci_run(label: str, clone: Path, commit: str, log: Path, extra_env: dict[str, str]) -> Run:
    # The developer's shell may forbid bytecode files (PYTHONDONTWRITEBYTECODE), which makes each test process's
    # collection several times dearer; CI's shell does not. What the bench itself was given for the database
    # and the suite's arguments is not passed on: .ci/run makes its own database.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONDONTWRITEBYTECODE", "DATABASE_URL", "PYTEST_ARGS", VARIABLE}
    }
    env |= extra_env
    print(f"  {label} ({commit}): running .ci/run, log {log}", flush=True)
    before = cpu_seconds()
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        returncode = subprocess.run(
            ["bash", ".ci/run"], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    seconds = time.perf_counter() - started
    after = cpu_seconds()
    passed, pytest_seconds = passed_and_seconds(log.read_text(encoding="utf-8", errors="replace"))
    busy = idle = None
    if before and after:
        busy, idle = after[0] - before[0], after[1] - before[1]
    return Run(label, commit, passed, pytest_seconds, seconds, busy, idle, returncode)


def table(rounds: list[list[Run]]) -> str:
    def number(value: float | int | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    def share(value: float | None, reference: float | None) -> str:
        return "n/a" if value is None or not reference else f"{value / reference:.2f}"

    head = (
        f"{'round':<6}{'run':<32}{'commit':<10}{'tests':>7}{'pytest s':>10}{'s/test':>8}{'.ci/run s':>11}"
        f"{'busy CPU-s':>12}{'idle CPU-s':>12}{'pytest x':>10}{'.ci/run x':>11}"
    )
    lines = [head, "-" * len(head)]
    for n, runs in enumerate(rounds, 1):
        reference = runs[[run.label for run in runs].index(LABELS[0])]
        for run in sorted(runs, key=lambda r: LABELS.index(r.label)):
            per_test = run.pytest_seconds / run.passed if run.pytest_seconds and run.passed else None
            lines.append(
                f"{n:<6}{run.label:<32}{run.commit:<10}{number(run.passed, 'd'):>7}"
                f"{number(run.pytest_seconds, '.1f'):>10}{number(per_test, '.3f'):>8}{run.seconds:>11.1f}"
                f"{number(run.busy, '.1f'):>12}{number(run.idle, '.1f'):>12}"
                f"{share(run.pytest_seconds, reference.pytest_seconds):>10}"
                f"{share(run.seconds, reference.seconds):>11}"
                + ("" if run.returncode == 0 else f"  FAILED (exit {run.returncode})")
            )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench suite", description="make test beside a reference commit's, as CI runs both"
    )
    parser.add_argument("--reference", default=DEFAULT_REFERENCE, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=1, help="2 runs everything again in the opposite order")
    options = parser.parse_args(argv)
    reference = _short(options.reference)
    head = _short("HEAD")
    if subprocess.run(["git", "-C", str(REPO), "diff", "--quiet", "HEAD"]).returncode:
        print("Note: uncommitted changes are not measured; this suite is the commit HEAD names.")
    folder = REPO / "var" / "bench-suite" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True)
    listed = folder / "reference-tests.txt"
    tests = reference_tests(REPO, reference)
    listed.write_text("\n".join(tests) + "\n", encoding="utf-8")
    print(f"{len(tests)} test functions at {reference} (file name and function), listed in {listed}")
    plans = [
        (LABELS[0], reference, {}),
        (LABELS[1], head, {}),
        (LABELS[2], head, {"PYTEST_ARGS": "-p bench.suite_select", VARIABLE: str(listed)}),
    ]
    rounds: list[list[Run]] = []
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as scratch:
        clones = {commit: clone_at(commit, Path(scratch) / commit) for commit in {reference, head}}
        for n in range(options.rounds):
            print(f"Round {n + 1}", flush=True)
            order = plans if n % 2 == 0 else plans[::-1]
            rounds.append(
                [
                    ci_run(label, clones[commit], commit, folder / f"{n + 1}-{LABELS.index(label)}.log", env)
                    for label, commit, env in order
                ]
            )
    print()
    print(table(rounds))
    print(f"\nLogs: {folder}")
    return 0 if all(run.returncode == 0 for runs in rounds for run in runs) else 1


def _short(revision: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", revision], capture_output=True, text=True, check=True
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
