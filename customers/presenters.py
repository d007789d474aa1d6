"""The customer list's rows, formatted in Python (the spec's `rows`): the list page is the hottest page of the
portal (`python -m bench.customers list` measures it).

Each row is built with `markup` (`format_html`'s escaping, portal/core/rendering.py) in one pass, instead of a template lookup for each
value and label of the row; the page template only places the pieces.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from customers.models import Customer, shown_status, status_labels
from portal.core import clock, constant_urls
from portal.core.rendering import escaped, markup
from portal.core.vocabulary import Plan, Product, per_language


def rows(customers, *, tick: bool = False) -> SafeString:
    """The <tr> rows of one page; `tick`: each starts with its checkbox of the bulk actions' form."""
    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    stale_before = timezone.now() - dt.timedelta(minutes=settings.STALE_AFTER_MINUTES)
    detail = constant_urls.url("customers:detail", args=(0,)).replace("/0/", "/{}/")
    words = {**_words(), "today": clock.today(), "tick": tick}
    return SafeString("\n".join(_row(c, zone, stale_before, detail, words) for c in customers))


@per_language
def _words() -> dict:
    """The rows' words, translated and escaped once per language (not once per row, nor per page)."""
    return {
        "removed": escaped(_("Removed")),
        "scheduled": escaped(_("Scheduled")),
        "scheduled_title": escaped(_("Has scheduled changes")),
        "stale": escaped(_("Stale")),
        "no_limit": escaped(_("No limit")),
        "no_subscription": escaped(_("No subscription")),
        "choose": _("Choose %(name)s"),  # with each row's name, escaped with it
        "products": {k: escaped(v) for k, v in Product.choices},
        "plans": {k: escaped(v) for k, v in Plan.choices},
        "states": {k: escaped(v) for k, v in status_labels().items()},
    }


def _row(c: Customer, zone, stale_before, detail: str, words: dict) -> SafeString:
    removed = markup(' <span class="badge badge-removed">{}</span>', words["removed"]) if c.removed_at else ""
    if c.product_id:
        plan = words["products"].get(c.product_id, c.product_id)
    else:
        plan = markup('<span class="muted">{}</span>', words["no_subscription"])
    if c.plan:
        plan = markup(
            '{} <span class="badge{}">{}</span>',
            plan,
            " badge-trial" if c.plan == "TRIAL" else "",
            words["plans"].get(c.plan, c.plan),
        )
    status = ""
    shown = shown_status(
        usage_status=c.usage_status, plan=c.plan, trial_ends_on=c.trial_ends_on, today=words["today"]
    )
    if shown:
        status = markup(
            '<span class="badge badge-{}">{}</span>', shown.lower(), words["states"].get(shown, shown)
        )
    if c.has_scheduled_changes:
        status = markup(
            '{} <span class="badge badge-info" title="{}">{}</span>',
            status,
            words["scheduled_title"],
            words["scheduled"],
        )
    max_users = words["no_limit"] if c.max_member_unlimited else _num(c.max_member_count)
    synced = c.synced_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if c.synced_at else ""
    if c.synced_at is None or c.synced_at < stale_before:
        synced = markup("{}{}", synced, markup(' <span class="badge badge-warn">{}</span>', words["stale"]))
    ticked = (
        markup(
            '<td><input type="checkbox" form="bulk" name="keys" value="{}" id="tick-{}" data-testid="bulk-tick">'
            '<label class="visually-hidden" for="tick-{}">{}</label></td>',
            c.domain_id,
            c.domain_id,
            c.domain_id,
            words["choose"] % {"name": c.company_name},
        )
        if words["tick"]
        else ""
    )
    return markup(
        '<tr data-domain-id="{}">{}<td><a href="{}">{}</a>{}</td><td>{}</td><td><code>{}</code></td>'
        '<td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="date">{}</td><td>{}</td></tr>',
        c.domain_id,
        ticked,
        detail.format(c.domain_id),
        c.company_name,
        removed,
        c.domain,
        c.domain_id,
        plan,
        status,
        _num(c.member_count),
        max_users,
        c.trial_ends_on.isoformat() if c.trial_ends_on else "",
        synced,
    )


def _num(value: int | None) -> int | str:
    return "" if value is None else value
