"""Subscription pages: the global list (filters, sorting, CSV) and the Scheduled changes page (agenda, month
calendar, CSV and iCalendar exports)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from portal.core import lists
from portal.core import selectors as core_selectors
from portal.core.access import Perm, require
from portal.core.csv_export import csv_response
from portal.core.htmx import partial_for
from portal.core.ical import ical_response
from portal.core.lists import ListState
from subscriptions import schedule, schedule_presenters, selectors
from subscriptions.forms import ScheduleFilterForm
from subscriptions.lists import SUBSCRIPTION_LIST


def _list_state(request: HttpRequest) -> ListState:
    return ListState.from_request(
        request,
        SUBSCRIPTION_LIST,
        products=selectors.subscription_values("product_id"),
        plans=selectors.subscription_values("plan"),
    )


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    state = _list_state(request)
    page = selectors.subscription_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(
        request,
        state,
        page,
        full_context=lambda: {"last_sync": core_selectors.sync_run_latest_finished(kind="full")},
    )


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_export(request: HttpRequest) -> StreamingHttpResponse:
    state = _list_state(request)
    qs = selectors.subscription_list(user=request.user, filters=state.filters)
    return lists.csv_export(state, qs, name="subscriptions")


def _schedule_form(request: HttpRequest) -> ScheduleFilterForm:
    kinds = [(s.key, s.label) for s in schedule.schedule_sources(user=request.user)]
    return ScheduleFilterForm(request.GET, kinds=kinds)


def _origin(request: HttpRequest) -> str:
    """Scheme and host of the request ("https://portal.example"), to make the exports' links absolute."""
    return request.build_absolute_uri("/").rstrip("/")


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def scheduled(request: HttpRequest) -> HttpResponse:
    """Scheduled changes: the agenda (by date) or the month calendar (`?view=calendar&month=YYYY-MM`)."""
    form = _schedule_form(request)
    filters = form.to_filters()
    if filters.calendar:
        result = schedule.month_calendar(user=request.user, filters=filters)
        body = schedule_presenters.calendar_rows(result["weeks"], today=result["today"], query=request.GET)
    else:
        result = schedule.agenda(user=request.user, filters=filters)
        body = schedule_presenters.agenda_days(result["days"], today=result["today"])
    context = {"result": result, "body": body, "view": form.view_value}
    if partial_for(request, "agenda"):
        # Filters, month links, the view switch: only the results, without the page's navigation (no
        # context processors), as the customer list does.
        html = render_to_string(
            "subscriptions/scheduled_changes.html#agenda", {**context, "request": request}
        )
        return HttpResponse(html)
    context |= {"form": form, "soon_days": schedule.DEADLINE_SOON_DAYS}
    return render(request, "subscriptions/scheduled_changes.html", context)


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def scheduled_export(request: HttpRequest) -> StreamingHttpResponse:
    """CSV of exactly the items the page shows with the same query string."""
    lines = schedule.scheduled_csv_rows(
        user=request.user, filters=_schedule_form(request).to_filters(), origin=_origin(request)
    )
    return csv_response(lines, name="scheduled-changes")


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def scheduled_ical(request: HttpRequest) -> StreamingHttpResponse:
    """iCalendar (.ics) of exactly the items the page shows with the same query string."""
    lines = schedule.scheduled_ical_lines(
        user=request.user, filters=_schedule_form(request).to_filters(), origin=_origin(request)
    )
    return ical_response(lines, name="scheduled-changes")
