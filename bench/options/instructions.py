"""The Options list beside the Customers list in instructions per request instead of milliseconds, for the same
requests as `bench.options.list` on the same 10,000 customers and 25,000 options.

valgrind's callgrind counts the instructions a process runs, whatever else the machine is doing: on a shared
machine two runs of the timed benchmark can differ by more than the two lists do, while these counts repeat
(hash seed fixed). Each figure is (instructions of a process that warms up and then makes N requests, less
those of the same process making none) / N. SQLite only: its work runs inside the process, while PostgreSQL's
runs in its server's processes, which callgrind does not see.

Run through ``python -m bench.options instructions`` (which gives it its own database): nine valgrind
processes, one per core at a time, each a few minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.options.list import admin_client, scenarios, seed

#: Requests measured in each process: the first MEASURED of a scenario's requests, each once. The warm-up
#: (every scenario's first WARM requests on both lists: templates, translations, URL patterns, the database's
#: pages) runs in every process, the baseline's included.
MEASURED = 10
WARM = 2
REPO = Path(__file__).resolve().parents[2]
LISTS = {"options": "/options/", "customers": "/customers/"}


def requests(scenario: str | None, name: str | None) -> list[tuple[str, dict]]:
    """The warm-up, then the measured requests of one list in one scenario (none for the baseline)."""
    chosen = scenarios()
    warm = [
        (url, params)
        for pair in chosen.values()
        for o_params, c_params in zip(pair[0][:WARM], pair[1][:WARM], strict=True)
        for url, params in ((LISTS["options"], o_params), (LISTS["customers"], c_params))
    ]
    if scenario is None:
        return warm
    side = chosen[scenario][0 if name == "options" else 1]
    return warm + [(LISTS[name], params) for params in side[:MEASURED]]


def run_requests(scenario: str | None, name: str | None) -> None:
    """In the process valgrind watches: sign in, then make the requests (each must answer 200)."""
    client = admin_client()
    for url, params in requests(scenario, name):
        status = client.get(url, params).status_code
        assert status == 200, (url, params, status)


def counted(scenario: str | None, name: str | None) -> int:
    """Instructions of one process making the warm-up and then `name`'s requests of `scenario`."""
    args = [] if scenario is None else [scenario, name]
    answer = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.options.instructions",
            "--requests",
            *args,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", answer.stderr)
    if answer.returncode or not found:
        raise SystemExit(f"valgrind run failed ({scenario}, {name}):\n{answer.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    from django.conf import settings
    from django.core.management import call_command

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        print("(instructions are counted on SQLite only: PostgreSQL's work runs in its server's processes)")
        return 0
    if not shutil.which("valgrind"):
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 1
    call_command("migrate", verbosity=0)
    seed()
    admin_client()  # the benchmark's user, made once here rather than inside a measured process
    jobs = [(None, None)] + [(s, name) for s in scenarios() for name in LISTS]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: counted(*job), jobs), strict=True))
    base = counts[(None, None)]
    print(
        f"{'instructions per request (millions)':44} {'Options list':>14} {'Customers list':>16} {'ratio':>7}"
    )
    for scenario in scenarios():
        opt, cus = ((counts[(scenario, name)] - base) / MEASURED / 1e6 for name in LISTS)
        print(f"{scenario:44} {opt:14.1f} {cus:16.1f} {opt / cus:6.2f}×")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--requests"]:
        run_requests(*(sys.argv[2:4] or [None, None]))
    else:
        sys.exit(main())
