"""The options' area of the portal's API (portal/core/api/): the Options list with its filters and paging."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from options import selectors
from options.lists import OPTION_LIST
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core.api import ApiArea, ErrorOut, list_answer, paged
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema

router = Router()
AREA = ApiArea(
    key="options", label=_("Options"), read=VIEW_OPTIONS, write=CHANGE_OPTIONS, router=router, order=30
)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class OptionOut(Schema):
    domain_id: int
    company_name: str
    domain: str
    option_product_id: str
    option: str
    sub_option_id: str
    sub_option: str
    quantity: int | None
    plan: str
    plan_label: str
    trial: bool
    plan_start_date: dt.date | None
    plan_end_date: dt.date | None
    renewal_type: str
    renewal_type_label: str
    renewal_sub_option_id: str
    renewal_quantity: int | None


def option_row(o) -> dict[str, Any]:
    return {
        "domain_id": o.customer_id,
        "company_name": o.company_name,
        "domain": o.domain,
        "option_product_id": o.option_product_id,
        "option": str(o.get_option_display()),
        "sub_option_id": o.sub_option_id or "",
        "sub_option": str(o.get_sub_option_display() or ""),
        "quantity": o.quantity,
        "plan": o.plan or "",
        "plan_label": str(o.get_plan_display() or ""),
        "trial": bool(o.trial),
        "plan_start_date": o.plan_start_date,
        "plan_end_date": o.plan_end_date,
        "renewal_type": o.renewal_type or "",
        "renewal_type_label": str(o.get_renewal_type_display() or ""),
        "renewal_sub_option_id": o.renewal_sub_option_id or "",
        "renewal_quantity": o.renewal_quantity,
    }


OptionQuery = query_schema(OPTION_LIST, "OptionQuery")


@router.get(
    "",
    auth=AREA.reads,
    response={200: paged(OptionOut, "OptionPage"), **READ_ERRORS},
    url_name="options",
    summary="Options, filtered and paged as on the Options page",
    openapi_extra={CUSTOMER_FILTERS: True},
)
def option_list(request: HttpRequest, filters: Query[OptionQuery]):  # type: ignore[valid-type]
    return list_answer(
        request,
        OPTION_LIST,
        lambda state: selectors.option_page(
            user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
        ),
        row=option_row,
    )
