"""What the portal's benchmarks share: company names to seed with and one timed request.

Import it after `django.setup()` (each benchmark sets its own database up first).
"""

from __future__ import annotations

import random
import time

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
_SESSION_UPKEEP = ('UPDATE "django_session"', "BEGIN", "COMMIT")


def page_queries(captured: list[dict]) -> int:
    """How many SQL queries the page itself made: without the session's once-a-minute write, which would make a
    constant count look like "8–11 queries" in a run that crosses a minute."""
    return sum(1 for q in captured if not q["sql"].startswith(_SESSION_UPKEEP))


def sign_in(client: Client, user) -> None:
    """Sign `user` in as after the whole sign-in: for the roles that need two-step sign-in, the session also
    records the authenticator the code came from (a benchmark measures pages, not the sign-in)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.core.signin import two_factor_required

    client.force_login(user)
    if two_factor_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="Benchmark authenticator", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
