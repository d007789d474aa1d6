"""The main pages under load, served as the README's deployment serves them (prints figures; not a test).

``.venv/bin/python -m bench load [--customers 50000] [--seconds 60] [--users 8] [--months 0] [--database NAME]
[--reference-database NAME] [--keep]`` on PostgreSQL (DATABASE_URL names the server). Its database (``--database``,
default ``bench_load_<pid>``) is filled by bench.seed at ``--customers`` with ``--months`` months of history, unless
it already holds customers (a database kept by ``--keep`` or by ``bench scale --keep``: migrated, then measured as
it is); made databases are dropped at the end unless ``--keep``. Redis (REDIS_URL, default redis://127.0.0.1:6379)
lends its databases 13 and 14, emptied before and after.

gunicorn runs as the README says (``gunicorn portal.wsgi -c gunicorn.conf.py``: its processes and threads from
this machine; the application is portal.wsgi's, with the clock at the hour its database was seeded at, as the
scale guard measures: bench/pinned.py) with production settings (DEBUG off) on a free port of 127.0.0.1. Users
signed in as Admins (who may open every page, Django's admin included) send requests one after another, each as
soon as the last answered, for a bounded time, to 127.0.0.1 only:

1. mixed: each user goes round the main pages in a shuffled order (`PAGES`: the lists, home, Activity, the
   customer page, Finance's pages, a worklist's full list, the Sync page), with ``/healthz`` and the admin
   changelist of customers among them, so every page meets the same load. Per page: requests, requests/s, p50,
   p95 and p99, and the p95 beside ``/healthz``'s measured alone (every user on ``/healthz`` only) in the same
   run. Goal: each list page's p95 within 3x that; with ``--months``, every page's.
2. with ``--months``, the same mix on a second database of the same customers without history
   (``--reference-database``, default ``<database>_reference``, seeded likewise), served by a second server.
   The two mixes and ``/healthz`` alone run in alternating slices (`ROUNDS` of each), so that both meet the same
   machine. Goal: the mix with history serves at least 0.9x the requests per second of the mix without.
3. throughput, in four alternating slices: every user on the customer list only, then every user on the admin
   changelist of customers only. Goal: the customer list serves at least 3x the requests per second of the admin
   changelist.

The exit status is 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
#: Redis databases lent to the servers: the measured one's and the reference's.
REDIS_DBS = (13, 14)
P95_GOAL = 3.0
THROUGHPUT_GOAL = 3.0
#: The mix with history against the same mix without: at least this share of its requests per second.
HISTORY_GOAL = 0.9
#: Slices of each mix (and of /healthz alone) when the mixes are compared, alternating.
ROUNDS = 3
#: (name, URL name or path, its arguments, query, a list page): URL names are reversed on the seeded database
#: (bench.pages fills what needs the seed: the customer, the month).
PAGES = [
    ("Customers list", "customers:list", {}, {}, True),
    ("Customers list, searched", "customers:list", {}, {"q": "サクラ"}, True),
    ("Subscriptions list", "subscriptions:list", {}, {}, True),
    ("Options list", "options:list", {}, {}, True),
    ("Scheduled changes (agenda)", "schedule:agenda", {}, {}, True),
    ("Activity", "core:activity", {}, {}, True),
    ("Home", "home", {}, {}, False),
    ("Customer page", "customers:detail", {"domain_id": "customer"}, {}, False),
    ("Worklist: renewal decisions", "work_list", {"key": "renewal-decisions"}, {}, True),
    ("Invoices (LINE WORKS)", "billing:invoices", {}, {}, True),
    ("Issued invoices", "invoicing:search", {}, {}, True),
    ("Invoice drafts", "invoicing:drafts", {"year": "month", "month": "month"}, {}, True),
    ("Sync", "core:sync", {}, {}, False),
    ("/healthz", "healthz", {}, {}, False),
    ("admin changelist: customers", "admin:customers_customer_changelist", {}, {}, False),
]
HEALTHZ = "/healthz"
ADMIN_CHANGELIST = "admin changelist: customers"
CUSTOMER_LIST = "Customers list"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url(db: int) -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{db}"))


def _empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


class Session:
    """One signed-in user's connection to the portal (keep-alive), timing each request."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, float]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            t0 = time.perf_counter()
            try:
                self.conn.request("GET", path, headers={"Cookie": self.cookie, "Host": "127.0.0.1"})
                response = self.conn.getresponse()
                response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None  # the server closed a kept-alive connection: once more on a new one
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return response.status, (time.perf_counter() - t0) * 1000
        raise AssertionError("unreachable")


def _run_users(sessions: list[Session], seconds: float, choose) -> dict[str, list[float]]:
    """Each session, in a thread of its own, requests `choose(rng)` -> (name, path) after (name, path) until
    `seconds` have passed; returns the milliseconds of every answer by page name. Any answer but 200 stops."""
    times: dict[str, list[float]] = defaultdict(list)
    lock = threading.Lock()
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    def user(n: int, session: Session) -> None:
        rng = random.Random(n)
        while time.monotonic() < deadline and not failures:
            name, path = choose(rng)
            try:
                status, ms = session.get(path)
            except Exception as exc:  # reported below: the run stops
                failures.append(f"{name}: {type(exc).__name__}: {exc}")
                return
            if status != 200:
                failures.append(f"{name}: {path} answered {status}")
                return
            with lock:
                times[name].append(ms)

    threads = [threading.Thread(target=user, args=(n, s)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"the load stopped: {failures[0]}")
    return times


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:  # a run too short for this page: its one answer (or none) stands for all three
        return (values[0],) * 3 if values else (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="the mix's time (with --months, each mix's), at most 600"
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--months", type=int, default=0, help="months of history seeded (bench.seed)")
    parser.add_argument(
        "--database", default="", help="the database measured (reused when it holds customers)"
    )
    parser.add_argument("--reference-database", default="", help="with --months: the one without history")
    parser.add_argument("--keep", action="store_true", help="keep the databases this run made")
    parser.add_argument("--prepare", default="", help=argparse.SUPPRESS)  # the child process: see _prepare
    args = parser.parse_args(argv)
    if (
        not 100 <= args.customers <= 200_000
        or not 10 <= args.seconds <= 600
        or not 1 <= args.users <= 64
        or not 0 <= args.months <= 36
    ):
        parser.error("--customers 100-200000, --seconds 10-600, --users 1-64, --months 0-36")
    server = os.environ.get("DATABASE_URL", "")
    if server.split(":", 1)[0] not in ("postgres", "postgresql", "pgsql"):
        print("bench.load runs on PostgreSQL: set DATABASE_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    if args.prepare:
        return _prepare(args)
    from bench import scale

    name = args.database or f"bench_load_{os.getpid()}"
    databases = [(name, args.months, REDIS_DBS[0])]
    if args.months:
        databases.append((args.reference_database or f"{name}_reference", 0, REDIS_DBS[1]))
    made = [db for db, _months, _redis in databases if not scale._exists(server, db)]
    for db in made:
        scale._admin(server, f'CREATE DATABASE "{db}"')
    # One key for the processes that sign the users in and the servers that check their sessions.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    servers: list[Served] = []
    try:
        for db, months, redis_db in databases:
            servers.append(
                Served.start(args, urlunsplit(urlsplit(server)._replace(path=f"/{db}")), months, redis_db)
            )
        return _measure(args, servers)
    finally:
        for served in servers:
            served.stop()
        for db in made if not args.keep else []:
            scale._admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        for _db, _months, redis_db in databases:
            _empty_redis(_redis_url(redis_db))


def _prepare(args) -> int:
    """In a process of its own (Django is set up once per database): migrate the database, seed it unless it
    holds customers, sign the users in and print, as JSON, their cookies, the mix's paths and the instant the
    database was seeded at, which its server's clock is moved to (`bench.pinned`)."""
    from bench import scale

    scale._setup(args.prepare)
    from django.core.management import call_command

    from bench import pinned
    from bench.seed import seed
    from customers.models import Customer

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    kept = Customer.objects.exists()
    at = pinned.recorded() if kept else pinned.instant_to_seed()
    with pinned.pinned(at):
        if kept:
            said = f"{Customer.objects.count():,} customers seeded by an earlier run"
        else:
            seed(customers=args.customers, months=args.months)
            scale.settle()
            pinned.record(at)
            took = time.perf_counter() - t0
            said = f"seeded {args.customers:,} customers and {args.months} months in {took:.0f} s"
        said += f", served at {at.isoformat(timespec='minutes')}" if at else ", served at the clock's time"
        print(said, file=sys.stderr, flush=True)
        print(json.dumps({"cookies": _sessions(args.users), "paths": _paths(), "at": at and at.isoformat()}))
    return 0


def _paths() -> dict[str, str]:
    """The mix's pages' addresses, filled from the seed."""
    from django.urls import reverse

    from bench.pages import CUSTOMER_INDEX
    from bench.seed import FIRST_DOMAIN
    from invoicing.selectors import default_month

    year, month = default_month()
    fill = {"customer": FIRST_DOMAIN + CUSTOMER_INDEX}
    paths = {}
    for page, url_name, kwargs, query, _judged in PAGES:
        values = {
            key: (year if key == "year" else month) if value == "month" else fill.get(value, value)
            for key, value in kwargs.items()
        }
        paths[page] = reverse(url_name, kwargs=values) + (f"?{urlencode(query)}" if query else "")
    return paths


def _sessions(count: int) -> list[str]:
    """`count` Admins signed in (two-step sign-in done), as the Cookie header of each one's session."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.services import user_create_with_role
    from bench.common import sign_in
    from portal.core.access import Role

    cookies = []
    for n in range(count):
        user = get_user_model().objects.filter(username=f"bench-load-{n}").first() or user_create_with_role(
            username=f"bench-load-{n}", password="bench-pass-123", role=Role.ADMIN
        )
        user.is_staff = user.is_superuser = True  # Django's admin, the reference
        user.save()
        client = Client()
        sign_in(client, user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return cookies


def production_env(key_file: Path) -> dict[str, str]:
    """The settings of a production deployment (DEBUG off) on this machine, served over plain HTTP to 127.0.0.1
    and the test client, with a Partner API nobody answers (`key_file`: a file standing in for its private key):
    what bench.load serves with and bench.frame measures with. SECRET_KEY is the caller's."""
    key_file.write_text("not used: no page of a benchmark calls the Partner API\n")
    return {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "PARTNER_API_BASE_URL": "http://127.0.0.1:9/v1.0",  # nothing listens: a call fails at once
        "PARTNER_API_TOKEN_URL": "http://127.0.0.1:9/oauth2/v2.0/token",
        "PARTNER_API_CLIENT_ID": "bench",
        "PARTNER_API_CLIENT_SECRET": "bench",
        "PARTNER_API_SERVICE_ACCOUNT": "bench@example.com",
        "PARTNER_API_PRIVATE_KEY_FILE": str(key_file),
    }


def _serve(url: str, redis_url: str, workdir: Path, port: int, at: str | None) -> subprocess.Popen:
    """gunicorn serving the database at `url`, its clock at `at` (the instant the database was seeded at, ISO
    8601: `bench.pinned_wsgi` moves it there in each process), as it is when None."""
    env = {
        **os.environ,
        **({"BENCH_CLOCK_AT": at} if at else {}),
        **production_env(workdir / "partner-api-key.pem"),
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "LOG_LEVEL": "INFO",
    }
    log = (workdir / "gunicorn.log").open("w")
    # As the README's deployment does before it starts the server (the pages name the static files' hashes).
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=REPO, env=env, check=True
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "bench.pinned_wsgi",
            "-c",
            "gunicorn.conf.py",
            "-b",
            f"127.0.0.1:{port}",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class Served:
    """One database served by its own gunicorn, with its signed-in users and the mix's paths."""

    def __init__(
        self, label: str, web: subprocess.Popen, port: int, paths: dict, cookies: list, workdir: Path
    ):
        self.label, self.web, self.paths, self.workdir = label, web, paths, workdir
        self.sessions = [Session(port, cookie) for cookie in cookies]

    @classmethod
    def start(cls, args, url: str, months: int, redis_db: int) -> Served:
        redis_url = _redis_url(redis_db)
        _empty_redis(redis_url)
        prepared = subprocess.run(
            [sys.executable, "-m", "bench", "load", "--prepare", url, "--customers", str(args.customers)]
            + ["--months", str(months), "--users", str(args.users)],
            cwd=REPO,
            env={**os.environ, "REDIS_URL": redis_url},
            stdout=subprocess.PIPE,
            check=True,
            text=True,
        )
        found = json.loads(prepared.stdout.strip().splitlines()[-1])
        workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
        port = _free_port()
        web = _serve(url, redis_url, workdir, port, found["at"])
        served = cls(
            f"{months} months" if months else "no history",
            web,
            port,
            found["paths"],
            found["cookies"],
            workdir,
        )
        probe = Session(port, "")
        deadline = time.monotonic() + 60
        while True:
            try:
                if probe.get(HEALTHZ)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or web.poll() is not None:
                served.stop()
                raise SystemExit((workdir / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.3)
        for name, path in served.paths.items():  # warm every process's caches once per page
            for session in served.sessions:
                status, _ms = session.get(path)
                if status != 200:
                    served.stop()
                    raise SystemExit(f"{name}: {path} answered {status}")
        return served

    def mix(self, seconds: float) -> dict[str, list[float]]:
        pages = list(self.paths.items())
        return _run_users(self.sessions, seconds, lambda rng: rng.choice(pages))

    def only(self, name: str, seconds: float) -> dict[str, list[float]]:
        path = self.paths[name]
        return _run_users(self.sessions, seconds, lambda rng: (name, path))

    def stop(self) -> None:
        if self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(timeout=30)


def _merge(into: dict[str, list[float]], got: dict[str, list[float]]) -> None:
    for name, values in got.items():
        into[name].extend(values)


def _measure(args, servers: list[Served]) -> int:
    """The slices, alternating, then the table and the goals."""
    measured, reference = servers[0], (servers[1] if len(servers) > 1 else None)
    workers, threads = _sizing()
    rounds = ROUNDS if reference else 1
    slice_seconds = args.seconds / rounds
    print(
        f"gunicorn: {workers} processes x {threads} threads (gunicorn.conf.py on {os.cpu_count()} cores) per "
        f"database; {args.users} users; {rounds} x {slice_seconds:.0f} s of each mix"
        + (" (with history, without, /healthz alone)" if reference else ", then /healthz alone")
        + f", then 4 slices of {args.seconds / 12:.0f} s on one page",
        flush=True,
    )
    mixed: dict[str, list[float]] = defaultdict(list)
    plain: dict[str, list[float]] = defaultdict(list)
    alone: dict[str, list[float]] = defaultdict(list)
    spent = {"mixed": 0.0, "plain": 0.0}
    for _round in range(rounds):
        started = time.perf_counter()
        _merge(mixed, measured.mix(slice_seconds))
        spent["mixed"] += time.perf_counter() - started
        if reference:
            started = time.perf_counter()
            _merge(plain, reference.mix(slice_seconds))
            spent["plain"] += time.perf_counter() - started
        _merge(alone, measured.only("/healthz", slice_seconds / 4))
    served: dict[str, list[float]] = defaultdict(list)
    spent_on: dict[str, float] = defaultdict(float)
    for name in (CUSTOMER_LIST, ADMIN_CHANGELIST, CUSTOMER_LIST, ADMIN_CHANGELIST):
        started = time.perf_counter()
        _merge(served, measured.only(name, args.seconds / 12))
        spent_on[name] += time.perf_counter() - started
    load = os.getloadavg()[0]

    print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
    healthz_p95 = _percentiles(alone[HEALTHZ])[1]
    print(f"/healthz alone (every user on it): {len(alone[HEALTHZ])} requests, p95 {healthz_p95:.0f} ms")
    print(f"mix on the database with {measured.label}:")
    print(
        f"{'page':32} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p95 / healthz':>13}"
    )
    failed = []
    for name, _url, _kwargs, _query, judged in PAGES:
        values = mixed[name]
        p50, p95, p99 = _percentiles(values)
        ratio = p95 / healthz_p95
        mark = ""
        if (judged or reference) and name != HEALTHZ and name != ADMIN_CHANGELIST:
            mark = "" if ratio <= P95_GOAL else "  over the goal"
            if ratio > P95_GOAL:
                failed.append(name)
        print(
            f"{name:32} {len(values):>8} {len(values) / spent['mixed']:>6.1f} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
            f"{ratio:>12.1f}x{mark}"
        )
    if reference:
        with_history = sum(map(len, mixed.values())) / spent["mixed"]
        without = sum(map(len, plain.values())) / spent["plain"]
        print(
            f"the mix with {measured.label}: {with_history:.1f} req/s; without history: {without:.1f} req/s: "
            f"{with_history / without:.2f}x (goal >= {HISTORY_GOAL}x)"
        )
        if with_history / without < HISTORY_GOAL:
            failed.append("the mix's throughput with history")
    listing = len(served[CUSTOMER_LIST]) / spent_on[CUSTOMER_LIST]
    admin = len(served[ADMIN_CHANGELIST]) / spent_on[ADMIN_CHANGELIST]
    print(
        f"throughput, every user on one page: customer list {listing:.1f} req/s, admin changelist {admin:.1f} "
        f"req/s: {listing / admin:.1f}x (goal >= {THROUGHPUT_GOAL:.0f}x)"
    )
    if listing / admin < THROUGHPUT_GOAL:
        failed.append("customer list throughput")
    judged = "every page's p95" if reference else "list p95"
    print(
        f"goals ({judged} <= {P95_GOAL:.0f}x /healthz's alone, throughput): "
        + ("met" if not failed else "NOT met: " + ", ".join(failed))
    )
    return 1 if failed else 0


def _sizing() -> tuple[int, int]:
    """The processes and threads gunicorn.conf.py gives on this machine (as the server read it)."""
    namespace: dict = {}
    exec((REPO / "gunicorn.conf.py").read_text(), namespace)  # the repository's own config
    return namespace["workers"], namespace["threads"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
