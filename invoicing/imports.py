"""Customers' billing details from a file (docs/imports.md): the download of every customer's billing details,
changed in a spreadsheet and uploaded again, each row checked by the billing-details form (`CustomerBillingForm`)
and saved by its service (`customer_billing_set`, one audit entry per customer changed). The key is the
customer's Domain ID; the company and its domain are there for people to read."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing import selectors, services
from invoicing.forms import CustomerBillingForm
from invoicing.models import InvoiceLanguage
from portal.core.imports import Checked, Column, ImportSpec, Records, boolean, integer, shown


def _language_choices():
    return InvoiceLanguage.choices


def _language(code: Any) -> str:
    return str(dict(InvoiceLanguage.choices).get(code, shown(code)))


def _plain(value: Any) -> str:
    return shown(value) if isinstance(value, str | type(None)) else str(value)


COLUMNS = (
    Column("domain_id", gettext_lazy("Domain ID"), parse=integer, blank=False, show=_plain),
    Column("company", gettext_lazy("Company"), read=False),
    Column("domain", gettext_lazy("Domain"), read=False),
    Column("billed", gettext_lazy("Bill this customer"), parse=boolean),
    Column("bill_to_name", gettext_lazy("Name to bill")),
    Column("bill_to_address", gettext_lazy("Address to bill")),
    Column("invoice_email", gettext_lazy("E-mail for invoices")),
    Column("language", gettext_lazy("Language of the invoice"), choices=_language_choices, show=_language),
)


def _current(*, keys: list[tuple], actor, lock: bool) -> Records:
    domain_ids = [key[0] for key in keys]
    details, live = selectors.billing_details_of(user=actor, domain_ids=domain_ids, lock=lock)
    records = Records()
    for key in keys:
        customer = live.get(key[0])
        if customer is None:
            why = _("No customer still in LINE WORKS has the Domain ID %(id)s.") % {"id": key[0]}
            records.unknown[key] = ("domain_id", why)
            continue
        row = details.get(key[0])
        records.before[key] = None if row is None else {k: row[k] for k in selectors.RECIPIENT_FIELDS}
        records.names[key] = f"{customer.company_name} ({customer.domain})"
    return records


def _check(values: dict, before: dict | None, *, actor) -> Checked:
    """The row through the customer's billing-details form, as its page posts it (an empty "Bill this
    customer" bills it, as a new customer's form starts; an empty language is Japanese, the form's default)."""
    billed = values.get("billed")
    data = {
        "billed": "on" if billed is None or billed else "",
        "bill_to_name": values.get("bill_to_name") or "",
        "bill_to_address": values.get("bill_to_address") or "",
        "invoice_email": values.get("invoice_email") or "",
        "language": values.get("language") or InvoiceLanguage.JA,
    }
    form = CustomerBillingForm(data)
    if not form.is_valid():
        problems = [
            (name if name in selectors.RECIPIENT_FIELDS else None, str(error))
            for name, errors in form.errors.items()
            for error in errors
        ]
        return Checked(problems=problems)
    return Checked(after={k: form.cleaned_data[k] for k in selectors.RECIPIENT_FIELDS})


def _write(key: tuple, after: dict, before: dict | None, *, actor) -> None:
    services.customer_billing_set(actor=actor, domain_id=key[0], **after)


BILLING_DETAILS = ImportSpec(
    name="billing-details",
    title=gettext_lazy("customers' billing details"),
    operation_id="portal.importBillingDetails",
    columns=COLUMNS,
    key=("domain_id",),
    current=_current,
    check=_check,
    write=_write,
    notes=(
        gettext_lazy(
            "One row per customer, by its Domain ID. An empty “Bill this customer” bills it; an empty language "
            "is Japanese. A customer whose row is left empty keeps having no billing details."
        ),
    ),
)
