"""The month's drafts worked out now from its items (LINE WORKS' invoice or the estimate, read through
billing's selectors), the billing details, the invoices issued and Finance's price edits: what the worker keeps
(`month_drafts_worked_out`), what the issue run issues (`ready_drafts`), one customer's draft (`draft_get`), and
what a month's drafts stand on, worked out here or kept (`DraftsMonth`, `drafts_month`; the kept ones are
`drafts_kept`'s)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings

from billing import selectors as billing
from invoicing import drafts, rules
from invoicing.models import (
    BillingBasis,
    CustomerBilling,
    DocumentKind,
    DraftPriceEdit,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
)
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors.details import RECIPIENT_FIELDS, issuer_mapping, month_basis
from portal.core import clock
from portal.core.access import check


def _recipients(domain_ids) -> dict[int, dict]:
    return {
        row["domain_id"]: row
        for row in CustomerBilling.objects.filter(domain_id__in=list(domain_ids)).values(
            "domain_id", *RECIPIENT_FIELDS
        )
    }


@dataclass(kw_only=True)
class DraftsMonth:
    """What a month's drafts stand on, worked out (`MonthDrafts`) or kept (`KeptDrafts`): `drafts_month`."""

    year: int
    month: int
    issuer_missing: bool
    run: IssueRun | None
    #: The numbers of the month's invoices still being prepared (numbered, their PDF not rendered yet).
    preparing: frozenset[int] = frozenset()
    #: What the drafts are made from (`rules.draft_basis`): LINE WORKS' invoice, the estimate, or nothing yet.
    basis: str = rules.FROM_INVOICE
    #: Whether the partner bills in advance (the page says how a month other than the running one is made).
    in_advance: bool = False

    @property
    def cannot_know(self) -> tuple:
        """What drafts made from the estimate cannot know (none for drafts made from LINE WORKS' invoice)."""
        return billing.ESTIMATE_UNKNOWABLE if self.basis == rules.FROM_ESTIMATE else ()


def drafts_month(*, user, year: int, month: int) -> dict:
    """`DraftsMonth`'s fields of the month, read now (the partner's details once: whether they are missing, how
    it bills and so what the month is made from, `month_basis`)."""
    issuer = IssuerDetails.objects.filter(pk=1).only("billing_basis").first()
    in_advance = issuer is not None and issuer.billing_basis == BillingBasis.IN_ADVANCE
    return {
        "year": year,
        "month": month,
        "basis": month_basis(year, month, in_advance),
        "in_advance": in_advance,
        "issuer_missing": issuer is None,
        "run": issue_run_latest(user=user, year=year, month=month),
        "preparing": frozenset(
            IssuedInvoice.objects.filter(year=year, month=month, pdf_sha256="").values_list(
                "number", flat=True
            )
        ),
    }


@dataclass(kw_only=True)
class MonthDrafts(DraftsMonth):
    drafts: list[drafts.Draft]

    @property
    def ready(self) -> list[drafts.Draft]:
        return [d for d in self.drafts if d.ready]

    @property
    def blocked(self) -> list[drafts.Draft]:
        return [d for d in self.drafts if d.blocked and d.issued_number is None]

    @property
    def issued(self) -> list[drafts.Draft]:
        return [d for d in self.drafts if d.issued_number is not None]

    @property
    def total(self) -> int:
        return sum(d.total for d in self.drafts if not d.blocked or d.issued_number is not None)

    @property
    def previous_total(self) -> int:
        return sum(d.previous_total or 0 for d in self.drafts)


def _items_of(
    *, user, year: int, month: int, basis: str, domain_id: int | None = None
) -> list[billing.ChargedItem]:
    """The month's items as `basis` says: LINE WORKS' invoice, or the estimate (the same shape, from billing's
    one adapter), or none (a month not begun, for a partner that bills in advance). With `domain_id`, that
    customer's: an invoiced month's read along the customer's index; the estimate's worked out for it alone."""
    if basis == rules.FROM_ESTIMATE:
        return billing.month_estimated_items(user=user, year=year, month=month, domain_id=domain_id)
    if basis == rules.NOT_BEGUN:
        return []
    return billing.month_charged_items(user=user, year=year, month=month, domain_id=domain_id)


def _drafts_of(
    *, user, year: int, month: int, issue_date: dt.date, previous: bool, domain_id: int | None = None
) -> list[drafts.Draft]:
    """The month's drafts; with `domain_id`, that customer's alone, worked out from its own items, billing
    details, issued invoice and price edits (one customer's page reads no other customer's rows)."""
    items = _items_of(user=user, year=year, month=month, basis=month_basis(year, month), domain_id=domain_id)
    previous_totals = None
    if previous:
        before = rules.month_before(year, month)
        previous_totals = _month_totals(
            user=user, year=before[0], month=before[1], issue_date=issue_date, domain_id=domain_id
        )
    one = {} if domain_id is None else {"domain_id": domain_id}
    issued = dict(
        IssuedInvoice.objects.filter(year=year, month=month, **one)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("number")
        .values_list("domain_id", "number")
    )
    found = drafts.month_drafts(
        items,
        issuer=issuer_mapping(),
        recipients=_recipients({i.domain_id for i in items}),
        issue_date=issue_date,
        rounding=settings.INVOICE_TAX_ROUNDING,
        previous_totals=previous_totals,
        issued=issued,
    )
    # Finance's price edits: applied, or said to no longer apply.
    drafts.apply_price_edits(
        found,
        DraftPriceEdit.objects.filter(year=year, month=month, **one).values(
            "domain_id", "item_id", "plan", "unit_price", "book_price"
        ),
        year=year,
        month=month,
        rounding=settings.INVOICE_TAX_ROUNDING,
    )
    return found


def _month_totals(
    *, user, year: int, month: int, issue_date: dt.date, domain_id: int | None = None
) -> dict[int, int]:
    """Each customer's total of a month (or `domain_id`'s): its issued invoice's, else its draft's."""
    one = {} if domain_id is None else {"domain_id": domain_id}
    totals = {
        d.domain_id: d.total
        for d in _drafts_of(
            user=user, year=year, month=month, issue_date=issue_date, previous=False, domain_id=domain_id
        )
    }
    totals.update(
        IssuedInvoice.objects.filter(year=year, month=month, **one)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .order_by("number")
        .values_list("domain_id", "total")
    )
    return totals


def month_drafts_worked_out(
    *, user, year: int, month: int, domain_id: int | None = None
) -> list[drafts.Draft]:
    """The month's drafts (or `domain_id`'s) worked out now, with last month's totals beside them: what the
    worker keeps (`services.drafts_keep`)."""
    check(user, VIEW_INVOICING)
    return _drafts_of(
        user=user, year=year, month=month, issue_date=clock.today(), previous=True, domain_id=domain_id
    )


def month_drafts(*, user, year: int, month: int) -> MonthDrafts:
    """The month's drafts with last month's totals beside them, and the latest issue run of the month."""
    check(user, VIEW_INVOICING)
    found = _drafts_of(user=user, year=year, month=month, issue_date=clock.today(), previous=True)
    return MonthDrafts(drafts=found, **drafts_month(user=user, year=year, month=month))


def draft_get(*, user, year: int, month: int, domain_id: int) -> drafts.Draft | None:
    check(user, VIEW_INVOICING)
    found = _drafts_of(
        user=user, year=year, month=month, issue_date=clock.today(), previous=False, domain_id=domain_id
    )
    return next((d for d in found if d.domain_id == domain_id), None)


def ready_drafts(*, user, year: int, month: int, issue_date: dt.date) -> list[drafts.Draft]:
    """The drafts of the month that can be issued now (not blocked, not issued yet)."""
    check(user, VIEW_INVOICING)
    return [
        d
        for d in _drafts_of(user=user, year=year, month=month, issue_date=issue_date, previous=False)
        if d.ready
    ]


def issue_run_latest(*, user, year: int, month: int) -> IssueRun | None:
    check(user, VIEW_INVOICING)
    return IssueRun.objects.filter(year=year, month=month).order_by("-requested_at", "-pk").first()
