"""The options' area of the portal's API (portal/core/api/): the Options list with its filters and paging, and
the changes a customer's options pages offer (add, upgrade, add quantity, cancel, the renewal, scheduled option
changes), through their own forms and the change pipeline."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any, NamedTuple

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from customers import selectors as customer_selectors
from options import forms_changes as f
from options import selectors
from options.change_args import (
    add_args,
    add_form,
    cancel_form,
    option_args,
    order_args,
    order_date_form,
    order_form,
    quantity_args,
    renewal_args,
    renewal_form,
    renewal_refusal,
    upgrade_refusal,
)
from options.lists import OPTION_LIST
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core.api import ApiArea, ApiId, ErrorOut, change_endpoint, list_answer, paged
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.changes.forms import ChangeForm
from portal.core.shortcuts import found_or_404

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


# --- The changes of a customer's options, as its pages offer them ------------------------------------------------

#: An option's id in a path (DRV, SSTG2, BCT...): letters, digits and "_" (anything else a 422 in words, before
#: any database reads it), then found or 404.
OptionId = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9_]{1,32}$", description="optionProductId: DRV, SSTG2, BCT...")
]


def _section(domain_id: int) -> str:
    return reverse("customers:detail", args=[domain_id]) + "#section-options"


class Asked(NamedTuple):
    """What a change is about (a customer, a scheduled option change), and who asks: the forms read with them."""

    obj: Any
    user: Any


def _customer(request: HttpRequest, domain_id: ApiId) -> Asked:
    """A customer the change forms take (one LINE WORKS still lists)."""
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    return Asked(customer, request.user)


def _option(request: HttpRequest, domain_id: ApiId, option_product_id: OptionId):
    return found_or_404(
        selectors.option_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )


def _order(request: HttpRequest, domain_id: ApiId, option_product_id: OptionId):
    order = found_or_404(
        selectors.order_get(user=request.user, domain_id=domain_id, option_product_id=option_product_id)
    )
    return Asked(order, request.user)


#: A change of a customer's options (add one, schedule one): of the customer, back to its Options section.
customer_change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_customer,
    domain_id=lambda at: at.obj.domain_id,
    done=lambda at: _section(at.obj.domain_id),
)
#: A change of one option in use.
option_change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_option,
    domain_id=lambda o: o.customer_id,
    done=lambda o: _section(o.customer_id),
)
#: A change of one scheduled option change.
order_change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_order,
    domain_id=lambda at: at.obj.customer_id,
    done=lambda at: _section(at.obj.customer_id),
)

customer_change(
    "/customers/{domain_id}/new",
    url_name="option_create",
    summary="Add an option now (createOptionProduct)",
    body=f.OptionAddForm,
    form=lambda at, data: add_form(data, user=at.user, customer=at.obj),
    operation_id="createOptionProduct",
    args=lambda at, form: add_args(at.obj.domain_id, form),
)
option_change(
    "/customers/{domain_id}/{option_product_id}/upgrade",
    url_name="option_upgrade",
    summary="Upgrade an option to a larger sub option now (upgradeOptionProduct)",
    body=f.OptionUpgradeForm,
    form=lambda o, data: f.OptionUpgradeForm(data, option=o),
    operation_id="upgradeOptionProduct",
    args=lambda o, form: option_args(
        o.customer_id, o.option_product_id, sub_option_id=form.cleaned_data["sub_option_id"]
    ),
    refusal=upgrade_refusal,
)
option_change(
    "/customers/{domain_id}/{option_product_id}/quantity",
    url_name="option_add_quantity",
    summary="Add units to an option now (addOptionProductQuantity)",
    body=f.OptionAddQuantityForm,
    form=lambda o, data: f.OptionAddQuantityForm(data, option=o),
    operation_id="addOptionProductQuantity",
    args=lambda o, form: quantity_args(o, form.cleaned_data),
)
option_change(
    "/customers/{domain_id}/{option_product_id}/cancel",
    url_name="option_cancel",
    summary="Cancel an option now (cancelOptionProduct)",
    body=f.OptionCancelForm,
    form=lambda o, data: cancel_form(data, o),
    operation_id="cancelOptionProduct",
    args=lambda o, form: option_args(o.customer_id, o.option_product_id, readd_from=form.readd_from()),
)
option_change(
    "/customers/{domain_id}/{option_product_id}/renewal",
    url_name="option_renewal",
    summary="Set what happens to an option at renewal (updateOptionProductRenewal)",
    body=f.OptionRenewalForm,
    form=lambda o, data: renewal_form(data, o),
    operation_id="updateOptionProductRenewal",
    args=lambda o, form: renewal_args(o, form.cleaned_data),
    refusal=renewal_refusal,
)
customer_change(
    "/customers/{domain_id}/orders/new",
    url_name="option_order_create",
    summary="Schedule an option change on a date (createOptionProductOrder)",
    body=f.OptionOrderForm,
    form=lambda at, data: order_form(data, user=at.user, customer=at.obj),
    operation_id="createOptionProductOrder",
    args=lambda at, form: order_args(at.obj.domain_id, form.cleaned_data),
)
order_change(
    "/customers/{domain_id}/orders/{option_product_id}/date",
    url_name="option_order_date",
    summary="Move a scheduled option change to another date (updateOptionProductOrder)",
    body=f.OptionOrderDateForm,
    form=lambda at, data: order_date_form(data, user=at.user, order=at.obj),
    operation_id="updateOptionProductOrder",
    args=lambda at, form: option_args(
        at.obj.customer_id, at.obj.option_product_id, apply_date=form.cleaned_data["apply_date"]
    ),
)
order_change(
    "/customers/{domain_id}/orders/{option_product_id}/delete",
    url_name="option_order_delete",
    summary="Delete a scheduled option change (deleteOptionProductOrder)",
    body=ChangeForm,
    form=lambda at, data: ChangeForm(data),
    operation_id="deleteOptionProductOrder",
    args=lambda at, form: option_args(at.obj.customer_id, at.obj.option_product_id),
)
