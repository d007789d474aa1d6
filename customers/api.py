"""The customers' area of the portal's API (portal/core/api/): the Customers list with its filters and paging,
and one customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from customers import selectors
from customers.lists import CUSTOMER_LIST
from customers.models import status_labels
from customers.permissions import CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from portal.core.api import ApiArea, ApiId, ErrorOut, list_answer, paged
from portal.core.api import errors as api_errors
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.vocabulary import Plan, Product

router = Router()
AREA = ApiArea(
    key="customers",
    label=_("Customers"),
    read=VIEW_CUSTOMERS,
    write=CHANGE_CUSTOMERS,
    router=router,
    order=10,
)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class CustomerOut(Schema):
    domain_id: int
    company_name: str
    domain: str
    product_id: str
    product: str
    plan: str
    plan_label: str
    usage_status: str
    usage_status_label: str
    has_scheduled_changes: bool
    member_count: int | None
    max_member_count: int | None
    max_member_unlimited: bool
    trial_ends_on: dt.date | None
    synced_at: dt.datetime | None
    removed_at: dt.datetime | None


class CustomerDetailOut(CustomerOut):
    customer_code: str
    domain_type: str
    license_count: int | None
    withdrawal_date: dt.date | None
    renewal_apply_date: dt.date | None
    renewal_max_member_count: int | None


def customer_row(c, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """A customer as the list reads it (its LIST_FIELDS), codes with their names."""
    return {
        "domain_id": c.domain_id,
        "company_name": c.company_name,
        "domain": c.domain,
        "product_id": c.product_id or "",
        "product": labels["products"].get(c.product_id or "", c.product_id or ""),
        "plan": c.plan or "",
        "plan_label": labels["plans"].get(c.plan or "", c.plan or ""),
        "usage_status": c.usage_status or "",
        "usage_status_label": labels["states"].get(c.usage_status or "", c.usage_status or ""),
        "has_scheduled_changes": c.has_scheduled_changes,
        "member_count": c.member_count,
        "max_member_count": c.max_member_count,
        "max_member_unlimited": c.max_member_unlimited,
        "trial_ends_on": c.trial_ends_on,
        "synced_at": c.synced_at,
        "removed_at": c.removed_at,
    }


def _labels() -> dict[str, dict[str, str]]:
    """The names of the codes, in the request's language (read once per answer, not per row)."""
    return {
        "products": {k: str(v) for k, v in Product.choices},
        "plans": {k: str(v) for k, v in Plan.choices},
        "states": status_labels(),
    }


CustomerQuery = query_schema(CUSTOMER_LIST, "CustomerQuery")


@router.get(
    "",
    auth=AREA.reads,
    response={200: paged(CustomerOut, "CustomerPage"), **READ_ERRORS},
    url_name="customers",
    summary="Customers, filtered and paged as on the Customers page",
    openapi_extra={CUSTOMER_FILTERS: True},
)
def customer_list(request: HttpRequest, filters: Query[CustomerQuery]):  # type: ignore[valid-type]
    labels = _labels()
    return list_answer(
        request,
        CUSTOMER_LIST,
        lambda state: selectors.customer_page(
            user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
        ),
        row=lambda c: customer_row(c, labels),
    )


@router.get(
    "/{domain_id}",
    auth=AREA.reads,
    response={200: CustomerDetailOut, **READ_ERRORS},
    url_name="customer",
    summary="One customer",
)
def customer_read(request: HttpRequest, domain_id: ApiId):
    c = selectors.customer_get(user=request.user, domain_id=domain_id)
    if c is None:
        raise api_errors.not_found()
    return {
        **customer_row(c, _labels()),
        "customer_code": c.customer_code,
        "domain_type": c.domain_type,
        "license_count": c.license_count,
        "withdrawal_date": c.withdrawal_date,
        "renewal_apply_date": c.renewal_apply_date,
        "renewal_max_member_count": c.renewal_max_member_count,
    }
