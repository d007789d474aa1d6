"""Billing's sections of the home page's worklist (home/worklist.py), for Finance: the last invoice
(arrived or not yet, paid or unpaid) and the variance findings still to explain."""

from __future__ import annotations

import functools
import operator

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing import rules
from billing.models import Finding, Invoice
from billing.permissions import CHANGE_BILLING, VIEW_BILLING
from billing.selectors.closing import closed_months
from home.worklist import FINANCE_ROLES, WorkContext, WorkItem, WorkList, WorkSection
from portal.core import constant_urls
from portal.core.vocabulary import PaymentStatus


def last_invoice(ctx: WorkContext) -> WorkList:
    """The invoice of the month that closed last: not yet arrived, unpaid or paid. Counted when it needs
    someone (not arrived, or unpaid)."""
    year, month = rules.last_closed_month(ctx.today)
    invoice = Invoice.objects.filter(year=year, month=month).first()
    period = f"{year}-{month:02d}"
    if invoice is None:
        item = WorkItem(
            customer=period,
            text=gettext(
                "Not in the portal yet (LINE WORKS issues it on %(day)s). Fetch it now from the Invoices page."
            )
            % {"day": rules.issued_on(year, month).isoformat()},
            url=reverse("billing:invoices"),
            badge=gettext("Not arrived"),
            uid=f"invoice-{period}",
        )
        return WorkList(1, [] if ctx.offset else [item])
    status = invoice.get_payment_status_display()
    item = WorkItem(
        customer=period,
        text=gettext("Total ¥%(total)s") % {"total": f"{invoice.total_amount:,}"},
        url=constant_urls.pattern("billing:details", 2).format(year, month),
        badge=status,
        uid=f"invoice-{period}",
    )
    # One item: a later page of its full list holds none.
    return WorkList(int(invoice.payment_status == PaymentStatus.UNPAID), [] if ctx.offset else [item])


def findings_to_explain(ctx: WorkContext) -> WorkList:
    """Variance findings still found and not explained, newest month first; none of a month Finance closed
    (read-only until an Admin reopens it)."""
    qs = Finding.objects.filter(still_found=True, explained=False)
    qs = qs.filter(_open_months(qs)).order_by("-year", "-month", "customer_name", "domain_id", "kind")
    kinds = {k: str(v) for k, v in Finding.Kind.choices}
    read, change = constant_urls.pattern("billing:findings", 2), constant_urls.pattern("billing:explain")
    # Apart: the first rows along the findings' partial index in this order, then its count (`Finding.Meta`).
    rows, count = ctx.first_and_count(
        qs,
        "pk",
        "year",
        "month",
        "customer_name",
        "kind",
        "subject",
        count_apart=True,
        sorts={"customer": ("customer_name", "id")},
    )
    items = [
        WorkItem(
            customer=name or f"{year}-{month:02d}",
            text=f"{year}-{month:02d} · {kinds.get(kind, kind)}"
            + (f" ({named})" if (named := rules.finding_subject_name(kind, subject)) else ""),
            url=read.format(year, month),
            change_url=change.format(pk),
            uid=f"finding-{pk}",
        )
        for pk, year, month, name, kind, subject in rows
    ]
    return WorkList(count, items)


def _open_months(qs) -> Q:
    """The months of `qs` (findings) Finance has not closed, named one by one: every month from its first to its
    last but the closed ones (`closed_months`), the two ends read from the findings' month index. The section
    then reads the open months' findings alone, along its index, where "not in a closed month" had the database
    read every finding still to explain of every month kept, the closed ones too, to leave them out (more with
    each month and each customer: `python -m bench scale`, the findings worklist)."""
    first = qs.order_by("year", "month").values_list("year", "month").first()
    last = qs.order_by("-year", "-month").values_list("year", "month").first()
    if first is None or last is None:
        return Q(pk__in=[])
    closed, months = closed_months(), []
    year, month = first
    while (year, month) <= last:
        if (year, month) not in closed:
            months.append(Q(year=year, month=month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return functools.reduce(operator.or_, months, Q(pk__in=[]))


SECTIONS = [
    WorkSection(
        key="last-invoice",
        title=_("Last invoice"),
        help=_("The invoice of the month that closed last: whether it has arrived and is paid."),
        read=last_invoice,
        roles=FINANCE_ROLES,
        perm=VIEW_BILLING,
        more_url_name="billing:invoices",
        order=110,
        sorts=(),
    ),
    WorkSection(
        key="findings",
        title=_("Findings to explain"),
        help=_("Differences the variance check found that nobody has explained yet."),
        read=findings_to_explain,
        roles=FINANCE_ROLES,
        perm=VIEW_BILLING,
        change_perm=CHANGE_BILLING,
        action=_("Explain"),
        order=120,
    ),
]
