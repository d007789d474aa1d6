"""How long billing keeps LINE WORKS's invoices to the partner and the usage snapshots the month's check reads
(portal/core/retention.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core import kept
from portal.core.retention import KeepDays, KeepTaxRecords, Retention


def remove_invoices(model: type[models.Model], ids: Sequence[Any]) -> None:
    """Remove a batch of LINE WORKS's invoices with their months' items, the months' figures and the costs
    learned from them."""
    from billing.models import DetailMonth, InvoiceCost, InvoiceItem

    months = list(models.QuerySet(model=model).filter(pk__in=ids).values_list("year", "month"))
    if months:
        same_month = Q()
        for year, month in months:
            same_month |= Q(year=year, month=month)
        models.QuerySet(model=InvoiceItem).filter(same_month).delete()
        models.QuerySet(model=DetailMonth).filter(same_month).delete()
        models.QuerySet(model=InvoiceCost).filter(same_month).delete()
    models.QuerySet(model=model).filter(pk__in=ids).delete()


RETENTION = [
    Retention(
        model="billing.Invoice",
        table=_("LINE WORKS invoices"),
        date_field="issued_time",
        keep=KeepTaxRecords(),
        kept=_(
            "LINE WORKS's invoices to the partner, with each month's items per customer and the costs learned "
            "from them"
        ),
        reason=_(
            "An invoice received is a record the law asks to keep as long as the invoices issued: 7 years from "
            "the day two months after the end of the tax period it was issued in. Its items and the costs learned "
            "from it leave with it; the month's findings, its closing and the prices accepted into the price "
            "book stay."
        ),
        remove=remove_invoices,
    ),
    Retention(
        model="billing.UsageSnapshot",
        date_field="used_date",
        keep=KeepDays("RETENTION_USAGE_SNAPSHOT_DAYS", 730),
        kept=_(
            "Customers' usage snapshots past their first four months: each month's first and last day and the "
            "days its terms changed"
        ),
        reason=_(
            "After four months only the days a month's check needs are kept. Two years lets a month be checked "
            "again against a late correction of its invoice through the next business year; its findings stay."
        ),
        # ~6.8 M rows a year at 50,000 customers before thinning: a month leaves by dropping its partition
        # (migration 0012).
        partitioned=True,
    ),
    kept.months_rule(
        month="billing.EstimateMonth",
        copy="billing.EstimateCopy",
        table=_("Kept estimates"),
        kept=_("Each month's estimate per customer as the worker keeps it for the Invoices page"),
    ),
]
