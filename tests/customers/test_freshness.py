"""Freshness where people look: opening a customer page whose copy is older than REFRESH_ON_OPEN_MINUTES queues a
background refresh of that customer (one, however many open it), and the page polls `customers:fresh`, which
answers nothing while it runs, then the page's fresh part with "Updated just now", or why it did not come."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from portal.core import sync
from portal.core.access import Role
from portal.core.models import SyncRun
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The refreshes the page asks for (the queueing itself is tested with a real worker in the browser test)."""
    asked: list[int] = []
    monkeypatch.setattr(
        sync, "resync_customer_request", lambda *, domain_id, skip=(): asked.append(domain_id)
    )
    return asked


def _old(minutes: int) -> Customer:
    return make_customer(
        company_name="古いデータ株式会社", synced_at=timezone.now() - dt.timedelta(minutes=minutes)
    )


def test_an_old_copy_is_refreshed_in_the_background_and_the_page_says_so(client_as, queued, settings):
    settings.REFRESH_ON_OPEN_MINUTES = 10
    customer = _old(11)
    page = (
        client_as(Role.SUPPORT).get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
    )
    assert queued == [customer.domain_id]
    assert 'data-testid="freshness"' in page and "in the background" in page
    assert reverse("customers:fresh", args=[customer.domain_id]) + "?since=" in page
    assert "may be out of date" not in page  # the banner says it instead


def test_a_recent_copy_or_a_removed_customer_is_not_refreshed(client_as, queued, settings):
    settings.REFRESH_ON_OPEN_MINUTES = 10
    recent = _old(9)
    removed = make_customer(synced_at=timezone.now() - dt.timedelta(days=2), removed_at=timezone.now())
    client = client_as(Role.SUPPORT)
    for customer in (recent, removed):
        page = client.get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
        assert 'data-testid="freshness"' not in page
    assert queued == []
    settings.REFRESH_ON_OPEN_MINUTES = 0  # turned off
    client.get(reverse("customers:detail", args=[_old(600).domain_id]))
    assert queued == []


def _fresh(client, customer, since):
    return client.get(
        reverse("customers:fresh", args=[customer.domain_id]), {"since": int(since.timestamp() * 1000)}
    )


def test_the_page_gets_nothing_while_the_refresh_runs_then_the_fresh_data(client_as):
    customer = _old(30)
    client = client_as(Role.SUPPORT)
    opened = timezone.now() - dt.timedelta(seconds=1)
    assert _fresh(client, customer, opened).status_code == 204  # queued
    run = SyncRun.objects.create(kind=sync.CUSTOMER, scope=str(customer.domain_id), total=1)
    assert _fresh(client, customer, opened).status_code == 204  # reading

    Customer.objects.filter(pk=customer.pk).update(
        company_name="新しいデータ株式会社", synced_at=timezone.now()
    )
    run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
    run.save()
    answer = _fresh(client, customer, opened)
    body = answer.content.decode()
    assert answer.status_code == 200
    assert body.lstrip().startswith('<div id="customer-fresh">')  # the part the page swaps, not a whole page
    assert "Updated just now" in body and "新しいデータ株式会社" in body
    assert "data-hx-trigger" not in body  # it stops polling


def test_a_failed_or_late_refresh_says_why_in_japanese(client_as):
    customer = _old(30)
    client = client_as(Role.SUPPORT)
    client.cookies["django_language"] = "ja"
    opened = timezone.now() - dt.timedelta(seconds=1)
    SyncRun.objects.create(
        kind=sync.CUSTOMER,
        scope=str(customer.domain_id),
        status=SyncRun.Status.FAILED,
        errors=[{"error": "API の応答がありません"}],
        finished_at=timezone.now(),
    )
    body = _fresh(client, customer, opened).content.decode()
    assert "バックグラウンドでの読み込み直しに失敗しました（API の応答がありません）" in body

    long_ago = timezone.now() - dt.timedelta(minutes=5)
    SyncRun.objects.all().delete()
    body = _fresh(client, customer, long_ago).content.decode()
    assert "まだ始まっていません" in body


def test_a_bad_since_is_a_clear_400_not_a_500(client_as):
    customer = _old(30)
    client = client_as(Role.SUPPORT)
    for since in ("", "abc", "9" * 40, "-99999999999999"):
        answer = client.get(reverse("customers:fresh", args=[customer.domain_id]), {"since": since})
        assert answer.status_code == 400


def test_a_poll_finds_its_customers_run_among_every_other_run_by_their_index(client_as):
    """However many runs the history holds (other customers', other kinds'), a poll reads its customer's runs
    of the kind along the sync runs' (kind, scope, requested_at) index (core migration 0021), latest first."""
    customer = _old(30)
    other = make_customer(company_name="他社株式会社")
    opened = timezone.now() - dt.timedelta(days=300)
    SyncRun.objects.create(
        kind=sync.CUSTOMER,
        scope=str(customer.domain_id),
        status=SyncRun.Status.FAILED,
        errors=[{"error": "old"}],
    )
    SyncRun.objects.create(kind=sync.CUSTOMER, scope=str(customer.domain_id), status=SyncRun.Status.SUCCEEDED)
    for kind, scope in ((sync.CUSTOMER, str(other.domain_id)), (sync.FULL, "all")):
        SyncRun.objects.create(kind=kind, scope=scope, status=SyncRun.Status.FAILED, errors=[{"error": "x"}])
    body = _fresh(client_as(Role.SUPPORT), customer, opened).content.decode()
    assert "Updated just now" in body and "failed" not in body
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, SyncRun._meta.db_table)
    assert indexes["core_syncrun_kind_scope_start"]["columns"] == ["kind", "scope", "requested_at"]
