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
from customers.selectors import customer_search, customers_found
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
    return FINDING_SORTS.order(_searched(qs, filters.q), filters.sort)


def _searched(qs: QuerySet, q: str) -> QuerySet:
    """The findings of the customers the house's search finds (company name, domain, code, domainId:
    `customers.selectors.customer_search(walked=True)`): a few named (their findings read by the month's index
    of its customers), more planned apart: read once, into a hash, beside the month's findings read along their
    index. A month's findings are a few for every hundred customers, so the house's shape for lists of
    customers' rows (`customer_search`: the customers found computed first, then their rows looked up one
    customer at a time) cost two buffers for each customer a common word found, most of whom have no finding
    (`python -m bench scale`, billing:findings searched; the figures are in
    bench/results/scale-2026-11-27-findings-list-1000-50000x12.txt)."""
    return customer_search(qs, q, prefix="", walked=True)


#: The columns a page of findings shows: all in the month's index of the list (`Finding.Meta.indexes`,
#: billing_finding_list), so a page is read from it alone. An explanation is read apart (`_with_explanations`).
PAGE_FIELDS = (
    "id",
    "domain_id",
    "customer_name",
    "kind",
    "subject",
    "expected",
    "billed",
    "still_found",
    "explained",
)


def finding_page(*, user, year: int, month: int, filters: FindingFilters, page, per_page: int) -> Page:
    """One page of the month's findings (rows of `PAGE_FIELDS`, each explained one with its explanation), read
    from the index of the list's order alone (`Finding.Meta.indexes`), the walk stopping after it; counted apart,
    up to the cap (the search cap, searched), from the narrow index of their customers alone (`capped_count(key=)`,
    `billing_finding_to_explain_n` for those to explain). A window count over the page's walk would make the
    database read every matching finding of the month, wide index entries and all: the month's findings of the
    customers a common word finds are hundreds at a large partner (`python -m bench scale`, billing:findings
    searched). The customers found are read for each of the two queries; a common word's from its short lists
    (`customers.selectors.search.found_whole`)."""
    qs = finding_list(user=user, year=year, month=month, filters=filters)
    searched = customers_found(filters.q) is not None
    found = paginate(
        qs,
        page=page,
        per_page=per_page,
        fields=PAGE_FIELDS,
        count=lambda: capped_count(qs, key="domain_id"),
        searched=searched,
    )
    _with_explanations(found.object_list)
    return found


def _with_explanations(rows) -> None:
    """Each explained finding of a page with its note, who explained it (`explained_by_name`) and when, read by key
    for those rows alone (a note is no column of the list's index); the others with none."""
    explained = [row.id for row in rows if row.explained]
    notes = (
        {
            found["id"]: found
            for found in Finding.objects.filter(pk__in=explained).values(
                "id", "note", "explained_by__username", "explained_at"
            )
        }
        if explained
        else {}
    )
    for row in rows:
        found = notes.get(row.id, {})
        row.note = found.get("note", "")
        row.explained_by_name = found.get("explained_by__username") or ""
        row.explained_at = found.get("explained_at")


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
