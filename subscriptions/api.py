"""The subscriptions' area of the portal's API (portal/core/api/): the list with the page's filters and paging,
one subscription, and the changes its pages offer, through their own forms and the change pipeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema

from portal.core import clock
from portal.core.api import ApiArea, ApiId, ChangeOut, ErrorOut, api_change, change_body, list_answer, paged
from portal.core.api import errors as api_errors
from portal.core.api.lists import CUSTOMER_FILTERS, query_schema
from portal.core.changes.forms import ChangeForm
from subscriptions import forms_changes as f
from subscriptions import rules, selectors
from subscriptions.change_args import (
    add_licences_args,
    convert_args,
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
WRITE_ERRORS = {**READ_ERRORS, 409: ErrorOut, 428: ErrorOut}


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
    s = selectors.subscription_get(user=request.user, subscription_id=subscription_id)
    if s is None:
        raise api_errors.not_found()
    return s


@router.get(
    "/{subscription_id}",
    auth=AREA.reads,
    response={200: SubscriptionOut, **READ_ERRORS},
    url_name="subscription",
    summary="One subscription",
)
def subscription_read(request: HttpRequest, subscription_id: ApiId):
    return subscription_row(_subscription(request, subscription_id))


RenewalBody = change_body(f.RenewalForm, "RenewalBody")


@router.post(
    "/{subscription_id}/renewal",
    auth=AREA.writes,
    response={200: ChangeOut, 202: ChangeOut, **WRITE_ERRORS},
    url_name="subscription_renewal",
    summary="Set what happens at the end of the term (updateSubscriptionRenewal)",
)
def subscription_renewal(request: HttpRequest, subscription_id: ApiId, body: RenewalBody):  # type: ignore[valid-type]
    """As the subscription's "Change the renewal" page: renew unchanged (STAY), with changes (CHANGE: product,
    plan, licences) or not at all (CANCEL)."""
    s = _subscription(request, subscription_id)
    return api_change(
        request,
        body,
        form=lambda data: f.RenewalForm(data, subscription=s, customer=s.customer),
        operation_id="updateSubscriptionRenewal",
        args=lambda d: renewal_args(s, d),
        domain_id=s.customer_id,
        done=reverse("subscriptions:detail", args=[s.pk]),
        refusal=rules.renewal_refusal(s),
    )


# --- The other changes of one subscription, as its pages offer them -------------------------------------------


def _change(request, s, body, *, form, operation_id: str, args, refusal: str | None = None):
    return api_change(
        request,
        body,
        form=form,
        operation_id=operation_id,
        args=args,
        domain_id=s.customer_id,
        done=reverse("subscriptions:detail", args=[s.pk]),
        refusal=refusal,
    )


ReservationBody = change_body(f.ReservationForm, "ReservationBody")
ReservationDateBody = change_body(f.ReservationDateForm, "ReservationDateBody")
ReasonBody = change_body(ChangeForm, "ReasonBody")
ConvertBody = change_body(f.ConvertForm, "ConvertBody")
UpgradeBody = change_body(f.UpgradeForm, "UpgradeBody")
AddLicencesBody = change_body(f.AddLicencesForm, "AddLicencesBody")
CancelBody = change_body(f.CancelForm, "CancelBody")
WRITTEN = {200: ChangeOut, 202: ChangeOut, **WRITE_ERRORS}


@router.post(
    "/{subscription_id}/reservation",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_reservation",
    summary="Schedule a change on a date (createSubscriptionReservation)",
)
def reservation_create(request: HttpRequest, subscription_id: ApiId, body: ReservationBody):  # type: ignore[valid-type]
    """As "Schedule a change": a licence increase, a paid start, an upgrade or a cancellation on a date."""
    s = _subscription(request, subscription_id)
    refusal = None
    if getattr(s, "reservation", None) is not None:
        refusal = gettext("This subscription has a scheduled change already: move or delete it first.")
    elif not rules.reservation_types(s):
        refusal = gettext("This subscription cannot take a scheduled change.")
    today = clock.today()
    return _change(
        request,
        s,
        body,
        form=lambda data: f.ReservationForm(data, subscription=s, customer=s.customer, today=today),
        operation_id="createSubscriptionReservation",
        args=lambda d: reservation_args(s, d),
        refusal=refusal,
    )


@router.post(
    "/{subscription_id}/reservation/date",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_reservation_date",
    summary="Move the scheduled change to another date (updateSubscriptionReservation)",
)
def reservation_move(request: HttpRequest, subscription_id: ApiId, body: ReservationDateBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    reservation = getattr(s, "reservation", None)
    today = clock.today()
    return _change(
        request,
        s,
        body,
        form=lambda data: f.ReservationDateForm(data, subscription=s, reservation=reservation, today=today),
        operation_id="updateSubscriptionReservation",
        args=lambda d: reservation_move_args(s, d),
        refusal=None if reservation is not None else gettext("This subscription has no scheduled change."),
    )


@router.post(
    "/{subscription_id}/reservation/delete",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_reservation_delete",
    summary="Delete the scheduled change (deleteSubscriptionReservation)",
)
def reservation_delete(request: HttpRequest, subscription_id: ApiId, body: ReasonBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    none = getattr(s, "reservation", None) is None
    return _change(
        request,
        s,
        body,
        form=lambda data: ChangeForm(data),
        operation_id="deleteSubscriptionReservation",
        args=lambda d: subscription_args(s),
        refusal=gettext("This subscription has no scheduled change.") if none else None,
    )


@router.post(
    "/{subscription_id}/paid",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_convert",
    summary="Convert a trial to paid now (convertSubscriptionToPaid)",
)
def subscription_convert(request: HttpRequest, subscription_id: ApiId, body: ConvertBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    return _change(
        request,
        s,
        body,
        form=lambda data: f.ConvertForm(data, subscription=s, customer=s.customer),
        operation_id="convertSubscriptionToPaid",
        args=lambda d: convert_args(s, d),
    )


@router.post(
    "/{subscription_id}/upgrade",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_upgrade",
    summary="Upgrade to Advanced now (upgradeSubscription)",
)
def subscription_upgrade(request: HttpRequest, subscription_id: ApiId, body: UpgradeBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    made: dict[str, Any] = {}

    def form(data):
        made["form"] = f.UpgradeForm(data, subscription=s, customer=s.customer)
        return made["form"]

    return _change(
        request,
        s,
        body,
        form=form,
        operation_id="upgradeSubscription",
        args=lambda d: upgrade_args(s, made["form"].target),
    )


@router.post(
    "/{subscription_id}/licences",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_add_licences",
    summary="Add licences now (addSubscriptionLicenseCount)",
)
def subscription_add_licences(request: HttpRequest, subscription_id: ApiId, body: AddLicencesBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    return _change(
        request,
        s,
        body,
        form=lambda data: f.AddLicencesForm(data, subscription=s),
        operation_id="addSubscriptionLicenseCount",
        args=lambda d: add_licences_args(s, d),
    )


@router.post(
    "/{subscription_id}/cancel",
    auth=AREA.writes,
    response=WRITTEN,
    url_name="subscription_cancel",
    summary="Cancel the subscription now (cancelSubscription)",
)
def subscription_cancel(request: HttpRequest, subscription_id: ApiId, body: CancelBody):  # type: ignore[valid-type]
    s = _subscription(request, subscription_id)
    return _change(
        request,
        s,
        body,
        form=lambda data: f.CancelForm(data, subscription=s),
        operation_id="cancelSubscription",
        args=lambda d: subscription_args(s),
    )
