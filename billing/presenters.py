"""The invoice details list's rows, formatted in Python: the page lists a hundred of a month's many items, and
through a row template those rows cost more than the page can afford (`python -m bench.billing pages` times the
page beside the admin's changelist).

Each row is built in one pass (API text escaped, labels translated once per page); the page template only
places them (`components/_list.html` with `rows`). Same cells as the columns of `billing.lists.ITEM_LIST`.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.core.vocabulary import ItemType, Plan, billed_item_name


def item_rows(items) -> SafeString:
    """The <tr> rows of one page; a customer's first row carries its name (`group_start`). Every text from the
    API is escaped (`escape`); numbers and dates are formatted here."""
    japanese = (get_language() or "").startswith("ja")
    words = {
        "types": {k: escape(v) for k, v in ItemType.choices},
        "plans": {k: escape(v) for k, v in Plan.choices},
        "flagged": escape(_("Flagged")),
        "part": escape(_("Part of the month")),
        "customer": reverse("customers:detail", args=[0]).replace("/0/", "/{}/") + "#section-billing",
        "findings": reverse("billing:findings", kwargs={"year": 2000, "month": 1}).replace(
            "/2000/1/", "/{}/{}/"
        ),
        "yen": (lambda n: f"{n:,}円" if n >= 0 else f"-{-n:,}円")
        if japanese
        else (lambda n: f"¥{n:,}" if n >= 0 else f"-¥{-n:,}"),
    }
    return mark_safe("\n".join(_row(i, words) for i in items))


def _day(value: dt.date | None) -> str:
    return value.strftime("%m-%d") if value else ""


def _num(value) -> str:
    return "" if value is None else str(value)


def _row(i, w: dict) -> str:
    css = []
    customer = ""
    if i.group_start:
        css.append("group-start")
        code = f" · {escape(i.customer_code)}" if i.customer_code else ""
        customer = (
            f'<a href="{w["customer"].format(i.domain_id)}">{escape(i.customer_name)}</a><br>'
            f'<span class="muted"><code>{i.domain_id}</code> {escape(i.domain)}{code}</span>'
        )
    kind = w["types"].get(i.item_type) or escape(i.item_type)
    if i.flagged:
        css.append("row-flagged")
        kind += (
            f' <a class="badge badge-danger" href="{w["findings"].format(i.year, i.month)}#customer-{i.domain_id}"'
            f' data-testid="flag">{w["flagged"]}</a>'
        )
    # The sub option names its option too ("Drive Plus (for Advanced)"); a product or an option alone by its name.
    item = escape(billed_item_name(i.item_type, i.item_id, i.sub_item_id))
    period = f"{_day(i.start_date)} – {_day(i.end_date)}"
    if i.split:
        period += f' <span class="badge badge-info">{w["part"]}</span>'
    amount = "" if i.amount is None else w["yen"](i.amount)
    if i.item_type == "SUMMARY":
        css.append("row-summary")
        amount = f"<strong>{amount}</strong>"
    return (
        f'<tr data-item="{i.pk}" class="{" ".join(css)}"><td>{customer}</td><td>{kind}</td><td>{item}</td>'
        f'<td>{w["plans"].get(i.plan) or escape(i.plan)}</td><td>{period}</td><td class="num">{_num(i.license_count)}</td>'
        f'<td class="num">{_num(i.member_count)}</td><td class="num">{_num(i.quantity)}</td>'
        f'<td class="num nowrap">{amount}</td></tr>'
    )
