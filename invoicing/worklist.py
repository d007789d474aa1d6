"""The invoicing app's section of the home page's worklist, for Finance: customers without billing details
(they get no invoice until someone adds them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from home.worklist import FINANCE_ROLES, WorkContext, WorkItem, WorkList, WorkSection
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.selectors import (
    customers_without_details,
    customers_without_details_count,
    overdue_invoices,
    overdue_invoices_count,
)
from portal.core import constant_urls


def without_details(ctx: WorkContext) -> WorkList:
    """Customers still in the API without billing details, in name order: the first keys along the customers'
    name index, then those customers (`WorkContext.cut_by_keys`: a later page skips the earlier ones in the
    index), and their count from the row the database keeps (`invoicing.models.WithoutDetailsCount`)."""
    upto = None if ctx.limit is None else ctx.offset + ctx.limit
    found = ctx.ordered(customers_without_details(upto=upto), {"customer": ("sort_name", "domain_id")})
    rows, _keys = ctx.cut_by_keys(found, "domain_id", "company_name", "domain")
    count = len(rows) if ctx.limit is None else customers_without_details_count()
    read, change = constant_urls.pattern("customers:detail"), constant_urls.pattern("invoicing:customer")
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


def overdue(ctx: WorkContext) -> WorkList:
    """Issued invoices past their due date and not fully paid, the longest overdue first, with what each still
    asks: the first along the open invoices' due-date index, and their count from the open invoices' counts by
    due date (`selectors.overdue_invoices_count`: a row per due date, not an entry per invoice)."""
    from billing.templatetags.billing import yen
    from portal.core import clock

    today = clock.today()
    found = ctx.ordered(
        overdue_invoices(today=today),
        {"customer": ("customer_name", "number"), "day": ("due_date", "number")},
    )
    rows = ctx.cut(found.values_list("number", "customer_name", "owed", "paid", "due_date"))
    count = len(rows) if ctx.limit is None else overdue_invoices_count(today=today)
    read = constant_urls.pattern("invoicing:issued")
    items = [
        WorkItem(
            customer=customer,
            text=_("Invoice No. %(number)s") % {"number": number},
            url=read.format(number),
            change_url=read.format(number),
            day=due,
            figure=yen(owed),
            badge=_("Partly paid") if paid else _("Unpaid"),
            uid=f"invoice-overdue-{number}",
        )
        for number, customer, owed, paid, due in rows
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
    WorkSection(
        key="invoices-overdue",
        title=_("Overdue customer invoices"),
        help=_(
            "Invoices to customers past their due date and not fully paid: record the payment, or follow up."
        ),
        read=overdue,
        roles=FINANCE_ROLES,
        perm=VIEW_INVOICING,
        change_perm=CHANGE_INVOICING,
        day_label=_("Due"),
        action=_("Record a payment"),
        order=131,
    ),
]
