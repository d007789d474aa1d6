"""Groups of customers: a saved view of the customer list (the saved views room) is a group, the source of a bulk
change on its customers or on their rows of another list (their subscriptions, their options).

A `BulkSource` ("group:<saved view id>"): its rows are worked out when the bulk change is chosen, from the view's
filters as the customer list reads them for the reader (their access, `PORTFOLIO_ONLY` included), then each
action's rows of those customers (`BulkAction.of_customers`); the dry run checks each row, and confirming checks
them again, as every bulk change does. The Views page offers the actions a group takes on each such view."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils import timezone

from customers import selectors
from customers.bulk import LIST
from customers.lists import CUSTOMER_LIST
from portal.core.changes.bulk import BulkAction, BulkSource
from portal.core.lists import ListState
from saved import services as saved_services
from saved.models import Follow, SavedView
from saved.selectors import saved_view_get

#: The list whose saved views are groups.
GROUP_OF = "customers:list"


def group_view(request, name: str) -> SavedView | None:
    """The saved view `name` (its id) the reader sees, when it is a view of the customer list."""
    if not (name.isascii() and name.isdigit()):
        return None
    view = saved_view_get(user=request.user, view_id=int(name))
    return view if view is not None and view.path == reverse(GROUP_OF) else None


def group_customers(request, view: SavedView) -> QuerySet:
    """The customers the view's filters find for the reader, as its list shows them (the session's remembered
    filters neither read nor written: the view's query has its own)."""
    shown = copy.copy(request)
    shown.GET = QueryDict(view.query)
    shown.session = None
    state = ListState.from_request(shown, CUSTOMER_LIST)
    return selectors.customer_list(user=request.user, filters=state.filters)


def takes(action: BulkAction) -> bool:
    return action.of_customers is not None or action.list_name == LIST


def _rows(request, name: str, action: BulkAction) -> QuerySet | None:
    view = group_view(request, name)
    if view is None or not takes(action):
        return None
    customers = group_customers(request, view)
    if action.of_customers is None:
        return customers
    return action.of_customers(request.user, customers.order_by().values("domain_id"))


def group_keys(request, name: str, action: BulkAction) -> list[str]:
    rows = _rows(request, name, action)
    return [] if rows is None else [action.key_of(row) for row in rows]


def group_count(request, name: str, action: BulkAction) -> int:
    """The group's rows for the action, counted up to one past what a bulk change takes."""
    rows = _rows(request, name, action)
    return 0 if rows is None else rows.order_by().values("pk")[: settings.BULK_MAX_ROWS + 1].count()


def group_back(name: Any) -> str:
    return reverse("saved:list")


SOURCE = BulkSource(
    prefix="group", keys=group_keys, back=group_back, count=group_count, group_of=GROUP_OF, takes=takes
)


def follows_check(*, now=None) -> int:
    """Check every followed group as its follower sees it and record who entered and who left (their morning
    digest tells them); a follower who left the team, or who no longer sees the view, is skipped. The groups
    checked."""
    now = now or timezone.now()
    checked = 0
    for follow in Follow.objects.filter(user__is_active=True).select_related("user").order_by("pk"):
        request = HttpRequest()
        request.user = follow.user
        view = group_view(request, str(follow.view_id))
        if view is None:
            continue
        most = saved_services.FOLLOW_MOST
        ids = list(group_customers(request, view).values_list("domain_id", flat=True)[: most + 1])
        saved_services.follow_record(follow=follow, members=None if len(ids) > most else ids, now=now)
        checked += 1
    return checked
