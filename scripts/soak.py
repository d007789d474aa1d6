"""`make soak`: a chaos soak of the change pipeline, bounded in count and time, on loopback only.

What it does, in order:

1. Starts a private sandbox (a fresh database, seeded), a scratch PostgreSQL database for the portal (several
   processes write at once; named `soak_<pid>`), the portal under gunicorn, two Celery worker processes and
   beat, on a Redis database of its own (db 12 of the REDIS_URL server, emptied first). The sandbox and the
   portal listen on free ports of 127.0.0.1.
2. Turns on faults in the sandbox: a fifth of the calls fail, switching every few seconds between kinds and
   between before and after the change was applied: 500, held requests (timeouts) and dropped connections
   before or after; 429 and 503 before only, as the client reads them as "not processed".
3. Sends the changes through the portal's own HTTP forms, as a person would (form, confirmation, send), from
   a few threads at once: customers (company name, maximum users, a new customer, which is queued),
   subscriptions (renewal) and options (renewal). Some confirmations are sent twice, one after the other or at
   the same moment (a double click). A full resync runs meanwhile, and one worker is killed with SIGKILL at
   random moments and started again.
4. Stops the faults and the killing, waits up to five minutes for every open outcome to be reconciled, then
   compares the portal with the sandbox's request log and state and prints: changes applied exactly once,
   duplicates, lost, applied but reported not applied, superseded (reported as replaced by a later change),
   still unknown, 5xx answered by the portal, and cache mismatches.

    make soak                      # 1,000 changes
    make soak SOAK_CHANGES=200     # the nightly-sized run
    make soak SOAK_MONTHS=12       # the portal's customers with a year of history first (bench.seed)

Where it runs, for several soaks on one machine (each option also read from the environment variable named
after it; an option given wins):

    --redis-db N        SOAK_REDIS_DB   the Redis database it empties and uses, 0-15 (default 12)
    --ports START-END   SOAK_PORTS      the ports the sandbox and the portal take, within 1024-65535, two at
                                        least (default: any free ports)
    --db-prefix NAME    SOAK_DB_PREFIX  its scratch database is NAME_<pid> (default soak); letters, digits and
                                        _, not starting with a digit

    SOAK_REDIS_DB=3 SOAK_PORTS=20100-20109 SOAK_DB_PREFIX=soak_ann make soak

The exit status is 0 only when duplicates, lost, applied-but-reported-not, unknown, 5xx and mismatches are
all 0.
"""

from __future__ import annotations

import argparse
import collections
import html.parser
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sandbox.testing import free_port, start_sandbox  # noqa: E402

PY = sys.executable
PASSWORD = "soak-Passw0rd"
#: The portal's reads of the Partner API time out after this many seconds in the soak (30 s by default), so
#: the sandbox's held requests (timeouts) cost seconds, not minutes.
READ_TIMEOUT = 3.0
SETTLE_LIMIT = 300  # seconds: "0 unknown after 5 minutes"
WRITES = {
    "patchCustomer",
    "patchUsageStatus",
    "createCustomer",
    "updateSubscriptionRenewal",
    "updateOptionProductRenewal",
}


# --- where the soak runs: its options ------------------------------------------------------------------------

DEFAULT_REDIS_DB = 12
DEFAULT_DB_PREFIX = "soak"
REDIS_DBS = range(16)  # Redis's default `databases 16`
PORT_MIN, PORT_MAX = 1024, 65535  # no privileged port
#: A database name is at most 63 bytes: the prefix leaves room for "_" and a process id (up to 7 digits).
DB_PREFIX_MAX = 55
_DB_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PORT_RANGE = re.compile(r"(\d+)-(\d+)")


def redis_db(text: str) -> int:
    """The Redis database number of --redis-db / SOAK_REDIS_DB."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Redis database number (0-15)") from None
    if number not in REDIS_DBS:
        raise argparse.ArgumentTypeError(f"Redis database {number} is outside 0-15")
    return number


def port_range(text: str) -> tuple[int, int]:
    """START-END of --ports / SOAK_PORTS: both within 1024-65535, START not after END, two ports at least (the
    sandbox's and the portal's)."""
    found = _PORT_RANGE.fullmatch(text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port range START-END, e.g. 20100-20109")
    start, end = int(found[1]), int(found[2])
    if not (PORT_MIN <= start <= PORT_MAX and PORT_MIN <= end <= PORT_MAX):
        raise argparse.ArgumentTypeError(f"port range {start}-{end} is outside {PORT_MIN}-{PORT_MAX}")
    if start > end:
        raise argparse.ArgumentTypeError(f"port range {start}-{end} is reversed (START after END)")
    if start == end:
        raise argparse.ArgumentTypeError(
            f"port range {start}-{end} holds one port; the soak needs two (the sandbox's and the portal's)"
        )
    return start, end


def db_prefix(text: str) -> str:
    """The scratch database's name prefix of --db-prefix / SOAK_DB_PREFIX: the start of a PostgreSQL
    identifier (a letter or _, then letters, digits or _)."""
    if not _DB_PREFIX.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot start a PostgreSQL database name: use letters, digits and _, not starting with a "
            "digit"
        )
    if len(text) > DB_PREFIX_MAX:
        raise argparse.ArgumentTypeError(
            f"{text!r} is longer than {DB_PREFIX_MAX} characters (a database name is at most 63)"
        )
    return text


#: Options read from the environment when not given: (option's dest, variable, parser of its value, default).
FROM_ENVIRONMENT = (
    ("redis_db", "SOAK_REDIS_DB", redis_db, DEFAULT_REDIS_DB),
    ("ports", "SOAK_PORTS", port_range, None),
    ("db_prefix", "SOAK_DB_PREFIX", db_prefix, DEFAULT_DB_PREFIX),
)


def parse_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> argparse.Namespace:
    """The soak's options: the command line first, then SOAK_* variables of `environ` (os.environ), then the
    defaults. An empty variable counts as unset (`make soak` passes every one). A bad value stops with a
    message naming the option or the variable it came from."""
    environ = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Each of --redis-db, --ports and --db-prefix may come from SOAK_REDIS_DB, SOAK_PORTS and "
        "SOAK_DB_PREFIX instead.",
    )
    parser.add_argument("--changes", type=int, default=int(environ.get("SOAK_CHANGES") or 1000))
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument(
        "--months",
        type=int,
        default=int(environ.get("SOAK_MONTHS") or 0),
        help="months of the running portal's history given to the portal's customers first (bench.seed)",
    )
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=int(environ.get("SOAK_SEED") or 2026))
    parser.add_argument(
        "--minutes", type=float, default=30, help="stop sending after this long, whatever the count"
    )
    parser.add_argument(
        "--redis-db",
        type=redis_db,
        metavar="N",
        help=f"the Redis database of the REDIS_URL server it empties and uses, 0-15 (default {DEFAULT_REDIS_DB})",
    )
    parser.add_argument(
        "--ports",
        type=port_range,
        metavar="START-END",
        help="the ports of 127.0.0.1 the sandbox and the portal take (default: any free ones)",
    )
    parser.add_argument(
        "--db-prefix",
        type=db_prefix,
        metavar="NAME",
        help=f"the scratch PostgreSQL database is NAME_<pid> (default {DEFAULT_DB_PREFIX})",
    )
    args = parser.parse_args(argv)
    for dest, variable, convert, default in FROM_ENVIRONMENT:
        if getattr(args, dest) is not None:
            continue
        value = environ.get(variable, "")
        try:
            setattr(args, dest, convert(value) if value else default)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"{variable}={value}: {exc}")
    return args


def port_in(ports: tuple[int, int] | None, *, purpose: str, taken: Collection[int] = ()) -> int:
    """A port of 127.0.0.1 that is free now: the first of `ports` (START-END, inclusive) not in `taken`, or any
    the system offers when `ports` is None. Stops with a message when the range has none free."""
    if ports is None:
        return free_port()
    start, end = ports
    for port in range(start, end + 1):
        if port in taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise SystemExit(
        f"No free port for {purpose} in {start}-{end} (--ports / SOAK_PORTS): every one is in use. "
        "Choose another range."
    )


# --- the portal's forms, read as a browser reads them ----------------------------------------------------------


class _Forms(html.parser.HTMLParser):
    """Every <form> of a page with the values a browser would submit (checked boxes, selected options)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}, "buttons": {}})
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "image", "reset"):
                fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.forms[-1]["buttons"][a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._select_first = a.get("name"), None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
                fields.setdefault(self._select, self._select_first)
            if "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def form_with(page: str, field_name: str) -> dict | None:
    parser = _Forms()
    parser.feed(page)
    return next((f for f in parser.forms if field_name in f["fields"]), None)


# --- one change, sent through the portal ------------------------------------------------------------------------


@dataclass
class Sent:
    """One change as the soak sent it, and what it expects the sandbox to show."""

    number: int
    operation_id: str
    path: str  # the Partner API path the change writes to (below /v1.0)
    marker: str = ""  # a value unique to this change, found in the body the sandbox received
    key: str = ""
    answers: list[int] = field(default_factory=list)
    refused_by_form: str = ""
    double: str = ""


class Portal:
    """The portal as the soak's users see it: one Account manager per thread, each signing in with a password
    and a code from its own authenticator (a code is accepted once, so threads do not share a user)."""

    def __init__(self, base: str, users: list[tuple[str, str]]) -> None:
        self.base = base
        self.local = threading.local()
        self.statuses: collections.Counter[int] = collections.Counter()
        self.lock = threading.Lock()
        self.users = list(users)  # (username, authenticator key in hex)

    @property
    def session(self) -> requests.Session:
        s = getattr(self.local, "session", None)
        if s is None:
            with self.lock:
                username, key = self.users.pop()
            s = self.local.session = requests.Session()
            form = form_with(self.get(s, "/accounts/login/").text, "username")
            data = {**form["fields"], "username": username, "password": PASSWORD}
            answer = self.post(s, "/accounts/login/", data)
            if answer.status_code != 302:
                raise SystemExit(f"The soak user {username} could not sign in (HTTP {answer.status_code}).")
            home = self.get(s, "/")  # an Account manager is sent on to the two-step page
            if "two-factor" in home.url:
                from django_otp.oath import TOTP

                form = form_with(home.text, "code")
                code = f"{TOTP(bytes.fromhex(key)).token():06d}"
                self.post(s, home.url, {**form["fields"], "code": code})
            if "two-factor" in self.get(s, "/").url:
                raise SystemExit(f"The soak user {username} could not complete the two-step sign-in.")
        return s

    def _count(self, response: requests.Response) -> requests.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
        return response

    def get(self, s: requests.Session, url: str) -> requests.Response:
        return self._count(s.get(urljoin(self.base, url), timeout=120))

    def post(self, s: requests.Session, url: str, data: dict) -> requests.Response:
        return self._count(s.post(urljoin(self.base, url), data=data, allow_redirects=False, timeout=120))

    def change(self, sent: Sent, url: str, values: dict, *, double: str = "") -> None:
        """Open the form, fill it, check it, confirm it (twice when `double` says so)."""
        s = self.session
        page = self.get(s, url)
        form = form_with(page.text, "idempotency_key")
        if form is None:
            sent.refused_by_form = f"no form on the page (HTTP {page.status_code}, {page.url})"
            return
        data = {**form["fields"], **values}
        sent.key = data["idempotency_key"]
        url = form["action"] or url
        checked = self.post(s, url, data)
        sent.answers.append(checked.status_code)
        confirm = form_with(checked.text, "idempotency_key") if checked.status_code == 200 else None
        if confirm is None or "confirmed" not in confirm["buttons"]:
            sent.refused_by_form = _first_error(checked.text) or f"HTTP {checked.status_code}"
            return
        final = {**confirm["fields"], "confirmed": "1"}
        self.send(sent, url, final, double=double)

    def send(self, sent: Sent, url: str, data: dict, *, double: str = "") -> None:
        s = self.session
        sent.double = double
        if double == "together":
            with ThreadPoolExecutor(2) as pool:
                answers = list(pool.map(lambda _: self.post(s, url, data), range(2)))
        else:
            answers = [self.post(s, url, data)]
            if double == "again":
                answers.append(self.post(s, url, data))
        sent.answers += [a.status_code for a in answers]


def _first_error(page: str) -> str:
    """The first error a person reads on the page: a field's error, else the summary's first line."""
    found = re.search(r'id="[^"]*_error"[^>]*>\s*<p>(.*?)</p>', page, re.S) or re.search(
        r"data-error-summary.*?<li[^>]*>(.*?)</li>", page, re.S
    )
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


# --- the world the soak runs in ------------------------------------------------------------------------------------


class World:
    def __init__(
        self,
        *,
        customers: int,
        users: int,
        workdir: Path,
        redis_db: int = DEFAULT_REDIS_DB,
        ports: tuple[int, int] | None = None,
        db_prefix: str = DEFAULT_DB_PREFIX,
        months: int = 0,
    ) -> None:
        self.workdir = workdir
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = workdir / "log"
        self.logs.mkdir(parents=True, exist_ok=True)
        print(f"Starting the sandbox with {customers} customers…", flush=True)
        self.sandbox = start_sandbox(
            seed_customers=customers,
            rate_limit=100_000,
            workdir=workdir / "sandbox",
            extra_env={"SANDBOX_REQUEST_LOG_SIZE": "1000000"},
            port=port_in(ports, purpose="the sandbox"),
        )
        self.database = _scratch_database(db_prefix)
        redis = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        self.redis = f"{redis.rsplit('/', 1)[0]}/{redis_db}"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": self.database,
            "REDIS_URL": self.redis,
            **self.sandbox.portal_settings(),
            "PARTNER_API_READ_TIMEOUT": str(READ_TIMEOUT),
        }
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        import redis as redis_client

        redis_client.Redis.from_url(self.redis).flushdb()
        self.run("migrate", [PY, "manage.py", "migrate", "--no-input", "-v", "0"])
        self.users = []
        for n in range(users):
            name = f"soak{n + 1}"
            create = ["create_portal_user", name, "--role", "account_manager", "--password", PASSWORD]
            self.run(f"user-{name}", [PY, "manage.py", *create])
            self.users.append((name, _authenticator(self, name)))
        print("First full resync…", flush=True)
        self.run("first-resync", [PY, "manage.py", "resync"])
        if months:
            print(f"{months} months of history (bench.seed)…", flush=True)
            self.run("history", [PY, "-m", "bench", "seed", "--history-only", "--months", str(months)])
        sandbox_port = urlsplit(self.sandbox.root).port
        self.port = port_in(ports, purpose="the portal", taken={sandbox_port} if sandbox_port else set())
        self.start(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{self.port}",
                "-w",
                "2",
                "--threads",
                "6",
            ],
        )
        self.start_worker("worker-1")
        self.start_worker("worker-2")
        self.start("beat", [PY, "-m", "celery", "-A", "portal", "beat", "-s", str(workdir / "beat")])
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise SystemExit(f"The portal did not start; see {self.logs / 'web.log'}")

    def run(self, name: str, args: list[str]) -> None:
        with (self.logs / f"{name}.log").open("w") as log:
            subprocess.run(args, cwd=REPO, env=self.env, check=True, stdout=log, stderr=subprocess.STDOUT)

    def start(self, name: str, args: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_worker(self, name: str) -> None:
        self.start(
            name,
            [
                PY,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "-c",
                "1",
                "-P",
                "solo",
                "-n",
                f"{name}@soak",
            ],
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.sandbox.stop()
        _drop_database(self.database)


def _authenticator(world: World, username: str) -> str:
    """Give the user an authenticator (Account managers sign in with a code); returns its key."""
    _django(world)
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = os.urandom(20).hex()
    user = get_user_model().objects.get(username=username)
    TOTPDevice.objects.create(user=user, name="Soak authenticator", key=key, confirmed=True)
    return key


def _postgres_server() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.split(":", 1)[0] in ("postgres", "postgresql", "pgsql"):
        return url
    return "postgres://postgres@127.0.0.1:5432/postgres"


def _admin_sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(sql)


def _scratch_database(prefix: str) -> str:
    server = _postgres_server()
    name = f"{prefix}_{os.getpid()}"
    try:
        _admin_sql(server, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # the soak needs a server: say which and why
        raise SystemExit(
            f"The soak runs the portal on PostgreSQL (several processes write at once); {server}: {exc}"
        ) from exc
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def _drop_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    _admin_sql(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- chaos ------------------------------------------------------------------------------------------------------


def chaos(world: World, stop: threading.Event, rng: random.Random, log: list[str]) -> None:
    """Faults on every operation (a fifth of the calls), switching between before and after the handler; one
    worker killed with SIGKILL at random moments and started again."""
    # The client takes a 429 or a 503 to mean "not processed" (partner_api/transport.py), so those come before
    # the handler only; a 500, a held request or a dropped connection may come after the change was applied.
    before_only = [
        {"errorRate": 0.2, "errorStatus": 429},
        {"errorRate": 0.2, "errorStatus": 503},
    ]
    either = [
        {"errorRate": 0.2, "errorStatus": 500},
        {"timeoutRate": 0.2, "timeoutSeconds": READ_TIMEOUT + 1},
        {"dropRate": 0.2},
    ]
    next_kill = time.monotonic() + rng.uniform(5, 15)
    while not stop.is_set():
        for operation in sorted(WRITES):
            fault = rng.choice(before_only + either)
            after = fault in either and rng.random() < 0.5
            world.sandbox.set_fault(operation, **fault, afterHandler=after)
        # Reads (the read-backs, the refreshes and the resync): errors and dropped connections.
        world.sandbox.set_fault("*", **rng.choice([*before_only, either[0], either[2]]), afterHandler=False)
        if time.monotonic() >= next_kill:
            victim = rng.choice(["worker-1", "worker-2"])
            process = world.processes[victim]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                log.append(f"{time.strftime('%H:%M:%S')} killed {victim}")
            stop.wait(rng.uniform(0.5, 3))
            world.start_worker(victim)
            next_kill = time.monotonic() + rng.uniform(5, 20)
        stop.wait(3)
    world.sandbox.clear_faults()


# --- the changes ------------------------------------------------------------------------------------------------


def targets(world: World) -> dict[str, list]:
    """What the soak changes, read from the portal's cache once (after the first resync)."""
    _django(world)
    from customers.models import Customer
    from options.models import Option
    from subscriptions.models import Subscription

    customers = list(
        Customer.objects.filter(removed_at=None, usage_status="ACTIVE").values_list(
            "domain_id", "member_count"
        )
    )
    # Renewals with a value of their own (a licence count, a quantity), so each change is found in the bodies
    # the sandbox received: annual licence subscriptions, and the options that carry a quantity.
    subscriptions = list(
        Subscription.objects.filter(customer__removed_at=None, plan="ANNUAL_LICENSE", status="ACTIVE")
        .exclude(renewal_type="")
        .values_list("pk", "customer_id")
    )
    options = list(
        Option.objects.filter(
            customer__removed_at=None, trial=False, option_product_id__in=["SSTG2", "BCT"]
        ).values_list("customer_id", "option_product_id")
    )
    return {"customers": customers, "subscriptions": subscriptions, "options": options}


def _django(world: World) -> None:
    """This process reads the portal's database too (its users, operations and cache), as the portal does."""
    import django
    from django.apps import apps

    if apps.ready:
        return
    os.environ.update({k: v for k, v in world.env.items() if k in ("DATABASE_URL", "REDIS_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()


def one_change(number: int, portal: Portal, world_targets: dict, rng: random.Random) -> Sent:
    double = rng.choices(["", "again", "together"], weights=[80, 10, 10])[0]
    pick = rng.choices(["name", "maximum", "new", "renewal", "option"], weights=[30, 25, 5, 20, 20])[0]
    if pick == "renewal" and not world_targets["subscriptions"]:
        pick = "name"
    if pick == "option" and not world_targets["options"]:
        pick = "maximum"
    if pick == "name":
        domain_id, _members = rng.choice(world_targets["customers"])
        sent = Sent(number, "patchCustomer", f"/partners/customers/{domain_id}", marker=f"Soak {number:05d}")
        portal.change(sent, f"/customers/{domain_id}/edit/", {"company_name": sent.marker}, double=double)
    elif pick == "maximum":
        domain_id, members = rng.choice(world_targets["customers"])
        maximum = (members or 0) + 1000 + number
        sent = Sent(number, "patchUsageStatus", f"/partners/customers/{domain_id}/usage-status")
        sent.marker = f'"maxMemberCount":{maximum}'
        portal.change(
            sent, f"/customers/{domain_id}/usage/", {"max_member_count": str(maximum)}, double=double
        )
    elif pick == "new":
        domain = f"sk{number:05d}{uuid.uuid4().hex[:4]}.jp"  # a domain is at most 22 characters here
        sent = Sent(number, "createCustomer", "/partners/customers", marker=domain)
        new_customer(portal, sent, domain)
    elif pick == "renewal":
        subscription_id, domain_id = rng.choice(world_targets["subscriptions"])
        path = f"/partners/customers/{domain_id}/subscriptions/{subscription_id}/renewal"
        licences = 1000 + number
        sent = Sent(number, "updateSubscriptionRenewal", path, marker=f'"licenseCount":{licences}')
        values = {"type": "CHANGE", "product_id": "", "plan": "", "license_count": str(licences)}
        portal.change(sent, f"/subscriptions/{subscription_id}/renewal/", values, double=double)
    else:
        domain_id, option_product_id = rng.choice(world_targets["options"])
        path = f"/partners/customers/{domain_id}/option-products/{option_product_id}/renewal"
        quantity = 2 + number % 997
        sent = Sent(number, "updateOptionProductRenewal", path, marker=f'"quantity":{quantity}')
        url = f"/options/customers/{domain_id}/{option_product_id}/renewal/"
        portal.change(sent, url, {"type": "CHANGE", "quantity": str(quantity)}, double=double)
    return sent


def new_customer(portal: Portal, sent: Sent, domain: str) -> None:
    """The pages of adding a customer: check the domain, then the customer's details, reviewed and confirmed as
    every change is (queued: createCustomer)."""
    s = portal.session
    page = portal.get(s, "/customers/add/")
    step1 = form_with(page.text, "domain")
    if step1 is None:
        sent.refused_by_form = f"no form on the page (HTTP {page.status_code}, {page.url})"
        return
    checked = portal.post(s, "/customers/add/", {**step1["fields"], "domain": domain})
    sent.answers.append(checked.status_code)
    if checked.status_code != 302:
        sent.refused_by_form = _first_error(checked.text) or f"HTTP {checked.status_code}"
        return
    details = {
        "company_name": f"ソーク {sent.number:05d}",
        "phone_number": "03-1234-5678",
        "admin_last_name": "検証",
        "admin_id": "admin",
        "admin_password": "Soak2026pass",
        "admin_email": "soak@example.net",
    }
    portal.change(sent, checked.headers["Location"], details, double=rng_double(sent))


def rng_double(sent: Sent) -> str:
    return "again" if sent.number % 10 == 0 else ""


# --- the comparison -----------------------------------------------------------------------------------------------


def settle(world: World) -> dict[str, int]:
    """Wait (at most five minutes) until no change is queued, running or unknown; then count the outcomes."""
    from portal.core.models import Operation

    open_states = ["queued", "running", "unknown"]
    deadline = time.monotonic() + SETTLE_LIMIT
    while time.monotonic() < deadline and Operation.objects.filter(status__in=open_states).exists():
        time.sleep(5)
    return dict(collections.Counter(Operation.objects.values_list("status", flat=True)))


def applied_by_sandbox(world: World) -> list[dict]:
    """Every write the sandbox handled (answered 2xx, or whose fault came after the handler)."""
    out = []
    for operation_id in sorted(WRITES):
        for r in world.sandbox.requests(operation_id=operation_id, limit=5000):
            fault = r.get("fault") or ""
            if (200 <= r["status"] < 300 and not fault) or fault.endswith(" after"):
                out.append(r)
    return out


def _handled_at(r: dict) -> float:
    """When the sandbox's handler ran: the log is written when the answer goes out, which for a request held
    after its handler (a timeout) is seconds later."""
    import datetime as dt

    answered = dt.datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp()
    held = r["durationMs"] / 1000 if r.get("fault", "").startswith("timeout") else 0
    return answered - held


def compare(world: World, sent: list[Sent]) -> dict[str, int]:
    """What the sandbox applied against what the portal says of each change.

    Per target (an operation on one path), the writes the sandbox handled must equal the changes the portal
    reports applied: more are duplicates, fewer are lost. A change with a value of its own (a company name, a
    maximum) is also found in the bodies the sandbox received, which catches a change reported "not applied"
    that was applied after all."""
    from portal.core.models import Operation

    # The engine keys an operation by "<operationId>:<domainId>:<the form's key>".
    operations = {o.idempotency_key.rsplit(":", 1)[-1]: o for o in Operation.objects.all()}
    applied = applied_by_sandbox(world)
    observed = collections.Counter(_target(r) for r in applied)
    tally = _Tally()
    for s in sent:
        tally.add(s, operations.get(s.key), applied)
    still_open: collections.Counter[tuple[str, str]] = collections.Counter(
        (s.operation_id, s.path)
        for s in sent
        if (o := operations.get(s.key)) is not None and o.status not in ("succeeded", "failed", "superseded")
    )
    findings = []
    for target in set(observed) | set(tally.expected):
        # A change still open may or may not have been applied: it is counted as unknown, not as a duplicate.
        difference = observed[target] - tally.expected[target]
        if difference > 0:
            tally.figures["duplicates"] += max(
                0, difference - still_open[target] - tally.reported_not[target]
            )
        else:
            tally.figures["lost"] += -difference
        if difference:
            findings.append(_finding(target, observed, tally.expected, sent, operations, applied))
    for o in Operation.objects.exclude(status__in=["succeeded", "failed", "superseded"]):
        findings.append(
            {"open operation": o.kind, "status": o.status, "error": o.error, "at": o.requested_at}
        )
    (world.workdir / "findings.json").write_text(
        json.dumps(findings, indent=2, ensure_ascii=False, default=str)
    )
    figures = tally.figures
    figures["applied exactly once"] = max(0, sum(tally.expected.values()) - figures["lost"])
    figures["cache mismatches"] = cache_mismatches(world)
    return dict(figures)


def _target(r: dict) -> tuple[str, str]:
    """The target of a request the sandbox received: its operation and its path."""
    return r["operationId"], r["path"].removeprefix("/v1.0")


@dataclass
class _Tally:
    """The changes sent, told apart by what the portal says of each and what the sandbox received: the changes
    reported applied per target, the figures, and per target the changes applied yet reported not applied."""

    expected: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    figures: collections.Counter[str] = field(default_factory=collections.Counter)
    reported_not: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)

    def add(self, s: Sent, operation, applied: list[dict]) -> None:
        if s.refused_by_form:
            self.figures["refused by the form"] += 1
            return
        if operation is None:
            self.figures["lost"] += 1  # the form was sent and the portal kept no trace of it
            return
        target = (s.operation_id, s.path)
        if operation.status == "succeeded":
            self.expected[target] += 1
        # This change's own requests: same operation on the same item, carrying its value as a whole token
        # (a quantity 455 is not found in another option's 1455, nor on another customer's path).
        mine = [
            r
            for r in applied
            if _target(r) == target
            and s.marker
            and re.search(rf"(?<![\w.]){re.escape(s.marker)}(?![\w.])", r["requestBody"])
        ]
        if operation.status == "superseded":
            # Unconfirmed, then replaced by a later change to the same item: the portal says the later one is in
            # effect (applied or not, this one is not reported applied, and is not a duplicate either way).
            self.figures["superseded, applied" if mine else "superseded, not applied"] += 1
            self.reported_not[target] += bool(mine)
            return
        if operation.status == "failed" and mine:
            # Applied, yet reported "not applied". When a later change to the same target was applied before
            # the read-back came, the read-back saw the later value: the change was overwritten, not lost.
            later = any(_handled_at(r) > _handled_at(mine[-1]) and _target(r) == target for r in applied)
            self.figures[
                "overwritten before its read-back" if later else "applied but reported not applied"
            ] += 1
            self.reported_not[target] += 1


def _finding(target, observed, expected, sent: list[Sent], operations: dict, applied: list[dict]) -> dict:
    """A target whose writes the sandbox handled differ from the changes reported applied, with both sides."""
    return {
        "target": target,
        "applied by the sandbox": observed[target],
        "reported applied": expected[target],
        "changes": [
            {"number": s.number, "status": getattr(operations.get(s.key), "status", None)}
            for s in sent
            if (s.operation_id, s.path) == target
        ],
        "sandbox": [
            {k: r[k] for k in ("id", "at", "status", "fault", "requestBody")}
            for r in applied
            if _target(r) == target
        ],
    }


def cache_mismatches(world: World) -> int:
    """Customers whose company name or maximum users differ between the portal's cache and the sandbox, after
    the portal's own refreshes have run (no resync of the soak's own)."""
    from customers.models import Customer

    api = world.sandbox.client("partner.read", validate=False)
    mismatches = 0
    for customer in Customer.objects.filter(removed_at=None):
        remote = api.get(f"/partners/customers/{customer.domain_id}")
        if remote.status_code == 404:
            mismatches += 1
            continue
        usage = api.get(f"/partners/customers/{customer.domain_id}/usage-status").json()
        if (
            remote.json().get("companyName") != customer.company_name
            or usage.get("maxMemberCount") != customer.max_member_count
        ):
            mismatches += 1
    return mismatches


# --- main -------------------------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    workdir = REPO / "var" / "soak" / time.strftime("%Y%m%d-%H%M%S")
    ports = "{}-{}".format(*args.ports) if args.ports else "any free"
    print(
        f"Redis database {args.redis_db}, ports {ports}, database {args.db_prefix}_{os.getpid()}", flush=True
    )
    world = World(
        customers=args.customers,
        users=args.threads,
        workdir=workdir,
        redis_db=args.redis_db,
        ports=args.ports,
        db_prefix=args.db_prefix,
        months=args.months,
    )
    started = time.monotonic()
    try:
        portal = Portal(world.base, world.users)
        sent, kills = _send_with_chaos(args, world, portal, deadline=started + args.minutes * 60)
        print(
            f"Sent in {time.monotonic() - started:.0f} s; workers killed {len(kills)} times. Settling…",
            flush=True,
        )
        states = settle(world)
        return _report(sent, states, compare(world, sent), portal, workdir)
    finally:
        world.stop()


def _send_with_chaos(
    args: argparse.Namespace, world: World, portal: Portal, *, deadline: float
) -> tuple[list[Sent], list[str]]:
    """The changes sent through the portal's forms by `args.threads` people while chaos kills workers and the
    sandbox injects faults, until all are sent or the deadline: the changes sent, and the kills."""
    rng = random.Random(args.seed)
    world_targets = targets(world)
    stop = threading.Event()
    kills: list[str] = []
    chaos_thread = threading.Thread(target=chaos, args=(world, stop, random.Random(args.seed + 1), kills))
    chaos_thread.start()
    world.run("resync-enqueue", [PY, "manage.py", "resync", "--enqueue"])
    print(
        f"Sending {args.changes} changes through the portal's forms, with faults and worker kills…",
        flush=True,
    )
    sent: list[Sent] = []
    with ThreadPoolExecutor(args.threads) as pool:
        futures = []
        for n in range(args.changes):
            seed = rng.random()
            futures.append(pool.submit(one_change, n, portal, world_targets, random.Random(seed)))
        for i, future in enumerate(futures, 1):
            try:
                sent.append(future.result())
            except Exception as exc:  # one change gone wrong must not end the soak: say it and go on
                print(f"  change {i}: {type(exc).__name__}: {exc}", flush=True)
            if i % 100 == 0:
                print(f"  {i}/{args.changes} sent", flush=True)
            if time.monotonic() > deadline:
                for f in futures:
                    f.cancel()
                print("  time is up: the changes not yet sent are dropped", flush=True)
                break
    stop.set()
    chaos_thread.join()
    return sent, kills


def _report(sent: list[Sent], states: dict, figures: dict[str, int], portal: Portal, workdir: Path) -> int:
    """The soak's figures; 0 when nothing was duplicated, lost, left unknown, answered 5xx or left stale."""
    fivexx = sum(n for status, n in portal.statuses.items() if status >= 500)
    print()
    print(f"  changes sent:                {len(sent)} ({sum(1 for s in sent if s.double)} sent twice)")
    kinds = collections.Counter(s.operation_id for s in sent)
    refused = collections.Counter(s.operation_id for s in sent if s.refused_by_form)
    print(
        "  changes by kind:             "
        + ", ".join(f"{k} {n} ({refused[k]} refused by the form)" for k, n in sorted(kinds.items()))
    )
    for reason, n in collections.Counter(s.refused_by_form for s in sent if s.refused_by_form).most_common(3):
        print(f"    refused by the form {n}×: {reason[:120]}")
    print(f"  operations by outcome:       {json.dumps(states, sort_keys=True)}")
    print(f"  refused by the form:         {figures.get('refused by the form', 0)}")
    print(f"  applied exactly once:        {figures.get('applied exactly once', 0)}")
    print(f"  duplicates:                  {figures.get('duplicates', 0)}")
    print(f"  lost:                        {figures.get('lost', 0)}")
    print(f"  applied, reported not:       {figures.get('applied but reported not applied', 0)}")
    print(
        "  overwritten before read-back: "
        f"{figures.get('overwritten before its read-back', 0)} (applied, then changed again by a later change "
        "to the same item before the read-back; reported not applied)"
    )
    print(
        "  superseded:                  "
        f"{figures.get('superseded, applied', 0) + figures.get('superseded, not applied', 0)} (unconfirmed, then a "
        f"later change to the same item was sent: reported as replaced; {figures.get('superseded, applied', 0)} "
        "of them had been applied)"
    )
    open_now = states.get("unknown", 0) + states.get("running", 0) + states.get("queued", 0)
    print(f"  still unknown after {SETTLE_LIMIT // 60} min:  {open_now}")
    print(f"  5xx answered by the portal:  {fivexx}")
    print(f"  cache mismatches:            {figures.get('cache mismatches', 0)}")
    print(f"  logs:                        {workdir.relative_to(REPO)}")
    bad = (
        figures.get("duplicates", 0)
        + figures.get("lost", 0)
        + figures.get("applied but reported not applied", 0)
        + open_now
        + fivexx
        + figures.get("cache mismatches", 0)
    )
    if figures.get("refused by the form", 0) > len(sent) // 2:
        print("  more than half the changes never reached a confirmation: the soak tested nothing; see logs")
        return 1
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
