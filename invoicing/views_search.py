"""The search of issued invoices (Finance and Admins): by issue date range, total range and customer, the keys
the Electronic Books Maintenance Act names, on the list machinery (paging, capped count, sort), with the export
of exactly the filtered list (the CSVs and the workbook)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from invoicing import selectors
from invoicing.lists import ISSUED_LIST
from invoicing.permissions import VIEW_INVOICING
from invoicing.views_shared import searched_state
from portal.core import lists
from portal.core.access import require
from portal.core.lists import ListState


@require(VIEW_INVOICING)
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    state = searched_state(request, ISSUED_LIST)
    page = selectors.issued_page(
        user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
    )
    return lists.respond(request, state, page)


@require(VIEW_INVOICING)
@require_GET
def search_export(request: HttpRequest) -> HttpResponseBase:
    state = ListState.from_request(request, ISSUED_LIST)
    qs = selectors.issued_list(user=request.user, filters=state.filters)
    return lists.export(request, state, qs, name="issued-invoices")
