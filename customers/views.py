"""Customer pages: list (search, filters, CSV), detail and refresh (the changes are in views_changes.py)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers import selectors, services
from customers.lists import CUSTOMER_LIST
from customers.permissions import CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from home.sections import sections_for
from portal.core import lists
from portal.core import selectors as core_selectors
from portal.core.access import can, require
from portal.core.lists import ListState
from portal.core.models import SyncRun
from portal.core.permissions import VIEW_ACTIVITY
from portal.core.shortcuts import found_or_404

RECENT_ACTIVITY = 10


@require(VIEW_CUSTOMERS)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    state = ListState.from_request(request, CUSTOMER_LIST)
    page = selectors.customer_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(
        request,
        state,
        page,
        full_context=lambda: {
            "can_change": can(request.user, CHANGE_CUSTOMERS),
        },
    )


@require(VIEW_CUSTOMERS)
@require_GET
def customer_export(request: HttpRequest) -> HttpResponseBase:
    state = ListState.from_request(request, CUSTOMER_LIST)
    return lists.export(
        request, state, selectors.customer_list(user=request.user, filters=state.filters), name="customers"
    )


@require(VIEW_CUSTOMERS)
@require_GET
def customer_detail(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    opened_at = timezone.now()  # before the refresh is queued: its run starts after this
    refreshing = services.customer_refresh_if_old(customer=customer)
    context = _detail_context(request, customer, refresh="waiting" if refreshing else "")
    context["opened_at"] = int(opened_at.timestamp() * 1000)
    return render(request, "customers/customer_detail.html", context)


def _detail_context(request: HttpRequest, customer, *, refresh: str, error: str = "") -> dict:
    activity = None
    if can(request.user, VIEW_ACTIVITY):
        activity = list(
            core_selectors.audit_entry_list(
                filters=core_selectors.ActivityFilters(), domain_id=customer.domain_id
            )[:RECENT_ACTIVITY]
        )
    return {
        "customer": customer,
        "sections": sections_for(customer=customer, user=request.user),
        "activity": activity,
        "can_change": can(request.user, CHANGE_CUSTOMERS),
        # The background refresh the page started (waiting, done, failed, late), polled by `customer_fresh`.
        "refresh": refresh,
        "refresh_error": error,
    }


@require(VIEW_CUSTOMERS)
@require_GET
def customer_fresh(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Polled by a customer page whose opening started a background refresh (`since`: when the page opened, in
    milliseconds): nothing (204) while it runs, then the page's fresh part (the data read just now, or why it
    did not come)."""
    try:
        since = dt.datetime.fromtimestamp(int(request.GET.get("since", "")) / 1000, tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return HttpResponse(status=400)
    state = selectors.customer_refresh_state(user=request.user, domain_id=domain_id, since=since)
    if state.status == "waiting":
        return HttpResponse(status=204)
    customer = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    context = _detail_context(request, customer, refresh=state.status, error=state.error)
    return render(request, "customers/customer_detail.html#fresh", context)


@require(VIEW_CUSTOMERS)
@require_POST
def customer_refresh(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Read this customer from the Partner API now (a read: every role that sees customers may ask)."""
    found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    run = services.customer_refresh(domain_id=domain_id, user=request.user)
    if run.status == SyncRun.Status.SUCCEEDED:
        if run.counts.get("removed"):
            messages.warning(
                request, _("The Partner API no longer has this customer; it is now marked removed.")
            )
        else:
            messages.success(request, _("Customer refreshed from the Partner API."))
    else:
        detail = "; ".join(e.get("error", "") for e in run.errors[:3])
        messages.error(request, _("Refresh failed: %(detail)s") % {"detail": detail})
    return redirect("customers:detail", domain_id=domain_id)
