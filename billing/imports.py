"""The price book from a file (docs/imports.md): the download of the book, changed in a spreadsheet and uploaded
again. An entry is named by its product or option, sub option, plan, customer (Domain ID; empty for every
customer) and the day it takes effect; a row of a new name adds a price, checked by the price form
(`PriceEntryForm`: a price in force is never rewritten, a closed month keeps its prices) and added by its service
(`price_entry_create`, audited). The book is append-only, so a changed price is a new row with its own day."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import selectors, services
from billing.forms import PriceEntryForm
from customers import selectors as customers_selectors
from options import rules as options_rules
from portal.core.imports import (
    Checked,
    Column,
    ImportSpec,
    Records,
    RowRefused,
    date,
    integer,
    shown,
)
from portal.core.vocabulary import OptionProduct, Plan, Product, SubOptionProduct, item_name, label


def _items():
    return [*Product.choices, *OptionProduct.choices]


def _tiers():
    return [
        (s.sub_option_id, s.label)
        for option in OptionProduct.values
        for s in options_rules.sub_options_of(option)
    ]


def _yen(value: Any) -> str:
    return "—" if value is None else f"¥{value:,}"


def _plain(value: Any) -> str:
    return shown(value) if value is None else str(value)


COLUMNS = (
    Column("item_id", gettext_lazy("Product or option"), blank=False, choices=_items, show=item_name),
    Column(
        "sub_item_id",
        gettext_lazy("Sub option"),
        choices=_tiers,
        show=lambda v: label(SubOptionProduct, v) or "—",
    ),
    Column("plan", gettext_lazy("Plan"), choices=lambda: Plan.choices, show=lambda v: label(Plan, v) or "—"),
    Column("customer", gettext_lazy("Customer"), read=False),
    Column("domain_id", gettext_lazy("Domain ID"), parse=integer, show=_plain),
    Column("effective_from", gettext_lazy("Effective from"), parse=date, blank=False),
    Column("cost", gettext_lazy("Cost a month per unit"), parse=integer, show=_yen),
    Column("price", gettext_lazy("Price to the customer a month per unit"), parse=integer, show=_yen),
)
KEY = ("item_id", "sub_item_id", "plan", "domain_id", "effective_from")
#: The price form's fields, by the column each is read from.
FORM_FIELDS = {
    "item_id": "item_id",
    "sub_item_id": "sub_item_id",
    "plan": "plan",
    "customer": "domain_id",
    "cost": "cost",
    "price": "price",
    "effective_from": "effective_from",
}


def _named(key: tuple, company: str) -> str:
    item, tier, plan, domain_id, day = key
    parts = [item_name(tier or item), label(Plan, plan) if plan else str(_("Every plan"))]
    parts.append(company or str(domain_id) if domain_id else str(_("Every customer")))
    parts.append(_("from %(day)s") % {"day": day.isoformat()})
    return " · ".join(parts)


def _current(*, keys: list[tuple], actor, lock: bool) -> Records:
    entries = selectors.price_entries_of(user=actor, keys=keys, lock=lock)
    names = customers_selectors.customer_names({key[3] for key in keys if key[3]})
    records = Records()
    for key in keys:
        if key[3] is not None and key[3] not in names:
            records.unknown[key] = ("domain_id", _("No customer has the Domain ID %(id)s.") % {"id": key[3]})
            continue
        records.before[key] = entries.get(key)
        records.names[key] = _named(key, names.get(key[3], ""))
    return records


def _check(values: dict, before: dict | None, *, actor) -> Checked:
    """The row through the price form, as the Prices page posts it (its customer by domain)."""
    domain_id = values.get("domain_id")
    customer = ""
    if domain_id is not None:
        live = customers_selectors.customers_billed(domain_ids=[domain_id]).get(domain_id)
        customer = live.domain if live else str(domain_id)
    data = {
        "item_id": values.get("item_id") or "",
        "sub_item_id": values.get("sub_item_id") or "",
        "plan": values.get("plan") or "",
        "customer": customer,
        "cost": "" if values.get("cost") is None else str(values["cost"]),
        "price": "" if values.get("price") is None else str(values["price"]),
        "effective_from": values["effective_from"].isoformat() if values.get("effective_from") else "",
    }
    form = PriceEntryForm(data, user=actor)
    if not form.is_valid():
        return Checked(
            problems=[
                (FORM_FIELDS.get(name), str(error))
                for name, errors in form.errors.items()
                for error in errors
            ]
        )
    return Checked(after={"cost": form.cleaned_data["cost"], "price": form.cleaned_data["price"]})


def _write(key: tuple, after: dict, before: dict | None, *, actor) -> None:
    item_id, sub_item_id, plan, domain_id, day = key
    try:
        services.price_entry_create(
            user=actor,
            item_id=item_id,
            sub_item_id=sub_item_id,
            plan=plan,
            domain_id=domain_id,
            cost=after["cost"],
            price=after["price"],
            effective_from=day,
        )
    except services.MonthClosed as closed:
        raise RowRefused(
            _("a price from %(day)s would be in force in %(year)d-%(month)02d, which is closed.")
            % {"day": day.isoformat(), "year": closed.year, "month": closed.month}
        ) from None


PRICE_BOOK = ImportSpec(
    name="price-book",
    title=gettext_lazy("the price book"),
    operation_id="portal.importPriceBook",
    columns=COLUMNS,
    key=KEY,
    current=_current,
    check=_check,
    write=_write,
    notes=(
        gettext_lazy(
            "A row is a price from its day: a new row adds a price, and a price in force is never rewritten, so "
            "to change one, add a row with the day the new price starts. Rows left out of the file stay in the "
            "book. An empty Domain ID is every customer; an empty plan or sub option, every one."
        ),
    ),
)
