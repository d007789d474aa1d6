"""The Scheduled changes page, declared for `portal.core.lists`: the agenda's changes by day, a row each, the
columns saying what each cell shows (`AGENDA`, drawn by `lists.draw_groups`), and the month calendar's days, each
item's link and attributes and each day's "+N more" (`CALENDAR`, drawn by `lists.draw_month`); the page's
templates place what they draw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core import constant_urls
from portal.core.contrib import customer_page
from portal.core.lists import (
    CUSTOMER,
    Badge,
    Column,
    DrawnOnce,
    GroupedList,
    Link,
    MonthGrid,
    Muted,
    draw_cell,
    draw_groups,
    draw_month,
    replaced_query,
)
from portal.core.rendering import escaped_text
from portal.core.vocabulary import labelled, per_language
from schedule.selectors import CalendarDay
from schedule.sources import ScheduledItem


@per_language
def _words() -> dict:
    """The cells' words, translated (the constant ones drawn too) once per language."""
    return {
        "today": draw_cell(Badge(gettext("Today"), "info")),
        "change": draw_cell(gettext("Change")),
        "soon": gettext("Last day to change: %(day)s"),
        "passed": draw_cell(Badge(gettext("Can no longer be changed"), "danger", testid="deadline-passed")),
    }


#: A row's class, marked when its deadline is close: markup already, drawn as it is.
_ROW_CSS = {False: SafeString("agenda-item"), True: SafeString("agenda-item deadline-soon")}


def _page(context: Mapping[str, Any]) -> dict:
    """What the rows of a page share (`today` is the view's): the words, the customer page's URL pattern, and
    what the rows repeat, each drawn once per page: the kinds and summaries, the kinds' badges, the close
    deadlines."""
    words = _words()

    def soon(day: dt.date) -> Badge:
        return Badge(words["soon"] % {"day": day.isoformat()}, "warn", testid="deadline-soon")

    return {
        "words": words,
        "customer": constant_urls.pattern(customer_page()),
        "drawn": DrawnOnce(),
        "kinds": DrawnOnce(Badge),
        "soon": DrawnOnce(soon),
    }


def _heading(day: dt.date, page: Mapping[str, Any]) -> tuple:
    """A day's heading: its date and weekday, and "Today" on today's."""
    return formats.date_format(day, "Y-m-d (D)"), page["words"]["today"] if day == page["today"] else None


def _deadline(item: ScheduledItem, page: Mapping[str, Any]) -> SafeString | None:
    """The last day to change it when close, or that it can no longer be changed; nothing otherwise."""
    if item.deadline < page["today"]:
        return page["words"]["passed"]
    return page["soon"][item.deadline] if item.deadline_soon else None


def _form(item: ScheduledItem, page: Mapping[str, Any]) -> Link | None:
    """A link to its form, for those who may change it."""
    if not item.change_url:
        return None
    return Link(page["words"]["change"], item.change_url, "change-link", "btn btn-small")


AGENDA = GroupedList(
    columns=(
        Column(_("Type"), value=lambda item, page: page["kinds"][item.kind_label]),
        Column(
            CUSTOMER, value="company_name", link=lambda item, page: page["customer"].format(item.domain_id)
        ),
        Column(
            _("Scheduled change"),
            value=lambda item, page: page["drawn"][item.summary],
            link=lambda item, page: item.url,
        ),
        Column(_("Deadline"), value=_deadline),
        # The forms' links: a column only when some item on the page has one.
        Column("", value=_form, css="agenda-form", when=lambda page: page["changeable"]),
    ),
    heading=_heading,
    row_attrs=(
        ("class", lambda item, page: _ROW_CSS[item.deadline_soon]),
        ("data-kind", lambda item, page: page["drawn"][item.kind]),
        ("data-domain-id", "domain_id"),
    ),
    group_attrs=(("data-date", lambda day, page: day.isoformat()),),
    group_css="agenda-day",
    page=_page,
)


def agenda_table(days: list[tuple[dt.date, list[ScheduledItem]]], *, today: dt.date) -> SafeString:
    """The agenda's table inside: its header, and a `<tbody>` per day of `days` (its heading, then its changes)."""
    changeable = any(item.change_url for _day, items in days for item in items)
    return draw_groups(AGENDA, days, {"today": today, "changeable": changeable})


def calendar_link(item: ScheduledItem, page: Mapping[str, Any]) -> Link:
    """A calendar item's link to its read-only page: its kind over its customer, the change in its title."""
    title = page["names"][labelled(item.kind_label, item.summary)]
    # The kind's part drawn once per page beside the escaped name, as `Link`'s tuple of them draws them.
    text = SafeString(f"{page['kinds'][item.kind_label]} {escaped_text(item.company_name)}")
    return Link(text, item.url, title=title)


def _day_query(day: CalendarDay, page: Mapping[str, Any]) -> str:
    """The query string of one day's agenda, the page's other filters (`page["query"]`) kept."""
    return replaced_query(page["query"], view=None, month=None, date_from=day.param, date_to=day.param)


#: The month calendar's days (`draw_month`): each item its kind over its customer, a link to its read-only page,
#: and "+N more", a link to that day's agenda with the page's other filters.
CALENDAR = MonthGrid(
    item=calendar_link,
    item_attrs=(
        ("class", lambda item, page: _ITEM_CSS[item.deadline_soon]),
        ("data-kind", lambda item, page: page["names"][item.kind]),
        ("data-domain-id", "domain_id"),
    ),
    more_href=_day_query,
    more=_("+%(n)s more"),
    target="#agenda",
)
_ITEM_CSS = {False: SafeString("cal-item"), True: SafeString("cal-item deadline-soon")}


def calendar_weeks(weeks: list[list[CalendarDay]], *, query: QueryDict) -> SafeString:
    """The month calendar's weeks drawn (`draw_month`), the day links keeping the page's filters (`query`)."""
    # What the items repeat (kinds, their words, titles), each escaped or drawn once per page.
    return draw_month(CALENDAR, weeks, {"query": query, "kinds": DrawnOnce(Muted), "names": DrawnOnce()})
