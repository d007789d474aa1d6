"""A customer's statement of account (取引明細・残高): its page (a period, the lines with their balance), its PDF
and its workbook or CSV, each for the period the query names (twelve months to today by default)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, urlencode
from django.views.decorators.http import require_GET

from invoicing import document, exports, selectors
from invoicing.forms import StatementForm
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import require
from portal.core.downloads import table_response
from portal.core.shortcuts import found_or_404


def _period(request: HttpRequest) -> StatementForm:
    return StatementForm(request.GET)


def _query(form: StatementForm) -> str:
    return urlencode(
        {"start": form.cleaned_data["start"].isoformat(), "end": form.cleaned_data["end"].isoformat()}
    )


def _back_to_page(domain_id: int, request: HttpRequest) -> HttpResponse:
    """A file asked for a period the form refuses: the page, which says why."""
    return redirect(f"{reverse('invoicing:statement', args=[domain_id])}?{request.GET.urlencode()}")


@require(VIEW_INVOICING)
@require_GET
def statement(request: HttpRequest, domain_id: int) -> HttpResponse:
    """The customer's statement for the period the query names, with its PDF and workbook."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    form = _period(request)
    context: dict = {"customer": customer, "form": form}
    if form.is_valid():
        data = form.cleaned_data
        context["statement"] = selectors.customer_statement(
            user=request.user, domain_id=domain_id, start=data["start"], end=data["end"]
        )
        context["query"] = _query(form)
        # The period as it was read (an empty field: its default), so that the form shows what the lines cover.
        context["form"] = StatementForm(initial={"start": data["start"], "end": data["end"]})
    return render(request, "invoicing/statement.html", context, status=200 if form.is_valid() else 400)


@require(VIEW_INVOICING)
@require_GET
def statement_pdf(request: HttpRequest, domain_id: int) -> HttpResponse:
    """The statement as a PDF for the customer, in the language it is invoiced in."""
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    form = _period(request)
    if not form.is_valid():
        return _back_to_page(domain_id, request)
    data = form.cleaned_data
    found = selectors.customer_statement(
        user=request.user, domain_id=domain_id, start=data["start"], end=data["end"]
    )
    billing = selectors.customer_billing_get(user=request.user, domain_id=domain_id)
    pdf = document.statement_pdf(
        statement=found,
        company=customer.company_name,
        billing=billing,
        issuer=selectors.issuer_get(user=request.user),
        language=billing.language if billing else "ja",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"statement-{domain_id}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require(VIEW_INVOICING)
@require_GET
def statement_export(request: HttpRequest, domain_id: int) -> HttpResponseBase:
    """The statement as the workbook or a CSV, as every download (portal/core/downloads.py)."""
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    form = _period(request)
    if not form.is_valid():
        return _back_to_page(domain_id, request)
    data = form.cleaned_data
    found = selectors.customer_statement(
        user=request.user, domain_id=domain_id, start=data["start"], end=data["end"]
    )
    name = f"statement-{domain_id}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}"
    return table_response(request, exports.statement_table(found), name=name)
