"""The invoicing app's section of the home page's worklist, for Finance: customers without billing details
(they get no invoice until someone adds them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from home.worklist import FINANCE_ROLES, WorkContext, WorkItem, WorkList, WorkSection
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.selectors import customers_without_details
from schedule.sources import url_pattern


def without_details(ctx: WorkContext) -> WorkList:
    """Customers still in the API without billing details, in name order: the first rows along the customers'
    name index and a count apart."""
    rows, count = ctx.first_and_count(
        customers_without_details(), "domain_id", "company_name", "domain", count_apart=True
    )
    read, change = url_pattern("customers:detail"), url_pattern("invoicing:customer")
    items = [
        WorkItem(
            customer=company,
            text=domain,
            url=read.format(domain_id),
            change_url=change.format(domain_id),
            uid=f"billing-details-{domain_id}",
        )
        for domain_id, company, domain in rows
    ]
    return WorkList(count, items)


SECTIONS = [
    WorkSection(
        key="billing-details",
        title=_("Customers without billing details"),
        help=_(
            "Customers the partner cannot invoice yet: add the name and address to bill, or mark them not billed."
        ),
        read=without_details,
        roles=FINANCE_ROLES,
        perm=VIEW_INVOICING,
        change_perm=CHANGE_INVOICING,
        action=_("Add billing details"),
        order=130,
    ),
]
