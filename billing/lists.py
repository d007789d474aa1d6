"""The lists of a month, declared for `portal.core.lists`: its invoice details (a customer's first row carries its
name, `group_start`) and its findings. Their columns say what each cell shows; the core renderer draws the rows."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from billing.forms import FindingFilterForm, ItemFilterForm
from billing.models import Finding
from billing.rules import finding_subject_name
from billing.selectors import FINDING_SORTS, ITEM_SORTS
from billing.templatetags.billing import customer_findings_url, finding_billed, finding_expected
from portal.core import constant_urls
from portal.core.lists import Badge, Below, Code, Column, DrawnOnce, Link, ListSpec, Muted, Strong, coded
from portal.core.templatetags.portal import business_dt
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
        "customer": constant_urls.pattern("customers:detail") + "#section-billing",
        "findings": customer_findings_url("{}", "{}", "{}"),
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
    href = page["findings"].format(i.year, i.month, i.domain_id)
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


# --- The month's findings -------------------------------------------------------------------------------------

FINDING_CSV_COLUMNS = (
    ("year", _("Year")),
    ("month", _("Month")),
    ("domain_id", _("Domain ID")),
    ("customer_name", _("Company")),
    *coded("kind", _("Kind"), Finding.Kind),
    ("expected", _("Expected")),
    ("billed", _("Billed")),
    ("still_found", _("Still found")),
    ("explained", _("Explained")),
    ("note", _("Explanation")),
    ("explained_by__username", _("Explained by")),
    ("explained_at", _("Explained at")),
)


def _finding_page(context) -> dict:
    """What a page of findings shares: the kinds' badges (drawn once), the words, the links' URL patterns, and
    whether its reader may explain a finding (not in a closed month)."""
    kinds = {k: str(v) for k, v in Finding.Kind.choices}
    return {
        "kind_badges": DrawnOnce(lambda key: Badge(kinds.get(key[0], key[0]), "ok" if key[1] else "warn")),
        "the_invoice": gettext("The invoice"),
        "gone": Below(Muted(gettext("No longer found"))),
        "explained_badge": Badge(gettext("Explained"), "ok"),
        "mark": gettext("Mark explained"),
        "customer": constant_urls.pattern("customers:detail") + "#section-billing",
        "explain": constant_urls.pattern("billing:explain"),
        "may_explain": context.get("can_change") and not context["closing"]["closed"],
    }


def _finding_customer(f, page):
    if not f.domain_id:
        return page["the_invoice"]
    name = f.customer_name or str(f.domain_id)
    return Link(name, page["customer"].format(f.domain_id)), Below(Muted(Code(f.domain_id)))


def _finding_kind(f, page):
    subject = finding_subject_name(f.kind, f.subject)
    return (
        page["kind_badges"][(f.kind, f.explained)],
        Below(Muted(subject, testid="finding-subject")) if subject else None,
        None if f.still_found else page["gone"],
    )


def _explanation(f, page):
    if f.explained:
        return (
            page["explained_badge"],
            f.note,
            Below(Muted(f"{f.explained_by_name} · {business_dt(f.explained_at)}")),
        )
    if page["may_explain"]:
        return Link(page["mark"], page["explain"].format(f.id), testid="explain", css="btn btn-small")
    return None


FINDING_LIST = ListSpec(
    form=FindingFilterForm,
    sorts=FINDING_SORTS,
    columns=(
        Column(_("Customer"), sort="customer", value=_finding_customer),
        Column(_("Finding"), sort="kind", value=_finding_kind),
        Column(_("Expected"), value=lambda f, page: finding_expected(f)),
        Column(_("Billed"), value=lambda f, page: finding_billed(f)),
        Column(_("Explanation"), value=_explanation),
    ),
    template="billing/findings.html",
    row_attrs=(("data-finding", "id"), ("data-kind", "kind"), ("data-domain-id", "domain_id")),
    page=_finding_page,
    csv_columns=FINDING_CSV_COLUMNS,
    page_sizes=(50, 25, 100),
)
