"""Storing a month of option usage read again: the copy keeps what it holds, stamped read again; a changed day
is written."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from options import services
from options.models import OptionUsage
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


def _month(first: dt.date, counts: list[int]) -> SimpleNamespace:
    return SimpleNamespace(
        option_product_usages=[
            SimpleNamespace(
                option_product_id="DRV",
                sub_option_id="DRV_1T",
                product_group_id="WORKS",
                used_date=first + dt.timedelta(days=day),
                plan="MONTHLY",
                member_count=None,
                license_count=None,
                quantity=1,
                usage_count=count,
            )
            for day, count in enumerate(counts)
        ]
    )


def test_a_month_read_again_is_stamped_read_again_and_a_changed_day_is_written():
    customer = make_customer()
    first = dt.date(2026, 10, 1)
    read = timezone.now() - dt.timedelta(hours=3)
    services.usage_list_store(domain_id=customer.pk, remote=_month(first, [5, 6, 7]), synced_at=read)

    again = read + dt.timedelta(hours=1)
    assert (
        services.usage_list_store(domain_id=customer.pk, remote=_month(first, [5, 6, 7]), synced_at=again)
        == 3
    )
    rows = OptionUsage.objects.filter(customer_id=customer.pk).order_by("used_date")
    assert [(r.usage_count, r.synced_at) for r in rows] == [(5, again), (6, again), (7, again)]

    changed = again + dt.timedelta(hours=1)
    services.usage_list_store(domain_id=customer.pk, remote=_month(first, [5, 6, 9, 1]), synced_at=changed)
    assert [(r.usage_count, r.synced_at) for r in rows.all()] == [
        (5, changed),
        (6, changed),
        (9, changed),
        (1, changed),
    ]
