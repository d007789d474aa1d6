"""Subscription pages: the global list (filters, sorting, CSV) and the Scheduled changes agenda."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from portal.core import selectors as core_selectors
from portal.core.access import Perm, require
from portal.core.csv_export import csv_response
from subscriptions import schedule, selectors
from subscriptions.forms import ScheduleFilterForm, SubscriptionFilterForm

#: Columns of the list: the sort key each header links to ("" = not sortable) and its label.
LIST_COLUMNS = (
    ("customer", _("Customer")),
    ("product", _("Product")),
    ("plan", _("Plan")),
    ("licences", _("Licences")),
    ("start", _("Start date")),
    ("end", _("End date")),
    ("status", _("Status")),
    ("renewal", _("Renewal")),
    ("", _("Scheduled change")),
)
NUMERIC_COLUMNS = ("licences",)


def _filter_form(request: HttpRequest) -> SubscriptionFilterForm:
    return SubscriptionFilterForm(
        request.GET,
        products=selectors.subscription_values("product_id"),
        plans=selectors.subscription_values("plan"),
    )


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = form.to_filters()
    page = selectors.subscription_page(
        user=request.user, filters=filters, page=request.GET.get("page"), per_page=form.per_page_value
    )
    template = "subscriptions/subscription_list.html"
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
            "today": core_selectors.business_today(),
            "last_sync": core_selectors.sync_run_latest_finished(kind="full"),
        },
    )


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def subscription_export(request: HttpRequest) -> StreamingHttpResponse:
    form = _filter_form(request)
    return csv_response(
        selectors.subscription_csv_rows(user=request.user, filters=form.to_filters()), name="subscriptions"
    )


@require(Perm.VIEW_SUBSCRIPTIONS)
@require_GET
def scheduled(request: HttpRequest) -> HttpResponse:
    kinds = [(s.key, s.label) for s in schedule.schedule_sources(user=request.user)]
    form = ScheduleFilterForm(request.GET, kinds=kinds)
    agenda = schedule.agenda(user=request.user, filters=form.to_filters())
    template = "subscriptions/scheduled_changes.html"
    if request.htmx and request.htmx.target == "agenda":
        template += "#agenda"
    return render(
        request,
        template,
        {"form": form, "agenda": agenda, "soon_days": schedule.DEADLINE_SOON_DAYS},
    )
