"""Cached options, option orders and usage rows for tests that need rows but not the API."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from options.models import Option, OptionOrder, OptionUsage
from tests.customers.factories import make_customer


def make_option(customer=None, **fields) -> Option:
    customer = customer or make_customer()
    defaults = {
        "option_product_id": "SSTG2",
        "sub_option_id": "SSTG203",
        "quantity": 1,
        "plan": "ANNUAL_LICENSE",
        "plan_start_date": dt.date(2026, 4, 1),
        "plan_end_date": dt.date(2027, 3, 31),
        "trial": False,
        "renewal_type": "STAY",
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    return Option.objects.create(customer=customer, **defaults)


def make_order(customer, **fields) -> OptionOrder:
    defaults = {
        "option_product_id": "SSTG2",
        "sub_option_id": "SSTG203",
        "type": "CHANGE_QUANTITY",
        "quantity": 3,
        "apply_date": dt.date(2026, 12, 1),
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    return OptionOrder.objects.create(customer=customer, **defaults)


def make_usage(customer, day: dt.date, **fields) -> OptionUsage:
    defaults = {
        "option_product_id": "SSTG2",
        "sub_option_id": "SSTG203",
        "product_group_id": "WORKS",
        "plan": "ANNUAL_LICENSE",
        "quantity": 1,
        "usage_count": 4,
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    return OptionUsage.objects.create(customer=customer, used_date=day, **defaults)
