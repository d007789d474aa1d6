"""How long options keep their daily usage (portal/core/retention.py), and the monthly summaries kept after it.

The daily rows are already one a customer, option and day, so a day's summary would be the same rows again: they
are summed straight into their month (`OptionUsageMonth`) as they leave."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from portal.core.batches import batched
from portal.core.retention import KeepDays, Retention
from portal.core.rollup import fold

#: Groups folded into the summaries at a time.
FOLDED = 2_000


def usage_by_month(days: QuerySet) -> None:
    """Sum the daily usage about to leave into each customer's month of each option, sub option and plan."""
    from options.models import OptionUsageMonth

    rows = (
        days.annotate(month=TruncMonth("used_date"))
        .values("customer_id", "month", "option_product_id", "sub_option_id", "plan")
        .annotate(
            days=Count("pk"),
            usage_total=Sum("usage_count"),
            quantity_peak=Max("quantity"),
            license_peak=Max("license_count"),
            member_peak=Max("member_count"),
        )
        .order_by()
    )
    # Folded a few thousand groups at a time: a month's partition dropped whole on PostgreSQL is one call with
    # a group per customer and option (some 125,000 at 50,000 customers).
    for chunk in batched(rows.iterator(chunk_size=FOLDED), FOLDED):
        fold(
            OptionUsageMonth,
            ({"domain_id": row["customer_id"], **row} for row in chunk),
            key=("domain_id", "month", "option_product_id", "sub_option_id", "plan"),
            add=("days", "usage_total"),
            peak=("quantity_peak", "license_peak", "member_peak"),
        )


RETENTION = [
    Retention(
        model="options.OptionUsage",
        date_field="used_date",
        keep=KeepDays("RETENTION_OPTION_USAGE_DAYS", 396),
        kept=_("Daily option usage of each customer"),
        reason=_(
            "Thirteen months compares a month's usage with the same month a year before; the invoices keep what "
            "was billed for it. Each month is summed per customer and option before its days leave."
        ),
        roll_up=usage_by_month,
        # ~45 M rows a year at 50,000 customers: a month leaves by dropping its partition (migration 0005).
        partitioned=True,
    ),
    Retention(
        model="options.OptionUsageMonth",
        date_field="month",
        keep=KeepDays("RETENTION_OPTION_USAGE_MONTH_DAYS", 2557),
        kept=_(
            "Monthly option usage of each customer: days used, usage, highest quantity, licences and members"
        ),
        reason=_(
            "Seven years, as long as the invoices that billed the usage: how much a customer used an option in "
            "a month the invoice of which may still be asked about."
        ),
    ),
]
