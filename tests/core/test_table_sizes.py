"""The Data kept page's size of each table (portal/core/table_sizes.py): the nightly housekeeping measures each
table with a rule and counts each ended month's rows once, before anything leaves; the page reads those figures
(never counting a table on open) and says when each table reaches the watched size, or that its rows leave
before it does."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from portal.core.access import Role
from portal.core.models import AuditEntry, SyncRun, TableGrowth, TableSize
from portal.core.retention import housekeep
from portal.core.table_sizes import GIB, shown

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)


def _words(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def test_the_housekeeping_counts_each_ended_month_once_before_its_rows_leave(client_as):
    # Audit entries: 3 in August, 5 in September, 2 in October (one at 23:30 on the 31st, Tokyo time); a sync
    # run in May, which by November is past the 90 days runs are kept.
    for day, n in ((dt.date(2026, 8, 10), 3), (dt.date(2026, 9, 1), 5), (dt.date(2026, 10, 2), 1)):
        with time_machine.travel(_at(day), tick=False):
            for _ in range(n):
                AuditEntry.objects.create(operation_id="portal.assignCustomerOwner", outcome="succeeded")
    with time_machine.travel(_at(dt.date(2026, 10, 31), 23), tick=False):
        AuditEntry.objects.create(operation_id="portal.assignCustomerOwner", outcome="succeeded")
    with time_machine.travel(_at(dt.date(2026, 5, 3)), tick=False):
        SyncRun.objects.create(kind="full", status="succeeded", finished_at=_at(dt.date(2026, 5, 3), 11))

    with time_machine.travel(_at(dt.date(2026, 11, 26), 3), tick=False):
        housekeep()
    counted = dict(TableGrowth.objects.filter(table="core_auditentry").values_list("month", "rows"))
    assert counted == {dt.date(2026, 8, 1): 3, dt.date(2026, 9, 1): 5, dt.date(2026, 10, 1): 2}
    # Months older than the runs' 90 days are not counted (some of their rows may have left already): May's run
    # is in no month's count.
    assert dict(TableGrowth.objects.filter(table="core_syncrun").values_list("month", "rows")) == {
        dt.date(2026, 9, 1): 0,
        dt.date(2026, 10, 1): 0,
    }
    size = TableSize.objects.get(table="core_auditentry")
    if connection.vendor == "sqlite":
        assert size.rows == 10 and size.bytes > 0  # counted, its pages read from dbstat
    else:
        # The planner's estimate (0 until the table is analysed) and its size, indexes included.
        assert size.rows >= 0 and size.bytes >= 8192

    # A month is counted once: removing its rows later leaves its count; the next month is added when it ends.
    models.QuerySet(model=AuditEntry).filter(created_at__lt=_at(dt.date(2026, 9, 1), 0)).delete()
    with time_machine.travel(_at(dt.date(2026, 12, 2), 3), tick=False):
        housekeep()
    counted = dict(TableGrowth.objects.filter(table="core_auditentry").values_list("month", "rows"))
    assert counted == {
        dt.date(2026, 8, 1): 3,
        dt.date(2026, 9, 1): 5,
        dt.date(2026, 10, 1): 2,
        dt.date(2026, 11, 1): 0,
    }

    # The page reads the figures, counting nothing.
    with time_machine.travel(_at(dt.date(2026, 12, 2), 9), tick=False):
        client = client_as(Role.ADMIN)
        with CaptureQueriesContext(connection) as read:
            response = client.get(reverse("core:retention"))
    assert response.status_code == 200, response.headers.get("Location")
    text = _words(response)
    assert not [q["sql"] for q in read.captured_queries if "COUNT(" in q["sql"].upper()]
    assert "Size of each table" in text
    assert "Audit entries 7" in text or connection.vendor != "sqlite"
    assert "2026-09: 5 · 2026-10: 2 · 2026-11: 0" in text


def test_the_page_says_when_each_table_reaches_the_watched_size(settings, client_as):
    settings.TABLE_SIZE_WATCH_GB = 2
    now = timezone.now()
    months = [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
    for table, rows, size, added in (
        # Audit entries: 1 GiB, an eighth of it a month, kept years: 2 GiB in eight months.
        ("core_auditentry", 1_048_576, GIB, 131_072),
        # Sync runs: kept 90 days, they level off at about three months' worth, under 2 GiB.
        ("core_syncrun", 300_000, 300 * 1024**2, 100_000),
        # Option usage: past it already.
        ("options_optionusage", 30_000_000, 3 * GIB, 3_750_000),
    ):
        TableSize.objects.create(table=table, rows=rows, bytes=size, measured_at=now)
        TableGrowth.objects.bulk_create(TableGrowth(table=table, month=m, rows=added) for m in months)

    with time_machine.travel(_at(dt.date(2026, 11, 26), 9), tick=False):
        tables = {t.table: t for t in shown()["tables"]}
        assert tables["core_auditentry"].reaches == dt.date(2027, 7, 1)
        assert tables["core_syncrun"].reaches is None and tables["core_syncrun"].levels_off > 290 * 1024**2
        assert tables["options_optionusage"].over
        # A table never measured: said so, no guess.
        assert tables["core_batch"].rows is None and tables["core_batch"].reaches is None

        client = client_as(Role.ADMIN)
        text = _words(client.get(reverse("core:retention")))
        assert "Reaches 2.0 GB" in text and "TABLE_SIZE_WATCH_GB" in text
        assert (
            "Audit entries 1,048,576 1.0 GB 2026-08: 131,072 · 2026-09: 131,072 · 2026-10: 131,072 2027-07"
            in text
        )
        assert "Never: its rows leave by rule, and it levels off at about 300.0 MB" in text
        assert "Already past it" in text
        client.post(reverse("set_language"), {"language": "ja", "next": "/"})
        ja = _words(client.get(reverse("core:retention")))
    assert "テーブルごとの大きさ" in ja and "2.0 GB に達する月" in ja and "すでに超えています" in ja
