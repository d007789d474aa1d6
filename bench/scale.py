"""Every page a user opens, at growing numbers of customers, on PostgreSQL (prints figures; not a test).

``.venv/bin/python -m bench scale [--sizes 1000,10000,50000] [--database NAME] [--no-instructions]``
(``make bench-scale``). DATABASE_URL must name a PostgreSQL server: the benchmark makes a scratch database there
(``bench_scale_<pid>``, or NAME), grows it to each size in turn with the benches' seeds (bench/home.py's
customers, subscriptions, reservations, pre-orders, operations, audit entries and findings, plus options, a
month of option usage and usage snapshots, a month of invoice items and a year of sync history), and drops it
at the end.

At each size, for each page (each list as it opens, searched by a common word, by a legal form and for one
customer, filtered and on page 2; home per role; the customer, subscription, calendar, agenda, billing details, activity and sync pages;
the htmx partials), and for Django admin's changelists of the same tables as references, it prints:

* SQL: the page's queries (without the session's once-a-minute write, bench/common.py);
* buffers: PostgreSQL's shared buffers (hit + read) of ``EXPLAIN (ANALYZE, BUFFERS)`` of each of the page's
  reads, summed: the database's work, whatever else the machine is doing;
* kB: the response's size;
* Minstr: the Python process's instructions per request, by valgrind's callgrind (one process per size that
  makes every page's requests, uninstrumented but for each page's measured ones: callgrind's client requests
  around them, through a small C helper compiled at the first run). Said so when valgrind (or a C compiler) is missing.

Then the growth of each figure from the smallest size to the largest. The last line names the pages that grow;
the exit status is 1 when any page's buffers grow more than BUFFERS_GROWTH or its instructions more than
INSTRUCTIONS_GROWTH (the admin changelists are references, never judged).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
BUFFERS_GROWTH = 3.0
INSTRUCTIONS_GROWTH = 1.1
#: Requests counted per page in the callgrind process (after one unmeasured warm-up request of the page).
MEASURED = 2
#: `--show PAGE`: how many of the page's reads, and how much of each one's SQL, are printed.
SHOWN_READS, SHOWN_SQL = 4, 600
#: The customer and subscription every size has (the first customers seeded).
CUSTOMER = 40_000_008
SUBSCRIPTION = 91_000_008
#: A word of company names (bench.common.NAME_WORDS): about one customer in twelve has it at every size, so
#: the customers it finds grow with the customers.
WORD = "サクラ"
#: A word a third of the customers' names have (bench.home's legal forms), spread over the name order (names sort
#: without their legal form), where WORD's customers sort together (it starts their names).
LEGAL_FORM = "株式会社"
#: A word one customer has at every size (CUSTOMER's domain, h00008.example.jp): a search that finds it.
ONE_CUSTOMER = "h00008"
MONTH = (2026, 10)


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    params: dict = field(default_factory=dict)
    role: str = "Admin"
    target: str = ""  # htmx: the element the request asks for
    reference: bool = False  # Django admin's changelist: printed beside, never judged


def pages() -> list[Page]:
    from options import rules

    today = dt.date.today()
    option = next(iter(rules.OPTIONS))
    lists = [
        ("Customers list", "/customers/", {"product": "STD"}),
        ("Subscriptions list", "/subscriptions/", {"plan": "MONTHLY"}),
        ("Options list", "/options/", {"option": option}),
    ]
    out = []
    for name, url, filtered in lists:
        out += [
            Page(f"{name}, as it opens", url),
            Page(f"{name}, searched", url, {"q": WORD}),
            Page(f"{name}, searched for one customer", url, {"q": ONE_CUSTOMER}),
            Page(f"{name}, searched by a legal form", url, {"q": LEGAL_FORM}),
            Page(f"{name}, filtered", url, filtered),
            Page(f"{name}, page 2", url, {"page": 2}),
            Page(f"{name}, htmx results", url, {"q": WORD}, target="results"),
        ]
    out += [
        Page(f"Home, {role}", "/", role=role) for role in ("Account manager", "Support", "Finance", "Admin")
    ]
    out += [
        Page("Customer page", f"/customers/{CUSTOMER}/"),
        Page("Customer page, htmx fresh part", f"/customers/{CUSTOMER}/fresh/", {"since": "1"}),
        Page("Subscription page", f"/subscriptions/{SUBSCRIPTION}/"),
        Page("Option usage page", f"/options/customers/{CUSTOMER}/usage/"),
        Page("Calendar (this month)", "/scheduled/", {"view": "calendar", "month": f"{today:%Y-%m}"}),
        Page(
            "Calendar, htmx", "/scheduled/", {"view": "calendar", "month": f"{today:%Y-%m}"}, target="agenda"
        ),
        Page("Agenda", "/scheduled/"),
        Page("Agenda, htmx", "/scheduled/", {}, target="agenda"),
        Page("Invoices", "/billing/"),
        Page("Billing details", f"/billing/{MONTH[0]}/{MONTH[1]}/"),
        Page("Billing details, page 2", f"/billing/{MONTH[0]}/{MONTH[1]}/", {"page": 2}),
        Page("Activity", "/activity/"),
        Page("Activity, page 2", "/activity/", {"page": 2}),
        Page("Sync", "/sync/"),
        Page("Sync, htmx runs", "/sync/", target="sync-runs"),
    ]
    out += [
        Page(f"admin changelist: {name}", url, params, reference=True)
        for name, url, params in (
            ("customers", "/admin/customers/customer/", {}),
            ("customers, searched", "/admin/customers/customer/", {"q": WORD}),
            ("invoice items", "/admin/billing/invoiceitem/", {}),
            ("audit entries", "/admin/core/auditentry/", {}),
            ("sync runs", "/admin/core/syncrun/", {}),
        )
    ]
    return out


# --- Growing the database ---------------------------------------------------------------------------------------


def grow(first: int, count: int) -> None:
    """Customers first..first+count-1 with their rows of every kind (bench.home's seed, then options, usage,
    invoice items), and the sync history once (the database's first growth)."""
    from django.db import transaction
    from django.utils import timezone

    from bench import home
    from bench.common import seed_sync_history
    from billing.models import ITEM_TYPE_ORDER, InvoiceItem, UsageSnapshot
    from billing.usage import usage_premark
    from customers.models import Customer
    from options import rules
    from options.models import Option, OptionUsage

    rng = random.Random(first + 29)
    home.seed(first, count, rng)
    now = timezone.now()
    customers = list(
        Customer.objects.filter(domain_id__gte=40_000_000 + first, domain_id__lt=40_000_000 + first + count)
        .values_list("domain_id", "company_name", "domain", "customer_code", "member_count", "license_count")
        .order_by("domain_id")
    )
    year, month = MONTH
    start, end = dt.date(year, month, 1), dt.date(year, month, 28)
    options, usage, snapshots, items = [], [], [], []
    for domain_id, name, domain, code, members, licences in customers:
        for option_id in rng.sample(list(rules.OPTIONS), rng.randint(1, min(4, len(rules.OPTIONS)))):
            sub = rng.choice(rules.sub_options_of(option_id))
            begun = dt.date(2026, 4, 1) - dt.timedelta(days=rng.randint(0, 300))
            options.append(
                Option(
                    customer_id=domain_id,
                    option_product_id=option_id,
                    sub_option_id=sub.sub_option_id,
                    quantity=rng.randint(1, 3) if sub.quantity else None,
                    plan="TRIAL" if sub.trial else "ANNUAL_LICENSE",
                    plan_start_date=begun,
                    plan_end_date=begun + dt.timedelta(days=30 if sub.trial else 364),
                    trial=sub.trial,
                    renewal_type="" if sub.trial else rng.choice(["STAY", "STAY", "CHANGE"]),
                    synced_at=now,
                )
            )
            for day in range(0, 28, 7):
                usage.append(
                    OptionUsage(
                        customer_id=domain_id,
                        option_product_id=option_id,
                        sub_option_id=sub.sub_option_id,
                        used_date=start + dt.timedelta(days=day),
                        member_count=members,
                        usage_count=rng.randint(0, 10_000),
                        synced_at=now,
                    )
                )
        for day in range(0, 28, 7):
            snapshots.append(
                UsageSnapshot(
                    domain_id=domain_id,
                    used_date=start + dt.timedelta(days=day),
                    product_id="STD",
                    plan="ANNUAL_LICENSE",
                    license_count=licences,
                    member_count=members,
                    status="ACTIVE",
                    synced_at=now,
                )
            )
        items.append(
            InvoiceItem(
                year=year,
                month=month,
                domain_id=domain_id,
                domain=domain,
                customer_name=name,
                customer_code=code,
                synced_at=now,
                start_date=start,
                end_date=end,
                position=0,
                subscription_id=domain_id - 40_000_000 + 91_000_000,
                item_type="PRODUCT",
                type_order=ITEM_TYPE_ORDER["PRODUCT"],
                item_id="STD",
                plan="ANNUAL_LICENSE",
                license_count=licences,
                member_count=members,
                amount=450 * (licences or members),
            )
        )
    with transaction.atomic():
        Option.objects.bulk_create(options, batch_size=5000)
        OptionUsage.objects.bulk_create(usage, batch_size=5000)
        by_customer: dict[int, list] = {}
        for snapshot in snapshots:
            by_customer.setdefault(snapshot.domain_id, []).append(snapshot)
        for mine in by_customer.values():
            usage_premark(mine)  # written marked, as the resync's store writes them
        UsageSnapshot.objects.bulk_create(snapshots, batch_size=5000)
        InvoiceItem.objects.bulk_create(items, batch_size=5000)
    if first == 0:
        seed_sync_history(40_000_000, count)


def settle() -> None:
    """As a full resync leaves the database: planner statistics and the visibility map (VACUUM ANALYZE)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- Measuring --------------------------------------------------------------------------------------------------


def clients() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.services import user_create_with_role
    from bench.common import sign_in
    from portal.core.access import Role

    out = {}
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN):
        username = f"bench-scale-{role.value}"
        user = get_user_model().objects.filter(username=username).first() or user_create_with_role(
            username=username, password="bench-pass-123", role=role
        )
        if role == Role.ADMIN and not user.is_superuser:
            user.is_superuser = user.is_staff = True
            user.save()
        client = Client()
        sign_in(client, user)
        out[str(role.label)] = client
    return out


def request(client, page: Page):
    headers = {"HX-Request": "true", "HX-Target": page.target} if page.target else {}
    response = client.get(page.url, page.params, headers=headers)
    if response.status_code not in (200, 204):
        raise SystemExit(f"{page.name}: {page.url} {page.params} answered {response.status_code}")
    return response


def buffers_of(sqls: list[str]) -> list[tuple[int, str]]:
    """Shared buffers (hit + read) of EXPLAIN (ANALYZE, BUFFERS) of each read, with its SQL."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:
        for sql in sqls:
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            out.append((plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0), sql))
    return out


def measure_pages(chosen: list[Page], show: set[str] = frozenset()) -> dict[str, tuple[int, int, int]]:
    """(SQL queries, buffers, response bytes) of each page, after one unmeasured request of it; the pages
    named in `show` print their costliest reads."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.common import _SESSION_UPKEEP

    by_role = clients()
    out = {}
    for page in chosen:
        client = by_role[page.role]
        request(client, page)  # warm: templates, translations, the database's pages
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = request(client, page)
        sqls = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(_SESSION_UPKEEP)]
        reads = buffers_of(sqls)
        out[page.name] = (len(sqls), sum(b for b, _sql in reads), len(response.content))
        if page.name in show:
            print(f"{page.name}: its costliest reads")
            for b, sql in sorted(reads, reverse=True)[:SHOWN_READS]:
                print(f"  {b:8d} buffers  {sql[:SHOWN_SQL]}")
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
    page_list: list[Page] | None = None, measured: int = MEASURED, *, frozen: bool = False
) -> None:
    """In the process callgrind watches, which starts uninstrumented (fast): each page once unmeasured, then
    `measured` times instrumented, between a zero and a dump named after the page (this benchmark's pages, or
    another's: bench.frame).

    `frozen`: every page is warmed first, then what the process holds is moved out of the cyclic collector's
    reach (`portal.core.collector.freeze_loaded`, as portal/wsgi.py does once the application is loaded), so a
    full collection of the whole heap, which falls on whichever page happens to cross its threshold, is not
    counted against that page."""
    import ctypes

    lib = ctypes.CDLL(str(_helper()))
    by_role = clients()
    chosen = pages() if page_list is None else page_list
    if frozen:
        from portal.core.collector import freeze_loaded

        for page in chosen:
            request(by_role[page.role], page)
        freeze_loaded()
    for n, page in enumerate(chosen):
        client = by_role[page.role]
        if not frozen:
            request(client, page)
        lib.bench_start()
        for _ in range(measured):
            request(client, page)
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


def count_instructions(url: str, label: str) -> dict[str, float]:
    """Millions of instructions per request of each page, from one callgrind process."""
    return callgrind_pages(
        ["bench.scale", "--counted"],
        names=[p.name for p in pages()],
        measured=MEASURED,
        env={"BENCH_DATABASE_URL": url},
        out="bench-scale-callgrind",
        label=label,
    )


# --- The run ------------------------------------------------------------------------------------------------------


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _growth(small: float | None, large: float | None) -> float | None:
    if small is None or large is None:
        return None
    return large / small if small else (1.0 if not large else float("inf"))


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(sizes: list[int], figures: dict, instructions: dict, note: str | None) -> int:
    """The table, the growth from the smallest size to the largest and the verdict; the exit status."""
    first, last = sizes[0], sizes[-1]
    head = " ".join(f"{'SQL':>4} {'buffers':>8} {'kB':>5} {'Minstr':>7}" for _ in sizes)
    print("\n" + f"{'':44} " + " ".join(f"{f'--- {size:,} customers ---':>27}" for size in sizes))
    print(f"{'page':44} {head}   {'growth: buffers':>15} {'instr×':>6}")
    growing, judged = [], []
    for page in pages():
        cells = []
        for size in sizes:
            q, b, nbytes = figures[size][page.name]
            cells.append(
                f"{q:4d} {b:8d} {nbytes / 1024:5.0f} {_fmt(instructions.get(size, {}).get(page.name), '7.1f')}"
            )
        b_growth = _growth(figures[first][page.name][1], figures[last][page.name][1])
        i_growth = _growth(
            instructions.get(first, {}).get(page.name), instructions.get(last, {}).get(page.name)
        )
        grows = (b_growth or 0) > BUFFERS_GROWTH or (i_growth or 0) > INSTRUCTIONS_GROWTH
        # A count that differs is shown, not judged: a page 2 past the end of a small list reads its last page.
        queries_vary = len({figures[size][page.name][0] for size in sizes}) > 1
        mark = ("  GROWS" if grows and not page.reference else "") + (
            "  (SQL count differs)" if queries_vary else ""
        )
        print(
            f"{page.name:44} {' '.join(cells)}   {_fmt(b_growth, '14.1f')}× {_fmt(i_growth, '5.2f')}{'×' if i_growth else ' '}{mark}"
        )
        if not page.reference:
            judged.append(page.name)
            if grows:
                growing.append(page.name)
    if note:
        print(note)
    print(
        f"(growth {first:,} -> {last:,} customers; a page grows when its buffers grow > {BUFFERS_GROWTH:g}×, "
        f"its instructions > {INSTRUCTIONS_GROWTH:g}×; admin changelists are references)"
    )
    if growing:
        print(f"{len(growing)} of {len(judged)} pages grow: {', '.join(growing)}")
        return 1
    print(f"none of the {len(judged)} pages grows")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="customers at each step, ascending")
    parser.add_argument("--database", default="", help="the scratch database's name (made and dropped)")
    parser.add_argument("--no-instructions", action="store_true", help="skip callgrind (faster)")
    parser.add_argument(
        "--show",
        action="append",
        default=[],
        metavar="PAGE",
        help="print a page's costliest reads at the largest size",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, such as 1000,10000")
    if len(sizes) < 2 or sizes != sorted(set(sizes)) or sizes[0] < 100:
        parser.error("--sizes takes at least two ascending sizes of 100 customers or more")
    server = os.environ.get("DATABASE_URL", "")
    if server.split(":", 1)[0] not in ("postgres", "postgresql", "pgsql"):
        print("bench.scale measures on PostgreSQL: set DATABASE_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    db = args.database or f"bench_scale_{os.getpid()}"
    url = urlunsplit(urlsplit(server)._replace(path=f"/{db}"))
    _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{db}"')
    try:
        return _run(sizes, url, skip_instructions=args.no_instructions, show=set(args.show))
    finally:
        from django.db import connections

        connections.close_all()
        _admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def _setup(url: str) -> None:
    import django

    os.environ["BENCH_DATABASE_URL"] = url
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    django.setup()


def _run(sizes: list[int], url: str, *, skip_instructions: bool, show: set[str]) -> int:
    _setup(url)
    from django.core.management import call_command

    from customers.models import Customer

    call_command("migrate", verbosity=0)
    note = "instructions not counted (--no-instructions)" if skip_instructions else instructions_unavailable()
    if note:
        print(note)
    figures, instructions = {}, {}
    grown = 0
    chosen = pages()
    unknown = show - {p.name for p in chosen}
    if unknown:
        print(f"--show: no such page: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for size in sizes:
        t0 = time.perf_counter()
        grow(grown, size - grown)
        settle()
        grown = size
        print(
            f"grew to {Customer.objects.count():,} customers in {time.perf_counter() - t0:.1f} s", flush=True
        )
        figures[size] = measure_pages(chosen, show if size == sizes[-1] else set())
        if not note:
            t0 = time.perf_counter()
            instructions[size] = count_instructions(url, f"{size:,}")
            print(f"counted instructions at {size:,} in {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return report(sizes, figures, instructions, note)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--counted"]:
        _setup(os.environ["BENCH_DATABASE_URL"])
        run_counted()
    else:
        sys.exit(main(sys.argv[1:]))
