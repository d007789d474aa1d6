"""Reads of the partner's invoices to its customers (access checked here too). Billing is read through its
selectors, never its models; the customers through theirs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.forms.models import model_to_dict

from billing import selectors as billing
from customers import selectors as customers
from invoicing import corrections, drafts, rules
from invoicing.models import (
    BillingBasis,
    CustomerBilling,
    DocumentKind,
    DraftCopy,
    DraftMonth,
    DraftPriceEdit,
    DraftState,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
    OpenInvoice,
    SendRun,
    WithoutDetailsCount,
)
from invoicing.permissions import VIEW_INVOICING
from portal.core import clock, kept
from portal.core.access import check
from portal.core.copies import copies_changed_count
from portal.core.lists import Sorts, clamp_page, paginate, planned_apart

RECIPIENT_FIELDS = ("billed", "bill_to_name", "bill_to_address", "invoice_email", "language")
ISSUER_FIELDS = (
    "registered_name",
    "address",
    "corporation",
    "registration_number",
    "bank_account",
    "payment_terms",
    "number_format",
)


def issuer_get(*, user) -> IssuerDetails | None:
    check(user, VIEW_INVOICING)
    return IssuerDetails.objects.filter(pk=1).first()


#: What the partner's billing details page edits (and audits): what its invoices show (`ISSUER_FIELDS`), how its
#: invoice mail is sent (sender name, reply-to), and how it bills its customers (`BillingBasis`: after LINE
#: WORKS' invoice, or in advance from the estimate).
DETAILS_FIELDS = (*ISSUER_FIELDS, "sender_name", "reply_to", "billing_basis")


def issuer_mapping() -> dict | None:
    """The partner as its invoices show it (what an issued invoice keeps)."""
    issuer = IssuerDetails.objects.filter(pk=1).first()
    return None if issuer is None else model_to_dict(issuer, fields=ISSUER_FIELDS)


def details_mapping() -> dict | None:
    """The partner's billing details as its page edits them: `issuer_mapping` and how it bills."""
    issuer = IssuerDetails.objects.filter(pk=1).first()
    return None if issuer is None else model_to_dict(issuer, fields=DETAILS_FIELDS)


def bills_in_advance() -> bool:
    """Whether the partner bills its customers in advance, from the month's estimate (`BillingBasis`)."""
    return IssuerDetails.objects.filter(pk=1, billing_basis=BillingBasis.IN_ADVANCE).exists()


def month_basis(year: int, month: int, in_advance: bool | None = None) -> str:
    """What the month's drafts are made from, today (`rules.draft_basis`); `in_advance`: `bills_in_advance`,
    when the partner's details are read already."""
    if in_advance is None:
        in_advance = bills_in_advance()
    return rules.draft_basis(in_advance=in_advance, year=year, month=month, today=clock.today())


def customer_billing_get(*, user, domain_id: int) -> CustomerBilling | None:
    check(user, VIEW_INVOICING)
    return CustomerBilling.objects.filter(domain_id=domain_id).first()


def customer_get(*, user, domain_id: int):
    """The customer whose billing details are edited (None when not in the portal)."""
    check(user, VIEW_INVOICING)
    return customers.customer_get(user=user, domain_id=domain_id)


def customers_without_details():
    """Customers still in the API without billing details, in name order (the worklist's section)."""
    return customers.customers_lacking(having=CustomerBilling.objects.values("domain_id"))


def customers_without_details_count() -> int:
    """How many customers still in the API have no billing details (the worklist section's count), in one query:
    the row the database keeps (`WithoutDetailsCount`), which costs the same however many customers there are,
    or, without that row (a database emptied by TRUNCATE), the count of them (both databases evaluate COALESCE's
    second subquery only when the first is NULL)."""
    counted, params = customers_without_details().order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT n FROM {WithoutDetailsCount._meta.db_table} LIMIT 1), "
            f"(SELECT COUNT(*) FROM ({counted}) without_details))",
            params,
        )
        return int(cursor.fetchone()[0])


def default_month() -> tuple[int, int]:
    """The month whose invoices are made now: the one that closed last (its LINE WORKS invoice arrived on the
    1st), or, for a partner that bills in advance, the running month."""
    if bills_in_advance():
        today = clock.today()
        return today.year, today.month
    return billing.last_closed_month()


def _recipients(domain_ids) -> dict[int, dict]:
    return {
        row["domain_id"]: row
        for row in CustomerBilling.objects.filter(domain_id__in=list(domain_ids)).values(
            "domain_id", *RECIPIENT_FIELDS
        )
    }


@dataclass(kw_only=True)
class _DraftsMonth:
    """What a month's drafts stand on, worked out (`MonthDrafts`) or kept (`KeptDrafts`): `_drafts_month`."""

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


def _drafts_month(*, user, year: int, month: int) -> dict:
    """`_DraftsMonth`'s fields of the month, read now (the partner's details once: whether they are missing, how
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
class MonthDrafts(_DraftsMonth):
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
    return MonthDrafts(drafts=found, **_drafts_month(user=user, year=year, month=month))


#: The states the month's drafts are filtered by (`draft_page`).
DRAFT_READY, DRAFT_BLOCKED, DRAFT_ISSUED = DraftState.READY, DraftState.BLOCKED, DraftState.ISSUED


# --- the drafts kept: what the month's pages read ------------------------------------------------------------

#: The kept drafts' name among the copies kept (`portal.core.kept`).
DRAFTS_KEPT = "invoicing.drafts"
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
        "book": billing.price_book_fingerprint(),
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
        row.worked_at, copies_changed_count(row.worked_at), row.basis != drafts_basis(year, month)
    )


@dataclass(kw_only=True)
class KeptDrafts(_DraftsMonth):
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
    """The month's drafts as kept, counted and totalled by state in SQL; a month behind (or never worked out) is
    queued for the worker (`portal.core.kept`), never worked out here."""
    check(user, VIEW_INVOICING)
    state = kept.ask(DRAFTS_KEPT, year, month)
    figures = DraftCopy.objects.filter(year=year, month=month).aggregate(
        n=Count("pk"),
        n_ready=Count("pk", filter=Q(state=DraftState.READY)),
        n_blocked=Count("pk", filter=Q(state=DraftState.BLOCKED)),
        n_issued=Count("pk", filter=Q(state=DraftState.ISSUED)),
        sum_total=Coalesce(Sum("total", filter=~Q(state=DraftState.BLOCKED)), 0),
        sum_ready=Coalesce(Sum("total", filter=Q(state=DraftState.READY)), 0),
        sum_previous=Coalesce(Sum("previous_total"), 0),
    )
    return KeptDrafts(
        kept=state,
        count=figures["n"],
        ready_count=figures["n_ready"],
        blocked_count=figures["n_blocked"],
        issued_count=figures["n_issued"],
        total=figures["sum_total"],
        previous_total=figures["sum_previous"],
        ready_total=figures["sum_ready"],
        **_drafts_month(user=user, year=year, month=month),
    )


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


def issued_get(*, user, number: int) -> IssuedInvoice | None:
    check(user, VIEW_INVOICING)
    return IssuedInvoice.objects.filter(number=number).first()


# --- corrections ---------------------------------------------------------------------------------------


def corrections_of(*, user, invoice: IssuedInvoice) -> list[IssuedInvoice]:
    """The credit notes and corrected invoices that refer to `invoice`, in number order (without their PDFs)."""
    check(user, VIEW_INVOICING)
    return list(IssuedInvoice.objects.filter(original=invoice).order_by("number"))


def credit_left(invoice: IssuedInvoice) -> list[int]:
    """What is left to credit on each of `invoice`'s lines (its amounts less its credit notes')."""
    notes = IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE).values_list(
        "lines", flat=True
    )
    return corrections.remaining(invoice.lines, list(notes))


def credit_preview(invoice: IssuedInvoice, credits: dict[int, int]) -> dict:
    """What a credit note of `credits` (line index → yen) of `invoice` would say: its lines, totals per rate
    and total (the service computes it again under the counter's lock when it issues)."""
    earlier = list(
        IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE).values_list(
            "lines", "per_rate"
        )
    )
    lines = corrections.credit_lines(
        invoice.lines, credits, corrections.remaining(invoice.lines, [e[0] for e in earlier])
    )
    per_rate = corrections.credit_per_rate(
        original_lines=invoice.lines,
        original_per_rate=invoice.per_rate,
        earlier=earlier,
        lines=lines,
        rounding=settings.INVOICE_TAX_ROUNDING,
    )
    return {"lines": lines, "per_rate": per_rate, "total": sum(r["amount"] + r["tax"] for r in per_rate)}


def issued_by_submission(*, user, key: str) -> IssuedInvoice | None:
    """The document a form submission (its idempotency key) issued already: a double submit finds it."""
    check(user, VIEW_INVOICING)
    if not re.fullmatch(r"[0-9a-f]{32}", key or ""):
        return None  # not a key the forms make (`ChangeForm.idempotency_key`): nothing was issued by it
    return IssuedInvoice.objects.filter(idempotency_key__in=[key, f"{key}+"]).order_by("-number").first()


# --- the issued-invoice search: by issue date, total and customer, the three keys the law names ----------

#: The search's orders. Each key's columns are an index's (`IssuedInvoice.Meta.indexes`: issue date and number,
#: total and number; a customer's by domainId and issue date), so a page is read from the index in order.
ISSUED_SORTS = Sorts(
    {
        "date": ("issue_date", "number"),
        "number": ("number",),
        "total": ("total", "number"),
    },
    default="-date",
)


@dataclass(frozen=True)
class IssuedFilters:
    q: str = ""
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    total_min: int | None = None
    total_max: int | None = None
    kind: str = ""
    sort: str = ISSUED_SORTS.default


#: The columns a row of the search reads (never the PDF).
ISSUED_FIELDS = (
    "number",
    "kind",
    "year",
    "month",
    "domain_id",
    "customer_name",
    "issue_date",
    "subtotal",
    "tax",
    "total",
    "due_date",
    "pdf_sha256",
    "original__number",
    "original__issue_date",
)


def issued_list(*, user, filters: IssuedFilters) -> QuerySet[IssuedInvoice]:
    """Issued invoices, credit notes and corrected invoices, filtered by issue date range, total range (tax
    included; a credit note's is negative), kind and customer (company, domain, customer code or domainId:
    `customers.selectors.customer_search`), in the chosen order."""
    check(user, VIEW_INVOICING)
    qs = IssuedInvoice.objects.all()
    if filters.issued_from:
        qs = qs.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        qs = qs.filter(issue_date__lte=filters.issued_to)
    if filters.total_min is not None:
        qs = qs.filter(total__gte=filters.total_min)
    if filters.total_max is not None:
        qs = qs.filter(total__lte=filters.total_max)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    found = customers.customers_found(filters.q) if filters.q else None
    if found is not None:
        # The customers found read once into a hash (planned apart) while the order's index is walked.
        qs = qs.filter(domain_id__in=planned_apart(found))
    return ISSUED_SORTS.order(qs, filters.sort)


def issued_page(*, user, filters: IssuedFilters, page, per_page: int):
    """One page of `issued_list`: its rows' columns only (`ISSUED_FIELDS`, the original's number joined).

    Counted apart and up to the lists' cap (`lists.paginate`'s `separate_count`), then the page alone along the
    order's index: a window count beside the rows made the database read and sort every issued invoice (a year
    of a partner's: hundreds of thousands) on every page. Searched, the customers found are a subquery planned
    apart (`lists.planned_apart`): the page walks the order's index, keeping the invoices of those customers,
    and stops after the page; the count probes the customers' invoices until one past the cap. As an array
    computed first, PostgreSQL read every invoice of every customer a common word finds and sorted them all
    for one page (`python -m bench scale`, the search by a common word)."""
    return paginate(
        issued_list(user=user, filters=filters),
        page=page,
        per_page=per_page,
        fields=ISSUED_FIELDS,
        separate_count=True,
    )


# --- price edits on drafts -----------------------------------------------------------------------------


def draft_price_edits(
    *, user, year: int, month: int, domain_id: int
) -> dict[tuple[str, str], DraftPriceEdit]:
    """The price edits of one customer's draft, by (item, plan)."""
    check(user, VIEW_INVOICING)
    return {
        (e.item_id, e.plan): e
        for e in DraftPriceEdit.objects.filter(year=year, month=month, domain_id=domain_id)
    }


# --- sending and being paid ------------------------------------------------------------------------------


def credited(invoice: IssuedInvoice) -> int:
    """What the credit notes referring to the invoice take off what it owes (their totals are negative)."""
    notes = IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE)
    return -notes.aggregate(total=Coalesce(Sum("total"), 0))["total"]


def paid(invoice: IssuedInvoice) -> int:
    return invoice.payments.aggregate(paid=Coalesce(Sum("amount"), 0))["paid"]


def owed(invoice: IssuedInvoice) -> int:
    """What the invoice still asks: its total less what is paid and what credit notes took off (never below 0)."""
    return max(invoice.total - paid(invoice) - credited(invoice), 0)


def overdue_invoices(*, today: dt.date):
    """Issued invoices past their due date and not fully paid or credited, the longest overdue first (the
    worklist's section), as rows of what each still asks (`OpenInvoice`: `owed`, `paid`, `due_date`, `number`;
    the invoice's own columns through `invoice__`): read along the open invoices' due-date index, however many
    invoices were ever issued."""
    return OpenInvoice.objects.filter(due_date__lt=today).order_by("due_date", "number")


@dataclass
class IssuedRow:
    """An issued invoice as the month's issued page shows it: where it goes, its last attempt to send it and its
    last one that went out (with how many did), what is paid."""

    invoice: IssuedInvoice
    email: str
    last_sending: InvoiceSending | None
    paid: int
    today: dt.date
    #: What credit notes took off it (a credit note itself owes nothing and is not paid).
    credited: int = 0
    #: The last attempt that went out, and how many did (an invoice may be sent again).
    last_sent: InvoiceSending | None = None
    times_sent: int = 0

    @property
    def sent(self) -> bool:
        """Sent at least once (a later attempt to send it again may have failed or be under way)."""
        return self.times_sent > 0

    @property
    def failed(self) -> bool:
        return self.last_sending is not None and self.last_sending.outcome == InvoiceSending.Outcome.FAILED

    @property
    def sending(self) -> bool:
        return self.last_sending is not None and self.last_sending.outcome == InvoiceSending.Outcome.SENDING

    @property
    def owed(self) -> int:
        if self.invoice.kind == DocumentKind.CREDIT_NOTE:
            return 0
        return max(self.invoice.total - self.paid - self.credited, 0)

    @property
    def payment_state(self) -> str:
        if self.invoice.kind == DocumentKind.CREDIT_NOTE:
            return "credit_note"
        if self.owed == 0:
            return "credited" if self.credited and self.paid < self.invoice.total else "paid"
        return "partly" if self.paid or self.credited else "unpaid"

    @property
    def overdue(self) -> bool:
        return self.owed > 0 and self.invoice.due_date < self.today


def _issued_rows(invoices: list[IssuedInvoice]) -> list[IssuedRow]:
    ids = [i.pk for i in invoices]
    emails = dict(
        CustomerBilling.objects.filter(domain_id__in={i.domain_id for i in invoices}).values_list(
            "domain_id", "invoice_email"
        )
    )
    last: dict[int, InvoiceSending] = {}
    last_sent: dict[int, InvoiceSending] = {}
    times_sent: dict[int, int] = {}
    for attempt in InvoiceSending.objects.filter(invoice_id__in=ids).order_by("attempted_at", "pk"):
        last[attempt.invoice_id] = attempt
        if attempt.outcome == InvoiceSending.Outcome.SENT:
            last_sent[attempt.invoice_id] = attempt
            times_sent[attempt.invoice_id] = times_sent.get(attempt.invoice_id, 0) + 1
    paid_by = dict(
        InvoicePayment.objects.filter(invoice_id__in=ids)
        .order_by()
        .values("invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("invoice_id", "s")
    )
    credited_by = dict(
        IssuedInvoice.objects.filter(original_id__in=ids, kind=DocumentKind.CREDIT_NOTE)
        .order_by()
        .values("original_id")
        .annotate(s=-Sum("total"))
        .values_list("original_id", "s")
    )
    today = clock.today()
    return [
        IssuedRow(
            invoice=i,
            email=emails.get(i.domain_id) or (i.recipient or {}).get("invoice_email") or "",
            last_sending=last.get(i.pk),
            last_sent=last_sent.get(i.pk),
            times_sent=times_sent.get(i.pk, 0),
            paid=paid_by.get(i.pk, 0),
            today=today,
            credited=credited_by.get(i.pk, 0),
        )
        for i in invoices
    ]


def month_issued(*, user, year: int, month: int) -> list[IssuedRow]:
    """The month's issued documents in number order, each with its e-mail, last sending, payments and credit
    notes (five queries whatever their number)."""
    check(user, VIEW_INVOICING)
    invoices = list(IssuedInvoice.objects.filter(year=year, month=month).order_by("number"))
    return _issued_rows(invoices)


def send_run_latest(*, user, year: int, month: int) -> SendRun | None:
    check(user, VIEW_INVOICING)
    return SendRun.objects.filter(year=year, month=month).order_by("-requested_at", "-pk").first()


def sending_by_submission(*, user, key: str) -> InvoiceSending | None:
    """The attempt a "send again" form submission made already (a double click, a reload), if any."""
    check(user, VIEW_INVOICING)
    if not key:
        return None
    return InvoiceSending.objects.filter(idempotency_key=key).first()


@dataclass
class IssuedDetail:
    row: IssuedRow
    sendings: list[InvoiceSending]
    payments: list[InvoicePayment]


def issued_detail(*, user, number: int) -> IssuedDetail | None:
    """One issued invoice with every attempt to send it and every payment, newest first."""
    check(user, VIEW_INVOICING)
    invoice = IssuedInvoice.objects.filter(number=number).first()
    if invoice is None:
        return None
    [row] = _issued_rows([invoice])
    return IssuedDetail(
        row=row,
        sendings=list(invoice.sendings.select_related("attempted_by").order_by("-attempted_at", "-pk")),
        payments=list(invoice.payments.select_related("recorded_by").order_by("-paid_on", "-pk")),
    )
