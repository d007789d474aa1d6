"""The customer invoices' area of the portal's API (portal/core/api/): the issued invoices, credit notes and
corrected invoices, with the search page's filters and paging; and a payment received, recorded as the issued
invoice's page records it (its form, its service, its audit entry)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from invoicing import selectors, services
from invoicing.forms import PaymentForm
from invoicing.lists import ISSUED_LIST
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from portal.core import clock
from portal.core.api import ApiArea, ApiId, ErrorOut, change_body, list_answer, local_write, paged
from portal.core.api import errors as api_errors
from portal.core.api.lists import query_schema

router = Router()
AREA = ApiArea(
    key="invoicing",
    label=_("Customer invoices"),
    read=VIEW_INVOICING,
    write=CHANGE_INVOICING,
    router=router,
    prefix="customer-invoices",
    order=60,
)


class IssuedOut(Schema):
    number: int
    kind: str
    year: int
    month: int
    domain_id: int
    customer_name: str
    issue_date: dt.date
    due_date: dt.date
    subtotal: int
    tax: int
    total: int
    original_number: int | None
    original_issue_date: dt.date | None
    pdf_sha256: str


IssuedQuery = query_schema(ISSUED_LIST, "IssuedQuery")


@router.get(
    "",
    auth=AREA.reads,
    response={
        200: paged(IssuedOut, "IssuedPage"),
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    url_name="customer_invoices",
    summary="Issued invoices, credit notes and corrected invoices, searched and paged as on their search page",
)
def issued_list(request: HttpRequest, filters: Query[IssuedQuery]):  # type: ignore[valid-type]
    """Searched (`q`) without a `sort`, they come in customer order, as the search page opens."""

    def read(state):
        if state.filters.q and not request.GET.get("sort"):
            state = replace(state, filters=replace(state.filters, sort=selectors.SEARCHED_SORT))
        return selectors.issued_page(
            user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
        )

    return list_answer(request, ISSUED_LIST, read)


class PaymentOut(Schema):
    """A payment received: checked (a dry run) or recorded."""

    dry_run: bool
    result: str = Field(description="would_record (a dry run) or recorded")
    message: str
    number: int
    amount: int
    paid_on: dt.date
    owed_before: int
    owed_after: int
    payment_id: int | None = None


InvoicePaymentBody = change_body(PaymentForm, "InvoicePaymentBody")


@router.post(
    "/{number}/payments",
    auth=AREA.writes,
    response={200: PaymentOut, **{status: ErrorOut for status in (401, 403, 404, 409, 422, 428, 429)}},
    url_name="customer_invoice_payment",
    summary="Record a payment received for an issued invoice: all it still owes, or part",
)
def invoice_payment(request: HttpRequest, number: ApiId, body: InvoicePaymentBody):  # type: ignore[valid-type]
    """As the issued invoice's page: never more than it still owes, never dated in the future; in the audit
    trail (portal.recordInvoicePayment) with the token. Nothing is sent to LINE WORKS."""
    found = selectors.issued_detail(user=request.user, number=number)
    if found is None:
        raise api_errors.not_found()
    owed = found.row.owed

    def what(form) -> dict:
        d = form.cleaned_data
        return {"number": number, "amount": d["amount"], "paid_on": d["paid_on"], "owed_before": owed}

    def checked(form) -> dict:
        return {
            **what(form),
            "result": "would_record",
            "message": gettext("Nothing was recorded. This is what would be recorded."),
            "owed_after": owed - form.cleaned_data["amount"],
        }

    def recorded(form) -> dict:
        payment = services.payment_record(actor=request.user, number=number, **form.cleaned_data)
        after = selectors.issued_detail(user=request.user, number=number)
        return {
            **what(form),
            "result": "recorded",
            "message": gettext("The payment is recorded."),
            "owed_after": after.row.owed if after else 0,
            "payment_id": payment.pk,
        }

    return local_write(
        request,
        body,
        form=lambda data: PaymentForm(data, owed=owed, today=clock.today()),
        answer=checked,
        write=recorded,
        refused=(services.PaymentRefused,),
        out=PaymentOut,
    )
