"""The Options list, declared for `portal.core.lists`: its columns say what each cell shows; the core renderer
draws the rows. The renewal cell says what `options/_renewal.html` says on the customer page."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from options import rules
from options.forms import OptionFilterForm
from options.selectors import SORTS
from portal.core import constant_urls
from portal.core.lists import Badge, Below, Code, Column, Link, ListSpec, Muted, Tick, coded
from portal.core.vocabulary import OptionProduct, OptionRenewalType, Plan, SubOptionProduct

CSV_COLUMNS = (
    ("customer_id", _("Domain ID")),
    ("customer__company_name", _("Company")),
    ("customer__domain", _("Domain")),
    *coded("option_product_id", _("Option"), OptionProduct),
    *coded("sub_option_id", _("Sub option"), SubOptionProduct),
    ("quantity", _("Quantity")),
    *coded("plan", _("Plan"), Plan),
    ("trial", _("Trial")),
    ("plan_start_date", _("Start date")),
    ("plan_end_date", _("End date")),
    *coded("renewal_type", _("Renewal"), OptionRenewalType),
    *coded("renewal_sub_option_id", _("Sub option at renewal"), SubOptionProduct),
    ("renewal_quantity", _("Quantity at renewal")),
    ("subscription_id", _("Subscription ID")),
    ("synced_at", _("Last synced (UTC)")),
)


def _page(context) -> dict:
    """The words of a page's cells, translated once per page, and the customer page's URL."""
    return {
        "detail": constant_urls.pattern("customers:detail") + "#section-options",
        "trial": Badge(gettext("Trial"), "trial"),
        "none": Muted(gettext("None")),
        "options": {k: str(v) for k, v in OptionProduct.choices},
        "sub_options": {k: str(s.label) for k, s in rules.SUB_OPTIONS.items()},
        "plans": {k: str(v) for k, v in Plan.choices},
        "renewals": {k: str(v) for k, v in OptionRenewalType.choices},
    }


def _customer(o, page):
    return Link(o.company_name, page["detail"].format(o.customer_id)), Below(
        Muted((Code(o.customer_id), o.domain))
    )


def _sub_option(o, page):
    sub = page["sub_options"].get(o.sub_option_id, o.sub_option_id)
    return (sub, page["trial"]) if o.trial else sub


def _renewal(o, page):
    if not o.renewal_type:
        return page["none"]
    change = o.renewal_type == OptionRenewalType.CHANGE
    parts: tuple = (Badge(page["renewals"].get(o.renewal_type, o.renewal_type), "info" if change else ""),)
    if change and o.renewal_sub_option_id:
        parts += (page["sub_options"].get(o.renewal_sub_option_id, o.renewal_sub_option_id),)
    if change and o.renewal_quantity is not None:
        parts += (f"× {o.renewal_quantity}",)
    return parts


def _option_name(o, page):
    return f"{o.company_name}, {page['options'].get(o.option_product_id, '')}"


OPTION_LIST = ListSpec(
    form=OptionFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer", value=_customer),
        Column(
            _("Option"),
            sort="option",
            value=lambda o, page: page["options"].get(o.option_product_id, o.option_product_id),
        ),
        Column(_("Sub option"), sort="sub_option", value=_sub_option),
        Column(_("Quantity"), sort="quantity", numeric=True, value="quantity"),
        Column(
            _("Plan"), sort="plan", value=lambda o, page: page["plans"].get(o.plan, o.plan) if o.plan else ""
        ),
        Column(_("Start date"), sort="start", css="date", value="plan_start_date"),
        Column(_("End date"), sort="end", css="date", value="plan_end_date"),
        Column(_("Renewal"), sort="renewal", value=_renewal),
    ),
    template="options/option_list.html",
    row_attrs=(
        ("data-option", lambda o, page: f"{o.customer_id}-{o.option_product_id}"),
        ("data-company", "company_name"),
    ),
    page=_page,
    # The key is options.bulk.option_key's.
    tick=Tick(key=lambda o, page: f"{o.customer_id}.{o.option_product_id}", name=_option_name),
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    sort_in_form=True,
    bulk="options",
)
