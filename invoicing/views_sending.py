"""The pages of issued invoices (Finance and Admins): the month's issued invoices with where each goes, whether
it is sent and what is paid; sending one, or all of the month's not sent yet (in the background, with
progress); one invoice's page with every attempt to send it and every payment, and the form to record one."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from invoicing import exports, selectors, services
from invoicing.forms import PaymentForm, SendAgainForm
from invoicing.lists import MONTH_ISSUED_LIST
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from invoicing.views_shared import corrections_context, searched_state
from portal.core import clock, lists
from portal.core.access import Role, can, require, role_of
from portal.core.htmx import partial_for
from portal.core.journals.ledgers import journal_response
from portal.core.shortcuts import found_or_404


@require(VIEW_INVOICING)
@require_GET
def issued_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month's issued invoices, a page at a time on the list machinery (htmx swaps #results), by whether
    each went out and by customer: each one's e-mail, whether it is sent (or why it failed) and what is paid;
    above them what is left to send (counted up to the cap). A send run's progress is polled (htmx swaps only
    #send-run) while it runs."""
    run = selectors.send_run_latest(user=request.user, year=year, month=month)
    if partial_for(request, "send-run"):
        if run is None or run.finished_at is not None:
            return HttpResponseClientRefresh()
        return render(request, "invoicing/issued_month.html#run", {"run": run, "year": year, "month": month})
    state = searched_state(request, MONTH_ISSUED_LIST)
    page = selectors.month_issued_page(
        user=request.user,
        year=year,
        month=month,
        filters=state.filters,
        page=state.page,
        per_page=state.per_page,
    )
    context = {"year": year, "month": month, "can_change": can(request.user, CHANGE_INVOICING)}

    def full_context() -> dict:
        return {
            "run": run,
            "sending": selectors.month_sending(user=request.user, year=year, month=month),
            "issued_any": bool(page.object_list) or selectors.month_issued_any(year=year, month=month),
        }

    return lists.respond(request, state, page, context, full_context=full_context)


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def send_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Send the month's invoices not sent yet (in the background), once confirmed: the page says how many (up to
    the lists' cap), and how many have no e-mail address (they are not attempted)."""
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        try:
            services.month_send_request(user=request.user, year=year, month=month)
        except services.SendRefused as refused:
            messages.info(request, str(refused))
        else:
            messages.success(request, _("The month's invoices are being sent; progress shows below."))
        return redirect("invoicing:issued_month", year=year, month=month)
    return render(
        request,
        "invoicing/send_confirm.html",
        {
            "sending": selectors.month_sending(user=request.user, year=year, month=month),
            "year": year,
            "month": month,
        },
    )


def _issued_page(request: HttpRequest, number: int, form: PaymentForm | None = None, status: int = 200):
    found = found_or_404(selectors.issued_detail(user=request.user, number=number))
    if form is None:
        today = clock.today()
        form = PaymentForm(
            owed=found.row.owed, today=today, initial={"amount": found.row.owed, "paid_on": today}
        )
    invoice = found.row.invoice
    corrections = corrections_context(request, invoice)
    reminding = selectors.reminder_state(user=request.user, invoice=invoice, today=clock.today())
    history = selectors.document_history(
        invoice,
        sendings=found.sendings,
        payments=found.payments,
        corrections=corrections["corrections"],
        reminders=reminding.reminders,
    )
    return render(
        request,
        "invoicing/issued.html",
        {
            "found": found,
            "invoice": invoice,
            "form": form,
            "can_change": can(request.user, CHANGE_INVOICING),
            # What the mail server said, for Admins: the sentence of each failure is for everyone.
            "show_detail": role_of(request.user) is Role.ADMIN,
            "history": history,
            "reminding": reminding,
            **corrections,
        },
        status=status,
    )


@require(VIEW_INVOICING)
@require_GET
def issued(request: HttpRequest, number: int) -> HttpResponse:
    """One issued document as it was issued (kind, parties, lines, totals per rate, its PDF and SHA-256), the
    invoice it corrects and the documents that correct it, every attempt to send it, every payment and what it
    still owes."""
    return _issued_page(request, number)


def _sent_or_said(request: HttpRequest, number: int, sent: str | None, **send) -> None:
    """Send one invoice (`services.invoice_send`) and say the outcome: `sent` (with its number and address; a
    first sending's words when None), the failure in the reader's words, or why nothing was sent."""
    try:
        attempt = services.invoice_send(number=number, **send)
    except services.SendRefused as refused:
        messages.info(request, str(refused))
        return
    said = services.attempt_words(attempt, number=number, sent=sent)
    if attempt.outcome == attempt.Outcome.SENT:
        messages.success(request, said)
    else:
        messages.error(request, said)


@require(CHANGE_INVOICING)
@require_POST
def send(request: HttpRequest, number: int) -> HttpResponse:
    """Send one issued invoice now; the outcome is recorded on it (a failure with its reason, to retry). A second
    click while it is sent or being sent sends nothing."""
    found_or_404(selectors.issued_get(user=request.user, number=number))
    _sent_or_said(request, number, None, user=request.user)
    back = request.POST.get("back")
    if back == "month":
        invoice = selectors.issued_get(user=request.user, number=number)
        return redirect("invoicing:issued_month", year=invoice.year, month=invoice.month)
    return redirect("invoicing:issued", number=number)


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def send_again(request: HttpRequest, number: int) -> HttpResponse:
    """Send an invoice sent already once more (the customer lost it, or its address was put right): the page
    names the address it goes to and when it was last sent; confirmed, one more attempt is recorded beside
    the others. Sent once per confirmation: a double click is sent to the first one's outcome, and a second
    user confirming the same page sends nothing more."""
    found = found_or_404(selectors.issued_detail(user=request.user, number=number))
    row = found.row
    if request.method == "POST":
        done = selectors.sending_by_submission(
            user=request.user, key=str(request.POST.get("idempotency_key", ""))
        )
        if done is not None:
            messages.info(request, _("This form was already sent: its outcome is below."))
            return redirect("invoicing:issued", number=number)
    form = SendAgainForm(
        request.POST if request.method == "POST" else None,
        initial={"to": row.email, "times_sent": row.times_sent},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        _sent_or_said(
            request,
            number,
            _("Invoice No. %(number)s is sent again to %(to)s."),
            user=request.user,
            again=d["times_sent"],
            key=d["idempotency_key"],
            to=d["to"],
            reason=d["reason"],
        )
        return redirect("invoicing:issued", number=number)
    return render(
        request,
        "invoicing/send_again.html",
        {
            "invoice": row.invoice,
            "row": row,
            "form": form,
            "can_send": bool(row.sent and row.email and not row.sending),
        },
    )


@require(CHANGE_INVOICING)
@require_POST
def payment(request: HttpRequest, number: int) -> HttpResponse:
    """Record a payment of an issued invoice (all of what it owes, or part), audited."""
    found = found_or_404(selectors.issued_detail(user=request.user, number=number))
    form = PaymentForm(request.POST, owed=found.row.owed, today=clock.today())
    if form.is_valid():
        try:
            services.payment_record(actor=request.user, number=number, **form.cleaned_data)
        except services.PaymentRefused as refused:
            form.add_error("amount", str(refused))
        else:
            messages.success(request, _("The payment is recorded."))
            return redirect("invoicing:issued", number=number)
    return _issued_page(request, number, form=form)


@require(VIEW_INVOICING)
@require_GET
def sales_journal(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    """The month's issued invoices as a sales journal for the ledger the query names (Yayoi Kaikei by default,
    Money Forward, freee; see invoicing/exports.py and portal/core/journals/); a month without an issued invoice
    is a page that says so (404), never an empty file."""
    entries = exports.sales_journal_entries(user=request.user, year=year, month=month)
    if entries is None:
        return render(
            request, "invoicing/sales_journal_missing.html", {"year": year, "month": month}, status=404
        )
    return journal_response(request, entries, name=f"sales-journal-{year}-{month:02d}")
