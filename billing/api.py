"""The billing area of the portal's API (portal/core/api/): LINE WORKS' invoices of the last months, and one
month's invoice items with the details page's filters and paging; and Finance's own writes, each as its page
makes it (its form, its service, its audit entry; `writes.local_write`): a price added to the price book, a month
closed or reopened, costs learned from LINE WORKS' invoice accepted into the price book."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from billing import costs, rules, selectors, services
from billing.forms import CostAcceptForm, PriceEntryForm, ReopenForm
from billing.lists import ITEM_LIST
from billing.permissions import CHANGE_BILLING, REOPEN_MONTHS, VIEW_BILLING
from portal.core import clock
from portal.core.access import can
from portal.core.api import ApiArea, ErrorOut, change_body, list_answer, local_write, paged
from portal.core.api import errors as api_errors
from portal.core.api.lists import query_schema
from portal.core.api.schemas import Strict
from portal.core.formbase import PortalForm

router = Router()
AREA = ApiArea(
    key="billing", label=_("Billing"), read=VIEW_BILLING, write=CHANGE_BILLING, router=router, order=50
)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
WRITE_ERRORS = {status: ErrorOut for status in (401, 403, 404, 409, 422, 428, 429)}


class InvoiceOut(Schema):
    year: int
    month: int
    invoice_no: int | None
    used_amount: int
    option_plus_amount: int
    penalty_amount: int
    total_amount: int
    payment_status: str
    issued_time: dt.datetime | None
    paid_time: dt.datetime | None
    open_findings: int
    open_findings_capped: bool
    synced_at: dt.datetime


class ItemOut(Schema):
    domain_id: int
    domain: str
    customer_name: str
    customer_code: str
    subscription_id: int | None
    item_type: str
    item_id: str
    sub_item_id: str
    plan: str
    start_date: dt.date | None
    end_date: dt.date | None
    license_count: int | None
    member_count: int | None
    quantity: int | None
    status: str
    amount: int | None
    flagged: bool


class Month(Schema):
    year: int = Field(..., ge=2000, le=2099)
    month: int = Field(..., ge=1, le=12)


@router.get(
    "/invoices",
    auth=AREA.reads,
    response={200: list[InvoiceOut], **READ_ERRORS},
    url_name="billing_invoices",
    summary="LINE WORKS' invoices of the last twelve months, oldest first, as on the Invoices page",
)
def invoice_list(request: HttpRequest):
    return selectors.invoice_list(user=request.user)


ItemQuery = query_schema(ITEM_LIST, "ItemQuery")


@router.get(
    "/{year}/{month}/items",
    auth=AREA.reads,
    response={200: paged(ItemOut, "ItemPage"), **READ_ERRORS},
    url_name="billing_items",
    summary="One month's invoice items, filtered and paged as on its details page",
)
def item_list(request: HttpRequest, when: Path[Month], filters: Query[ItemQuery]):  # type: ignore[valid-type]
    year, month = when.year, when.month  # type: ignore[attr-defined]
    return list_answer(
        request,
        ITEM_LIST,
        lambda state: selectors.item_page(
            user=request.user,
            year=year,
            month=month,
            filters=state.filters,
            page=state.page,
            per_page=state.per_page,
        ),
        form_kwargs={"items": selectors.item_values(year=year, month=month)},
    )


# --- Finance's writes: the portal's own data, with a dry run and an Idempotency-Key as a change's ----------------


class PriceOut(Schema):
    """A price added to the price book: checked (a dry run) or added."""

    dry_run: bool
    result: str = Field(description="would_add (a dry run) or added")
    message: str
    item_id: str
    sub_item_id: str
    plan: str
    domain_id: int | None
    customer: str = Field(description="The customer the price is only for, as its form names it; empty: all.")
    cost: int
    price: int
    effective_from: dt.date
    entry_id: int | None = None


BillingPriceAddBody = change_body(PriceEntryForm, "BillingPriceAddBody")


@router.post(
    "/prices",
    auth=AREA.writes,
    response={200: PriceOut, **WRITE_ERRORS},
    url_name="billing_price_add",
    summary="Add a price to the price book from a day, for every customer or one",
)
def price_add(request: HttpRequest, body: BillingPriceAddBody):  # type: ignore[valid-type]
    """As the price book's page: a price in force is never rewritten, and a price in force in a closed month is
    refused; in the audit trail (portal.addPrice) with the token. Nothing is sent to LINE WORKS."""

    def what(form) -> dict:
        return {**form.entry(), "customer": form.cleaned_data["customer"]}

    def checked(form) -> dict:
        return {
            **what(form),
            "result": "would_add",
            "message": gettext("Nothing was added. This is what would be added."),
        }

    def added(form) -> dict:
        entry = services.price_entry_create(user=request.user, **form.entry())
        return {
            **what(form),
            "result": "added",
            "message": gettext("The price is added."),
            "entry_id": entry.pk,
        }

    return local_write(
        request,
        body,
        form=lambda data: PriceEntryForm(data, user=request.user),
        answer=checked,
        write=added,
        refused=(services.MonthClosed,),
        said=_closed_words,
        out=PriceOut,
    )


def _closed_words(exc: Exception) -> str:
    assert isinstance(exc, services.MonthClosed)
    return rules.closed_month_words(exc.year, exc.month)


class MonthClosingOut(Schema):
    """A month closed or reopened: checked (a dry run) or done."""

    dry_run: bool
    result: str = Field(
        description="would_close or would_reopen (a dry run), closed or reopened",
    )
    message: str
    year: int
    month: int
    reason: str = ""


class BillingMonthCloseBody(Strict):
    dry_run: bool = Field(False, description="Check and say what would be done; do nothing.")


@router.post(
    "/{year}/{month}/close",
    auth=AREA.writes,
    response={200: MonthClosingOut, **WRITE_ERRORS},
    url_name="billing_month_close",
    summary="Close a month that has ended: its findings, explanations and prices become read-only",
)
def month_close(request: HttpRequest, when: Path[Month], body: BillingMonthCloseBody):  # type: ignore[valid-type]
    """As the month's page: only once the month has ended, and once; in the audit trail
    (portal.closeBillingMonth) with the token."""
    year, month = when.year, when.month  # type: ignore[attr-defined]
    if not rules.closable(year, month, clock.today()):
        refusal = rules.not_closable_words()
    elif selectors.month_is_closed(year=year, month=month):
        refusal = rules.closed_month_words(year, month)
    else:
        refusal = None

    def closed(form) -> dict:
        services.month_close(user=request.user, year=year, month=month, today=clock.today())
        return {
            "result": "closed",
            "message": rules.closed_now_words(year, month),
            "year": year,
            "month": month,
        }

    return local_write(
        request,
        body,
        form=PortalForm,  # the page's button posts nothing else
        answer=lambda form: {
            "result": "would_close",
            "message": gettext("Nothing was closed. The month can be closed."),
            "year": year,
            "month": month,
        },
        write=closed,
        refused=(services.MonthClosed, services.MonthNotClosable),
        said=lambda exc: (
            rules.closed_month_words(year, month)
            if isinstance(exc, services.MonthClosed)
            else rules.not_closable_words()
        ),
        refusal=refusal,
        out=MonthClosingOut,
    )


BillingMonthReopenBody = change_body(ReopenForm, "BillingMonthReopenBody")


@router.post(
    "/{year}/{month}/reopen",
    auth=AREA.writes,
    response={200: MonthClosingOut, **WRITE_ERRORS},
    url_name="billing_month_reopen",
    summary="Reopen a closed month, with the reason (Admins only)",
)
def month_reopen(request: HttpRequest, when: Path[Month], body: BillingMonthReopenBody):  # type: ignore[valid-type]
    """As the month's reopening page: an Admin's only, with a reason; in the audit trail
    (portal.reopenBillingMonth) with the token and the reason."""
    if not can(request.user, REOPEN_MONTHS):
        raise api_errors.forbidden()
    year, month = when.year, when.month  # type: ignore[attr-defined]
    closed = selectors.month_is_closed(year=year, month=month)

    def what(form, result: str, message: str) -> dict:
        return {"result": result, "message": message, "year": year, "month": month, **form.cleaned_data}

    def reopened(form) -> dict:
        services.month_reopen(user=request.user, year=year, month=month, reason=form.cleaned_data["reason"])
        return what(form, "reopened", rules.reopened_words(year, month))

    return local_write(
        request,
        body,
        form=ReopenForm,
        answer=lambda form: what(
            form, "would_reopen", gettext("Nothing was reopened. The month can be reopened.")
        ),
        write=reopened,
        refused=(services.MonthNotClosable,),
        said=lambda exc: rules.not_closed_words(year, month),
        refusal=None if closed else rules.not_closed_words(year, month),
        out=MonthClosingOut,
    )


class CostOut(Schema):
    key: str = Field(description="The cost's key, as `keys` names it: product or option|sub option|plan.")
    item_id: str
    sub_item_id: str
    plan: str
    cost: int = Field(description="The unit cost LINE WORKS' invoice says (yen a month).")
    cost_before: int | None = Field(description="The price book's cost in force on the month's first day.")
    price: int | None = Field(description="The price to the customer the new entry keeps (null: not set).")
    entry_id: int | None = None


class CostsAcceptOut(Schema):
    """Costs learned from LINE WORKS' invoice: checked (a dry run) or added to the price book."""

    dry_run: bool
    result: str = Field(description="would_add (a dry run) or added")
    message: str
    year: int
    month: int
    effective_from: dt.date
    costs: list[CostOut]


BillingCostsAcceptBody = change_body(CostAcceptForm, "BillingCostsAcceptBody", leave_out=("confirmed",))


@router.post(
    "/{year}/{month}/costs/accept",
    auth=AREA.writes,
    response={200: CostsAcceptOut, **WRITE_ERRORS},
    url_name="billing_costs_accept",
    summary="Accept costs learned from LINE WORKS' invoice of a month into the price book: those named, or all",
)
def costs_accept(request: HttpRequest, when: Path[Month], body: BillingCostsAcceptBody):  # type: ignore[valid-type]
    """As the month's costs page: `keys` (those its proposal lists) or `choice` "all"; each from the month's first
    day, for every customer, keeping the price to the customer in force then; twice adds nothing; in the audit
    trail (portal.acceptInvoiceCost) with the token. The dry run answers what the page's confirmation lists."""
    year, month = when.year, when.month  # type: ignore[attr-defined]
    proposal = selectors.cost_proposal(user=request.user, year=year, month=month)
    acceptable = {r.key: r for r in proposal["to_accept"]}

    def what(form, entries: dict[str, int]) -> dict:
        return {
            "year": year,
            "month": month,
            "effective_from": dt.date(year, month, 1),
            "costs": [
                {
                    "key": key,
                    "item_id": acceptable[key].item_id,
                    "sub_item_id": acceptable[key].sub_item_id,
                    "plan": acceptable[key].plan,
                    "cost": acceptable[key].unit_cost,
                    "cost_before": acceptable[key].book_cost,
                    "price": acceptable[key].price,
                    "entry_id": entries.get(key),
                }
                for key in form.cleaned_data["keys"]
            ],
        }

    def added(form) -> dict:
        keys = form.cleaned_data["keys"]
        entries = services.invoice_cost_accept(user=request.user, year=year, month=month, keys=keys)
        made = {costs.key_of(e.item_id, e.sub_item_id, e.plan): e.pk for e in entries}
        return {
            **what(form, made),
            "result": "added",
            "message": rules.costs_accepted_words(len(entries), year, month),
        }

    return local_write(
        request,
        body,
        form=lambda data: CostAcceptForm(data, acceptable=list(acceptable)),
        answer=lambda form: {
            **what(form, {}),
            "result": "would_add",
            "message": gettext("Nothing was added. These costs would be added to the price book."),
        },
        write=added,
        refused=(services.NothingToAccept, services.MonthClosed),
        said=lambda exc: (
            _closed_words(exc) if isinstance(exc, services.MonthClosed) else rules.nothing_to_accept_words()
        ),
        refusal=rules.closed_month_words(year, month) if proposal["closed"] else None,
        out=CostsAcceptOut,
    )
