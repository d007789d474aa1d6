"""The scale guard: every page each role opens, at a small size without history and a large one with a year of
it, on PostgreSQL (prints figures; not a test).

``.venv/bin/python -m bench scale [--small 1000] [--medium 10000,25000] [--large 50000] [--months 12]
[--small-months 0] [--no-history-check] [--database NAME] [--no-instructions] [--only REGEX] [--show PAGE]
[--keep]`` (``make bench-scale``). DATABASE_URL must name a PostgreSQL server: the guard makes scratch databases
there (NAME_small, NAME_small_history, NAME_10000_history, NAME_25000_history and NAME_large, NAME
``bench_scale_<pid>`` by default) and fills each with bench.seed: the small one at ``--small`` customers without
history unless ``--small-months``; the references a page that shows or asks more at the large size is judged
from (`report`; none with ``--small-months`` or ``--no-history-check``): the small size with the large one's
history, then each ``--medium`` size with it (where an Account manager's lists, a common word's matches and the
worklists' sections fill their page: at the small size a manager has 83 customers); the large one at
``--large`` customers with ``--months`` months. A page that does more is so judged by the growth of what it
reads for the same rows, against a bar lower the nearer its reference is to the large size (`buffers_bar`), so
that a page that reads every row still grows past it. Each database is dropped once measured; with instructions,
once they are counted at the end, so the run holds every size's database at once (``--keep`` keeps them, and a
later run with the same names measures them again without seeding). Every database is seeded and
measured with the clock at the same hour of the business day (bench/pinned.py).

Its pages come from the URL resolver (bench/pages.py): every GET page and htmx partial each role may open, its
arguments filled from the seed, lists also searched and on page 2, found on the small database and opened as
the same pages on the large one; Django admin's changelists of the largest tables beside them as references.
Its downloads (bench/pages.py `DOWNLOADS`) are opened apart, at the small size and the large one only: their
queries, the file's size and the memory they hold beyond the file (bench/downloads.py), in a table of their own.
For each page and size it prints:

* SQL: the page's queries (without the session's once-a-minute write, bench/common.py);
* buffers: PostgreSQL's shared buffers (hit + read) of ``EXPLAIN (ANALYZE, BUFFERS)`` of each of the page's
  reads, summed: the database's reads, whatever else the machine is doing;
* rows: the rows PostgreSQL handled in those reads (`rows_handled`): its work that buffers do not show;
* items: the rows, entries and choices it shows (`items_shown`), what "shows more" is judged by;
* kB: the response's size;
* Minstr: the Python process's instructions per request, by valgrind's callgrind (one process per size that
  makes every page's requests, uninstrumented but for each page's measured ones: callgrind's client requests
  around them, through a small C helper compiled at the first run; every page warmed first, then what the
  process holds frozen out of the cyclic collector's reach, as the server does), once every size's figures
  are in: at the large size and at the size each page is judged from only (`counted_where`), "-" elsewhere;
  the sizes side by side, a process per core. Said so when valgrind (or a C compiler) is missing.

Then the growth of each figure from the small size to the large one. The last line names the pages that grow;
the exit status is 1 when any page's buffers grow more than BUFFERS_GROWTH (less from a reference,
`buffers_bar`), its rows as much once past ROWS_FLOOR, or its instructions more than INSTRUCTIONS_GROWTH (the
admin changelists are references, never judged), 2 when a page could not be opened.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.downloads import measure_downloads, report_downloads
from bench.pages import REFERENCES, Page, body

REPO = Path(__file__).resolve().parents[1]
BUFFERS_GROWTH = 3.0
INSTRUCTIONS_GROWTH = 1.1
#: Requests counted per page in the callgrind process (after one unmeasured warm-up request of the page).
MEASURED = 1
#: `--show PAGE`: how many of the page's reads, and how much of each one's SQL, are printed.
SHOWN_READS, SHOWN_SQL = 4, 600
#: Where the small run leaves the pages it found, for the large run and the callgrind processes.
PAGE_LIST = REPO / "var" / "bench-scale-pages.json"


# --- Measuring --------------------------------------------------------------------------------------------------


def clients() -> dict:
    """A signed-in test client per role (its value: "account_manager"), as the seed's first person of it."""
    from django.conf import settings
    from django.test import Client

    from bench.common import sign_in
    from bench.pages import ROLES
    from bench.seed import user_of
    from bench.seed.invoices import DEBIT_COLLECTOR

    # The Direct debit page as a partner collecting by debit sees it.
    for name, value in DEBIT_COLLECTOR.items():
        setattr(settings, name, value)
    out = {}
    for role in ROLES:
        client = Client()
        sign_in(client, user_of(role))
        client.api_secret = api_secret(user_of(role))  # type: ignore[attr-defined]
        out[role] = client
    return out


#: The description of the tokens the guard makes (`api_secret`), which a later run on a kept database removes.
BENCH_TOKEN = "bench"


def api_secret(user) -> str:
    """A token of `user` that may do in each area what their role allows, for the API's endpoints; the API on,
    and its rate limit out of the way of a benchmark's calls."""
    from django.conf import settings

    from portal.core.api.areas import caps_of
    from portal.core.api.tokens import token_make

    settings.API_ENABLED = True
    settings.API_RATE_LIMIT_PER_MINUTE, settings.API_RATE_BURST = 100_000, 10_000
    levels = {key: level.value for key, level in caps_of(user).items()}
    return token_make(user=user, description=BENCH_TOKEN, days=1, levels=levels)[1]


def request(client, page: Page, *, check: bool = True, url: str = ""):
    """One request of `page`; `url`: its address worked out before (`page.url()` reads the seed to fill the
    URL's arguments, which a measured request must not count as the page's reads)."""
    headers = {"HX-Request": "true", "HX-Target": page.target} if page.target else {}
    if page.api:
        headers["Authorization"] = f"Bearer {client.api_secret}"
    response = client.get(url or page.url(), page.params, headers=headers)
    body(response)  # a streamed page is read whole, as a browser reads it
    if check and response.status_code not in (200, 204):
        raise SystemExit(f"{page.label}: {page.url()} {page.params} answered {response.status_code}")
    return response


#: A read through a server-side cursor (a queryset's `iterator()` on PostgreSQL), as Django logs it: the cursor's
#: declaration, then the read itself.
_DECLARED = re.compile(
    r'^\s*DECLARE\s+"?[\w$]+"?\s+.*?CURSOR\s+(?:WITH(?:OUT)?\s+HOLD\s+)?FOR\s+(.*)$', re.S | re.I
)


def read_of(sql: str) -> str | None:
    """The read a logged statement makes, to EXPLAIN: a SELECT or WITH as it is (a compound one too, whose first
    part Django writes in parentheses when the parts are ordered or cut: "(SELECT ...) UNION ALL (SELECT ...)"),
    the SELECT a server-side cursor is declared for (a page that walks a large read with `iterator()` reads it
    all the same), else None."""
    declared = _DECLARED.match(sql)
    if declared:
        sql = declared.group(1)
    return sql if sql.lstrip(" \n(").upper().startswith(("SELECT", "WITH")) else None


def buffers_of(sqls: list[str]) -> list[tuple[int, int, str]]:
    """Shared buffers (hit + read) of EXPLAIN (ANALYZE, BUFFERS) of each read, and the rows PostgreSQL handled
    in it (`rows_handled`), with its SQL."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for logged in sqls:
            sql = read_of(logged)
            if sql is None:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            out.append(
                (
                    plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0),
                    rows_handled(plan),
                    sql,
                )
            )
    return out


#: What a plan node says it took out of the rows it read, besides the rows it gave (EXPLAIN ANALYZE, per loop).
_REMOVED = ("Rows Removed by Filter", "Rows Removed by Join Filter", "Rows Removed by Index Recheck")


def rows_handled(plan: dict) -> int:
    """The rows PostgreSQL handled in a plan (EXPLAIN ANALYZE's, as JSON): each node's rows given and rows
    removed by its filters, times its loops, over every node and subplan. The database's work that buffers do
    not show: a join that compares each row of one side with every row of the other reads few buffers for all
    the rows it compares. Counted, not timed, so the same on a busy machine."""
    own = plan.get("Actual Rows", 0) + sum(plan.get(name, 0) for name in _REMOVED)
    return round(own * plan.get("Actual Loops", 0)) + sum(
        rows_handled(child) for child in plan.get("Plans", ())
    )


#: What a person reads as one item of an HTML page: a table's row, a list's entry (a calendar's change, a
#: section's line), a choice of a menu.
_HTML_ITEMS = re.compile(rb"<(?:tr|li|option)[\s>]")


def items_shown(content: bytes) -> int:
    """The items a response shows: an HTML page's rows, entries and choices; a JSON document's objects. What
    "shows more" is judged by (`_fuller`): a page's HTML also grows with longer names and larger figures."""
    if content[:1] in (b"{", b"["):
        try:
            return _objects(json.loads(content))
        except ValueError:
            pass
    return len(_HTML_ITEMS.findall(content))


def _objects(value) -> int:
    if isinstance(value, dict):
        return 1 + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


def plan_of(sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one read as PostgreSQL prints it, indented: where its buffers go."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(f"            {line}" for (line,) in cursor.fetchall())


def measure_pages(
    chosen: list[Page], show: set[str] = frozenset()
) -> dict[str, tuple[int, int, int, int, int]]:
    """(SQL queries, buffers, response bytes, rows PostgreSQL handled, items shown) of each page, after one
    unmeasured request of it; the pages named in `show` print their costliest reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.common import SESSION_UPKEEP

    by_role = clients()
    out = {}
    for page in chosen:
        if page.download:
            continue  # measured apart (bench/downloads.py)
        client = by_role[page.role]
        url = page.url()  # outside the measure: filling its arguments reads the seed
        request(client, page, url=url)  # warm: templates, translations, the database's pages
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = request(client, page, url=url)
        sqls = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(SESSION_UPKEEP)]
        reads = buffers_of(sqls)
        content = body(response)
        out[page.label] = (
            len(sqls),
            sum(b for b, _rows, _sql in reads),
            len(content),
            sum(rows for _b, rows, _sql in reads),
            items_shown(content),
        )
        if page.label in show:
            print(f"{page.label}: its costliest reads, each with its plan")
            for b, rows, sql in sorted(reads, reverse=True)[:SHOWN_READS]:
                print(f"  {b:8d} buffers {rows:9d} rows  {sql[:SHOWN_SQL]}")
                print(plan_of(sql))
    return out


_HELPER_C = r"""
#include <valgrind/callgrind.h>
void bench_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void bench_stop(const char *name) { CALLGRIND_DUMP_STATS_AT(name); CALLGRIND_STOP_INSTRUMENTATION; }
"""


def _helper() -> Path | None:
    """A shared library whose two functions are callgrind's client requests (no-ops outside valgrind)."""
    lib = REPO / "var" / "bench-scale-callgrind-2.so"
    if lib.exists():
        return lib
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler or not Path("/usr/include/valgrind/callgrind.h").exists():
        return None
    lib.parent.mkdir(exist_ok=True)
    source = lib.with_suffix(".c")
    source.write_text(_HELPER_C, encoding="utf-8")
    built = subprocess.run(
        [compiler, "-shared", "-fPIC", "-O1", "-o", str(lib), str(source)], capture_output=True
    )
    return lib if built.returncode == 0 else None


def instructions_unavailable() -> str | None:
    if not shutil.which("valgrind"):
        return "valgrind is not installed (Debian: apt-get install valgrind): instructions not counted"
    if _helper() is None:
        return "no C compiler or valgrind/callgrind.h (valgrind-dev): instructions not counted"
    return None


def run_counted(
    page_list: list[Page] | None = None,
    measured: int = MEASURED,
    *,
    frozen: bool = False,
    counted: set[str] | None = None,
) -> None:
    """In the process callgrind watches, which starts uninstrumented (fast): each page once unmeasured, then
    `measured` times instrumented, between a zero and a dump named after the page (this guard's pages, or
    another benchmark's: bench.frame). `counted`: the pages measured (every page by default); the others are
    still warmed with them when `frozen`, so the process holds the same whatever is measured.

    `frozen`: every page is warmed first, then what the process holds is moved out of the cyclic collector's
    reach (`portal.core.collector.freeze_loaded`, as portal/wsgi.py does once the application is loaded), so a
    full collection of the whole heap, which falls on whichever page happens to cross its threshold, is not
    counted against that page. Either way each page is requested once more just before its measure and the
    measure starts after a collection (both outside it): the page counts from the state it leaves itself, not
    from whatever page came before it (which differs with the pages counted: `counted_where`), and the
    collections counted are those its own allocations bring about, not those earlier pages' left due."""
    import ctypes
    import gc

    from bench.common import session_seen_now

    lib = ctypes.CDLL(str(_helper()))
    by_role = clients()
    chosen = read_pages() if page_list is None else page_list
    if frozen:
        from portal.core.collector import freeze_loaded

        for page in chosen:
            request(by_role[page.role], page)
        freeze_loaded()
    for n, page in enumerate(chosen):
        if counted is not None and page.label not in counted:
            continue
        client = by_role[page.role]
        url = page.url()  # outside the measure, as in `measure_pages`
        request(client, page, url=url)
        session_seen_now(client)  # outside the measure: the once-a-minute session write falls elsewhere
        gc.collect()  # outside the measure: each page starts with the collector's counts at zero
        lib.bench_start()
        for _ in range(measured):
            request(client, page, url=url)
        lib.bench_stop(f"page{n}".encode())


def callgrind_pages(
    module_args: list[str], *, names: list[str], measured: int, env: dict, out: str, label: str = ""
) -> dict[str, float]:
    """Millions of instructions per request of each page named, from one callgrind process running
    `python -m <module_args>` (whose `run_counted` dumps each page as "page<n>")."""
    out_dir = REPO / "var" / out
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    answer = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out_dir}/cg.out",
            sys.executable,
            "-m",
            *module_args,
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONHASHSEED": "0", **env},
        capture_output=True,
        text=True,
    )
    if answer.returncode:
        raise SystemExit(f"callgrind run failed{' at ' + label if label else ''}:\n{answer.stderr[-3000:]}")
    found = {}
    for path in out_dir.glob("cg.out.*"):
        text = path.read_text(encoding="utf-8", errors="replace")
        trigger = re.search(r"Client Request: page(\d+)", text)
        totals = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
        if trigger and totals:
            found[names[int(trigger.group(1))]] = int(totals.group(1)) / measured / 1e6
    shutil.rmtree(out_dir, ignore_errors=True)
    return found


def count_instructions(url: str, label: str, counted: set[str], slot: int) -> dict[str, float]:
    """Millions of instructions per request of each page of `counted`, from one callgrind process; `slot` names
    its files, so that the sizes counted side by side (`_instructions`) share none."""
    chosen = REPO / "var" / f"bench-scale-counted-{slot}.json"
    chosen.write_text(json.dumps(sorted(counted), ensure_ascii=False), encoding="utf-8")
    return callgrind_pages(
        ["bench.scale", "--counted"],
        names=[p.label for p in read_pages()],
        measured=MEASURED,
        env={"BENCH_DATABASE_URL": url, "BENCH_COUNTED": str(chosen)},
        out=f"bench-scale-callgrind-{slot}",
        label=label,
    )


def counted_where(sizes: list[str], pages: list[Page], figures: dict) -> dict[str, set[str]]:
    """The pages whose instructions are counted at each size: every page (`report`) at the large one and at the
    size it is judged from (`_base`), nowhere else; most pages are judged from the small size, so the
    references count only the few that show more (a callgrind pass of every page takes minutes)."""
    where: dict[str, set[str]] = {size: set() for size in sizes}
    for page in pages:
        if page.download or any(page.label not in figures[size] for size in sizes):
            continue
        where[_base(figures, page.label, sizes)].add(page.label)
        where[sizes[-1]].add(page.label)
    return where


def write_pages(pages: list[Page]) -> None:
    PAGE_LIST.parent.mkdir(exist_ok=True)
    PAGE_LIST.write_text(json.dumps([p.as_json() for p in pages], ensure_ascii=False), encoding="utf-8")


def read_pages() -> list[Page]:
    return [Page(**row) for row in json.loads(PAGE_LIST.read_text(encoding="utf-8"))]


# --- The run ------------------------------------------------------------------------------------------------------


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _exists(url: str, db: str) -> bool:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone() is not None


def _growth(small: float | None, large: float | None) -> float | None:
    if small is None or large is None:
        return None
    return large / small if small else (1.0 if not large else float("inf"))


#: The medium sizes' customers by default (`--medium`), smallest first: at the small size an Account manager has 83
#: customers, too few to fill most of their lists' and sections' pages; at 10,000, 833; at 25,000, 2,083, where
#: the sections of the next 14 days (trials, option trials) fill theirs.
MEDIUM = (10_000, 25_000)


def _fuller(small: tuple, large: tuple) -> bool:
    """Whether a page shows more at the large size than at the small one (`report`'s "shows more"): more items
    (`items_shown`: rows, entries, choices), whatever its HTML's size."""
    return large[4] > small[4]


def _does_more(small: tuple, large: tuple) -> bool:
    """Whether a page shows or asks more at the large size than at the small one: more items (`_fuller`), or more
    queries for as many (a list or section with fewer rows than its page is not counted apart, a full one is:
    `lists.paginate`, `WorkContext.first_and_count`). Such a page is judged where it does as much."""
    return _fuller(small, large) or large[0] > small[0]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _customers(size: str) -> int:
    """A size's customers, as its label begins ("10,000 customers, 12 months")."""
    return int(size.split()[0].replace(",", ""))


def buffers_bar(base: str, last: str) -> float:
    """How much a page's buffers may grow from the size it is judged from to the large one: BUFFERS_GROWTH, and
    less from a reference nearer the large size, halfway between flat (1x) and reading every customer's rows
    (the customers' ratio): 3x from 10,000 to 50,000, 1.5x from 25,000, so that reads growing with every
    customer still grow past it from any reference (5x, 2x there)."""
    return min(BUFFERS_GROWTH, (1 + _customers(last) / _customers(base)) / 2)


#: The rows PostgreSQL handles for a page (`rows_handled`) are judged once they pass this many at the large size:
#: fewer are a small part of a page's work however they grew (a join comparing every row with every row passes it).
ROWS_FLOOR = 100_000


def _rows_growth(small: tuple, large: tuple) -> float | None:
    """How much the rows PostgreSQL handles for a page grew (None: too few at the large size to judge)."""
    if large[3] <= ROWS_FLOOR:
        return None
    return _growth(small[3], large[3])


def _base(figures: dict, label: str, sizes: list[str]) -> str:
    """The size a page is judged from: the small one, or where it does as much when it does more (`_does_more`)."""
    if _does_more(figures[sizes[0]][label], figures[sizes[-1]][label]):
        return _judged_from(figures, label, sizes)
    return sizes[0]


def _judged_from(figures: dict, label: str, sizes: list[str]) -> str:
    """The size a page that does more at the large size is judged from: the first reference (the sizes between
    the small and the large one) where it shows and asks as much; else, when it does more than at every
    reference, the one where it shows and asks the most (the nearest the large size on a tie): a month's
    calendar filling its days' places; else (no references) the small size. A page that shows every customer's
    rows shows twice as many at the large size as at the last reference and grows past that reference's bars
    still."""
    last, references = sizes[-1], sizes[1:-1]
    for ref in references:
        if not _does_more(figures[ref][label], figures[last][label]):
            return ref
    if not references:
        return sizes[0]
    return max(reversed(references), key=lambda ref: (figures[ref][label][4], figures[ref][label][0]))


def _cells(figures: tuple, instructions: float | None) -> str:
    """A page's figures at one size, as the table's cells: SQL, buffers, rows, items shown, kB, Minstr."""
    q, b, nbytes, rows, items = figures
    return f"{q:4d} {b:8d} {rows:9d} {items:5d} {nbytes / 1024:5.0f} {_fmt(instructions, '7.1f'):>7}"


def _print_head(sizes: list[str], width: int) -> None:
    """The table's two header lines: each size over its columns, then the columns' names."""
    head = " ".join(
        f"{'SQL':>4} {'buffers':>8} {'rows':>9} {'items':>5} {'kB':>5} {'Minstr':>7}" for _ in sizes
    )
    print("\n" + f"{'':{width}} " + " ".join(f"{f'--- {size} ---':>43}" for size in sizes))
    print(f"{'page':{width}} {head}   {'growth: buffers':>15} {'rows×':>6} {'instr×':>6}")


def report(sizes: list[str], pages: list[Page], figures: dict, instructions: dict, note: str | None) -> int:
    """The table, the growth from the small size to the large one and the verdict; the exit status.

    `sizes`: the small size, the large one last, and between them, when measured, the references a page that
    does more is judged from, smallest first: the small size with the large one's history, then the medium
    size with it. A page that shows more at the large size than at the small one (more items, `_fuller`: a
    list with a few rows at the small size filled to its page at the large one), or asks more queries for them
    (`_does_more`: a full list counted apart), is judged from the first reference where it does as much:
    whether it reads more for the same rows, by the bar of that reference (`buffers_bar`). One that does more
    than at every reference is judged from the one where it does the most (`_judged_from`)."""
    first, last = sizes[0], sizes[-1]
    references = sizes[1:-1]
    history = references[0] if references else None
    width = max([44, *(len(p.label) for p in pages)])
    _print_head(sizes, width)
    growing, judged = [], []
    shown_more = by_history = 0
    for page in pages:
        if page.download or any(page.label not in figures[size] for size in sizes):
            continue
        cells = [
            _cells(figures[size][page.label], instructions.get(size, {}).get(page.label)) for size in sizes
        ]
        # A page with more items at the large size shows more there: said, and judged against the first reference
        # where it shows as many; still judged against the small size otherwise.
        fuller = _fuller(figures[first][page.label], figures[last][page.label])
        base = _base(figures, page.label, sizes)
        b_growth = _growth(figures[base][page.label][1], figures[last][page.label][1])
        i_growth = _growth(
            instructions.get(base, {}).get(page.label), instructions.get(last, {}).get(page.label)
        )
        r_growth = _rows_growth(figures[base][page.label], figures[last][page.label])
        bar = buffers_bar(base, last)
        grows = (b_growth or 0) > bar or (r_growth or 0) > bar or (i_growth or 0) > INSTRUCTIONS_GROWTH
        # A count that differs is shown, not judged: a page 2 past the end of a small list reads its last page.
        queries_vary = len({figures[size][page.label][0] for size in (base, last)}) > 1
        mark = (
            ("  GROWS" if grows and not page.reference else "")
            + ("  (SQL count differs)" if queries_vary else "")
            + ("  (shows more)" if fuller else "")
            + (f"  (judged from {base})" if base != first else "")
        )
        print(
            f"{page.label:{width}} {' '.join(cells)}   {_fmt(b_growth, '14.1f')}× {_fmt(r_growth, '5.1f')}"
            f"{'×' if r_growth else ' '} {_fmt(i_growth, '5.2f')}{'×' if i_growth else ' '}{mark}"
        )
        if not page.reference:
            judged.append(page.label)
            by_history += base != first
            if grows:
                growing.append(page.label)
                # Still doing more than where it is judged from: at every reference, or no reference.
                shown_more += _does_more(figures[base][page.label], figures[last][page.label])
    if note:
        print(note)
    downloads, downloads_growing = report_downloads(first, last, pages, figures, BUFFERS_GROWTH)
    judged += downloads
    growing += downloads_growing
    print(
        f"(growth {first} -> {last}; a page grows when its buffers grow > {BUFFERS_GROWTH:g}×, the rows PostgreSQL "
        f"handles as much past {ROWS_FLOOR:,}, its instructions > {INSTRUCTIONS_GROWTH:g}×; admin changelists "
        "are references)"
    )
    if history:
        bars = ", ".join(f"{buffers_bar(ref, last):.1f}× from {ref}" for ref in references)
        print(
            f"({by_history} pages showing more or asking more queries at {last} than at {first} are judged from "
            f"the first of {' / '.join(references)} where they do as much instead, or where they do the most: "
            f'"judged from"; their buffers may grow {bars})'
        )
    if growing:
        print(f"{len(growing)} of {len(judged)} pages grow: {', '.join(growing)}")
        print(
            f"of which {shown_more} show or ask more at {last} than where they are judged from (more rows, "
            f"entries or choices, or queries: a list or section with few rows there filled to its page)"
        )
        return 1
    print(f"none of the {len(judged)} pages grows")
    return 0


def _arguments(argv: list[str]) -> argparse.Namespace:
    """The command line, checked (argparse exits with its message when it is wrong)."""
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--small", type=int, default=1000, help="customers of the small database (no history by default)"
    )
    parser.add_argument("--large", type=int, default=50_000, help="customers of the large database")
    parser.add_argument("--months", type=int, default=12, help="months of history of the large database")
    parser.add_argument(
        "--medium",
        type=_medium_sizes,
        default=None,
        help="customers of the references (with --months of history), comma-separated, a page that shows more at "
        "the large size is judged from, where an Account manager's lists and sections fill their page (default "
        "10000,25000, those between --small and --large; 0: none)",
    )
    parser.add_argument(
        "--small-months",
        type=int,
        default=0,
        help="months of history of the small database (0, the guard's; with as many as --months, whether a "
        "page that grows is bounded by what it shows)",
    )
    parser.add_argument(
        "--no-history-check",
        action="store_true",
        help="judge a page that shows more at the large size against the small database only (skips the third "
        "database: the small size with the large one's history)",
    )
    parser.add_argument("--database", default="", help="the scratch databases' prefix (made and dropped)")
    parser.add_argument("--no-instructions", action="store_true", help="skip callgrind (faster)")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the databases; a later run with the same --database and sizes measures them again unseeded",
    )
    parser.add_argument(
        "--only", default="", metavar="REGEX", help="measure only the pages whose label matches"
    )
    parser.add_argument(
        "--show",
        action="append",
        default=[],
        metavar="PAGE",
        help="print a page's costliest reads at the large size, each with its plan",
    )
    args = parser.parse_args(argv)
    if not 100 <= args.small < args.large <= 200_000 or not 0 <= args.small_months <= args.months <= 36:
        parser.error(
            "--small 100 or more, below --large (at most 200000); --months 0-36, --small-months 0-months"
        )
    if args.medium is None:
        args.medium = [size for size in MEDIUM if args.small < size < args.large]
    if any(not args.small < size < args.large for size in args.medium):
        parser.error("--medium between --small and --large, or 0")
    try:
        re.compile(args.only)
    except re.error as exc:
        parser.error(f"--only: {exc}")
    return args


def _medium_sizes(value: str) -> list[int]:
    """`--medium`: customers, comma-separated, in increasing order ("0": none)."""
    sizes = [int(part) for part in value.split(",") if part.strip()]
    if sizes == [0]:
        return []
    if sorted(set(sizes)) != sizes:
        raise argparse.ArgumentTypeError("sizes in increasing order")
    return sizes


def _runs(args: argparse.Namespace) -> list[tuple[str, str, int, int]]:
    """Each size measured, as (label, database, customers, months): the small one, the references between
    (`report`), the large one."""
    prefix = args.database or f"bench_scale_{os.getpid()}"
    runs = [
        (
            f"{args.small:,} customers" + (f", {args.small_months} months" if args.small_months else ""),
            f"{prefix}_small",
            args.small,
            args.small_months,
        ),
        (f"{args.large:,} customers, {args.months} months", f"{prefix}_large", args.large, args.months),
    ]
    if args.months and not args.small_months and not args.no_history_check:
        # The small size with the large one's history, then the medium size with it: what a page that shows more
        # at the large size is judged from (`report`).
        runs.insert(
            1,
            (
                f"{args.small:,} customers, {args.months} months",
                f"{prefix}_small_history",
                args.small,
                args.months,
            ),
        )
        for n, medium in enumerate(args.medium, start=2):
            runs.insert(
                n,
                (
                    f"{medium:,} customers, {args.months} months",
                    f"{prefix}_{medium}_history",
                    medium,
                    args.months,
                ),
            )
    return runs


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    server = os.environ.get("DATABASE_URL", "")
    if server.split(":", 1)[0] not in ("postgres", "postgresql", "pgsql"):
        print("bench.scale measures on PostgreSQL: set DATABASE_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    runs = _runs(args)
    note = (
        "instructions not counted (--no-instructions)" if args.no_instructions else instructions_unavailable()
    )
    if note:
        print(note)
    figures, instructions = {}, {}
    urls = {label: urlunsplit(urlsplit(server)._replace(path=f"/{db}")) for label, db, *_ in runs}
    try:
        for n, (label, db, customers, months) in enumerate(runs):
            if not (args.keep and _exists(server, db)):
                _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                _admin(server, f'CREATE DATABASE "{db}"')
            command = [
                sys.executable,
                "-m",
                "bench.scale",
                "--size",
                urls[label],
                str(customers),
                str(months),
                "discover" if n == 0 else "",
                # The downloads at the small size and the large one (`report_downloads`).
                "downloads" if n in (0, len(runs) - 1) else "",
                args.only,
                *(f"--show={s}" for s in args.show if n == len(runs) - 1),
            ]
            done = subprocess.run(command, cwd=REPO, env={**os.environ, "PYTHONHASHSEED": "0"})
            if done.returncode:
                return done.returncode
            figures[label] = json.loads(PAGE_LIST.with_suffix(".figures.json").read_text(encoding="utf-8"))
            if note and not args.keep:  # no instructions to count on it later
                _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        if not note:
            instructions = _instructions(urls, counted_where(list(urls), read_pages(), figures))
    finally:
        if not args.keep:
            for _label, db, *_ in runs:
                _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return report([label for label, *_ in runs], read_pages(), figures, instructions, note)


def _instructions(urls: dict[str, str], where: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    """Each size's instructions of the pages counted there (`counted_where`), the sizes side by side, a
    callgrind process per core (counts do not depend on what else runs)."""

    def one(slot: int, label: str) -> tuple[str, dict[str, float]]:
        t0 = time.perf_counter()
        found = count_instructions(urls[label], label, where[label], slot) if where[label] else {}
        print(
            f"counted instructions of {len(where[label])} pages at {label} in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        return label, found

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(pool.map(one, range(len(where)), list(where)))


def _setup(url: str) -> None:
    from bench.seed import setup

    os.environ["BENCH_DATABASE_URL"] = url
    setup(url)


def seeded(customers: int, months: int) -> dt.datetime:
    """Seed the connected database and record on it (`bench.pinned`) the instant the seed ended on the ticking
    clock, where every later run of the database resumes: after every row the seed wrote."""
    from django.utils import timezone

    from bench import pinned
    from bench.seed import seed

    seed(customers=customers, months=months)
    end = timezone.now()
    pinned.record(end)
    return end


def settle() -> None:
    """As autovacuum leaves the database a while after a load: planner statistics and the visibility map; and as
    the nightly housekeeping leaves it, the tables whose rows come and go packed (`portal.core.compaction`)."""
    from django.db import connection

    from portal.core.compaction import compact

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    compact()


def earlier_runs_cleared() -> None:
    """The sessions, the API tokens (`api_secret`'s) and the sign-ins of earlier runs on a kept database removed,
    and their pages with them: each page reads its session by a scan of that small table, and the tokens pages
    list every token, both of which would grow with every run, so the same page would read more on a database
    measured more often (a few buffers, but on pages of a few dozen; the tokens pages a row per token); the
    Sign-ins page had a page 2 only once enough runs had signed in, so the guard found more pages on a kept
    database than on a new one. Its clients sign in without a request (`force_login`), so without an address:
    the seed's sign-ins, each from its office's address, stay."""
    from axes.models import AccessLog
    from django.contrib.sessions.models import Session
    from django.db import connection

    from portal.core.models import ApiToken

    Session.objects.all().delete()
    ApiToken.objects.filter(description=BENCH_TOKEN).delete()
    AccessLog.objects.filter(ip_address__isnull=True).delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM django_session")


def _migrate() -> bool:
    """Apply the migrations the database lacks; whether there were any."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    call_command("migrate", verbosity=0)
    return bool(pending)


def size_run(
    url: str, customers: int, months: int, discover: bool, downloads: bool, only: str, show: set[str]
) -> int:
    """One size, in a process of its own (Django is set up once per database): seed, find the pages (the small
    size) or read them, measure; the figures go to a file beside the page list."""
    _setup(url)

    from bench import pinned
    from customers.models import Customer

    migrated = _migrate()
    kept = Customer.objects.exists()  # a database kept by --keep
    at = pinned.recorded() if kept else pinned.instant_to_seed()
    if kept and at is None:
        print(
            "seeded before the guard recorded when: measured at the clock's time, so its figures of 'today' "
            "depend on the hour (drop the database to seed it again)",
            flush=True,
        )
    with pinned.pinned(at):
        return _size_run(kept, migrated, customers, months, discover, downloads, only, show, at)


def _size_run(
    kept: bool,
    migrated: bool,
    customers: int,
    months: int,
    discover: bool,
    downloads: bool,
    only: str,
    show: set[str],
    at: dt.datetime | None,
) -> int:
    """`size_run` with the clock at the instant the database is seeded at (`bench.pinned`)."""
    from bench import pages as page_finder
    from customers.models import Customer

    if kept:
        print(
            f"{Customer.objects.count():,} customers seeded by an earlier run (--keep)"
            + (f", measured at {at.isoformat(timespec='minutes')}" if at else ""),
            flush=True,
        )
        if migrated:
            settle()  # a migration that rewrote rows leaves them as a load does (the bench runs no autovacuum)
        from portal.core.kept import keep_all

        keep_all()  # the worker's minute, as on a running portal (a release may keep a copy the seed did not)
        from portal.core.compaction import compact

        compact()  # the nightly housekeeping's last step (a database seeded before it packed its tables)
        earlier_runs_cleared()
    else:
        assert at is not None  # a new database is seeded at the guard's hour (`size_run`)
        t0 = time.perf_counter()
        seeded(customers, months)
        settle()
        print(
            f"seeded {customers:,} customers and {months} months in {time.perf_counter() - t0:.0f} s, "
            f"at {at.isoformat(timespec='minutes')}",
            flush=True,
        )
    if discover:
        found, problems = page_finder.discover(clients(), request)
        if problems:
            print("These pages could not be opened (bench/pages.py fills them, or EXCLUDED says why not):")
            for problem in problems:
                print(f"  {problem}")
            return 2
        found += REFERENCES
        if only:
            found = [p for p in found if re.search(only, p.label)]
        write_pages(found)
        print(f"{len(found)} pages found", flush=True)
    chosen = read_pages()
    unknown = show - {p.label for p in chosen}
    if unknown:
        print(f"--show: no such page: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    figures = measure_pages(chosen, show)
    print(f"measured {len(chosen)} pages in {time.perf_counter() - t0:.0f} s", flush=True)
    if downloads:
        t0 = time.perf_counter()
        figures.update(measure_downloads(chosen, clients()))
        print(f"measured the downloads in {time.perf_counter() - t0:.0f} s", flush=True)
    PAGE_LIST.with_suffix(".figures.json").write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--counted"]:
        _setup(os.environ["BENCH_DATABASE_URL"])
        from django.db import connection

        from bench import pinned

        # One connection for the whole run: under callgrind a run takes many minutes, so the server's
        # CONN_MAX_AGE would close it every minute and a page that happened to come next would count a connect.
        connection.settings_dict["CONN_MAX_AGE"] = None
        connection.close_at = None

        # As the server runs (portal/wsgi.py freezes what it loaded): a full collection of the whole heap is not
        # counted against whichever page crosses its threshold (the figures are in the commit that made it so).
        # The clock where the buffers were measured (`bench.pinned`).
        with pinned.pinned(pinned.recorded()):
            counted = json.loads(Path(os.environ["BENCH_COUNTED"]).read_text(encoding="utf-8"))
            run_counted(frozen=True, counted=set(counted))
    elif sys.argv[1:2] == ["--size"]:
        url, customers, months, discover, downloads, only, *shown = sys.argv[2:]
        sys.exit(
            size_run(
                url,
                int(customers),
                int(months),
                discover == "discover",
                downloads == "downloads",
                only,
                {s.removeprefix("--show=") for s in shown},
            )
        )
    else:
        sys.exit(main(sys.argv[1:]))
