"""An option's daily usage (listOptionProductUsages, tag options), rebuilt from its usage periods (sandbox.usage)."""

from __future__ import annotations

from sandbox.api.common import live_customer, ok, operation
from sandbox.dates import days_of, month_bounds
from sandbox.models import (
    UsagePeriod,
)
from sandbox.rules import rule

USAGE_YEAR_MONTH = rule("option_usage.year_month_required", "listOptionProductUsages", 0)
USAGE_GROUP = rule("option_usage.product_group_works", "listOptionProductUsages", 1)
USAGE_DAILY = rule("option_usage.one_per_option_per_day", "listOptionProductUsages", 2)
USAGE_NO_PAGES = rule("option_usage.not_paginated", "listOptionProductUsages", 3)


@operation(
    "listOptionProductUsages",
    field_rules={"year": USAGE_YEAR_MONTH, "month": USAGE_YEAR_MONTH, "productGroupId": USAGE_GROUP},
)
def list_option_product_usages(request, domainId: int):
    query, today = request.api.query, request.api.today
    customer = live_customer(domainId)
    try:
        first, last = month_bounds(query["year"], query["month"])
    except (ValueError, OverflowError):
        raise USAGE_YEAR_MONTH.violation("year is out of range") from None
    last = min(last, today)
    periods = (
        UsagePeriod.objects.filter(customer=customer, start_date__lte=last)
        .exclude(option_product_id="")
        .exclude(status="PENALTY")
        .exclude(end_date__lt=first)
        .order_by("option_product_id", "start_date")
    )
    rows = []
    # rule: option_usage.one_per_option_per_day - one snapshot per option and metered day
    for period in periods:
        for day in days_of(period, first, last):
            rows.append(
                {
                    "productGroupId": period.product_group_id or "WORKS",
                    "optionProductId": period.option_product_id,
                    "subOptionId": period.sub_option_id,
                    "usedDate": day,
                    "plan": period.plan,
                    "memberCount": period.member_count,
                    "licenseCount": period.license_count,
                    "quantity": period.quantity,
                    "usageCount": period.usage_count,
                }
            )
    rows.sort(key=lambda r: (r["usedDate"], r["optionProductId"]))
    # rule: option_usage.not_paginated
    return ok({"optionProductUsages": rows})
