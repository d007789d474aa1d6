"""Upgrading a portal: the drafts kept (invoicing 0017) start empty, so the month's page says its drafts are being
worked out and the worker fills them; the estimates kept before the upgrade stay and are read by cost along
their new index (billing 0013), their totals summed onto their month (billing 0016); the month's invoices
without a PDF yet get an index of their own (invoicing 0018)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("billing", "0012_usage_snapshot_by_month"), ("invoicing", "0016_pdf_in_storage")]
AFTER = [("billing", "0016_estimate_month_totals"), ("invoicing", "0018_invoices_being_prepared")]


def test_the_upgrade_adds_the_drafts_kept_empty_and_keeps_the_estimates_kept():
    old = migrate(BEFORE)
    try:
        assert "invoicing_draftcopy" not in connection.introspection.table_names()
        old.get_model("billing", "EstimateMonth").objects.create(
            year=2026, month=11, worked_at=timezone.now() - dt.timedelta(hours=1), basis={}
        )
        old.get_model("billing", "EstimateCopy").objects.create(
            year=2026, month=11, domain_id=1, company_name="Alpha", cost=450, price=600, periods=1
        )
    finally:
        new = migrate(AFTER)
    try:
        tables = connection.introspection.table_names()
        assert {"invoicing_draftcopy", "invoicing_draftmonth"} <= set(tables)
        assert new.get_model("invoicing", "DraftCopy").objects.count() == 0
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "billing_estimatecopy")
        assert "billing_estimate_cost" in indexes
        with connection.cursor() as cursor:
            issued = connection.introspection.get_constraints(cursor, "invoicing_issuedinvoice")
        assert "invoicing_issued_preparing" in issued  # the drafts page's invoices without a PDF yet
        from billing import estimate

        kept = estimate.estimate_summary(year=2026, month=11, top=5)
        assert (kept.cost, kept.price, [c.company_name for c in kept.top]) == (450, 600, ["Alpha"])
    finally:
        migrate_to_latest()  # the tests after this one run on the latest schema
