"""The customer invoices' area of the portal's API (portal/core/api/): the issued invoices, credit notes and
corrected invoices, with the search page's filters and paging; and, as the issued invoice's page makes them (its
form, its service, its audit entry): a payment received, recorded; the invoice sent to the customer; and a month's
ready drafts issued, as the month's drafts page issues them (in the background)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from invoicing import selectors, services
from invoicing.forms import PaymentForm
from invoicing.lists import ISSUED_LIST
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from portal.core import clock
from portal.core.api import ApiArea, ApiId, ErrorOut, change_body, list_answer, local_write, paged
from portal.core.api.lists import query_schema
from portal.core.api.schemas import Strict
from portal.core.formbase import PortalForm
from portal.core.shortcuts import found_or_404

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
    found = found_or_404(selectors.issued_detail(user=request.user, number=number))
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


class SendOut(Schema):
    """An issued invoice sent by e-mail with its PDF: checked (a dry run) or attempted."""

    dry_run: bool
    result: str = Field(
        description="would_send (a dry run), sent or failed (recorded on the invoice, to retry)"
    )
    message: str
    number: int
    to: str = Field(description="The customer's e-mail address for invoices, where it goes.")
    attempt_id: int | None = None


class CustomerInvoiceSendBody(Strict):
    dry_run: bool = Field(False, description="Check and say where it would go; send nothing.")


@router.post(
    "/{number}/send",
    auth=AREA.writes,
    response={200: SendOut, **{status: ErrorOut for status in (401, 403, 404, 409, 422, 428, 429)}},
    url_name="customer_invoice_send",
    summary="Send an issued invoice to the customer by e-mail, with its PDF (a first sending, or a retry)",
)
def invoice_send(request: HttpRequest, number: ApiId, body: CustomerInvoiceSendBody):
    """As the issued invoice's page: to the customer's e-mail for invoices, never twice (a sending under way or
    done is refused); a failure is recorded on the invoice with its reason, to retry; in the audit trail
    (portal.sendCustomerInvoice) with the token. Nothing is sent to LINE WORKS."""
    found_or_404(selectors.issued_get(user=request.user, number=number))
    try:
        _invoice, to = services.invoice_sendable(number=number)
    except services.SendRefused as refused:
        why: str | None = str(refused)
        to = ""
    else:
        why = None

    def sent(form) -> dict:
        attempt = services.invoice_send(user=request.user, number=number)
        return {
            "result": str(attempt.outcome),
            "message": services.attempt_words(attempt, number=number),
            "number": number,
            "to": attempt.to,
            "attempt_id": attempt.pk,
        }

    return local_write(
        request,
        body,
        form=PortalForm,  # the page's button posts nothing else
        answer=lambda form: {
            "result": "would_send",
            "message": gettext("Nothing was sent. This is where it would go."),
            "number": number,
            "to": to,
        },
        write=sent,
        refused=(services.SendRefused,),
        refusal=why,
        out=SendOut,
    )


class Month(Schema):
    year: int = Field(..., ge=2000, le=2099)
    month: int = Field(..., ge=1, le=12)


class IssueOut(Schema):
    """A month's ready drafts: checked (a dry run), or being issued in the background."""

    dry_run: bool
    result: str = Field(description="would_issue (a dry run) or issuing")
    message: str
    year: int
    month: int
    ready: int = Field(description="How many drafts are ready to issue.")
    total: int = Field(description="Their total with tax, in yen.")
    run_id: int | None = Field(None, description="The run issuing them (a run under way is resumed).")


class CustomerInvoicesIssueBody(Strict):
    dry_run: bool = Field(False, description="Check and say what would be issued; issue nothing.")


@router.post(
    "/months/{year}/{month}/issue",
    auth=AREA.writes,
    response={200: IssueOut, **{status: ErrorOut for status in (401, 403, 404, 409, 422, 428, 429)}},
    url_name="customer_invoices_issue",
    summary="Issue a month's ready drafts, in the background: an issued invoice is final",
)
def month_issue(request: HttpRequest, when: Path[Month], body: CustomerInvoicesIssueBody):  # type: ignore[valid-type]
    """As the month's drafts page, once confirmed (the dry run is the confirmation): each ready draft numbered
    and issued by the worker, its PDF rendered; a run under way is resumed, and what is issued is skipped. Each
    invoice issued is in the audit trail (portal.issueCustomerInvoice) under the token's owner."""
    year, month = when.year, when.month  # type: ignore[attr-defined]
    try:
        ready, _run = services.month_issue_check(user=request.user, year=year, month=month)
    except services.IssueRefused as refused:
        why: str | None = str(refused)
        ready = []
    else:
        why = None
    what = {"year": year, "month": month, "ready": len(ready), "total": sum(d.total for d in ready)}

    def issuing(form) -> dict:
        run = services.month_issue_request(user=request.user, year=year, month=month)
        return {
            **what,
            "result": "issuing",
            "message": gettext(
                "The month's invoices are being issued: each is among the issued invoices once issued."
            ),
            "run_id": run.pk,
        }

    return local_write(
        request,
        body,
        form=PortalForm,  # the page's confirmation posts nothing else
        answer=lambda form: {
            **what,
            "result": "would_issue",
            "message": gettext("Nothing was issued. This is what would be issued."),
        },
        write=issuing,
        refused=(services.IssueRefused,),
        refusal=why,
        out=IssueOut,
    )
