"""Options pages that read: the global list (filters, sorting, CSV), the option catalogue and a customer's
usage month (server-rendered SVG chart with its table)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from customers import selectors as customer_selectors
from options import rules, selectors
from options.lists import OPTION_LIST
from options.permissions import VIEW_OPTIONS
from portal.core import clock, lists
from portal.core.access import require
from portal.core.lists import ListState
from portal.core.shortcuts import found_or_404
from portal.core.vocabulary import OptionProduct


@require(VIEW_OPTIONS)
@require_GET
def option_list(request: HttpRequest) -> HttpResponse:
    state = ListState.from_request(request, OPTION_LIST)
    page = selectors.option_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(request, state, page)


@require(VIEW_OPTIONS)
@require_GET
def option_export(request: HttpRequest) -> HttpResponseBase:
    state = ListState.from_request(request, OPTION_LIST)
    return lists.export(
        request, state, selectors.option_list(user=request.user, filters=state.filters), name="options"
    )


@require(VIEW_OPTIONS)
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    options = [
        {
            "id": option_id,
            "label": name,
            "sub_options": rules.sub_options_of(option_id),
            "upgradable": option_id in rules.UPGRADABLE_NOW,
            "quantity": option_id in rules.QUANTITY_OPTIONS,
            "downgrade_at_renewal": option_id in rules.DOWNGRADE_AT_RENEWAL,
        }
        for option_id, name in OptionProduct.choices
    ]
    return render(request, "options/catalogue.html", {"options": options, "products": rules.PRODUCT_LABELS})


def _month(value: str | None, today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(f"{value}-01") if value else today.replace(day=1)
    except ValueError:
        day = today.replace(day=1)
    if not (2000 <= day.year <= today.year + 1):
        day = today.replace(day=1)
    return day


#: Size of the chart (SVG user units).
CHART_W, CHART_H, CHART_PAD = 640, 200, 32


@require(VIEW_OPTIONS)
@require_GET
def usage(request: HttpRequest, domain_id: int) -> HttpResponse:
    customer = found_or_404(customer_selectors.customer_get(user=request.user, domain_id=domain_id))
    month = _month(request.GET.get("month"), clock.today())
    series = selectors.usage_month(user=request.user, customer=customer, year=month.year, month=month.month)
    days_in_month = ((month + dt.timedelta(days=32)).replace(day=1) - month).days
    step = (CHART_W - 2 * CHART_PAD) / max(days_in_month - 1, 1)
    charts = []
    for s in series:
        peak = max(s.peak, 1)
        xy = [
            (CHART_PAD + (d.day - 1) * step, CHART_H - CHART_PAD - v / peak * (CHART_H - 2 * CHART_PAD))
            for d, v in s.days
        ]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        # A dot per metered day, so that a month with one day of data still shows it.
        dots = [(f"{x:.1f}", f"{y:.1f}") for x, y in xy]
        charts.append({"series": s, "points": points, "dots": dots, "top": peak})
    prev_month = (month - dt.timedelta(days=1)).replace(day=1)
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "options/usage.html",
        {
            "customer": customer,
            "month": month,
            "prev_month": prev_month,
            "next_month": next_month,
            "charts": charts,
            "chart": {
                "w": CHART_W,
                "h": CHART_H,
                "pad": CHART_PAD,
                "base": CHART_H - CHART_PAD,
                "label_y": CHART_H - 4,
                "last_x": CHART_W - 2,
            },
            "month_end": next_month - dt.timedelta(days=1),
            # A month whose daily usage has left: its monthly summary instead.
            "summary": []
            if series
            else selectors.usage_month_summary(
                user=request.user, customer=customer, year=month.year, month=month.month
            ),
        },
    )
