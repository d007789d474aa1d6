"""The benchmarks count a page's own work: the session's once-a-minute write of the time of the last request
(IdleSessionMiddleware) is made before a measure, not inside whichever page's measure the minute ends on."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.signin import SEEN_SESSION_KEY, mark_seen
from bench.common import session_seen_now
from portal.core.access import Role


def _last_seen_minutes_ago(client, minutes: int) -> None:
    session = client.session
    mark_seen(session, int(timezone.now().timestamp()) - minutes * 60)
    session.save()


def _session_writes(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("schedule:feed")).status_code == 200
    return sum(1 for q in ctx.captured_queries if q["sql"].startswith('UPDATE "django_session"'))


def test_a_request_a_minute_after_the_last_writes_the_session_unless_the_bench_stamped_it_first(client_as):
    client = client_as(Role.ADMIN)
    _last_seen_minutes_ago(client, 2)
    assert _session_writes(client) == 1  # the page the minute ends on pays the session's write

    _last_seen_minutes_ago(client, 2)
    session_seen_now(client)  # as the scale guard does before each measured request
    assert _session_writes(client) == 0
    assert client.session[SEEN_SESSION_KEY] >= int(timezone.now().timestamp()) - 60
