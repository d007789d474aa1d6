"""The invoice details list of a month, declared for `portal.core.lists`: its columns say what each cell shows;
the core renderer draws the rows. A customer's first row carries its name (`group_start`)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from billing.forms import ItemFilterForm
from billing.selectors import ITEM_SORTS
from portal.core import constant_urls
from portal.core.lists import Badge, Below, Code, Column, Link, ListSpec, Muted, Strong, coded
from portal.core.vocabulary import ITEMS, ItemType, Plan, SubOptionProduct, UsageState, billed_item_name

CSV_COLUMNS = (
    ("year", _("Year")),
    ("month", _("Month")),
    ("domain_id", _("Domain ID")),
    ("customer_name", _("Company")),
    ("domain", _("Domain")),
    ("customer_code", _("Customer code")),
    *coded("item_type", _("Item type"), ItemType),
    *coded("item_id", _("Product or option"), *ITEMS),
    *coded("sub_item_id", _("Sub-item"), SubOptionProduct),
    *coded("plan", _("Plan"), Plan),
    ("subscription_id", _("Subscription ID")),
    ("start_date", _("From")),
    ("end_date", _("Until")),
    ("license_count", _("Licences")),
    ("member_count", _("Members")),
    ("quantity", _("Quantity")),
    *coded("status", _("Status"), UsageState),
    ("amount", _("Amount (JPY, tax excluded)")),
    ("flagged", _("Flagged")),
)


def _page(context) -> dict:
    """What a page's cells share: the words (translated once per page), the links' URL patterns, the yen."""
    japanese = (get_language() or "").startswith("ja")
    return {
        "types": {k: str(v) for k, v in ItemType.choices},
        "plans": {k: str(v) for k, v in Plan.choices},
        "flagged": gettext("Flagged"),
        "part": Badge(gettext("Part of the month"), "info"),
        "customer": constant_urls.url("customers:detail", args=(0,)).replace("/0/", "/{}/")
        + "#section-billing",
        "findings": reverse("billing:findings", kwargs={"year": 2000, "month": 1}).replace(
            "/2000/1/", "/{}/{}/"
        ),
        "yen": (lambda n: f"{n:,}円" if n >= 0 else f"-{-n:,}円")
        if japanese
        else (lambda n: f"¥{n:,}" if n >= 0 else f"-¥{-n:,}"),
    }


def _customer(i, page):
    """A customer's first row carries its name (`group_start`)."""
    if not i.group_start:
        return None
    names = (
        (Code(i.domain_id), i.domain, f"· {i.customer_code}")
        if i.customer_code
        else (Code(i.domain_id), i.domain)
    )
    return Link(i.customer_name, page["customer"].format(i.domain_id)), Below(Muted(names))


def _kind(i, page):
    kind = page["types"].get(i.item_type) or i.item_type
    if not i.flagged:
        return kind
    href = f"{page['findings'].format(i.year, i.month)}#customer-{i.domain_id}"
    return kind, Badge(page["flagged"], "danger", href=href, testid="flag")


def _day(value: dt.date | None) -> str:
    return value.strftime("%m-%d") if value else ""


def _period(i, page):
    period = f"{_day(i.start_date)} – {_day(i.end_date)}"
    return (period, page["part"]) if i.split else period


def _amount(i, page):
    amount = "" if i.amount is None else page["yen"](i.amount)
    return Strong(amount) if i.item_type == "SUMMARY" else amount


def _row_class(i, page) -> str:
    return " ".join(
        css
        for css, applies in (
            ("group-start", i.group_start),
            ("row-flagged", i.flagged),
            ("row-summary", i.item_type == "SUMMARY"),
        )
        if applies
    )


ITEM_LIST = ListSpec(
    form=ItemFilterForm,
    sorts=ITEM_SORTS,
    columns=(
        Column(_("Customer"), sort="customer", value=_customer),
        Column(_("Item type"), sort="type", value=_kind),
        # The sub option names its option too ("Drive Plus (for Advanced)"); a product or an option alone by its name.
        Column(
            _("Product or option"),
            sort="item",
            value=lambda i, page: billed_item_name(i.item_type, i.item_id, i.sub_item_id),
        ),
        Column(_("Plan"), value=lambda i, page: page["plans"].get(i.plan) or i.plan),
        Column(_("Period (JST)"), value=_period),
        Column(_("Licences"), numeric=True, value="license_count"),
        Column(_("Members"), numeric=True, value="member_count"),
        Column(_("Quantity"), numeric=True, value="quantity"),
        Column(_("Amount"), sort="amount", numeric=True, css="nowrap", value=_amount),
    ),
    template="billing/details.html",
    row_attrs=(("data-item", "pk"), ("class", _row_class)),
    page=_page,
    csv_columns=CSV_COLUMNS,
    page_sizes=(100, 50, 200),
)
