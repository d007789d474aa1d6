"""Billing pages: invoices (chart, arithmetic check, fetch a month), a month's invoice details (list, CSV),
its variance findings (explain one), the price book with margins, the costs learned from LINE WORKS' invoice
(accepted into the price book), and the exports for accounting."""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import estimate, exports, rules, selectors, services
from billing.forms import CostAcceptForm, ExplainForm, MonthForm, PriceEntryForm, ReopenForm
from billing.imports import PRICE_BOOK
from billing.lists import FINDING_LIST, ITEM_LIST
from billing.permissions import CHANGE_BILLING, REOPEN_MONTHS, VIEW_BILLING
from billing.rules import closed_month_words
from customers import selectors as customers_selectors
from portal.core import clock, lists
from portal.core.access import can, require
from portal.core.downloads import Table, table_response
from portal.core.htmx import partial_for
from portal.core.imports.views import import_page
from portal.core.journals.ledgers import journal_response
from portal.core.lists import ListState


@require(VIEW_BILLING)
@require_GET
def invoices(request: HttpRequest) -> HttpResponse:
    """The last 12 invoices: chart of totals, table with the arithmetic check, fetch of a month (progress
    polled while a fetch runs: htmx swaps only #fetch-runs). The estimates, which price every customer, are
    not worked out for the page itself: it asks for them once shown (htmx swaps #estimate with
    `?estimate=1`), or the link under their heading opens the page with them (without JavaScript)."""
    if partial_for(request, "estimate"):
        return render(request, "billing/_estimates.html", _estimates_context(request))
    runs = selectors.fetch_runs(user=request.user)
    running = [r for r in runs if r.finished_at is None]
    context = {"runs": runs, "running": running}
    if partial_for(request, "fetch-runs"):
        return render(request, "billing/invoices.html#runs", context)
    if request.GET.get("estimate") == "1":
        context.update(_estimates_context(request))
    rows = selectors.invoice_list(user=request.user)
    year, month = selectors.last_closed_month()
    # Once the last closed month is in, the next thing to do is to check it, not to fetch it again.
    closed_invoice = next((i for i in rows if (i.year, i.month) == (year, month)), None)
    return render(
        request,
        "billing/invoices.html",
        {
            **context,
            "invoices": list(reversed(rows)),
            "chart": selectors.invoice_chart(rows),
            "closed": {"year": year, "month": month},
            "closed_invoice": closed_invoice,
            "can_change": can(request.user, CHANGE_BILLING),
        },
    )


def _estimates_context(request: HttpRequest) -> dict:
    return {
        "estimates": selectors.estimates(user=request.user, top=ESTIMATE_ROWS),
        "cannot_know": estimate.CANNOT_KNOW,
        "can_change": can(request.user, CHANGE_BILLING),
    }


#: Customers the Invoices page lists per estimate, the largest first (the CSV holds every one).
ESTIMATE_ROWS = 20


@require(VIEW_BILLING)
@require_GET
def estimate_export(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    """The month's estimate of every customer, period by period (names, codes in extra columns)."""
    table = exports.estimate_table(user=request.user, year=year, month=month)
    return table_response(request, table, name=f"estimate-{year}-{month:02d}")


@require(VIEW_BILLING)
@require_GET
def estimate_invoice(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """A month's estimate beside its invoice, per customer: each difference explained by a known rule or listed
    to look at (with the month's findings)."""
    invoice = selectors.invoice_get(user=request.user, year=year, month=month)
    context = {"year": year, "month": month, "invoice": invoice, "cannot_know": estimate.CANNOT_KNOW}
    if invoice:
        # The copy's state first: a month behind is queued, and what is kept is read as it stands.
        context["kept"] = selectors.estimate_kept_state(user=request.user, year=year, month=month)
        figures, page = selectors.estimate_against_invoice(
            user=request.user,
            year=year,
            month=month,
            page=request.GET.get("page"),
            per_page=ESTIMATE_AGAINST_ROWS,
        )
        context.update(
            figures,
            page_obj=page,
            rows=page.object_list,
        )
    return render(request, "billing/estimate_invoice.html", context)


#: Customers whose estimate and invoice differ that a page lists (those to look at first).
ESTIMATE_AGAINST_ROWS = 50


@require(CHANGE_BILLING)
@require_POST
def fetch(request: HttpRequest) -> HttpResponse:
    """Queue the fetch of a usage month ("Fetch this month now")."""
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a month to fetch."))
        return redirect("billing:invoices")
    services.month_fetch_request(user=request.user, **form.cleaned_data)
    if selectors.month_is_closed(**form.cleaned_data):
        messages.success(
            request,
            _(
                "The month's invoice is being fetched; its details stay as they were checked, since the month is "
                "closed. Progress shows below."
            ),
        )
        return redirect("billing:invoices")
    messages.success(request, _("The month's invoice and details are being fetched; progress shows below."))
    return redirect("billing:invoices")


def _item_state(request: HttpRequest, year: int, month: int) -> ListState:
    return ListState.from_request(request, ITEM_LIST, items=selectors.item_values(year=year, month=month))


@require(VIEW_BILLING)
@require_GET
def details(request: HttpRequest, year: int, month: int) -> HttpResponse:
    state = _item_state(request, year, month)
    page = selectors.item_page(
        user=request.user,
        year=year,
        month=month,
        filters=state.filters,
        page=state.page,
        per_page=state.per_page,
    )
    return lists.respond(
        request,
        state,
        page,
        {"year": year, "month": month},
        full_context=lambda: {
            "invoice": selectors.invoice_get(user=request.user, year=year, month=month),
            "summary": selectors.month_summary(user=request.user, year=year, month=month),
            "can_change": can(request.user, CHANGE_BILLING),
        },
    )


@require(VIEW_BILLING)
@require_GET
def details_export(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    state = _item_state(request, year, month)
    qs = selectors.item_list(user=request.user, year=year, month=month, filters=state.filters)
    return lists.export(request, state, qs, name=f"invoice-details-{year}-{month:02d}")


@require(VIEW_BILLING)
@require_GET
def statement_export(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    """The re-billing statement of the month: per customer and item, the partner's price, tax once per
    customer (see billing/exports.py); the workbook or a CSV, as every export."""
    table = exports.statement_table(user=request.user, year=year, month=month)
    return table_response(request, table, name=f"rebilling-statement-{year}-{month:02d}")


@require(VIEW_BILLING)
@require_GET
def accounting_export(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    """The month's invoice as a journal for the ledger the query names (Yayoi Kaikei by default, Money Forward,
    freee; see billing/exports.py and portal/core/journals/); for a month without an invoice, a page that says so
    (404) rather than an empty file."""
    entries = exports.journal_entries(user=request.user, year=year, month=month)
    if entries is None:
        return render(request, "billing/journal_missing.html", {"year": year, "month": month}, status=404)
    return journal_response(request, entries, name=f"journal-{year}-{month:02d}")


def _findings_around(request: HttpRequest, year: int, month: int) -> dict:
    """What the findings page shows around its list (not its htmx answers): the customers the check could not
    check, whether the month may be reopened, and the margins the worker keeps beside the month's estimate."""
    margins, state = selectors.kept_margins(user=request.user, year=year, month=month)
    return {
        "unchecked": selectors.customers_unchecked(user=request.user, year=year, month=month),
        "can_reopen": can(request.user, REOPEN_MONTHS),
        "margins": margins,
        "kept": state,
    }


@require(VIEW_BILLING)
@require_GET
def findings(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month's findings, a page at a time (those to explain as it opens), with the month's closing state, the
    customers its check could not check and the margins per customer."""
    state = ListState.from_request(request, FINDING_LIST)
    page = selectors.finding_page(
        user=request.user,
        year=year,
        month=month,
        filters=state.filters,
        page=state.page,
        per_page=state.per_page,
    )
    return lists.respond(
        request,
        state,
        page,
        {
            "year": year,
            "month": month,
            "can_change": can(request.user, CHANGE_BILLING),
            "closing": selectors.month_closing_state(user=request.user, year=year, month=month),
        },
        full_context=lambda: _findings_around(request, year, month),
    )


@require(VIEW_BILLING)
@require_GET
def findings_export(request: HttpRequest, year: int, month: int) -> HttpResponseBase:
    state = ListState.from_request(request, FINDING_LIST)
    qs = selectors.finding_list(user=request.user, year=year, month=month, filters=state.filters)
    return lists.export(request, state, qs, name=f"findings-{year}-{month:02d}")


@require(CHANGE_BILLING)
@require_POST
def close_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Close a month that has ended: its findings, explanations and prices become read-only."""
    try:
        services.month_close(user=request.user, year=year, month=month, today=clock.today())
    except services.MonthClosed:
        messages.info(request, closed_month_words(year, month))
    except services.MonthNotClosable:
        messages.error(request, rules.not_closable_words())
    else:
        messages.success(request, rules.closed_now_words(year, month))
    return redirect("billing:findings", year=year, month=month)


@require(REOPEN_MONTHS)
def reopen_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The confirmation page of reopening a closed month (what it allows again, the reason), then the reopening."""
    state = selectors.month_closing_state(user=request.user, year=year, month=month)
    if not state["closed"]:
        messages.info(request, rules.not_closed_words(year, month))
        return redirect("billing:findings", year=year, month=month)
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        # Reopened meanwhile by another Admin: the month's page shows by whom.
        with contextlib.suppress(services.MonthNotClosable):
            services.month_reopen(
                user=request.user, year=year, month=month, reason=form.cleaned_data["reason"]
            )
        messages.success(request, rules.reopened_words(year, month))
        return redirect("billing:findings", year=year, month=month)
    return render(
        request,
        "billing/reopen.html",
        {"year": year, "month": month, "closing": state["closing"], "form": form},
    )


@require(CHANGE_BILLING)
@require_POST
def check_month(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Run the variance check of a month again (e.g. after the price book changed)."""
    try:
        counts = services.finding_month_check(year=year, month=month)
    except services.MonthClosed:
        messages.error(request, closed_month_words(year, month))
        return redirect("billing:findings", year=year, month=month)
    messages.success(request, _("Check done: %(n)d findings.") % {"n": sum(counts.values())})
    return redirect("billing:findings", year=year, month=month)


@require(CHANGE_BILLING)
def explain(request: HttpRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get(user=request.user, finding_id=pk)
    if finding is None:
        raise Http404
    closed = selectors.month_is_closed(year=finding.year, month=finding.month)
    form = ExplainForm(request.POST or None, initial={"note": finding.note})
    if request.method == "POST" and not closed and form.is_valid():
        try:
            services.finding_explain(user=request.user, finding_id=pk, note=form.cleaned_data["note"])
        except services.FindingNotFound as exc:
            raise Http404 from exc
        except services.MonthClosed:
            closed = True
        else:
            messages.success(request, _("The finding is marked explained."))
            return redirect("billing:findings", year=finding.year, month=finding.month)
    return render(
        request,
        "billing/explain.html",
        {
            "finding": finding,
            "form": form,
            "refusal": closed_month_words(finding.year, finding.month) if closed else "",
        },
        status=409 if closed and request.method == "POST" else 200,
    )


def _prices_page(request: HttpRequest, form: PriceEntryForm | None) -> HttpResponse:
    can_change = can(request.user, CHANGE_BILLING)
    if form is None and can_change:
        form = PriceEntryForm(user=request.user)
    page = selectors.price_entry_page(user=request.user, page=request.GET.get("page"), per_page=PRICE_ROWS)
    return render(
        request,
        "billing/prices.html",
        {
            "entries": page.object_list,
            "page_obj": page,
            "form": form,
            "can_change": can_change,
            "costs_month": selectors.cost_month_latest(user=request.user) if can_change else None,
        },
    )


#: Entries of the price book a page lists.
PRICE_ROWS = 25


@require(VIEW_BILLING)
@require_GET
def prices(request: HttpRequest) -> HttpResponse:
    """The price book (append-only: a new price starts at its date; earlier months keep theirs)."""
    return _prices_page(request, None)


@require(CHANGE_BILLING)
@require_POST
def price_add(request: HttpRequest) -> HttpResponse:
    form = PriceEntryForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.price_entry_create(user=request.user, **form.entry())
        except services.MonthClosed as closed:  # closed between the form's check and the write
            form.add_error(None, closed_month_words(closed.year, closed.month))
        else:
            messages.success(request, _("The price is added."))
            return redirect("billing:prices")
    return _prices_page(request, form)


@require(VIEW_BILLING)
@require_GET
def prices_export(request: HttpRequest) -> HttpResponseBase:
    """The price book (each entry in force from its day) in the layout its import reads back
    (`billing.imports.PRICE_BOOK`): workbook, CSV in UTF-8 or Shift_JIS."""
    rows = selectors.price_book_rows(user=request.user)
    table = Table(header=PRICE_BOOK.header(), rows=(PRICE_BOOK.table_row(row) for row in rows))
    return table_response(request, table, name="price-book")


@require(CHANGE_BILLING)
@require_http_methods(["GET", "POST"])
def prices_import(request: HttpRequest) -> HttpResponse:
    """The price book from a file: upload, dry run row by row, apply all or nothing."""
    return import_page(
        request,
        PRICE_BOOK,
        back_url=reverse("billing:prices"),
        back_label=_("Price book"),
        download_url=reverse("billing:prices_export"),
    )


@require(CHANGE_BILLING)
@require_GET
def price_customers(request: HttpRequest) -> HttpResponse:
    """The price form's pick list of customers matching what was typed (its `<datalist>`'s options, swapped in
    by htmx as the user types)."""
    q = str(request.GET.get("customer", ""))[:300]
    found = customers_selectors.customers_to_pick(user=request.user, q=q)
    return render(
        request,
        "billing/_customer_options.html",
        {"options": [customers_selectors.customer_pick_label(c) for c in found]},
    )


def _costs_page(request: HttpRequest, year: int, month: int, form: CostAcceptForm | None) -> HttpResponse:
    proposal = selectors.cost_proposal(user=request.user, year=year, month=month)
    if form is None:
        form = CostAcceptForm(acceptable=[r.key for r in proposal["to_accept"]])
    return render(request, "billing/costs.html", {"year": year, "month": month, "form": form, **proposal})


@require(CHANGE_BILLING)
@require_GET
def costs(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month's "Costs from LINE WORKS": what its invoice says each product or option costs a month per unit,
    beside the price book and the previous month's invoice, to accept all or some; and the lines that cannot be
    a price, with why."""
    return _costs_page(request, year, month, None)


@require(CHANGE_BILLING)
@require_POST
def costs_accept(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """Accept costs learned from the month's invoice: first a confirmation of exactly what is added (before and
    after), then, confirmed, the price book's new entries (one transaction, audited; twice adds nothing)."""
    proposal = selectors.cost_proposal(user=request.user, year=year, month=month)
    acceptable = {r.key: r for r in proposal["to_accept"]}
    form = CostAcceptForm(request.POST, acceptable=list(acceptable))
    if proposal["closed"]:
        messages.error(request, closed_month_words(year, month))
        return redirect("billing:costs", year=year, month=month)
    if not form.is_valid():
        return _costs_page(request, year, month, form)
    keys = form.cleaned_data["keys"]
    if not form.cleaned_data["confirmed"]:
        chosen = [acceptable[key] for key in keys]
        return render(request, "billing/costs_confirm.html", {"year": year, "month": month, "rows": chosen})
    try:
        added = services.invoice_cost_accept(user=request.user, year=year, month=month, keys=keys)
    except services.NothingToAccept:
        messages.info(request, rules.nothing_to_accept_words())
    except services.MonthClosed as closed:
        messages.error(request, closed_month_words(closed.year, closed.month))
    else:
        messages.success(request, rules.costs_accepted_words(len(added), year, month))
    return redirect("billing:costs", year=year, month=month)
