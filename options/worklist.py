"""Options' section of the home page's worklist (home/worklist.py): option trials ending soon, a decision
to make while the trial lasts."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import still_in_api
from home.worklist import DECISION_DAYS, WorkContext, WorkItem, WorkList, WorkSection
from options import rules
from options.models import Option
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core import constant_urls


def option_trials_ending(ctx: WorkContext) -> WorkList:
    """Option trials whose end date is within DECISION_DAYS (today included), the soonest first, then by
    customer (domainId): the order of the trials' partial index (`Option.Meta.indexes`), so the first items and
    the count are read from it alone."""
    qs = (
        ctx.narrow(still_in_api(Option.objects.all()))
        .filter(
            trial=True,
            plan_end_date__gte=ctx.today,
            plan_end_date__lte=ctx.today + dt.timedelta(days=DECISION_DAYS),
        )
        .order_by("plan_end_date", "customer_id", "option_product_id")
    )
    read = constant_urls.pattern("customers:detail") + "#section-options"
    change = constant_urls.pattern("options:renewal", 2)
    rows, count = ctx.first_and_count(
        qs,
        "customer_id",
        "customer__company_name",
        "option_product_id",
        "plan_end_date",
        count_apart=True,
        sorts={
            "customer": ("customer__sort_name", "customer_id", "option_product_id"),
            "day": ("plan_end_date", "customer_id", "option_product_id"),
        },
    )
    items = [
        WorkItem(
            customer=company,
            text=gettext("The %(option)s trial ends") % {"option": rules.option_label(option)},
            url=read.format(domain_id),
            change_url=change.format(domain_id, option),
            day=end,
            uid=f"option-trial-{domain_id}-{option}-{end:%Y%m%d}",
        )
        for domain_id, company, option, end in rows
    ]
    return WorkList(count, items)


SECTIONS = [
    WorkSection(
        key="option-trials",
        title=_("Option trials ending"),
        help=_("Option trials ending within 14 days: decide whether they continue before they end."),
        read=option_trials_ending,
        perm=VIEW_OPTIONS,
        change_perm=CHANGE_OPTIONS,
        day_label=_("Ends on"),
        action=_("Change the renewal"),
        decision=True,
        order=27,
    )
]
