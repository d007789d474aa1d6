"""The sandbox's clock moves past a pre-order's date: after a resync the portal shows the new paid subscription
(and the pre-order is gone from the customer page and the agenda)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portal.core import sync
from portal.core.access import Role
from sandbox.testing import start_sandbox
from subscriptions import forms_changes as f
from subscriptions.models import PreOrder, Subscription
from tests.fixtures.portal_api import pin_business_today

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def sandbox(portal_api):
    server = start_sandbox(seed_customers=8, seed=5)
    portal_api(server)
    yield server
    server.stop()


def test_clock_past_the_pre_order_date_then_resync_shows_the_paid_subscription(
    sandbox, client_as, monkeypatch
):
    today = sandbox.today()
    pin_business_today(monkeypatch, today)
    sync.resync_full()
    free = Subscription.objects.filter(plan__in=("FREE", "TRIAL"), status="ACTIVE").order_by("pk").first()
    assert free is not None
    domain_id = free.customer_id
    manager = client_as(Role.ACCOUNT_MANAGER)
    start = today + dt.timedelta(days=2)
    answer = manager.post(
        reverse("subscriptions:pre_order_add", args=[domain_id]),
        {
            "idempotency_key": f.new_key(),
            "apply_date": start.isoformat(),
            "product_id": "ADV" if free.customer.domain_type == "DOMAIN" else "STD",
            "plan": "MONTHLY",
            "confirmed": "1",
        },
    )
    assert answer.status_code == 302
    assert PreOrder.objects.filter(customer_id=domain_id, apply_date=start).exists()
    agenda = manager.get(reverse("schedule:agenda"), {"owner": "all"}).content.decode()
    assert free.customer.company_name in agenda
    before = manager.get(reverse("customers:detail", args=[domain_id])).content.decode()
    assert f"from {start.isoformat()}" in before

    sandbox.set_clock(start.isoformat())
    pin_business_today(monkeypatch, start)
    sync.resync_customer(domain_id=domain_id)

    subs = list(Subscription.objects.filter(customer_id=domain_id))
    assert [(s.plan, s.plan_start_date) for s in subs] == [("MONTHLY", start)]
    assert subs[0].renewal_type == "STAY"
    assert not PreOrder.objects.filter(customer_id=domain_id, apply_date=start).exists()
    page = manager.get(reverse("customers:detail", args=[domain_id])).content.decode()
    assert "Monthly" in page and f"from {start.isoformat()}" not in page
