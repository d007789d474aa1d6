"""The upgrade indexes the option usage by day (options migration 0004): the housekeeping reads the oldest rows
before its cutoff, and the billing estimate a month of every customer, by that day alone, where no index led with
it (at 50,000 customers a straddling month of ~2.8 M rows: a parallel seq scan of 28,940 buffers, 1.5 s, for each
batch of 500; with the index 148 buffers, 1 ms). The months' summaries get their table and its indexes."""

from __future__ import annotations

import pytest
from django.db import connection

from options.models import OptionUsage, OptionUsageMonth

pytestmark = pytest.mark.django_db


def _indexes(model) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {name: spec["columns"] for name, spec in found.items() if spec["index"] or spec["unique"]}


def test_the_upgrade_indexes_option_usage_by_day_and_makes_the_months_summaries():
    assert _indexes(OptionUsage)["option_usage_day"] == ["used_date"]
    months = _indexes(OptionUsageMonth)
    assert months["option_usage_month_one"] == [
        "domain_id",
        "month",
        "option_product_id",
        "sub_option_id",
        "plan",
    ]
    assert months["option_usage_month_by_month"] == ["month"]
