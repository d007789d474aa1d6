"""What more than one of invoicing's views modules needs, so none imports another: a searched list's state
(the issued invoices' search, a month's issued invoices) and what an issued document's page shows of its
corrections (the document's page and the corrections' own pages), and a customer's direct debit account form."""

from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest

from invoicing import selectors
from invoicing.forms import DebitAccountForm
from invoicing.models import DebitAccount, DocumentKind, IssuedInvoice
from portal.core.lists import ListSpec, ListState


def searched_state(request: HttpRequest, spec: ListSpec) -> ListState:
    """A list's state; searched without an order chosen, in customer order (`selectors.SEARCHED_SORT`, a sort of
    `spec`), as every searched list opens (docs/lists.md, "Search"): a word many customers share then reads one
    page's worth. The issued invoices' search and a month's issued invoices open so."""
    state = ListState.from_request(request, spec)
    if state.filters.q and not request.GET.get("sort"):
        state = replace(
            state, sort=selectors.SEARCHED_SORT, filters=replace(state.filters, sort=selectors.SEARCHED_SORT)
        )
    return state


def correctable(invoice: IssuedInvoice, found: list[IssuedInvoice]) -> bool:
    """Whether `invoice` may still be credited or corrected, given the documents `found` that refer to it."""
    return invoice.kind != DocumentKind.CREDIT_NOTE and not any(
        c.kind == DocumentKind.CORRECTED for c in found
    )


def corrections_context(request: HttpRequest, invoice: IssuedInvoice) -> dict:
    """What the issued document's page (`views_sending.issued`) shows of its corrections: the documents that
    refer to it, and whether it may still be credited or corrected."""
    found = selectors.corrections_of(user=request.user, invoice=invoice)
    can = correctable(invoice, found)
    left = selectors.credit_left(invoice) if can else []
    return {"corrections": found, "can_credit": can and any(left), "can_correct": can}


def debit_account_form(account: DebitAccount | None, data=None) -> DebitAccountForm:
    """A customer's direct debit account form (its billing details' page shows it, its own page posts it):
    the account kept, or a new one (ordinary, a first debit, active)."""
    initial = (
        {name: getattr(account, name) for name in DebitAccountForm.base_fields}
        if account
        else {"deposit_kind": "1", "new": True, "active": True}
    )
    return DebitAccountForm(data, initial=initial, prefix="debit")
