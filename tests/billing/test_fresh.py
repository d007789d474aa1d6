"""Billing kept fresh (issue 32, item 6): the last closed month and the running month are read by beat and by
`manage.py resync --billing`, as partner-wide walks recorded on the Sync page, within the rate limit; a month
Finance closed keeps the details it was checked with."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from billing import resync, rules
from billing.models import DetailMonth, Invoice, InvoiceItem, MonthClosing
from portal.celery import app
from portal.core import sync
from portal.core.models import SyncRun
from portal.core.sync.declarations import fresh_walks


def test_the_walks_kept_fresh_are_the_last_closed_month_and_the_running_months_year(db):
    assert fresh_walks(dt.date(2026, 11, 24)) == [
        (rules.INVOICES, {"year": 2026}),
        (rules.INVOICE_DETAILS, {"year": 2026, "month": 10}),
    ]
    # In January the last closed month is December of the year before: both years' invoices.
    assert fresh_walks(dt.date(2027, 1, 1)) == [
        (rules.INVOICES, {"year": 2026}),
        (rules.INVOICES, {"year": 2027}),
        (rules.INVOICE_DETAILS, {"year": 2026, "month": 12}),
    ]


def test_a_closed_month_is_not_walked_again(db):
    MonthClosing.objects.create(year=2026, month=10, closed_at=timezone.now())
    assert resync.fresh_detail_months(dt.date(2026, 11, 24)) == []
    assert (rules.INVOICE_DETAILS, {"year": 2026, "month": 10}) not in fresh_walks(dt.date(2026, 11, 24))


def test_beat_keeps_the_partner_wide_walks_fresh_twice_a_day_japan_time():
    app.loader.import_default_modules()
    app.finalize()
    entry = next(
        e
        for e in app.conf.beat_schedule.values()
        if e["task"] == "portal.core.sync.resync_partner_wide_fresh"
    )
    assert entry["schedule"].hour == {6, 18} and entry["schedule"].minute == {0}
    # Japan time: beat reads the hours in Celery's time zone (driven by the clock in tests/core/test_beat_schedule.py).
    assert str(entry["schedule"].tz) == "Asia/Tokyo"
    assert "portal.core.sync.resync_partner_wide_fresh" in app.tasks


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_resync_billing_reads_the_closed_month_and_the_running_year_within_the_rate_limit(
    own_sandbox, portal_api, monkeypatch
):
    from tests.fixtures.portal_api import pin_business_today, quick_retries

    quick_retries(monkeypatch)
    # A limit the walks must keep to (the client paces itself by it): a minute holds them all.
    portal_api(own_sandbox, rate_limit=30)
    today = dt.date.fromisoformat(own_sandbox.clock()["today"])
    pin_business_today(monkeypatch, today)
    closed_year, closed_month = rules.last_closed_month(today)
    own_sandbox.clear_requests()

    out = StringIO()
    call_command("resync", "--billing", stdout=out)

    assert Invoice.objects.filter(year=closed_year, month=closed_month).exists()
    assert DetailMonth.objects.filter(year=closed_year, month=closed_month).get().items > 0
    assert InvoiceItem.objects.filter(year=closed_year, month=closed_month).exists()
    runs = SyncRun.objects.filter(kind=sync.PARTNER)
    assert {r.status for r in runs} == {SyncRun.Status.SUCCEEDED}
    assert f"billing.invoice_details:month={closed_month},year={closed_year}" in {r.scope for r in runs}
    assert f"billing.invoices:year={today.year}" in {r.scope for r in runs}
    assert "Succeeded" in out.getvalue()
    sent = [r for r in own_sandbox.requests(limit=10_000) if r.get("operationId") in rules_operations()]
    assert sent, "the walks reached the sandbox"
    assert not [r for r in sent if r.get("status") == 429], "every call kept within the rate limit"
    # Every call the runs recorded is one the sandbox received: nothing sent twice.
    assert sum(sum(r.calls.values()) for r in runs) == len(sent)

    # Finance closes the month: the next walk reads its invoice but keeps the details it was checked with.
    items = set(InvoiceItem.objects.filter(year=closed_year, month=closed_month).values_list("pk", flat=True))
    MonthClosing.objects.create(year=closed_year, month=closed_month, closed_at=timezone.now())
    call_command("resync", "--billing", stdout=StringIO())
    assert (
        set(InvoiceItem.objects.filter(year=closed_year, month=closed_month).values_list("pk", flat=True))
        == items
    )
    assert SyncRun.objects.filter(kind=sync.PARTNER, scope__startswith="billing.invoice_details").count() == 1


def rules_operations() -> set[str]:
    return {"listInvoices", "listInvoiceDetails"}


def test_a_walk_under_way_is_not_made_twice(db, monkeypatch):
    from portal.core.sync import partner
    from portal.core.sync.declarations import scope_of

    made = []
    monkeypatch.setattr(partner, "resync_partner_wide", lambda *, name, params, user=None: made.append(name))
    with time_machine.travel(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC), tick=False):
        SyncRun.objects.create(kind=sync.PARTNER, scope=scope_of(rules.INVOICES, {"year": 2026}))
        partner.resync_partner_wide_fresh()
        assert made == [rules.INVOICE_DETAILS]
        # A run left unfinished long ago lost its worker: it no longer holds the walk back.
        SyncRun.objects.update(requested_at=timezone.now() - dt.timedelta(hours=1))
        made.clear()
        partner.resync_partner_wide_fresh()
        assert made == [rules.INVOICES, rules.INVOICE_DETAILS]
