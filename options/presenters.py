"""The Options list's rows, formatted in Python (the list's `ListSpec.rows`): a page of rows through a row
template cost more than the list's query (`python -m bench.options list` times the page). The renewal cell has
the markup of `options/_renewal.html`, which the customer page's Options section uses."""

from __future__ import annotations

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from options import rules
from portal.core.rendering import markup
from portal.core.vocabulary import OptionProduct, OptionRenewalType, Plan


def rows(options, *, tick: bool = False) -> SafeString:
    """The <tr> rows of one page of `selectors.option_page` (OptionRow namespaces); `tick`: each starts with its
    checkbox of the bulk actions' form."""
    detail = reverse("customers:detail", args=[0]).replace("/0/", "/{}/") + "#section-options"
    # Labels translated once per page, not once per row.
    words = {
        "trial": _("Trial"),
        "none": _("None"),
        "options": {k: str(v) for k, v in OptionProduct.choices},
        "sub_options": {k: str(s.label) for k, s in rules.SUB_OPTIONS.items()},
        "plans": {k: str(v) for k, v in Plan.choices},
        "renewals": {k: str(v) for k, v in OptionRenewalType.choices},
        "tick": tick,
    }
    return SafeString("\n".join(_row(o, detail, words) for o in options))


def _renewal(o, words: dict) -> SafeString:
    if not o.renewal_type:
        return markup('<span class="muted">{}</span>', words["none"])
    change = o.renewal_type == OptionRenewalType.CHANGE
    html = markup(
        '<span class="badge{}">{}</span>',
        " badge-info" if change else "",
        words["renewals"].get(o.renewal_type, o.renewal_type),
    )
    if change and o.renewal_sub_option_id:
        sub = words["sub_options"].get(o.renewal_sub_option_id, o.renewal_sub_option_id)
        html = markup("{} {}", html, sub)
    if change and o.renewal_quantity is not None:
        html = markup("{} × {}", html, o.renewal_quantity)
    return html


def _row(o, detail: str, words: dict) -> SafeString:
    sub = words["sub_options"].get(o.sub_option_id, o.sub_option_id)
    if o.trial:
        sub = markup('{} <span class="badge badge-trial">{}</span>', sub, words["trial"])
    ticked = ""
    if words["tick"]:
        key = f"{o.customer_id}.{o.option_product_id}"  # options.bulk.option_key
        ticked = markup(
            '<td><input type="checkbox" form="bulk" name="keys" value="{}" id="tick-{}" data-testid="bulk-tick">'
            '<label class="visually-hidden" for="tick-{}">{}</label></td>',
            key,
            key,
            key,
            _("Choose %(name)s")
            % {"name": f"{o.company_name}, {words['options'].get(o.option_product_id, '')}"},
        )
    return markup(
        '<tr data-option="{}-{}" data-company="{}">{}<td><a href="{}">{}</a><br><span class="muted"><code>{}</code> {}'
        '</span></td><td>{}</td><td>{}</td><td class="num">{}</td><td>{}</td><td class="date">{}</td>'
        '<td class="date">{}</td><td>{}</td></tr>',
        o.customer_id,
        o.option_product_id,
        o.company_name,
        ticked,
        detail.format(o.customer_id),
        o.company_name,
        o.customer_id,
        o.domain,
        words["options"].get(o.option_product_id, o.option_product_id),
        sub,
        "" if o.quantity is None else o.quantity,
        words["plans"].get(o.plan, o.plan) if o.plan else "",
        o.plan_start_date.isoformat() if o.plan_start_date else "",
        o.plan_end_date.isoformat() if o.plan_end_date else "",
        _renewal(o, words),
    )
