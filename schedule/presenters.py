"""The Scheduled changes page's items, formatted in Python (as the customer list's rows are).

An agenda page holds up to AGENDA_PAGE_ITEMS items; through the template language each costs several lookups,
filters and a blocktranslate, through one f-string a single formatting (`python -m bench.scheduled` times the
page). Every value is escaped here; words are translated once per page. The page template only places the
pieces.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from django.http import QueryDict
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal.core.contrib import customer_page
from portal.core.vocabulary import labelled
from schedule.selectors import CalendarDay
from schedule.sources import ScheduledItem, url_pattern


class _Escaped(dict):
    """escape() with a memory: labels, summaries and links repeat across items."""

    def __missing__(self, key: str) -> str:
        value = self[key] = escape(key)
        return value


def _today_badge() -> str:
    today = escape(_("Today"))
    return f' <span class="badge badge-info">{today}</span>'


def _deadline_badges(today: dt.date) -> tuple[str, str]:
    soon = escape(_("Last day to change: %(day)s"))
    passed = escape(_("Can no longer be changed"))
    return (
        f' <span class="badge badge-warn" data-testid="deadline-soon">{soon}</span>',
        f' <span class="badge badge-danger" data-testid="deadline-passed">{passed}</span>',
    )


def agenda_days(days: list[tuple[dt.date, list[ScheduledItem]]], *, today: dt.date) -> SafeString:
    """One panel per date, its items in a list: kind, customer (link to the customer page), the change (link to
    its read-only page), its form for those who may change it, and its deadline when close or past."""
    esc = _Escaped()
    customer = url_pattern(customer_page())
    change = escape(_("Change"))
    today_badge = _today_badge()
    soon, passed = _deadline_badges(today)
    out: list[str] = []
    add = out.append
    for day, items in days:
        heading = escape(formats.date_format(day, "Y-m-d (D)"))
        add(
            f'<section class="panel agenda-day" data-date="{day.isoformat()}">'
            f"<h2>{heading}{today_badge if day == today else ''}</h2><ul>"
        )
        for i in items:
            if i.deadline < today:
                deadline = passed
            elif i.deadline_soon:
                deadline = soon.replace("%(day)s", i.deadline.isoformat())
            else:
                deadline = ""
            form = (
                f' <a class="btn btn-small" href="{esc[i.change_url]}" data-testid="change-link">{change}</a>'
                if i.change_url
                else ""
            )
            add(
                f'<li class="agenda-item{" deadline-soon" if i.deadline_soon else ""}" data-kind="{esc[i.kind]}"'
                f' data-domain-id="{i.domain_id}"><span class="badge">{esc[i.kind_label]}</span>'
                f' <a href="{customer.format(i.domain_id)}">{escape(i.company_name)}</a>'
                f' — <a href="{esc[i.url]}">{esc[i.summary]}</a>{form}{deadline}</li>'
            )
        add("</ul></section>")
    return mark_safe("".join(out))  # every value above is escaped


def _day_query(query: QueryDict, day: dt.date) -> str:
    """The query string of one day's agenda, the other filters kept."""
    params = query.copy()
    for key in ("view", "month"):
        params.pop(key, None)
    params["date_from"] = params["date_to"] = day.isoformat()
    return params.urlencode()


def calendar_rows(weeks: list[list[CalendarDay]], *, today: dt.date, query: QueryDict) -> SafeString:
    """The <tr> of each week: a cell per day with its date, its first items (kind and customer, a link to
    the item's read-only page, the change in the title) and "+N more", a link to that day's agenda with the
    page's other filters (`query`)."""
    esc = _Escaped()
    today_badge = _today_badge()
    more = escape(_("+%(n)s more"))
    out: list[str] = []
    add = out.append
    for week in weeks:
        add("<tr>")
        for day in week:
            css = "cal-day"
            if not day.in_month:
                css += " cal-outside"
            elif day.is_past:
                css += " cal-past"
            if day.is_today:
                css += " cal-today"
            current = ' aria-current="date"' if day.is_today else ""
            add(
                f'<td class="{css}" data-day="{day.param}"{current}><div class="cal-date">{day.date.day}'
                f"{today_badge if day.is_today else ''}</div>"
            )
            if day.items:
                add("<ul>")
                for i in day.items:
                    title = esc[labelled(i.kind_label, i.summary)]
                    add(
                        f'<li class="cal-item{" deadline-soon" if i.deadline_soon else ""}" data-kind="{esc[i.kind]}"'
                        f' data-domain-id="{i.domain_id}"><a href="{esc[i.url]}" title="{title}">'
                        f'<span class="cal-kind">{esc[i.kind_label]}</span> {escape(i.company_name)}</a></li>'
                    )
                add("</ul>")
            if day.more:
                href = escape("?" + _day_query(query, day.date))
                add(
                    f'<a class="cal-more" href="{href}" data-hx-get="{href}" data-hx-target="#agenda" data-hx-push-url="true"'
                    f' data-testid="calendar-more">{more.replace("%(n)s", str(day.more))}</a>'
                )
            add("</td>")
        add("</tr>")
    return mark_safe("".join(out))  # every value above is escaped
