"""The subscriptions' area of the portal's API (portal/core/api/): the list with the page's filters and paging,
one subscription, and the changes its pages offer, through their own forms and the change pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from customers import selectors as customer_selectors
from portal.core import clock
from portal.core.api import ApiArea, ApiId, ErrorOut, change_endpoint, list_answer, paged
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.changes.forms import ChangeForm
from portal.core.shortcuts import found_or_404
from subscriptions import forms_changes as f
from subscriptions import rules, selectors
from subscriptions.change_args import (
    add_licences_args,
    convert_args,
    new_subscription_args,
    pre_order_args,
    pre_order_move_args,
    pre_order_ref,
    renewal_args,
    reservation_args,
    reservation_move_args,
    subscription_args,
    upgrade_args,
)
from subscriptions.lists import SUBSCRIPTION_LIST
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS

router = Router()
AREA = ApiArea(
    key="subscriptions",
    label=_("Subscriptions"),
    read=VIEW_SUBSCRIPTIONS,
    write=CHANGE_SUBSCRIPTIONS,
    router=router,
    order=20,
)
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class Renewal(Schema):
    type: str
    type_label: str
    product_id: str
    plan: str
    license_count: int | None


class Reservation(Schema):
    type: str
    type_label: str
    apply_date: dt.date | None
    plan: str
    license_count: int | None


class SubscriptionOut(Schema):
    subscription_id: int
    domain_id: int
    company_name: str
    domain: str
    product_id: str
    product: str
    plan: str
    plan_label: str
    license_count: int | None
    plan_start_date: dt.date
    plan_end_date: dt.date | None
    status: str
    status_label: str
    trial: bool
    renewal: Renewal | None
    reservation: Reservation | None
    synced_at: dt.datetime


def subscription_row(s) -> dict[str, Any]:
    """One subscription as the API gives it: its codes and their names, its renewal and scheduled change."""
    reservation = getattr(s, "reservation", None)
    return {
        "subscription_id": s.subscription_id,
        "domain_id": s.customer_id,
        "company_name": s.customer.company_name,
        "domain": s.customer.domain,
        "product_id": s.product_id,
        "product": str(s.get_product_display()),
        "plan": s.plan,
        "plan_label": str(s.get_plan_display()),
        "license_count": s.license_count,
        "plan_start_date": s.plan_start_date,
        "plan_end_date": s.plan_end_date,
        "status": s.status,
        "status_label": str(s.get_status_display()),
        "trial": s.is_trial,
        "renewal": {
            "type": s.renewal_type,
            "type_label": str(s.get_renewal_type_display()),
            "product_id": s.renewal_product_id,
            "plan": s.renewal_plan,
            "license_count": s.renewal_license_count,
        }
        if s.renewal_type
        else None,
        "reservation": {
            "type": reservation.type,
            "type_label": str(reservation.get_type_display()),
            "apply_date": reservation.apply_date,
            "plan": reservation.plan,
            "license_count": reservation.license_count,
        }
        if reservation
        else None,
        "synced_at": s.synced_at,
    }


SubscriptionQuery = query_schema(SUBSCRIPTION_LIST, "SubscriptionQuery")


@router.get(
    "",
    auth=AREA.reads,
    response={200: paged(SubscriptionOut, "SubscriptionPage"), **READ_ERRORS},
    url_name="subscriptions",
    summary="Subscriptions, filtered and paged as on the Subscriptions page",
    openapi_extra={CUSTOMER_FILTERS: True},
)
def subscription_list(request: HttpRequest, filters: Query[SubscriptionQuery]):  # type: ignore[valid-type]
    return list_answer(
        request,
        SUBSCRIPTION_LIST,
        lambda state: selectors.subscription_page(
            user=request.user, filters=state.filters, page=state.page, per_page=state.per_page
        ),
        row=subscription_row,
    )


def _subscription(request: HttpRequest, subscription_id: ApiId):
    return found_or_404(selectors.subscription_get(user=request.user, subscription_id=subscription_id))


@router.get(
    "/{subscription_id}",
    auth=AREA.reads,
    response={200: SubscriptionOut, **READ_ERRORS},
    url_name="subscription",
    summary="One subscription",
)
def subscription_read(request: HttpRequest, subscription_id: ApiId):
    return subscription_row(_subscription(request, subscription_id))


# --- The changes of one subscription, as its pages offer them ------------------------------------------------


def _detail(s) -> str:
    return reverse("subscriptions:detail", args=[s.pk])


#: A change of one subscription: found by its id, of its customer, back to its page.
change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_subscription,
    domain_id=lambda s: s.customer_id,
    done=_detail,
)


def _reservation_refusal(s) -> str | None:
    if getattr(s, "reservation", None) is not None:
        return gettext("This subscription has a scheduled change already: move or delete it first.")
    if not rules.reservation_types(s):
        return gettext("This subscription cannot take a scheduled change.")
    return None


def _no_reservation(s) -> str | None:
    return None if getattr(s, "reservation", None) else gettext("This subscription has no scheduled change.")


change(
    "/{subscription_id}/renewal",
    url_name="subscription_renewal",
    summary="Set what happens at the end of the term (updateSubscriptionRenewal)",
    description='As the subscription\'s "Change the renewal" page: renew unchanged (STAY), with changes '
    "(CHANGE: product, plan, licences) or not at all (CANCEL).",
    body=f.RenewalForm,
    form=lambda s, data: f.RenewalForm(data, subscription=s, customer=s.customer),
    operation_id="updateSubscriptionRenewal",
    args=lambda s, form: renewal_args(s, form.cleaned_data),
    refusal=rules.renewal_refusal,
)
change(
    "/{subscription_id}/reservation",
    url_name="subscription_reservation",
    summary="Schedule a change on a date (createSubscriptionReservation)",
    description='As "Schedule a change": a licence increase, a paid start, an upgrade or a cancellation on a date.',
    body=f.ReservationForm,
    form=lambda s, data: f.ReservationForm(data, subscription=s, customer=s.customer, today=clock.today()),
    operation_id="createSubscriptionReservation",
    args=lambda s, form: reservation_args(s, form.cleaned_data),
    refusal=_reservation_refusal,
)
change(
    "/{subscription_id}/reservation/date",
    url_name="subscription_reservation_date",
    summary="Move the scheduled change to another date (updateSubscriptionReservation)",
    body=f.ReservationDateForm,
    form=lambda s, data: f.ReservationDateForm(
        data, subscription=s, reservation=getattr(s, "reservation", None), today=clock.today()
    ),
    operation_id="updateSubscriptionReservation",
    args=lambda s, form: reservation_move_args(s, form.cleaned_data),
    refusal=_no_reservation,
)
change(
    "/{subscription_id}/reservation/delete",
    url_name="subscription_reservation_delete",
    summary="Delete the scheduled change (deleteSubscriptionReservation)",
    body=ChangeForm,
    form=lambda s, data: ChangeForm(data),
    operation_id="deleteSubscriptionReservation",
    args=lambda s, form: subscription_args(s),
    refusal=_no_reservation,
)
change(
    "/{subscription_id}/paid",
    url_name="subscription_convert",
    summary="Convert a trial to paid now (convertSubscriptionToPaid)",
    body=f.ConvertForm,
    form=lambda s, data: f.ConvertForm(data, subscription=s, customer=s.customer),
    operation_id="convertSubscriptionToPaid",
    args=lambda s, form: convert_args(s, form.cleaned_data),
)
change(
    "/{subscription_id}/upgrade",
    url_name="subscription_upgrade",
    summary="Upgrade to Advanced now (upgradeSubscription)",
    body=f.UpgradeForm,
    form=lambda s, data: f.UpgradeForm(data, subscription=s, customer=s.customer),
    operation_id="upgradeSubscription",
    args=lambda s, form: upgrade_args(s, form.target),
)
change(
    "/{subscription_id}/licences",
    url_name="subscription_add_licences",
    summary="Add licences now (addSubscriptionLicenseCount)",
    body=f.AddLicencesForm,
    form=lambda s, data: f.AddLicencesForm(data, subscription=s),
    operation_id="addSubscriptionLicenseCount",
    args=lambda s, form: add_licences_args(s, form.cleaned_data),
)
change(
    "/{subscription_id}/cancel",
    url_name="subscription_cancel",
    summary="Cancel the subscription now (cancelSubscription)",
    body=f.CancelForm,
    form=lambda s, data: f.CancelForm(data, subscription=s),
    operation_id="cancelSubscription",
    args=lambda s, form: subscription_args(s),
)


# --- A customer's new subscription and pre-orders --------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSubscriptions:
    """A customer whose subscriptions a change adds to, with the subscriptions it has (the forms check them)."""

    customer: Any
    current: list


def _customer(request: HttpRequest, domain_id: ApiId) -> CustomerSubscriptions:
    customer = found_or_404(
        customer_selectors.customer_get(user=request.user, domain_id=domain_id, live=True)
    )
    return CustomerSubscriptions(
        customer, selectors.customer_subscriptions(user=request.user, domain_id=domain_id)
    )


def _pre_order(request: HttpRequest, domain_id: ApiId, pre_order_id: ApiId):
    return found_or_404(
        selectors.pre_order_get(user=request.user, domain_id=domain_id, pre_order_id=pre_order_id)
    )


def _customer_section(domain_id: int) -> str:
    return reverse("customers:detail", args=[domain_id]) + "#section-subscriptions"


#: A change of a customer's subscriptions: found by the customer's id, back to its Subscriptions section.
customer_change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_customer,
    domain_id=lambda c: c.customer.domain_id,
    done=lambda c: _customer_section(c.customer.domain_id),
)
#: A change of one pre-order of a customer.
pre_order_change = partial(
    change_endpoint,
    router,
    auth=AREA.writes,
    get=_pre_order,
    domain_id=lambda p: p.customer_id,
    done=lambda p: _customer_section(p.customer_id),
)

customer_change(
    "/customers/{domain_id}/new",
    url_name="subscription_create",
    summary="Add a subscription to a customer now (createSubscription)",
    body=f.SubscriptionAddForm,
    form=lambda c, data: f.SubscriptionAddForm(data, customer=c.customer, current=c.current),
    operation_id="createSubscription",
    args=lambda c, form: new_subscription_args(c.customer.domain_id, form.cleaned_data),
)
customer_change(
    "/customers/{domain_id}/pre-orders/new",
    url_name="pre_order_create",
    summary="Pre-order a paid subscription from a date (createSubscriptionPreOrder)",
    body=f.PreOrderForm,
    form=lambda c, data: f.PreOrderForm(data, customer=c.customer, today=clock.today(), current=c.current),
    operation_id="createSubscriptionPreOrder",
    args=lambda c, form: pre_order_args(c.customer.domain_id, form.cleaned_data),
)
pre_order_change(
    "/customers/{domain_id}/pre-orders/{pre_order_id}/date",
    url_name="pre_order_date",
    summary="Move a pre-order to another date (updateSubscriptionPreOrder)",
    body=f.PreOrderDateForm,
    form=lambda p, data: f.PreOrderDateForm(data, pre_order=p, today=clock.today()),
    operation_id="updateSubscriptionPreOrder",
    args=lambda p, form: pre_order_move_args(p.customer_id, p.pk, form.cleaned_data),
)
pre_order_change(
    "/customers/{domain_id}/pre-orders/{pre_order_id}/delete",
    url_name="pre_order_delete",
    summary="Delete a pre-order (deleteSubscriptionPreOrder)",
    body=ChangeForm,
    form=lambda p, data: ChangeForm(data),
    operation_id="deleteSubscriptionPreOrder",
    args=lambda p, form: pre_order_ref(p.customer_id, p.pk),
)
