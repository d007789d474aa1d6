"""The worklist's "Changes unknown or failed" under a long history: the unknown changes of any age and the week's
failed ones, newest first, read from the operations' partial index of (status, time) (core migration 0019), and
its full list counted up to the lists' cap. Business date: 2026-11-21 (Tokyo)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.core.access import Role
from portal.core.models import Operation
from tests.customers.factories import make_customer

OPERATIONS = reverse("work_list", args=["operations"])


def _operation(customer, status: str, days_ago: float, n: int) -> Operation:
    op = Operation.objects.create(
        idempotency_key=f"test-{status}-{n}",
        kind="patchCustomer",
        domain_id=customer.domain_id,
        status=status,
    )
    # requested_at is written by auto_now_add: moved back in time with an update.
    Operation.objects.filter(pk=op.pk).update(requested_at=timezone.now() - dt.timedelta(days=days_ago))
    return op


@pytest.fixture
def history(db, frozen):
    """Two unknown changes (one a month old), three failed this week, and what must stay off: a failed change
    of 8 days ago and succeeded ones."""
    c = {
        name: make_customer(company_name=name)
        for name in ("Unknown Old KK", "Unknown New KK", "Failed KK", "Failed Long Ago KK", "Succeeded KK")
    }
    _operation(c["Unknown Old KK"], "unknown", 30, 1)
    _operation(c["Unknown New KK"], "unknown", 0.1, 2)
    for n in range(3):
        _operation(c["Failed KK"], "failed", 1 + n, 10 + n)
    _operation(c["Failed Long Ago KK"], "failed", 8, 20)
    for n in range(5):
        _operation(c["Succeeded KK"], "succeeded", n, 30 + n)
    return c


def _rows(html: str) -> list[str]:
    body = re.search(r"<tbody>.*?</tbody>", html, re.S).group(0)
    return re.findall(r"<td[^>]*>\s*([^<]*?KK)\s*</td>", body) or re.findall(r">([^<>]*?KK)<", body)


def test_unknown_changes_of_any_age_and_the_week_s_failed_ones_newest_first(client_as, history):
    html = client_as(Role.ADMIN).get(OPERATIONS).content.decode()
    assert _rows(html) == ["Unknown New KK", "Failed KK", "Failed KK", "Failed KK", "Unknown Old KK"]
    assert "5 in all" in html


def test_the_full_list_counts_up_to_the_lists_cap_apart_from_its_page(client_as, history, settings):
    """The page and its count (when the page is full) are reads that each stop (a page, one past the cap): a
    window count beside the rows had the database read and sort every unknown or failed change."""
    settings.LIST_COUNT_CAP = 3
    with CaptureQueriesContext(connection) as ctx:
        html = client_as(Role.ADMIN).get(OPERATIONS).content.decode()
    assert "More than 3 match" in html and "5 in all" not in html
    assert _rows(html)[:2] == ["Unknown New KK", "Failed KK"]
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "core_operation"' in q["sql"]]
    assert reads and all("LIMIT" in sql and " OVER " not in sql for sql in reads), reads


def test_the_unknown_and_the_failed_changes_are_read_as_two_ranges_of_the_index(client_as, history):
    """The page and its count read the unknown changes and the week's failed ones apart, merged by `UNION ALL`:
    each a range of the index of (status, time) that holds the columns shown, read without visiting a row. One
    filter of both (`status = 'unknown' OR ...`) read every such operation's row to show an Account manager's
    few (core migration 0025)."""
    for n in range(21):  # 26 in all: a full first page, and a count read apart
        _operation(history["Failed KK"], "failed", 2, 100 + n)
    with CaptureQueriesContext(connection) as ctx:
        html = client_as(Role.ADMIN).get(OPERATIONS).content.decode()
    assert len(_rows(html)) == 25 and "26 in all" in html
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "core_operation"' in q["sql"]]
    assert len(reads) == 2, reads  # the page, and its count (the page is full)
    assert all("UNION ALL" in sql and " OR " not in sql for sql in reads), reads


def test_the_upgrade_indexes_the_unknown_and_failed_changes_by_time(db):
    """Core migrations 0019 and 0025: the index of (status, time) holds only the unknown and failed changes, and
    the columns the worklist shows and narrows by."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Operation._meta.db_table)
    # PostgreSQL names the included columns after the keys; SQLite has none.
    assert found["core_operation_unknown_failed"]["columns"][:2] == ["status", "requested_at"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'core_operation_unknown_failed'"
            )
            definition = cursor.fetchone()[0]
        assert "WHERE" in definition and "'unknown'" in definition and "'failed'" in definition
        assert "INCLUDE (domain_id, kind, id)" in definition, definition
