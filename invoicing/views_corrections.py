"""The corrections of an issued invoice (Finance and Admins): a credit note of all or part of it, and a
corrected invoice that replaces it (the issued document's own page, `views_sending.issued`, lists them). Both corrections are final, so each is confirmed on its page first and
issued once per submission (the form's idempotency key)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from invoicing import corrections, selectors, services
from invoicing.forms import CreditNoteForm
from invoicing.models import IssuedInvoice
from invoicing.permissions import CHANGE_INVOICING
from invoicing.views_shared import correctable
from portal.core.access import require
from portal.core.changes.forms import ChangeForm
from portal.core.shortcuts import found_or_404


def _issued_or_404(request: HttpRequest, number: int) -> IssuedInvoice:
    return found_or_404(selectors.issued_get(user=request.user, number=number))


def _already_issued(request: HttpRequest) -> HttpResponse | None:
    """A submission that issued its document already (a double click, a reload): that document's page."""
    if request.method != "POST":
        return None
    done = selectors.issued_by_submission(user=request.user, key=str(request.POST.get("idempotency_key", "")))
    if done is None:
        return None
    messages.info(request, _("This form was already sent: here is what it issued."))
    return redirect("invoicing:issued", number=done.number)


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def credit_note(request: HttpRequest, number: int) -> HttpResponse:
    """A credit note of all or part of an issued invoice: the amounts per line, then a confirmation stating
    the credit note's lines and totals (final), whose button issues it once."""
    invoice = _issued_or_404(request, number)
    if (done := _already_issued(request)) is not None:
        return done
    found = selectors.corrections_of(user=request.user, invoice=invoice)
    if not correctable(invoice, found):
        messages.error(request, _("This document cannot be credited: it is a credit note or was replaced."))
        return redirect("invoicing:issued", number=number)
    left = selectors.credit_left(invoice)
    form = CreditNoteForm(request.POST if request.method == "POST" else None, lines=invoice.lines, left=left)
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("confirmed") == "1":
            try:
                note = services.credit_note_issue(
                    user=request.user,
                    number=number,
                    credits=form.credits(),
                    return_date=d["return_date"],
                    reason=d["reason"],
                    customer_note=d["customer_note"],
                    key=d["idempotency_key"],
                )
            except corrections.CorrectionRefused as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(
                    request,
                    _("Credit note No. %(note)s is issued for invoice No. %(number)s.")
                    % {"note": note.number, "number": number},
                )
                return redirect("invoicing:issued", number=note.number)
        elif "edit" not in request.POST:
            try:
                preview = selectors.credit_preview(invoice, form.credits())
            except corrections.CorrectionRefused:
                form.add_error(None, _("A line is credited more than is left on it."))
    return render(
        request,
        "invoicing/credit_note.html",
        {"invoice": invoice, "form": form, "preview": preview, "left": any(left)},
    )


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, number: int) -> HttpResponse:
    """Replace an issued invoice: the page states the credit note of what is still owed on it and the
    corrected invoice made from the month's draft as it stands now, with the difference; its button issues
    both once."""
    invoice = _issued_or_404(request, number)
    if (done := _already_issued(request)) is not None:
        return done
    found = selectors.corrections_of(user=request.user, invoice=invoice)
    form = ChangeForm(request.POST if request.method == "POST" else None)
    problem = ""
    if not correctable(invoice, found):
        problem = _("This document cannot be corrected: it is a credit note or was replaced.")
    draft = None if problem else services.correction_draft(user=request.user, original=invoice)
    if not problem and draft is None:
        problem = _("The month has no draft for this customer any more: issue a credit note instead.")
    elif draft is not None and draft.blocked:
        problem = " ".join(draft.blocked)
    elif draft is not None and _same(invoice, draft):
        problem = _(
            "The month's draft says the same as this invoice: put the price book, a price on the draft or "
            "the billing details right first."
        )
    left = selectors.credit_left(invoice) if not problem else []
    owed = (
        selectors.credit_preview(invoice, {i: a for i, a in enumerate(left) if a})["total"]
        if any(left)
        else None
    )
    if request.method == "POST" and not problem and form.is_valid() and request.POST.get("confirmed") == "1":
        try:
            corrected = services.corrected_invoice_issue(
                user=request.user,
                number=number,
                reason=form.cleaned_data["reason"],
                key=form.cleaned_data["idempotency_key"],
            )
        except corrections.CorrectionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Invoice No. %(new)s replaces invoice No. %(number)s.")
                % {"new": corrected.number, "number": number},
            )
            return redirect("invoicing:issued", number=corrected.number)
    return render(
        request,
        "invoicing/correct.html",
        {"invoice": invoice, "draft": draft, "problem": problem, "form": form, "owed": owed},
    )


def _same(invoice: IssuedInvoice, draft) -> bool:
    """Whether the draft would issue what the invoice says (lines, totals and recipient)."""
    from invoicing import drafts

    recipient = {k: v for k, v in (draft.recipient or {}).items() if k != "domain_id"}
    return (
        drafts.lines_written(draft) == invoice.lines
        and draft.total == invoice.total
        and recipient == invoice.recipient
    )


# --- price edits on drafts -----------------------------------------------------------------------------


def _price_groups(draft) -> list[tuple[tuple[str, str], str, int, int]]:
    """(key, description, book price, price now) of each item and plan of the draft priced by the book."""
    from invoicing.drafts import editable

    groups: dict[tuple[str, str], tuple[tuple[str, str], str, int, int]] = {}
    for line in draft.lines:
        if editable(line) and (line.item_id, line.plan) not in groups:
            book = line.unit_price if line.book_price is None else line.book_price
            groups[(line.item_id, line.plan)] = (
                (line.item_id, line.plan),
                line.description(),
                book,
                line.unit_price,
            )
    return list(groups.values())


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def draft_prices(request: HttpRequest, year: int, month: int, domain_id: int) -> HttpResponse:
    """Change the unit prices of one draft that come from the price book (whole yen, not negative); each change
    is recorded, shown on the draft as changed from the book, and used when the draft is issued."""
    from invoicing.forms import DraftPricesForm

    draft = found_or_404(selectors.draft_get(user=request.user, year=year, month=month, domain_id=domain_id))
    groups = _price_groups(draft)
    form = DraftPricesForm(request.POST if request.method == "POST" else None, groups=groups)
    if request.method == "POST" and form.is_valid():
        changed = 0
        for (item_id, plan), book, price in form.prices():
            changed += services.draft_price_set(
                actor=request.user,
                year=year,
                month=month,
                domain_id=domain_id,
                item_id=item_id,
                plan=plan,
                unit_price=price,
                book_price=book,
            )
        if changed:
            messages.success(request, _("The draft's prices are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("invoicing:draft", year=year, month=month, domain_id=domain_id)
    return render(
        request,
        "invoicing/draft_prices.html",
        {"draft": draft, "form": form, "year": year, "month": month},
    )
