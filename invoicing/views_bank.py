"""The bank statement pages (Finance and Admins): the statements imported and the import of a new one (a Zengin
入出金明細 or a bank's CSV), one statement's lines with the invoice proposed for each (confirm one, or all the
certain ones; explain a line that pays no invoice), and the banks' CSV layouts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.templatetags.billing import yen
from invoicing.bank import reading
from invoicing.bank.statement import BankFileRefused
from invoicing.bank_words import confidence_words, line_reason
from invoicing.forms import BankCsvMappingForm, BankExplainForm, BankImportForm, BankMatchForm
from invoicing.models import BankCsvMapping
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.selectors import bank as bank_reads
from invoicing.services import bank as bank_writes
from portal.core.access import can, require
from portal.core.shortcuts import found_or_404


def _page_number(request: HttpRequest) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _statements_page(request: HttpRequest, form: BankImportForm | None = None) -> HttpResponse:
    mappings = bank_reads.csv_mappings(user=request.user)
    return render(
        request,
        "invoicing/bank_statements.html",
        {
            "page_obj": bank_reads.statements_page(user=request.user, page=_page_number(request)),
            "form": form or BankImportForm(mappings=mappings),
            "can_change": can(request.user, CHANGE_INVOICING),
        },
    )


@require(VIEW_INVOICING)
@require_GET
def bank_statements(request: HttpRequest) -> HttpResponse:
    """The bank statements imported, newest first, with what is left to match in each; the import form."""
    return _statements_page(request)


@require(CHANGE_INVOICING)
@require_POST
def bank_import(request: HttpRequest) -> HttpResponse:
    """Import a bank file: its new credit lines stored and proposed an invoice each; a bad file is refused with
    why, on the same page."""
    form = BankImportForm(request.POST, request.FILES, mappings=bank_reads.csv_mappings(user=request.user))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            reading.size_checked(upload.size)
            statement = bank_writes.bank_statement_import(
                actor=request.user, data=upload.read(), file_name=upload.name, mapping_id=form.mapping_id()
            )
        except bank_writes.AlreadyImported as known:
            messages.info(request, str(known))
            return redirect("invoicing:bank_statement", statement_id=known.statement.pk)
        except BankFileRefused as refused:
            form.add_error("file", str(refused))
        else:
            messages.success(
                request,
                _("%(n)s incoming payments imported; %(certain)s are matched with certainty, to confirm.")
                % {"n": statement.credits, "certain": bank_reads.statement_figures(statement).certain},
            )
            return redirect("invoicing:bank_statement", statement_id=statement.pk)
    return _statements_page(request, form)


@require(VIEW_INVOICING)
@require_GET
def bank_statement(request: HttpRequest, statement_id: int) -> HttpResponse:
    """One statement: its figures and its lines (to match, matched, explained, or all), each with the invoice
    proposed and why, the forms to confirm or explain it."""
    statement = found_or_404(bank_reads.statement_get(user=request.user, statement_id=statement_id))
    state = request.GET.get("state", "open")
    page = bank_reads.statement_lines(statement=statement, state=state, page=_page_number(request))
    proposed = bank_reads.invoices_named([x.proposed for x in page.object_list if x.proposed])
    for line in page.object_list:
        line.reason_words = line_reason(line)
        line.confidence_words = confidence_words(line.confidence)
        line.proposed_invoice = proposed.get(line.proposed)
    return render(
        request,
        "invoicing/bank_statement.html",
        {
            "statement": statement,
            "figures": bank_reads.statement_figures(statement),
            "page_obj": page,
            "state": state if state in bank_reads.STATES else "all",
            "states": [
                ("open", _("To match")),
                ("matched", _("Matched")),
                ("explained", _("Explained")),
                ("all", _("All")),
            ],
            "explain_form": BankExplainForm(),
            "can_change": can(request.user, CHANGE_INVOICING),
        },
    )


def _back(request: HttpRequest, statement_id: int) -> HttpResponse:
    state = request.POST.get("state", "")
    url_state = f"?state={state}" if state in {*bank_reads.STATES, "all"} else ""
    response = redirect("invoicing:bank_statement", statement_id=statement_id)
    response["Location"] += url_state
    return response


@require(CHANGE_INVOICING)
@require_POST
def bank_line_confirm(request: HttpRequest, line_id: int) -> HttpResponse:
    """Confirm a line for an invoice: its payment recorded once (a second click finds it matched)."""
    line = found_or_404(bank_reads.line_get(user=request.user, line_id=line_id))
    form = BankMatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of the invoice the payment is for."))
        return _back(request, line.statement_id)
    number = form.cleaned_data["number"]
    try:
        done = bank_writes.bank_line_confirm(actor=request.user, line_id=line.pk, number=number)
    except bank_writes.MatchRefused as refused:
        messages.error(request, str(refused))
    else:
        if not done.done_now:
            messages.info(request, _("This payment was already dealt with; nothing more was recorded."))
        elif done.line.over_amount:
            messages.success(
                request,
                _("Invoice No. %(number)s is paid; %(over)s more than it owed is the customer's credit.")
                % {"number": number, "over": yen(done.line.over_amount)},
            )
        else:
            messages.success(
                request, _("The payment is recorded on invoice No. %(number)s.") % {"number": number}
            )
    return _back(request, line.statement_id)


@require(CHANGE_INVOICING)
@require_POST
def bank_confirm_certain(request: HttpRequest, statement_id: int) -> HttpResponse:
    """Confirm every certain proposal of the statement (the number and the amount, or the name and the amount)."""
    found_or_404(bank_reads.statement_get(user=request.user, statement_id=statement_id))
    done, refused = bank_writes.bank_lines_confirm_certain(actor=request.user, statement_id=statement_id)
    messages.success(request, _("%(n)s payments recorded.") % {"n": done})
    if refused:
        messages.info(
            request,
            _("%(n)s could not be: their invoice was paid meanwhile. Look at them below.") % {"n": refused},
        )
    return _back(request, statement_id)


@require(CHANGE_INVOICING)
@require_POST
def bank_rematch(request: HttpRequest, statement_id: int) -> HttpResponse:
    """Propose again for the lines still to match (invoices issued, paid or named since the import)."""
    found_or_404(bank_reads.statement_get(user=request.user, statement_id=statement_id))
    n = bank_writes.bank_statement_rematch(actor=request.user, statement_id=statement_id)
    messages.success(request, _("%(n)s lines were matched again.") % {"n": n})
    return _back(request, statement_id)


@require(CHANGE_INVOICING)
@require_POST
def bank_line_explain(request: HttpRequest, line_id: int) -> HttpResponse:
    """Explain a line that pays no invoice (a bank fee, not ours, a refund, ...)."""
    line = found_or_404(bank_reads.line_get(user=request.user, line_id=line_id))
    form = BankExplainForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the line pays no invoice."))
        return _back(request, line.statement_id)
    try:
        bank_writes.bank_line_explain(actor=request.user, line_id=line.pk, **form.cleaned_data)
    except bank_writes.MatchRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The line is explained."))
    return _back(request, line.statement_id)


@require(CHANGE_INVOICING)
@require_POST
def bank_line_reopen(request: HttpRequest, line_id: int) -> HttpResponse:
    """Take back a line's explanation: it is to match again (a matched line is not reopened here)."""
    line = found_or_404(bank_reads.line_get(user=request.user, line_id=line_id))
    try:
        bank_writes.bank_line_reopen(actor=request.user, line_id=line.pk)
    except bank_writes.MatchRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The line is to match again."))
    return _back(request, line.statement_id)


def _mapping_values(mapping: BankCsvMapping) -> dict:
    return {name: getattr(mapping, name) for name in bank_writes.MAPPING_FIELDS}


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def bank_mappings(request: HttpRequest) -> HttpResponse:
    """The banks' CSV layouts, and a new one."""
    return _mapping_page(request, None)


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def bank_mapping(request: HttpRequest, mapping_id: int) -> HttpResponse:
    """One bank's CSV layout, changed."""
    found_or_404(bank_reads.csv_mapping_get(user=request.user, mapping_id=mapping_id))
    return _mapping_page(request, mapping_id)


def _mapping_page(request: HttpRequest, mapping_id: int | None) -> HttpResponse:
    mapping = bank_reads.csv_mapping_get(user=request.user, mapping_id=mapping_id) if mapping_id else None
    initial = _mapping_values(mapping) if mapping else None
    form = BankCsvMappingForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            bank_writes.bank_mapping_set(actor=request.user, mapping_id=mapping_id, **form.cleaned_data)
        except bank_writes.MatchRefused as refused:
            form.add_error("name", str(refused))
        else:
            messages.success(request, _("The bank's CSV layout is kept."))
            return redirect("invoicing:bank_mappings")
    return render(
        request,
        "invoicing/bank_mappings.html",
        {"mappings": bank_reads.csv_mappings(user=request.user), "form": form, "mapping": mapping},
    )
