"""The main pages under load, served as the README's deployment serves them (prints figures; not a test).

``.venv/bin/python -m bench load [--customers 50000] [--seconds 60] [--users 8] [--months 0]`` on PostgreSQL (DATABASE_URL
names the server; a scratch database ``bench_load_<pid>`` is filled there by bench.seed and dropped at
the end). Redis (REDIS_URL, default redis://127.0.0.1:6379) lends its database 13, emptied before and after.

gunicorn runs as the README says (``gunicorn portal.wsgi -c gunicorn.conf.py``: its processes and threads from
this machine) with production settings (DEBUG off) on a free port of 127.0.0.1. Users signed in as Admins (who
may open every page, Django's admin included) send requests one after another, each as soon as the last
answered, for a bounded time, to 127.0.0.1 only:

1. mixed, two thirds of the time: each user goes round the main pages in a shuffled order, with ``/healthz``
   and the admin changelist of customers among them, so every page meets the same load. Per page: requests,
   requests/s, p50, p95 and p99. Goal: each list page's p95 within 3x ``/healthz``'s p95 in the same run.
2. throughput, the last third, in four alternating slices: every user on the customer list only, then every
   user on the admin changelist of customers only. Goal: the customer list serves at least 3x the requests per
   second of the admin changelist.

The exit status is 1 when a goal is not met.
"""

from __future__ import annotations

import argparse
import http.client
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
REDIS_DB = 13
P95_GOAL = 3.0
THROUGHPUT_GOAL = 3.0
#: (name, path, query, a list page judged against /healthz)
PAGES = [
    ("Customers list", "/customers/", {}, True),
    ("Customers list, searched", "/customers/", {"q": "サクラ"}, True),
    ("Subscriptions list", "/subscriptions/", {}, True),
    ("Options list", "/options/", {}, True),
    ("Scheduled changes (agenda)", "/scheduled/", {}, True),
    ("Activity", "/activity/", {}, True),
    ("Home", "/", {}, False),
    ("Customer page", "/customers/{customer}/", {}, False),
    ("/healthz", "/healthz", {}, False),
    ("admin changelist: customers", "/admin/customers/customer/", {}, False),
]
#: The customer whose page is measured (bench.pages: the first Account manager's, with work of every kind).
CUSTOMER = 40_000_000 + 24
CUSTOMER_LIST = "/customers/"
ADMIN_CHANGELIST = "/admin/customers/customer/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str:
    base = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


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
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="the whole load, both parts (at most 600)"
    )
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--months", type=int, default=0, help="months of history seeded (bench.seed)")
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
    from bench import scale

    db = f"bench_load_{os.getpid()}"
    url = urlunsplit(urlsplit(server)._replace(path=f"/{db}"))
    scale._admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    scale._admin(server, f'CREATE DATABASE "{db}"')
    redis_url = _redis_url()
    _empty_redis(redis_url)
    # One key for this process (which signs the users in) and the server (which checks their sessions).
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    try:
        return _run(args, url, redis_url)
    finally:
        from django.db import connections

        connections.close_all()
        scale._admin(server, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        _empty_redis(redis_url)


def _sessions(count: int) -> list[str]:
    """`count` Admins signed in (two-step sign-in done), as the Cookie header of each one's session."""
    from django.conf import settings
    from django.test import Client

    from accounts.services import user_create_with_role
    from bench.common import sign_in
    from portal.core.access import Role

    cookies = []
    for n in range(count):
        user = user_create_with_role(username=f"bench-load-{n}", password="bench-pass-123", role=Role.ADMIN)
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


def _serve(url: str, redis_url: str, workdir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
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
            "portal.wsgi",
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


def _run(args, url: str, redis_url: str) -> int:
    from bench import scale

    scale._setup(url)
    from django.core.management import call_command

    from bench.seed import seed

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed(customers=args.customers, months=args.months)
    scale.settle()
    print(
        f"seeded {args.customers:,} customers and {args.months} months in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    cookies = _sessions(args.users)
    from django.db import connections

    connections.close_all()  # the server's processes are the database's clients now

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    port = _free_port()
    web = _serve(url, redis_url, workdir, port)
    try:
        probe = Session(port, "")
        deadline = time.monotonic() + 60
        while True:
            try:
                if probe.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or web.poll() is not None:
                print((workdir / "gunicorn.log").read_text()[-3000:], file=sys.stderr)
                return 2
            time.sleep(0.3)
        workers, threads = _sizing()
        sessions = [Session(port, cookie) for cookie in cookies]
        pages = [
            (name, path.format(customer=CUSTOMER) + (f"?{urlencode(query)}" if query else ""), judged)
            for name, path, query, judged in PAGES
        ]
        for name, path, _ in pages:  # warm every process's caches once per page
            for session in sessions:
                status, _ms = session.get(path)
                if status != 200:
                    print(f"{name}: {path} answered {status}", file=sys.stderr)
                    return 2

        mixed_seconds = args.seconds * 2 / 3
        slice_seconds = args.seconds / 3 / 4
        print(
            f"gunicorn: {workers} processes x {threads} threads (gunicorn.conf.py on {os.cpu_count()} cores); "
            f"{args.users} users; {mixed_seconds:.0f} s mixed, then 4 slices of {slice_seconds:.0f} s",
            flush=True,
        )
        mixed = _run_users(sessions, mixed_seconds, lambda rng: rng.choice(pages)[:2])
        served: dict[str, list[float]] = defaultdict(list)
        spent: dict[str, float] = defaultdict(float)
        for path in (CUSTOMER_LIST, ADMIN_CHANGELIST, CUSTOMER_LIST, ADMIN_CHANGELIST):
            started = time.perf_counter()
            got = _run_users(sessions, slice_seconds, lambda rng, path=path: (path, path))
            spent[path] += time.perf_counter() - started
            served[path] += got[path]
        load = os.getloadavg()[0]
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=30)

    print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
    print(
        f"{'page':32} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'p95 / healthz':>13}"
    )
    healthz_p95 = _percentiles(mixed["/healthz"])[1]
    failed = []
    for name, _path, judged in pages:
        values = mixed[name]
        p50, p95, p99 = _percentiles(values)
        ratio = p95 / healthz_p95
        mark = ""
        if judged:
            mark = "" if ratio <= P95_GOAL else "  over the goal"
            if ratio > P95_GOAL:
                failed.append(name)
        print(
            f"{name:32} {len(values):>8} {len(values) / mixed_seconds:>6.1f} {p50:>7.0f} {p95:>7.0f} {p99:>7.0f} "
            f"{ratio:>12.1f}x{mark}"
        )
    listing = len(served[CUSTOMER_LIST]) / spent[CUSTOMER_LIST]
    admin = len(served[ADMIN_CHANGELIST]) / spent[ADMIN_CHANGELIST]
    print(
        f"throughput, every user on one page: customer list {listing:.1f} req/s, admin changelist {admin:.1f} "
        f"req/s: {listing / admin:.1f}x (goal >= {THROUGHPUT_GOAL:.0f}x)"
    )
    if listing / admin < THROUGHPUT_GOAL:
        failed.append("customer list throughput")
    print(
        f"goals (list p95 <= {P95_GOAL:.0f}x /healthz's, throughput): "
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
