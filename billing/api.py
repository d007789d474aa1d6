"""The billing area of the portal's API (portal/core/api/): LINE WORKS' invoices of the last months, and one
month's invoice items with the details page's filters and paging."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router, Schema
from pydantic import Field

from billing import selectors
from billing.lists import ITEM_LIST
from billing.permissions import CHANGE_BILLING, VIEW_BILLING
from portal.core.api import ApiArea, ErrorOut, list_answer, paged
from portal.core.api.lists import query_schema

router = Router()
AREA = ApiArea(
    key="billing", label=_("Billing"), read=VIEW_BILLING, write=CHANGE_BILLING, router=router, order=50
)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class InvoiceOut(Schema):
    year: int
    month: int
    invoice_no: int | None
    used_amount: int
    option_plus_amount: int
    penalty_amount: int
    total_amount: int
    payment_status: str
    issued_time: dt.datetime | None
    paid_time: dt.datetime | None
    open_findings: int
    open_findings_capped: bool
    synced_at: dt.datetime


class ItemOut(Schema):
    domain_id: int
    domain: str
    customer_name: str
    customer_code: str
    subscription_id: int | None
    item_type: str
    item_id: str
    sub_item_id: str
    plan: str
    start_date: dt.date | None
    end_date: dt.date | None
    license_count: int | None
    member_count: int | None
    quantity: int | None
    status: str
    amount: int | None
    flagged: bool


class Month(Schema):
    year: int = Field(..., ge=2000, le=2099)
    month: int = Field(..., ge=1, le=12)


@router.get(
    "/invoices",
    auth=AREA.reads,
    response={200: list[InvoiceOut], **READ_ERRORS},
    url_name="billing_invoices",
    summary="LINE WORKS' invoices of the last twelve months, oldest first, as on the Invoices page",
)
def invoice_list(request: HttpRequest):
    return selectors.invoice_list(user=request.user)


ItemQuery = query_schema(ITEM_LIST, "ItemQuery")


@router.get(
    "/{year}/{month}/items",
    auth=AREA.reads,
    response={200: paged(ItemOut, "ItemPage"), **READ_ERRORS},
    url_name="billing_items",
    summary="One month's invoice items, filtered and paged as on its details page",
)
def item_list(request: HttpRequest, when: Path[Month], filters: Query[ItemQuery]):  # type: ignore[valid-type]
    year, month = when.year, when.month  # type: ignore[attr-defined]
    return list_answer(
        request,
        ITEM_LIST,
        lambda state: selectors.item_page(
            user=request.user,
            year=year,
            month=month,
            filters=state.filters,
            page=state.page,
            per_page=state.per_page,
        ),
        form_kwargs={"items": selectors.item_values(year=year, month=month)},
    )
