"""Customer pages: list (search, filters, CSV), detail, refresh, and the lifecycle forms."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from customers import selectors, services
from customers.forms import CustomerFilterForm
from customers.sections import sections_for
from portal.core import selectors as core_selectors
from portal.core.access import Perm, can, require
from portal.core.models import SyncRun

RECENT_ACTIVITY = 10

#: Columns of the list: the sort key each header links to ("" = not sortable) and its label.
LIST_COLUMNS = (
    ("company", _("Company")),
    ("domain", _("Domain")),
    ("domain_id", _("domainId")),
    ("code", _("Customer code")),
    ("", _("Plan")),
    ("", _("Status")),
    ("members", _("Members")),
    ("max_users", _("Maximum users")),
    ("trial", _("Trial ends")),
    ("synced", _("Last synced")),
)
NUMERIC_COLUMNS = ("members", "max_users")


def _filter_form(request: HttpRequest) -> CustomerFilterForm:
    return CustomerFilterForm(request.GET, plans=selectors.customer_plan_values())


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.to_filters()
    page = selectors.customer_page(
        user=request.user, filters=filters, page=request.GET.get("page"), per_page=form.per_page_value
    )
    template = "customers/customer_list.html"
    if request.htmx and request.htmx.target == "results":
        template += "#results"
    return render(
        request,
        template,
        {
            "form": form,
            "page_obj": page,
            "sort": filters.sort,
            "columns": LIST_COLUMNS,
            "numeric_columns": NUMERIC_COLUMNS,
            "last_sync": core_selectors.sync_run_latest_finished(kind="full"),
            "stale_after": settings.STALE_AFTER_MINUTES,
            "can_change": can(request.user, Perm.CHANGE_CUSTOMERS),
        },
    )


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_export(request: HttpRequest) -> StreamingHttpResponse:
    form = _filter_form(request)
    rows = selectors.customer_csv_rows(user=request.user, filters=form.to_filters())
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
    return response


@require(Perm.VIEW_CUSTOMERS)
@require_GET
def customer_detail(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, domain_id=domain_id)
    if customer is None:
        raise Http404
    activity = None
    if can(request.user, Perm.VIEW_ACTIVITY):
        activity = list(
            core_selectors.audit_entry_list(filters=core_selectors.ActivityFilters(), domain_id=domain_id)[
                :RECENT_ACTIVITY
            ]
        )
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "sections": sections_for(customer=customer, user=request.user),
            "activity": activity,
            "can_change": can(request.user, Perm.CHANGE_CUSTOMERS),
        },
    )


@require(Perm.VIEW_CUSTOMERS)
@require_POST
def customer_refresh(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Read this customer from the Partner API now (a read: every role that sees customers may ask)."""
    if selectors.customer_get(user=request.user, domain_id=domain_id) is None:
        raise Http404
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
