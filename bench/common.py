"""What the portal's benchmarks share: company names to seed with, one timed request and one timed call.

Import it after `django.setup()` (each benchmark sets its own database up first).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

#: Parts of seeded company names, Japanese and Latin, so that search meets both.
NAME_WORDS = [
    "サクラ",
    "ミドリ",
    "ヤマト",
    "ひかり",
    "青空",
    "富士",
    "北斗",
    "Acme",
    "Blue",
    "Nova",
    "朝日",
    "大和",
]
NAME_TRADES = ["商事", "電機", "物産", "システム", "Trading", "Foods", "工業", "ホールディングス"]


def company_name(rng: random.Random, prefixes: list[str], n: int) -> str:
    """A unique, realistic company name such as 株式会社サクラ商事42."""
    return f"{rng.choice(prefixes)}{rng.choice(NAME_WORDS)}{rng.choice(NAME_TRADES)}{n}"


def seconds(work: Callable[[], object]) -> float:
    """How long `work()` takes, in seconds."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def timed_get(client: Client, url: str, params: dict, headers: dict | None = None):
    """One GET: (milliseconds, the page's SQL queries, response); fails unless it answers 200."""
    connection.queries_log.clear()  # the log keeps 9,000 queries: a long run would stop counting
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        response = client.get(url, params, headers=headers or {})
        ms = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, response.status_code
    return ms, page_queries(ctx.captured_queries), response


#: Statements of the session's own upkeep, not of the page: IdleSessionMiddleware writes the time of the last
#: request at most once a minute (an UPDATE in a transaction of its own), on whichever request comes then.
SESSION_UPKEEP = ('UPDATE "django_session"', "BEGIN", "COMMIT")


def page_queries(captured: list[dict]) -> int:
    """How many SQL queries the page itself made: without the session's once-a-minute write, which would make a
    constant count look like "8–11 queries" in a run that crosses a minute."""
    return sum(1 for q in captured if not q["sql"].startswith(SESSION_UPKEEP))


def session_seen_now(client: Client) -> None:
    """Write the session's time of the last request now, outside a measure: the measured request that follows
    within the minute then leaves the session's upkeep (SESSION_UPKEEP) to another, so a count of instructions
    holds the page's own work, not the write of whichever page the minute happens to end on."""
    from accounts.signin import mark_seen

    session = client.session
    mark_seen(session)
    session.save()


def sign_in(client: Client, user) -> None:
    """Sign `user` in as after the whole sign-in: for the roles that need two-step sign-in, the session also
    records the authenticator the code came from (a benchmark measures pages, not the sign-in)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.signin import two_factor_required

    client.force_login(user)
    if two_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="Benchmark authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def seed_sync_history(first_domain_id: int, customers: int) -> None:
    """A year of resync history as a deployed portal keeps it: a full resync every hour (8,760 runs, the default
    RESYNC_INTERVAL_MINUTES) and 30,000 per-customer refreshes, each run with its counts and calls. Every list
    page reads when the last full resync finished: on an empty table, a benchmark would not see what that read
    costs once the portal has run for a while."""
    import datetime as dt

    from django.db.models import F
    from django.utils import timezone

    from portal.core.models import SyncRun
    from portal.core.sync import CUSTOMER, FULL

    rng = random.Random(3)
    now = timezone.now()
    runs = [
        SyncRun(
            kind=FULL,
            scope="all",
            status=SyncRun.Status.SUCCEEDED,
            finished_at=now - dt.timedelta(hours=hour, minutes=-4),
            total=customers,
            done=customers,
            counts={"customers": customers, "subscriptions": customers, "options": 2 * customers},
            calls={f"operation{n}": rng.randint(1, 3 * customers) for n in range(13)},
        )
        for hour in range(24 * 365)
    ]
    runs += [
        SyncRun(
            kind=CUSTOMER,
            scope=str(first_domain_id + n % customers),
            status=SyncRun.Status.SUCCEEDED,
            finished_at=now - dt.timedelta(minutes=17 * n),
            total=1,
            done=1,
            counts={"options": 2},
            calls={"getCustomer": 1},
        )
        for n in range(30_000)
    ]
    SyncRun.objects.bulk_create(runs, batch_size=2000)
    # bulk_create stamps every run as started now (auto_now_add): each started a few minutes before it finished.
    SyncRun.objects.update(requested_at=F("finished_at") - dt.timedelta(minutes=4))
