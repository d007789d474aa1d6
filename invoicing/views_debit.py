"""The direct debit pages (口座振替; Finance and Admins): a customer's debit account, the runs made and a new one
for a debit date (the open invoices it can collect, chosen, then the request file to download), and one run with
the import of the bank's result file (each debit's result in words)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.templatetags.billing import yen
from invoicing import selectors
from invoicing.bank import direct_debit, reading
from invoicing.bank.statement import BankFileRefused
from invoicing.forms import DebitDateForm, DebitResultForm, DebitRunForm
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.selectors import debit as debit_reads
from invoicing.services import debit as debit_writes
from invoicing.views_shared import debit_account_form
from portal.core.access import can, require
from portal.core.shortcuts import found_or_404


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def debit_account(request: HttpRequest, domain_id: int) -> HttpResponse:
    """A customer's direct debit account (also offered on its billing details' page, which posts here)."""
    found = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    has_details = selectors.customer_billing_get(user=request.user, domain_id=domain_id) is not None
    account = debit_reads.debit_account_get(user=request.user, domain_id=domain_id)
    posted = request.POST if request.method == "POST" else None
    form = debit_account_form(account, posted)
    if posted is not None and form.is_valid():
        try:
            changed = debit_writes.debit_account_set(
                actor=request.user, domain_id=domain_id, **form.cleaned_data
            )
        except debit_writes.DebitRefused as refused:
            form.add_error(None, str(refused))
        else:
            values = {"company": found.company_name}
            if changed:
                messages.success(request, _("The direct debit account of %(company)s is saved.") % values)
            else:
                messages.info(request, _("Nothing changed: %(company)s already had this account.") % values)
            return redirect("invoicing:customer", domain_id=domain_id)
    return render(
        request,
        "invoicing/debit_account.html",
        {"customer": found, "form": form, "account": account, "has_details": has_details},
    )


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _debit_page(request: HttpRequest, date_form: DebitDateForm, run_form: DebitRunForm | None = None):
    debit_date = date_form.cleaned_data["debit_date"] if date_form.is_bound and date_form.is_valid() else None
    most = debit_reads.REQUEST_MAX
    found = (
        debit_reads.collectable(user=request.user, debit_date=debit_date, limit=most + 1)
        if debit_date
        else []
    )
    rows = found[:most]
    return render(
        request,
        "invoicing/debit.html",
        {
            "page_obj": debit_reads.runs_page(user=request.user, page=_page_number(request)),
            "date_form": date_form,
            "run_form": run_form,
            "debit_date": debit_date,
            "rows": rows,
            "total": sum(row.owed for row in rows),
            "more": len(found) > most,
            "request_max": most,
            "collector": debit_reads.collector(),
            "can_change": can(request.user, CHANGE_INVOICING),
        },
    )


@require(VIEW_INVOICING)
@require_GET
def debit(request: HttpRequest) -> HttpResponse:
    """The direct debit runs, the latest first; for a debit date chosen, the open invoices it can collect."""
    date_form = DebitDateForm(request.GET if "debit_date" in request.GET else None)
    return _debit_page(request, date_form)


@require(CHANGE_INVOICING)
@require_POST
def debit_run_make(request: HttpRequest) -> HttpResponse:
    """Make a run of the invoices chosen for the debit date, its request file ready to download."""
    date_form = DebitDateForm(request.POST)
    day = date_form.cleaned_data["debit_date"] if date_form.is_valid() else None
    offered = (
        [
            r.number
            for r in debit_reads.collectable(user=request.user, debit_date=day, limit=debit_reads.REQUEST_MAX)
        ]
        if day
        else []
    )
    form = DebitRunForm(request.POST, numbers=offered)
    if form.is_valid():
        try:
            run = debit_writes.debit_run_make(
                actor=request.user,
                debit_date=form.cleaned_data["debit_date"],
                numbers=form.cleaned_data["numbers"],
            )
        except debit_writes.DebitRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("The request of %(n)s debits (%(total)s) is made: download its file for the bank.")
                % {"n": run.count, "total": yen(run.total)},
            )
            return redirect("invoicing:debit_run", run_id=run.pk)
    return _debit_page(request, date_form, form if day else None)  # a bad date: its error alone


def _run_page(request: HttpRequest, run, form: DebitResultForm | None = None, status: int = 200):
    page = debit_reads.run_items_page(run, page=request.GET.get("page"))
    for item in page.object_list:
        item.said = (
            str(direct_debit.RESULTS.get(item.result, direct_debit.RESULTS["9"])) if item.result else ""
        )
    return render(
        request,
        "invoicing/debit_run.html",
        {
            "run": run,
            "page_obj": page,
            "form": form or DebitResultForm(),
            "can_change": can(request.user, CHANGE_INVOICING),
        },
        status=status,
    )


@require(VIEW_INVOICING)
@require_GET
def debit_run(request: HttpRequest, run_id: int) -> HttpResponse:
    """One run: its debits and, once the bank's result is imported, what became of each."""
    run = found_or_404(debit_reads.run_get(user=request.user, run_id=run_id))
    return _run_page(request, run)


@require(VIEW_INVOICING)
@require_GET
def debit_run_file(request: HttpRequest, run_id: int) -> HttpResponse:
    """The run's request file as it was made (its SHA-256 in `Repr-Digest`)."""
    run = found_or_404(debit_reads.run_get(user=request.user, run_id=run_id))
    response = HttpResponse(bytes(run.request_file), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, run.download_name)
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(run.request_sha256)).decode()}:"
    return response


@require(CHANGE_INVOICING)
@require_POST
def debit_run_results(request: HttpRequest, run_id: int) -> HttpResponse:
    """Import the bank's result file of the run: collected debits paid, refused ones left open with why."""
    run = found_or_404(debit_reads.run_get(user=request.user, run_id=run_id))
    form = DebitResultForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            reading.size_checked(upload.size)
            imported = debit_writes.debit_results_import(
                actor=request.user, run_id=run.pk, data=upload.read(), file_name=upload.name
            )
        except (BankFileRefused, debit_writes.DebitRefused) as refused:
            form.add_error("file", str(refused))
        else:
            if imported.done_now:
                messages.success(request, _("The bank's result is imported: the collected debits are paid."))
            else:
                messages.info(request, _("This result file was imported before; nothing more was recorded."))
            return redirect("invoicing:debit_run", run_id=run.pk)
    return _run_page(request, run, form)


@require(CHANGE_INVOICING)
@require_POST
def debit_run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    """Cancel a run whose result has not come: its invoices can go in another run."""
    run = found_or_404(debit_reads.run_get(user=request.user, run_id=run_id))
    try:
        done = debit_writes.debit_run_cancel(actor=request.user, run_id=run.pk)
    except debit_writes.DebitRefused as refused:
        messages.error(request, str(refused))
    else:
        if done:
            messages.success(
                request, _("The request is cancelled: its invoices can be debited in another one.")
            )
        else:
            messages.info(request, _("This request was cancelled already."))
    return redirect("invoicing:debit_run", run_id=run.pk)
