"""The drafts the worker keeps (`DraftMonth`, `DraftCopy`) as the month's pages read them, counted and
totalled by state (`kept_drafts`) and a page at a time (`draft_page`); what they are worked out from
(`drafts_basis`) and how the kept copy stands (`drafts_state`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator

from billing import selectors as billing
from invoicing import rules
from invoicing.models import BillingBasis, DraftCopy, DraftMonth, DraftState
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors.details import details_mapping, month_basis
from invoicing.selectors.drafts import DraftsMonth, drafts_month
from portal.core import clock, kept
from portal.core.access import check
from portal.core.copies import copies_changed_count
from portal.core.lists import clamp_page

#: The states the month's drafts are filtered by (`draft_page`).
DRAFT_READY, DRAFT_BLOCKED, DRAFT_ISSUED = DraftState.READY, DraftState.BLOCKED, DraftState.ISSUED


#: The kept drafts' name among the copies kept (`portal.core.kept`).
DRAFTS_KEPT = "invoicing.drafts"


#: The month's figures the worker keeps (`DraftMonth.totals`, `services.drafts_keep`): the drafts counted by
#: state, the total of those ready and issued (tax included), of last month's beside them, of those ready.
DRAFT_FIGURES = (
    "count",
    "ready_count",
    "blocked_count",
    "issued_count",
    "total",
    "previous_total",
    "ready_total",
)


#: The drafts' rules, as a number: drafts kept by other rules (an older release) are worked out again. Move it on
#: with any change to how a draft is worked out.
DRAFT_RULES = 1


def drafts_basis(year: int, month: int) -> dict:
    """What a month's drafts are worked out from as a whole (`DraftMonth.basis`): any of it differing, every
    customer's draft is worked out again."""
    details = details_mapping()  # read once: how the partner bills is among them
    in_advance = details is not None and details["billing_basis"] == BillingBasis.IN_ADVANCE
    basis = month_basis(year, month, in_advance)
    written = json.dumps(details, sort_keys=True, default=str)
    return {
        "book": billing.price_book_stamp(),
        "today": clock.today().isoformat(),
        "issuer": hashlib.sha256(written.encode()).hexdigest(),
        "basis": basis,
        "items": billing.month_details_stamp(year, month) if basis == rules.FROM_INVOICE else "",
        "rounding": settings.INVOICE_TAX_ROUNDING,
        "rules": DRAFT_RULES,
    }


def drafts_state(year: int, month: int) -> kept.KeptState:
    """How the month's kept drafts stand (a few counted reads, nothing worked out): when they were brought up to
    date, how many customers' copies or billing data were written since, whether what every draft is worked out
    from differs now."""
    row = DraftMonth.objects.filter(year=year, month=month).first()
    if row is None:
        return kept.KeptState(None)
    return kept.KeptState(
        row.worked_at, copies_changed_count(row.worked_at, own=True), row.basis != drafts_basis(year, month)
    )


@dataclass(kw_only=True)
class KeptDrafts(DraftsMonth):
    """A month's drafts as its pages show them, read from the drafts kept (`DraftCopy`) with SQL whatever the
    number of customers: the counts and totals by state (one aggregate), how the copy stands (`kept`), the
    month's issue run and its invoices still being prepared."""

    kept: kept.KeptState
    count: int
    ready_count: int
    blocked_count: int
    issued_count: int
    #: The total of the drafts ready and issued (tax included), and of last month's beside them.
    total: int
    previous_total: int
    ready_total: int


def kept_drafts(*, user, year: int, month: int) -> KeptDrafts:
    """The month's drafts as kept, counted and totalled by state as the worker summed them onto the month
    (`DraftMonth.totals`; 0 before it is worked out), never over every customer's draft here; a month behind
    (or never worked out) is queued for the worker (`portal.core.kept`), never worked out here."""
    check(user, VIEW_INVOICING)
    state = kept.ask(DRAFTS_KEPT, year, month)
    summed = DraftMonth.objects.filter(year=year, month=month).values_list("totals", flat=True).first()
    figures = {name: (summed or {}).get(name, 0) for name in DRAFT_FIGURES}
    return KeptDrafts(kept=state, **figures, **drafts_month(user=user, year=year, month=month))


def draft_page(found: KeptDrafts, *, state: str, page, per_page: int) -> Page:
    """One page of the month's kept drafts in `state` (ready, blocked, issued; "" every one), in the drafts'
    order (by name), read from the database a page at a time along its index. A page past the end is the
    last."""
    rows = DraftCopy.objects.filter(year=found.year, month=found.month).order_by("customer_name", "domain_id")
    if state in DraftState.values:
        rows = rows.filter(state=state)
    count = {
        DraftState.READY: found.ready_count,
        DraftState.BLOCKED: found.blocked_count,
        DraftState.ISSUED: found.issued_count,
    }.get(state, found.count)
    paginator = Paginator(rows, per_page)
    paginator.count = count  # counted with the month's figures already
    return paginator.page(min(clamp_page(page), paginator.num_pages))
