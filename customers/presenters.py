"""The customer list's rows and filter controls, formatted in Python: the list page is the hottest page of the
portal (the one exception to `portal.core.lists`' row templates, measured by `python -m bench.customers list`).

Each row is built with `format_html` (escaped, translated) in one pass, instead of ~40 template lookups per
row; the page template only places the pieces.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from customers.models import Customer, shown_status, status_labels
from portal.core.selectors import business_today
from portal.core.vocabulary import Plan, Product


def rows(customers) -> SafeString:
    """The <tr> rows of one page."""
    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    stale_before = timezone.now() - dt.timedelta(minutes=settings.STALE_AFTER_MINUTES)
    detail = reverse("customers:detail", args=[0]).replace("/0/", "/{}/")
    words = {
        "removed": _("Removed"),
        "scheduled": _("Scheduled"),
        "scheduled_title": _("Has scheduled changes"),
        "stale": _("Stale"),
        "no_limit": _("No limit"),
        # Labels translated once per page, not once per row.
        "products": {k: str(v) for k, v in Product.choices},
        "plans": {k: str(v) for k, v in Plan.choices},
        "states": status_labels(),
        "today": business_today(),
    }
    return format_html_join("\n", "{}", ((_row(c, zone, stale_before, detail, words),) for c in customers))


def _badge(css: str, text: str) -> SafeString:
    return format_html(' <span class="badge {}">{}</span>', css, text)


def _row(c: Customer, zone, stale_before, detail: str, words: dict) -> SafeString:
    removed = _badge("badge-removed", words["removed"]) if c.removed_at else ""
    plan = words["products"].get(c.product_id, c.product_id)
    if c.plan:
        plan = format_html(
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
        status = format_html(
            '<span class="badge badge-{}">{}</span>', shown.lower(), words["states"].get(shown, shown)
        )
    if c.has_scheduled_changes:
        status = format_html(
            '{} <span class="badge badge-info" title="{}">{}</span>',
            status,
            words["scheduled_title"],
            words["scheduled"],
        )
    max_users = words["no_limit"] if c.max_member_unlimited else _num(c.max_member_count)
    synced = c.synced_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if c.synced_at else ""
    if c.synced_at is None or c.synced_at < stale_before:
        synced = format_html("{}{}", synced, _badge("badge-warn", words["stale"]))
    return format_html(
        '<tr data-domain-id="{}"><td><a href="{}">{}</a>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>'
        '<td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>',
        c.domain_id,
        detail.format(c.domain_id),
        c.company_name,
        removed,
        c.domain,
        c.domain_id,
        c.customer_code,
        plan,
        status,
        _num(c.member_count),
        max_users,
        c.trial_ends_on.isoformat() if c.trial_ends_on else "",
        synced,
    )


def _num(value) -> str:
    return "" if value is None else str(value)


def filter_fields(form) -> SafeString:
    """The filter form's controls (same markup as components/_field.html), without the widget templates.

    Django renders every <option> through a template; for the busiest page that costs more than the query.
    """
    out = []
    for bf in form:
        widget = bf.field.widget
        value = bf.value()
        attrs = {"name": bf.html_name, "id": bf.id_for_label}
        if bf.is_hidden:
            out.append(format_html('<input type="hidden" name="{}" value="{}">', bf.html_name, value or ""))
            continue
        if hasattr(bf.field, "choices") and getattr(widget, "input_type", None) != "checkbox":
            selected = "" if value is None else str(value)
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (str(v), mark_safe(" selected") if str(v) == selected else "", label)
                    for v, label in bf.field.choices
                ),
            )
            control = format_html(
                '<select name="{}" id="{}">{}</select>', attrs["name"], attrs["id"], options
            )
        elif getattr(widget, "input_type", None) == "checkbox":
            control = format_html(
                '<input type="checkbox" name="{}" id="{}"{}>',
                attrs["name"],
                attrs["id"],
                mark_safe(" checked") if value else "",
            )
        else:
            extra = format_html_join("", ' {}="{}"', widget.attrs.items())
            input_type = widget.attrs.get("type") or getattr(widget, "input_type", "text")
            control = format_html(
                '<input type="{}" name="{}" id="{}" value="{}"{}>',
                input_type,
                attrs["name"],
                attrs["id"],
                "" if value is None else value,
                extra,
            )
        errors = format_html_join("", '<p class="error" role="alert">{}</p>', ((e,) for e in bf.errors))
        out.append(
            format_html(
                '<div class="field{}"><label for="{}">{}</label>{}{}</div>',
                " field-invalid" if bf.errors else "",
                attrs["id"],
                bf.label,
                control,
                errors,
            )
        )
    return mark_safe("".join(out))
