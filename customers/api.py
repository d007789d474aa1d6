"""The customers' area of the portal's API (portal/core/api/): the Customers list with its filters and paging,
one customer, and the changes its pages offer (add a customer, edit it, its maximum users and their scheduled
change, the domain a group name moves to), through their own forms and the change pipeline."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from customers import forms_changes as f
from customers import selectors
from customers.change_args import (
    domain_args,
    edit_args,
    new_customer_args,
    renewal_args,
    renewal_form,
    renewal_initial,
    renewal_operation,
    transfer_args,
    usage_args,
    usage_initial,
)
from customers.lists import CUSTOMER_LIST
from customers.models import status_labels
from customers.permissions import CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from portal.core.api import ApiArea, ApiId, ErrorOut, change_endpoint, list_answer, paged
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.changes.forms import ChangeForm
from portal.core.shortcuts import found_or_404
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


# --- Adding a customer (before "/{domain_id}", which would take "new" for an id) -----------------------------------


def _adder(request: HttpRequest):
    """Who adds a customer (an Account manager owns what they add)."""
    return request.user


change_endpoint(
    router,
    "/new",
    auth=AREA.writes,
    url_name="customer_create",
    summary="Add a customer and its first administrator (createCustomer)",
    description="As the Add customer page's details and check: the domain or group name, the company and its "
    "administrator. Queued: poll its operation.",
    body=f.AddCustomerForm,
    get=_adder,
    form=lambda user, data: f.AddCustomerForm(data),
    operation_id="createCustomer",
    args=lambda user, form: new_customer_args(form.cleaned_data, added_by=user.pk),
    domain_id=lambda user: None,
    done=lambda user: reverse("customers:list"),
)


change_endpoint(
    router,
    "/transfer",
    auth=AREA.writes,
    url_name="customer_transfer",
    summary="Transfer an Online Direct customer to the partner (transferPotentialCustomer)",
    description="As the Transfer page's confirmation: the customer's domain and the partner code it gave. "
    "Queued: poll its operation.",
    body=f.TransferConfirmForm,
    get=_adder,
    form=lambda user, data: f.TransferConfirmForm(data),
    operation_id="transferPotentialCustomer",
    args=lambda user, form: transfer_args(form.cleaned_data, added_by=user.pk),
    domain_id=lambda user: None,
    done=lambda user: reverse("customers:list"),
)


@router.get(
    "/{domain_id}",
    auth=AREA.reads,
    response={200: CustomerDetailOut, **READ_ERRORS},
    url_name="customer",
    summary="One customer",
)
def customer_read(request: HttpRequest, domain_id: ApiId):
    c = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    return {
        **customer_row(c, _labels()),
        "customer_code": c.customer_code,
        "domain_type": c.domain_type,
        "license_count": c.license_count,
        "withdrawal_date": c.withdrawal_date,
        "renewal_apply_date": c.renewal_apply_date,
        "renewal_max_member_count": c.renewal_max_member_count,
    }


# --- The changes of one customer, as its pages offer them ---------------------------------------------------------


def _live(request: HttpRequest, domain_id: ApiId):
    """A customer the change forms take: one LINE WORKS still lists."""
    return found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id, live=True))


def _detail(c) -> str:
    return reverse("customers:detail", args=[c.domain_id])


#: A change of one customer: found by its id, back to its page.
change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_live,
    domain_id=lambda c: c.domain_id,
    done=_detail,
)


def _no_renewal(c) -> str | None:
    if c.renewal_apply_date is None:
        return gettext("This customer has no scheduled max-users change.")
    return None


change(
    "/{domain_id}/edit",
    url_name="customer_edit",
    summary="Edit the customer (patchCustomer)",
    description="As the Edit customer page: a field left out keeps its value; only the fields that change are "
    "sent.",
    body=f.CustomerEditForm,
    form=lambda c, data: f.CustomerEditForm(data, initial=f.CustomerEditForm.initial_for(c)),
    defaults=f.CustomerEditForm.initial_for,
    check=lambda form: None if form.changes() else gettext("Nothing changed."),
    operation_id="patchCustomer",
    args=lambda c, form: edit_args(c.domain_id, form),
)
change(
    "/{domain_id}/usage",
    url_name="customer_usage",
    summary="Set the maximum users and the scheduled cancellation (patchUsageStatus)",
    description="A field left out keeps its value; null clears it (no limit, no cancellation).",
    body=f.UsageStatusForm,
    form=lambda c, data: f.UsageStatusForm(data, initial=usage_initial(c)),
    defaults=usage_initial,
    operation_id="patchUsageStatus",
    args=lambda c, form: usage_args(c, form.cleaned_data),
)
change(
    "/{domain_id}/usage/renewal",
    url_name="customer_usage_renewal",
    summary="Schedule a max-users change, or move the one there is "
    "(createUsageStatusRenewal, patchUsageStatusRenewal)",
    description="As the usage page: a customer has at most one scheduled max-users change; when it has one, only "
    "its date can change. A field left out keeps its value.",
    body=f.RenewalForm,
    form=lambda c, data: renewal_form(c, data),
    defaults=renewal_initial,
    operation_id=renewal_operation,
    args=lambda c, form: renewal_args(c.domain_id, form, form.cleaned_data),
)
change(
    "/{domain_id}/usage/renewal/delete",
    url_name="customer_usage_renewal_delete",
    summary="Delete the scheduled max-users change (deleteUsageStatusRenewal)",
    body=ChangeForm,
    form=lambda c, data: ChangeForm(data),
    operation_id="deleteUsageStatusRenewal",
    args=lambda c, form: {"domain_id": c.domain_id},
    refusal=_no_renewal,
)
change(
    "/{domain_id}/domain/upgrade",
    url_name="customer_domain_upgrade",
    summary="Register the domain a group name will move to (createUpgradeDomain)",
    body=f.UpgradeDomainForm,
    form=lambda c, data: f.UpgradeDomainForm(data),
    operation_id="createUpgradeDomain",
    args=lambda c, form: domain_args(c.domain_id, form.cleaned_data),
    done=lambda c: reverse("customers:domain", args=[c.domain_id]),
)
change(
    "/{domain_id}/domain/upgrade/delete",
    url_name="customer_domain_upgrade_delete",
    summary="Remove the registered domain a group name was to move to (deleteUpgradeDomain)",
    body=ChangeForm,
    form=lambda c, data: ChangeForm(data),
    operation_id="deleteUpgradeDomain",
    args=lambda c, form: {"domain_id": c.domain_id},
    done=lambda c: reverse("customers:domain", args=[c.domain_id]),
)
change(
    "/{domain_id}/domain/change",
    url_name="customer_domain_change",
    summary="Move a group name to its registered domain (changeCustomerDomain)",
    description="As the domain page's confirmation: the domain registered for the move (read in lower case).",
    body=f.UpgradeDomainForm,
    form=lambda c, data: f.UpgradeDomainForm({**data, "domain": data.get("domain", "").strip().lower()}),
    operation_id="changeCustomerDomain",
    args=lambda c, form: domain_args(c.domain_id, form.cleaned_data),
)
change(
    "/{domain_id}/activate",
    url_name="customer_activate",
    summary="Activate the customer's domain once its DNS record is found (activateCustomer)",
    description="As the domain page's button. Queued: poll its operation.",
    body=ChangeForm,
    form=lambda c, data: ChangeForm(data),
    operation_id="activateCustomer",
    args=lambda c, form: {"domain_id": c.domain_id},
)
change(
    "/{domain_id}/delete",
    url_name="customer_delete",
    summary="Delete the customer (deleteCustomer)",
    description="As the Delete customer page: the customer's domain typed again to confirm. Queued: poll its "
    "operation.",
    body=f.CustomerDeleteForm,
    form=lambda c, data: f.CustomerDeleteForm(data, customer=c),
    operation_id="deleteCustomer",
    args=lambda c, form: {"domain_id": c.domain_id},
    done=lambda c: reverse("customers:list"),
)
