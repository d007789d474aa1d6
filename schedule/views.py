"""The Scheduled changes page: the agenda (by date) or the month calendar, and its CSV and iCalendar exports.

Every contributed source the user may see is on it (schedule/sources.py). The page needs
VIEW_SUBSCRIPTIONS, the permission of every role that follows customers' contracts (Finance does not);
each source then keeps to its own `perm` and `change_perm`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.core.access import Perm, require
from portal.core.csv_export import csv_response
from portal.core.htmx import partial_for
from portal.core.ical import ical_response
from schedule import presenters, selectors
from schedule.forms import ScheduleFilterForm
from schedule.sources import DEADLINE_SOON_DAYS, schedule_sources

TEMPLATE = "schedule/scheduled_changes.html"


def _form(request: HttpRequest) -> ScheduleFilterForm:
    kinds = [(s.key, s.label) for s in schedule_sources(user=request.user)]
    return ScheduleFilterForm(request.GET, kinds=kinds)


def _origin(request: HttpRequest) -> str:
    """Scheme and host of the request ("https://portal.example"), to make the exports' links absolute."""
    return request.build_absolute_uri("/").rstrip("/")


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    """The agenda, or the month calendar with `?view=calendar&month=YYYY-MM`; htmx gets the `#agenda` part."""
    form = _form(request)
    filters = form.to_filters()
    if filters.calendar:
        result = selectors.month_calendar(user=request.user, filters=filters)
        body = presenters.calendar_rows(result["weeks"], today=result["today"], query=request.GET)
    else:
        result = selectors.agenda(user=request.user, filters=filters)
        body = presenters.agenda_days(result["days"], today=result["today"])
    context = {"result": result, "body": body, "view": form.view_value}
    if partial_for(request, "agenda"):
        # Filters, month links, the view switch: only the results, as every list answers htmx.
        return render(request, f"{TEMPLATE}#agenda", context)
    return render(request, TEMPLATE, {**context, "form": form, "soon_days": DEADLINE_SOON_DAYS})


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of exactly the items the page shows with the same query string."""
    lines = selectors.scheduled_csv_rows(
        user=request.user, filters=_form(request).to_filters(), origin=_origin(request)
    )
    return csv_response(lines, name="scheduled-changes")


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def export_ical(request: HttpRequest) -> StreamingHttpResponse:
    """iCalendar (.ics) of exactly the items the page shows with the same query string."""
    lines = selectors.scheduled_ical_lines(
        user=request.user, filters=_form(request).to_filters(), origin=_origin(request)
    )
    return ical_response(lines, name="scheduled-changes")
