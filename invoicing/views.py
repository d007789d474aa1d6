"""The invoicing pages (Finance and Admins): the month's drafts (totals, difference from last month, issue them
in one step with progress), a draft's preview, the partner's billing details and a customer's."""

from __future__ import annotations

import base64
import logging

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from invoicing import rules, selectors, services, storage
from invoicing.forms import CustomerBillingForm, IssuerDetailsForm
from invoicing.imports import BILLING_DETAILS
from invoicing.lists import DRAFTS_LIST
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.selectors import bank as bank_reads
from invoicing.selectors import debit as debit_reads
from invoicing.views_shared import debit_account_form
from portal.core import lists
from portal.core.access import Role, can, require, role_of
from portal.core.downloads import Table, table_response
from portal.core.htmx import partial_for
from portal.core.imports.views import import_page
from portal.core.lists import ListState
from portal.core.shortcuts import found_or_404

logger = logging.getLogger(__name__)


@require(VIEW_INVOICING)
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The invoicing room opens on the drafts of the month whose invoices are made now (the one that closed
    last), the same page as that month's own address."""
    year, month = selectors.default_month()
    return drafts(request, year=year, month=month)


@require(VIEW_INVOICING)
@require_GET
def drafts(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month's drafts: ready, blocked (with why) and issued, their totals beside last month's, a page at a
    time and by state on the list machinery (htmx swaps #results); the issue run's progress is polled (htmx
    swaps only #issue-run) while it runs."""
    if partial_for(request, "issue-run"):
        run = selectors.issue_run_latest(user=request.user, year=year, month=month)
        if run is None or run.finished_at is not None:
            # Done: the whole page again, its drafts now issued (the poll runs only while a run is under way).
            return HttpResponseClientRefresh()
        return render(request, "invoicing/drafts.html#run", {"run": run, "year": year, "month": month})
    found = selectors.kept_drafts(user=request.user, year=year, month=month)
    state = ListState.from_request(request, DRAFTS_LIST)
    page = selectors.draft_page(found, state=state.filters, page=state.page, per_page=state.per_page)
    context = {
        "found": found,
        "run": found.run,
        "year": year,
        "month": month,
        "can_change": can(request.user, CHANGE_INVOICING),
        "previous": rules.month_before(year, month),
    }
    return lists.respond(request, state, page, context)


@require(VIEW_INVOICING)
@require_GET
def draft(request: HttpRequest, year: int, month: int, domain_id: int) -> HttpResponse:
    """One draft as its invoice would read, in the invoice's language."""
    found = found_or_404(selectors.draft_get(user=request.user, year=year, month=month, domain_id=domain_id))
    issuer = selectors.issuer_mapping()
    return render(
        request,
        "invoicing/draft.html",
        {
            "draft": found,
            "issuer": issuer,
            "year": year,
            "month": month,
            "can_change": can(request.user, CHANGE_INVOICING),
        },
    )


@require(VIEW_INVOICING)
@require_GET
def pdf(request: HttpRequest, number: int) -> HttpResponse:
    """An issued invoice's PDF, the bytes stored when it was issued (its SHA-256 in a header)."""
    invoice = found_or_404(selectors.issued_get(user=request.user, number=number))
    if not invoice.pdf_ready:
        # Numbered, its PDF not rendered yet (or its worker died): a page that says so, never empty bytes.
        preparing = render(request, "invoicing/pdf_preparing.html", {"invoice": invoice}, status=409)
        preparing["Retry-After"] = "5"
        return preparing
    try:
        data = invoice.pdf_bytes()
    except storage.DocumentUnavailable as unavailable:
        # Changed, gone, or the store not answering: said as such, never other bytes than those issued.
        logger.error("invoice_pdf_unavailable: invoice %s, %s", invoice.number, unavailable)
        context = {
            "invoice": invoice,
            "reason": unavailable.reason,
            "detail": (
                " — ".join(filter(None, [unavailable.name, unavailable.detail]))
                if role_of(request.user) is Role.ADMIN
                else ""
            ),
        }
        return render(request, "invoicing/pdf_unavailable.html", context, status=503)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, invoice.pdf_filename)
    # RFC 9530: the stored SHA-256 of exactly these bytes, so a download can be checked against the record.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(invoice.pdf_sha256)).decode()}:"
    return response


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def issue(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Issue the month's ready drafts (in the background; the drafts page shows the progress), once confirmed:
    an issued invoice is final. Without the confirmation, the page says how many, for what total, and why."""
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        try:
            services.month_issue_request(user=request.user, year=year, month=month)
        except services.IssueRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("The month's invoices are being issued; progress shows below."))
        return redirect("invoicing:drafts", year=year, month=month)
    found = selectors.kept_drafts(user=request.user, year=year, month=month)
    return render(
        request,
        "invoicing/issue_confirm.html",
        {
            "ready": found.ready_count,
            "total": found.ready_total,
            "kept": found.kept,
            "year": year,
            "month": month,
        },
    )


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def issuer(request: HttpRequest) -> HttpResponse:
    """The partner's own billing details, as its invoices show them."""
    current = selectors.details_mapping()
    form = IssuerDetailsForm(request.POST if request.method == "POST" else None, initial=current)
    if form.is_bound and form.is_valid():
        if services.issuer_details_set(actor=request.user, **form.cleaned_data):
            messages.success(request, _("The partner's billing details are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("invoicing:start")
    return render(request, "invoicing/issuer.html", {"form": form})


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def customer(request: HttpRequest, domain_id: int) -> HttpResponse:
    """How one customer is billed: to whom, where, by which e-mail, in which language, and whether at all."""
    found = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    row = selectors.customer_billing_get(user=request.user, domain_id=domain_id)
    initial = (
        {key: getattr(row, key) for key in selectors.RECIPIENT_FIELDS}
        if row
        else {"billed": True, "bill_to_name": found.company_name, "language": "ja"}
    )
    form = CustomerBillingForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        values = {"company": found.company_name}
        if services.customer_billing_set(actor=request.user, domain_id=domain_id, **form.cleaned_data):
            messages.success(request, _("The billing details of %(company)s are saved.") % values)
        else:
            messages.info(request, _("Nothing changed: %(company)s already had these details.") % values)
        back = request.POST.get("next", "")
        if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
            return redirect(back)
        return redirect("invoicing:start")
    return render(
        request,
        "invoicing/customer.html",
        {
            "customer": found,
            "form": form,
            "next": request.GET.get("next", request.POST.get("next", "")),
            "transfer_names": bank_reads.transfer_names(domain_id=domain_id),
            "has_details": row is not None,
            "debit_account": (
                account := debit_reads.debit_account_get(user=request.user, domain_id=domain_id)
            ),
            "debit_form": debit_account_form(account),
            "credit": bank_reads.customer_credit(domain_id=domain_id),
            "reminder_pause": selectors.reminder_pause_get(user=request.user, domain_id=domain_id),
        },
    )


@require(VIEW_INVOICING)
@require_GET
def billing_details_export(request: HttpRequest) -> HttpResponseBase:
    """Every customer still in the API with its billing details (empty cells when it has none), in the layout
    the import reads back (`invoicing.imports.BILLING_DETAILS`): workbook, CSV in UTF-8 or Shift_JIS."""
    rows = selectors.billing_details_rows(user=request.user)
    table = Table(header=BILLING_DETAILS.header(), rows=(BILLING_DETAILS.table_row(row) for row in rows))
    return table_response(request, table, name="billing-details")


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def billing_details_import(request: HttpRequest) -> HttpResponse:
    """Customers' billing details from a file: upload, dry run row by row, apply all or nothing."""
    return import_page(
        request,
        BILLING_DETAILS,
        back_url=reverse("invoicing:start"),
        back_label=_("Customer invoices"),
        download_url=reverse("invoicing:billing_details_export"),
    )
