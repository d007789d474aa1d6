"""The month's check as its page reads it: the findings, filtered and sorted as the page and its export show them
(`finding_list`, `FindingFilters`, `FINDING_SORTS`), a page at a time (`finding_page`), one finding
(`finding_get`), and how many customers it could not check (`customers_unchecked`). The check itself is
billing/findings.py."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import QuerySet

from billing.findings import customers_without_usage
from billing.models import DetailMonth, Finding
from billing.permissions import VIEW_BILLING
from customers.selectors import customer_search
from portal.core.access import check
from portal.core.lists import Sorts, capped_count, paginate

FINDING_SORTS = Sorts(
    columns={
        # Those to explain before those explained (the list of every finding), each by customer: the order of the
        # month's index (`Finding.Meta.indexes`, billing_finding_list), so a page reads its rows and stops.
        "customer": ("explained", "customer_name", "domain_id", "kind", "subject"),
        "kind": ("kind", "customer_name", "domain_id", "subject"),
    },
    default="customer",
)

#: The findings a list shows (`FindingFilters.status`): to explain (still found, not explained: the home page's
#: "Findings to explain" and the Invoices page's count), explained, or every one.
TO_EXPLAIN, EXPLAINED, ALL = "", "explained", "all"


@dataclass(frozen=True)
class FindingFilters:
    q: str = ""
    #: One customer's findings (0: the invoice's own).
    domain_id: int | None = None
    status: str = TO_EXPLAIN
    kind: str = ""
    sort: str = FINDING_SORTS.default


def finding_list(*, user, year: int, month: int, filters: FindingFilters) -> QuerySet[Finding]:
    """The month's findings, filtered and sorted (exactly what the page and its export show)."""
    check(user, VIEW_BILLING)
    qs = Finding.objects.filter(year=year, month=month)
    if filters.status == EXPLAINED:
        qs = qs.filter(explained=True)
    elif filters.status != ALL:
        qs = qs.filter(explained=False, still_found=True)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.domain_id is not None:
        qs = qs.filter(domain_id=filters.domain_id)
    # The house's customer search (company name, domain, code, domainId) on the customers the portal knows.
    qs = customer_search(qs, filters.q, prefix="")
    return FINDING_SORTS.order(qs, filters.sort)


def finding_page(*, user, year: int, month: int, filters: FindingFilters, page, per_page: int) -> Page:
    """One page of the month's findings, with who explained each. Counted apart, up to the cap, from an index
    alone (the findings' customer key, `capped_count(key=)`), then only the page read: in the list's order as it
    opens, an index of the month serves it (`Finding.Meta.indexes`), where a window count would make the database
    read and sort every finding of the month before the first row."""
    qs = finding_list(user=user, year=year, month=month, filters=filters)
    return paginate(
        qs.select_related("explained_by"),
        page=page,
        per_page=per_page,
        count=lambda: capped_count(qs, key="domain_id"),
    )


def customers_unchecked(*, user, year: int, month: int) -> int:
    """How many customers billed in the month have no usage snapshot of it: the check could not compare their
    licences or periods with what was sold (what the portal cannot know, said on the findings page). As the
    month's last check found it (kept on its `DetailMonth`), else counted now."""
    check(user, VIEW_BILLING)
    stored = DetailMonth.objects.filter(year=year, month=month).values_list("unchecked", flat=True).first()
    if stored is not None:
        return stored
    return customers_without_usage(year=year, month=month)


def finding_get(*, user, finding_id: int) -> Finding | None:
    check(user, VIEW_BILLING)
    return Finding.objects.filter(pk=finding_id).first()
