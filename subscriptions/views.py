"""Subscription pages: the global list (filters, sorting, CSV). (The Scheduled changes page is the schedule
app's; subscriptions contributes its sources, see subscriptions/schedule.py.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from portal.core import lists
from portal.core.access import require
from portal.core.lists import ListState
from subscriptions import selectors
from subscriptions.lists import SUBSCRIPTION_LIST
from subscriptions.permissions import VIEW_SUBSCRIPTIONS


def _list_state(request: HttpRequest) -> ListState:
    return ListState.from_request(request, SUBSCRIPTION_LIST)


@require(VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    state = _list_state(request)
    page = selectors.subscription_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(request, state, page)


@require(VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_export(request: HttpRequest) -> HttpResponseBase:
    state = _list_state(request)
    qs = selectors.subscription_list(user=request.user, filters=state.filters)
    return lists.export(request, state, qs, name="subscriptions")
