"""Sync runs and option usage are summed before they leave (portal/core/retention.py's `roll_up`): the nightly
housekeeping, with the clock moved on, removes them in small batches and the summaries hold exactly what the
removed rows said. Sync runs go into their kind's day, and those days into their month when they leave in turn
(the Sync page's history says a month's line); daily option usage goes into its customer's month of each option
(the usage page shows it for a month whose days are gone)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.urls import reverse
from django.utils.html import strip_tags

from options.models import OptionUsage, OptionUsageMonth
from portal.core.access import Role
from portal.core.models import SyncRun, SyncRunSummary
from portal.core.retention import HOUSEKEEPING, housekeep
from tests.customers.factories import make_customer
from tests.options.factories import make_usage

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)


def _run(
    kind: str, day: dt.date, *, hour: int, seconds: int, status="succeeded", done=0, calls=None, errors=()
):
    with time_machine.travel(_at(day, hour), tick=False):
        return SyncRun.objects.create(
            kind=kind,
            status=status,
            done=done,
            total=done,
            calls=calls or {},
            errors=list(errors),
            finished_at=_at(day, hour) + dt.timedelta(seconds=seconds),
        )


def _words(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def test_sync_runs_leave_summed_by_day_then_by_month_and_the_sync_page_says_each_month(client_as):
    may_3, may_20, june_1 = dt.date(2026, 5, 3), dt.date(2026, 5, 20), dt.date(2026, 6, 1)
    # May: three full resyncs (one failed, one with errors) and a customer's refresh; June: one resync.
    _run("full", may_3, hour=1, seconds=3_600, done=1_000, calls={"listCustomers": 10, "getCustomer": 990})
    _run(
        "full",
        may_3,
        hour=13,
        seconds=60,
        status="failed",
        calls={"listCustomers": 1},
        errors=[{"error": "x"}],
    )
    _run(
        "full",
        may_20,
        hour=1,
        seconds=3_000,
        status="partial",
        done=998,
        calls={"listCustomers": 10, "getCustomer": 988},
        errors=[{"error": "a"}, {"error": "b"}],
    )
    _run("customer", may_20, hour=23, seconds=5, done=1, calls={"getCustomer": 1})
    _run("full", june_1, hour=1, seconds=3_300, done=1_001, calls={"listCustomers": 10, "getCustomer": 991})
    said = SyncRun.objects.aggregate(done=Sum("done"))

    # 120 days on (runs are kept 90): every run leaves, in batches of two, summed into its kind's day.
    with time_machine.travel(_at(dt.date(2026, 10, 1), 3), tick=False):
        housekeep(batch_size=2)
    assert not SyncRun.objects.exclude(kind=HOUSEKEEPING).exists()
    days = {
        (row.kind, row.start): row
        for row in SyncRunSummary.objects.filter(period="day").exclude(kind=HOUSEKEEPING)
    }
    assert set(days) == {("full", may_3), ("full", may_20), ("customer", may_20), ("full", june_1)}
    assert (days["full", may_3].runs, days["full", may_3].failed, days["full", may_3].calls) == (2, 1, 1_001)
    assert days["full", may_3].seconds == 3_660 and days["full", may_3].errors == 1
    assert (days["full", may_20].partial, days["full", may_20].errors, days["full", may_20].items) == (
        1,
        2,
        998,
    )
    totals = SyncRunSummary.objects.exclude(kind=HOUSEKEEPING).aggregate(
        items=Sum("items"), runs=Sum("runs"), calls=Sum("calls")
    )
    assert totals == {"items": said["done"], "runs": 5, "calls": 1_000 + 1 + 998 + 1 + 1_001}

    # The Sync page's history: a line per month and kind, in words.
    with time_machine.travel(_at(dt.date(2026, 10, 1), 9), tick=False):
        page = client_as(Role.ADMIN).get(reverse("core:sync"))
    text = _words(page)
    assert "Earlier runs by month" in text
    assert "2026-05 Full resyncs 3 1 1 1,998 1,999 3 1 h 51 min" in text
    assert "2026-05 Refreshes of one customer 1 0 0 1 1 0 5 s" in text
    assert "2026-06 Full resyncs 1 0 0 1,001 1,001 0 55 min 0 s" in text

    # Two years on (days are kept 730), the days leave summed into their months; the page says the same lines.
    with time_machine.travel(_at(dt.date(2028, 7, 1), 3), tick=False):
        housekeep(batch_size=2)
        text = _words(client_as(Role.ADMIN).get(reverse("core:sync")))
    assert not SyncRunSummary.objects.filter(period="day", start__lt=dt.date(2026, 7, 1)).exists()
    months = {
        (row.kind, row.start): row
        for row in SyncRunSummary.objects.filter(period="month").exclude(kind=HOUSEKEEPING)
    }
    assert set(months) == {("full", dt.date(2026, 5, 1)), ("customer", dt.date(2026, 5, 1)), ("full", june_1)}
    may = months["full", dt.date(2026, 5, 1)]
    assert (may.runs, may.failed, may.partial, may.items, may.calls, may.errors, may.seconds) == (
        3,
        1,
        1,
        1_998,
        1_999,
        3,
        6_660,
    )
    assert (
        "2026-05 Full resyncs 3 1 1 1,998 1,999 3 1 h 51 min" not in text
    )  # older than the page's 24 months

    # Seven years on the months leave too (kept 2557 days).
    with time_machine.travel(_at(dt.date(2033, 7, 1), 3), tick=False):
        housekeep(batch_size=2)
    assert not SyncRunSummary.objects.filter(start__lt=dt.date(2026, 7, 1)).exists()


def test_daily_option_usage_leaves_summed_by_customer_option_and_month(client_as, monkeypatch):
    # Two groups folded at a time (a dropped month's partition is folded a few thousand at a time).
    monkeypatch.setattr("options.retention.FOLDED", 2)
    kita, minami = make_customer(company_name="Kita K.K."), make_customer(company_name="Minami K.K.")
    march = [dt.date(2026, 3, day) for day in range(1, 11)]
    for n, day in enumerate(march):
        # Option Plus counted by use; storage by quantity, changed on the 6th.
        make_usage(
            kita, day, option_product_id="OPLUS", sub_option_id="OPLUS01", quantity=None, usage_count=n
        )
        make_usage(kita, day, usage_count=None, quantity=1 if day.day <= 5 else 3, license_count=20 + n)
        make_usage(minami, day, usage_count=None, quantity=2, member_count=7)
    make_usage(kita, dt.date(2026, 4, 1), usage_count=None, quantity=3)
    said = OptionUsage.objects.filter(option_product_id="OPLUS").aggregate(total=Sum("usage_count"))

    # 396 days after March's end (the cutoff 2026-04-01): March leaves, summed (in batches of seven on SQLite, its
    # month's partition dropped on PostgreSQL, where rows leave by whole months); April stays.
    with time_machine.travel(_at(dt.date(2027, 5, 2), 3), tick=False):
        housekeep(batch_size=7)
    assert set(OptionUsage.objects.values_list("used_date", flat=True)) == {dt.date(2026, 4, 1)}
    summed = {
        (row.domain_id, row.option_product_id): row
        for row in OptionUsageMonth.objects.filter(month=dt.date(2026, 3, 1))
    }
    assert set(summed) == {(kita.domain_id, "OPLUS"), (kita.domain_id, "SSTG2"), (minami.domain_id, "SSTG2")}
    oplus, storage = summed[kita.domain_id, "OPLUS"], summed[kita.domain_id, "SSTG2"]
    assert (oplus.days, oplus.usage_total, oplus.quantity_peak) == (10, said["total"], None)
    assert (storage.days, storage.usage_total, storage.quantity_peak, storage.license_peak) == (
        10,
        None,
        3,
        29,
    )
    assert summed[minami.domain_id, "SSTG2"].member_peak == 7

    # The usage page of March 2026 shows the month's summary, in English and Japanese.
    with time_machine.travel(_at(dt.date(2027, 5, 2), 9), tick=False):
        client = client_as(Role.ADMIN)
        url = reverse("options:usage", args=[kita.domain_id])
        text = _words(client.get(url, {"month": "2026-03"}))
        assert "The daily usage of this month is no longer kept" in text
        assert "Option Plus" in text or "OPLUS" in text
        assert f"10 {said['total']}" in text and "10 — 3 29" in text
        client.post(reverse("set_language"), {"language": "ja", "next": "/"})
        ja = _words(client.get(url, {"month": "2026-03"}))
    assert "この月の日ごとの使用量はもう保存していません" in ja

    # Seven years on, the summaries leave too.
    with time_machine.travel(_at(dt.date(2033, 4, 5), 3), tick=False):
        housekeep(batch_size=7)
    assert not OptionUsageMonth.objects.exists()
