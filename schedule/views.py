"""The Scheduled changes page: the agenda (by date) or the month calendar, and its CSV and iCalendar exports.

Every contributed source the user may see is on it (schedule/sources.py). The page needs
VIEW_SUBSCRIPTIONS, the permission of every role that follows customers' contracts (Finance does not);
each source then keeps to its own `perm` and `change_perm`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from portal.core.access import require
from portal.core.downloads import table_response
from portal.core.htmx import counting, partial_for
from portal.core.ical import ical_response, subscribed_response
from portal.core.lists import customer_filter_query
from schedule import feed, selectors
from schedule.feed import FEED_PERM
from schedule.forms import ScheduleFilterForm
from schedule.lists import agenda_table, calendar_weeks
from schedule.permissions import VIEW_SCHEDULE
from schedule.sources import DEADLINE_SOON_DAYS, schedule_sources

TEMPLATE = "schedule/scheduled_changes.html"


def _form(request: HttpRequest) -> ScheduleFilterForm:
    """The page's filters; the Owner filter remembered and opening as on every list of customers' rows (so the
    downloads, whose links carry the filled-in value, hold exactly what the page shows)."""
    kinds = [(s.key, s.label) for s in schedule_sources(user=request.user)]
    query = customer_filter_query(request, page=TEMPLATE)
    return ScheduleFilterForm(query, kinds=kinds, user=request.user)


def _origin(request: HttpRequest) -> str:
    """Scheme and host of the request ("https://portal.example"), to make the exports' links absolute."""
    return request.build_absolute_uri("/").rstrip("/")


@require(VIEW_SCHEDULE)
@require_GET
def agenda(request: HttpRequest) -> HttpResponse:
    """The agenda, or the month calendar with `?view=calendar&month=YYYY-MM`; htmx gets the `#agenda` part."""
    form = _form(request)
    filters = form.to_filters()
    if filters.calendar:  # a grid: its template draws it (templates/schedule/_calendar.html)
        result = selectors.month_calendar(user=request.user, filters=filters)
    else:
        result = selectors.agenda(user=request.user, filters=filters)
    if counting(request):  # a saved view's count (saved/): the items in its range, none drawn
        return render(
            request, "components/_count.html", {"count": result["total"], "capped": result.get("capped")}
        )
    if filters.calendar:
        result["cells"] = calendar_weeks(result["weeks"], query=request.GET)
        agenda = None
    else:
        agenda = agenda_table(result["days"], today=result["today"])
    context = {"result": result, "agenda": agenda, "view": form.view_value, "saved_query": form.data}
    if partial_for(request, "agenda"):
        # Filters, month links, the view switch: only the results, as every list answers htmx.
        return render(request, f"{TEMPLATE}#agenda", context)
    return render(request, TEMPLATE, {**context, "form": form, "soon_days": DEADLINE_SOON_DAYS})


@require(VIEW_SCHEDULE)
@require_GET
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """Exactly the items the page shows with the same query string: the workbook or a CSV in UTF-8 or
    Shift_JIS, as the query asks (portal/core/downloads.py)."""
    table = selectors.scheduled_table(
        user=request.user, filters=_form(request).to_filters(), origin=_origin(request)
    )
    return table_response(request, table, name="scheduled-changes")


@require(VIEW_SCHEDULE)
@require_GET
def export_ical(request: HttpRequest) -> StreamingHttpResponse:
    """iCalendar (.ics) of exactly the items the page shows with the same query string."""
    lines = selectors.scheduled_ical_lines(
        user=request.user, filters=_form(request).to_filters(), origin=_origin(request)
    )
    return ical_response(lines, name="scheduled-changes")


@require(FEED_PERM)
def feed_page(request: HttpRequest) -> HttpResponse:
    """The user's private calendar feed: make a URL (shown once), make a new one, or revoke it."""
    token = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "make":
            token = feed.feed_make(user=request.user, language=request.LANGUAGE_CODE)
            messages.success(
                request, _("Your calendar feed URL is ready. Copy it now: it is shown only once.")
            )
        elif action == "revoke":
            if feed.feed_revoke(user=request.user):
                messages.success(request, _("Your calendar feed is revoked: its URL no longer works."))
            return redirect("schedule:feed")
        else:
            return HttpResponseBadRequest(_("Choose to make or to revoke the calendar feed."))
    url = request.build_absolute_uri(reverse("schedule:feed_ics", args=[token])) if token else ""
    context = {
        "feed": feed.feed_get(user=request.user),
        "url": url,
        "language": feed.feed_language(user=request.user),
    }
    return render(request, "schedule/feed.html", context)


@require_safe
def feed_ics(request: HttpRequest, token: str) -> HttpResponseBase:
    """The calendar feed itself, opened by its secret (calendar apps have no session): 404 for a wrong or
    revoked secret, or a user who may no longer see it. GET or HEAD; ETag, Last-Modified and 304 for a poll
    that already has the current version (portal/core/ical.py)."""
    found = feed.feed_by_token(token=token)
    if found is None:
        raise Http404
    # Written in the language its owner reads the portal in (the calendar app has no session to tell).
    calendar = feed.feed_calendar(
        feed=found, origin=_origin(request), language=feed.feed_language(user=found.user)
    )
    return subscribed_response(request, calendar.body, changed_at=calendar.changed_at, name="partner-portal")


#: Read by tests/core/test_url_coverage.py: the feed needs no session but a secret of a user holding this.
feed_ics.token_perm = FEED_PERM
