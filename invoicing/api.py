"""The customer invoices' area of the portal's API (portal/core/api/): the issued invoices, credit notes and
corrected invoices, with the search page's filters and paging."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from invoicing import selectors
from invoicing.lists import ISSUED_LIST
from invoicing.permissions import CHANGE_INVOICING, VIEW_INVOICING
from portal.core.api import ApiArea, ErrorOut, list_answer, paged
from portal.core.api.lists import query_schema

router = Router()
AREA = ApiArea(
    key="invoicing",
    label=_("Customer invoices"),
    read=VIEW_INVOICING,
    write=CHANGE_INVOICING,
    router=router,
    prefix="customer-invoices",
    order=60,
)


class IssuedOut(Schema):
    number: int
    kind: str
    year: int
    month: int
    domain_id: int
    customer_name: str
    issue_date: dt.date
    due_date: dt.date
    subtotal: int
    tax: int
    total: int
    original_number: int | None
    original_issue_date: dt.date | None
    pdf_sha256: str


IssuedQuery = query_schema(ISSUED_LIST, "IssuedQuery")


@router.get(
    "",
    auth=AREA.reads,
    response={
        200: paged(IssuedOut, "IssuedPage"),
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    url_name="customer_invoices",
    summary="Issued invoices, credit notes and corrected invoices, searched and paged as on their search page",
)
def issued_list(request: HttpRequest, filters: Query[IssuedQuery]):  # type: ignore[valid-type]
    """Searched (`q`) without a `sort`, they come in customer order, as the search page opens."""

    def read(state):
        if state.filters.q and not request.GET.get("sort"):
            state = replace(state, filters=replace(state.filters, sort=selectors.SEARCHED_SORT))
        return selectors.issued_page(
            user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
        )

    return list_answer(request, ISSUED_LIST, read)
