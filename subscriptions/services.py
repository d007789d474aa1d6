"""Writes of the subscriptions domain: cache upserts from the API's replies, and the changes.

The resync engine (see `subscriptions/resync.py`) hands these functions what `listSubscriptions`,
`listSubscriptionPreOrders` and `getSubscriptionReservation` returned for one customer. Each upserts by remote
id and deletes the rows of that customer the API no longer returns (cancelled subscriptions, applied or
deleted pre-orders and reservations).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from partner_api.errors import NotFoundError
from partner_api.models import wire_text
from portal.core import sync
from portal.core.models import Operation
from portal.core.partner import get_client
from portal.core.writes import audited_call, operation_settle, tracked_write
from subscriptions.models import PreOrder, Reservation, Subscription


def _customer_exists(domain_id: int) -> bool:
    return Customer.objects.filter(domain_id=domain_id).exists()


def _renewal_columns(renewal: Any) -> dict[str, Any]:
    """The renewal settings columns of a subscription row (blank when the API sends none: Free, Trial)."""
    return {
        "renewal_type": wire_text(renewal.type) if renewal else "",
        "renewal_product_id": wire_text(renewal.product_id) if renewal else "",
        "renewal_plan": wire_text(renewal.plan) if renewal else "",
        "renewal_license_count": renewal.license_count if renewal else None,
    }


def _subscription_upsert(*, domain_id: int, sub: Any, synced_at: dt.datetime | None = None) -> Subscription:
    """Store one `partner_api.models.Subscription` (from a listing, a reply or a read-back)."""
    obj, _created = Subscription.objects.update_or_create(
        subscription_id=sub.subscription_id,
        defaults={
            "customer_id": domain_id,
            "product_id": wire_text(sub.product_id),
            "plan": wire_text(sub.plan),
            "plan_start_date": sub.plan_start_date,
            "plan_end_date": sub.plan_end_date,
            "license_assign_type": sub.license_assign_type or "",
            "license_count": sub.license_count,
            "status": wire_text(sub.status),
            **_renewal_columns(sub.renewal),
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _pre_order_upsert(*, domain_id: int, pre: Any, synced_at: dt.datetime | None = None) -> PreOrder:
    """Store one `partner_api.models.SubscriptionPreOrder`."""
    obj, _created = PreOrder.objects.update_or_create(
        pre_order_id=pre.pre_order_id,
        defaults={
            "customer_id": domain_id,
            "product_id": wire_text(pre.product_id),
            "plan": wire_text(pre.plan),
            "license_count": pre.license_count,
            "apply_date": pre.apply_date,
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _reservation_upsert(*, domain_id: int, res: Any, synced_at: dt.datetime | None = None) -> Reservation:
    """Store one `partner_api.models.SubscriptionReservation` (at most one per subscription)."""
    obj, _created = Reservation.objects.update_or_create(
        subscription_id=res.subscription_id,
        defaults={
            "customer_id": domain_id,
            "type": wire_text(res.type),
            "apply_date": res.apply_date,
            "product_id": wire_text(res.product_id),
            "plan": wire_text(res.plan),
            "license_count": res.license_count,
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def subscription_list_store(
    *, domain_id: int, remote: Any, synced_at: dt.datetime | None = None
) -> list[int]:
    """Store a `partner_api.models.SubscriptionList` as the customer's whole set of subscriptions.

    Returns the subscription ids kept. Subscriptions of the customer not in the list are deleted (with their
    reservation). Nothing is stored for a customer the cache does not know.
    """
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for sub in list(getattr(remote, "subscriptions", None) or []):
        _subscription_upsert(domain_id=domain_id, sub=sub, synced_at=synced_at)
        kept.append(sub.subscription_id)
    Subscription.objects.filter(customer_id=domain_id).exclude(subscription_id__in=kept).delete()
    return kept


def subscription_list_clear(*, domain_id: int) -> int:
    """The API has no subscriptions for this customer: drop the cached ones. Returns how many were deleted."""
    deleted, _detail = Subscription.objects.filter(customer_id=domain_id).delete()
    return deleted


def reservation_store_all(
    *, domain_id: int, remote: dict[int, Any], synced_at: dt.datetime | None = None
) -> None:
    """Store the reservation of each subscription in `remote` ({subscriptionId: SubscriptionReservation or
    None}); a None, and any cached reservation of the customer's other subscriptions, is deleted."""
    synced_at = synced_at or timezone.now()
    known = set(
        Subscription.objects.filter(customer_id=domain_id, subscription_id__in=list(remote)).values_list(
            "subscription_id", flat=True
        )
    )
    present = []
    for subscription_id, res in remote.items():
        if res is None or subscription_id not in known:
            continue
        _reservation_upsert(domain_id=domain_id, res=res, synced_at=synced_at)
        present.append(subscription_id)
    Reservation.objects.filter(customer_id=domain_id).exclude(subscription_id__in=present).delete()


def pre_order_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> list[int]:
    """Store a `partner_api.models.SubscriptionPreOrderList` as the customer's whole set of pre-orders."""
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for pre in list(getattr(remote, "subscription_pre_orders", None) or []):
        _pre_order_upsert(domain_id=domain_id, pre=pre, synced_at=synced_at)
        kept.append(pre.pre_order_id)
    PreOrder.objects.filter(customer_id=domain_id).exclude(pre_order_id__in=kept).delete()
    return kept


def pre_order_list_clear(*, domain_id: int) -> int:
    deleted, _detail = PreOrder.objects.filter(customer_id=domain_id).delete()
    return deleted


# --- Changes: every write goes through portal.core.writes (audited, at most once per submission) ----------

#: Wire names in the API's error descriptions and the form fields they belong to.
FIELD_HINTS = {
    "applyDate": "apply_date",
    "licenseCount": "license_count",
    "plan": "plan",
    "productId": "product_id",
    "type": "type",
}
#: After a timeout, the change is looked for again after these many seconds (then the operation stays unknown).
RECONCILE_DELAYS = (10, 60, 300)


def _sent(**fields: Any) -> dict[str, Any]:
    """What was sent, for the audit trail and the Operation (dates as text, empty values left out)."""
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items() if v not in (None, "")
    }


def _reconcile_later(operation: Operation) -> None:
    from subscriptions import tasks

    transaction.on_commit(
        lambda: tasks.operation_reconcile.apply_async(
            kwargs={"operation_id": str(operation.pk), "attempt": 0}, countdown=RECONCILE_DELAYS[0]
        )
    )


def _refresh_later(domain_id: int, *, skip: tuple[str, ...] = ()) -> None:
    """After a write: read the customer again in the background (side effects on options, summary columns)."""
    sync.resync_customer_request(domain_id=domain_id, skip=skip)


def _change(
    *,
    user,
    kind: str,
    idempotency_key: str,
    domain_id: int,
    sent: dict,
    reason: str,
    call,
    next_url: str,
) -> Any:
    """Send one change once for this submission (see portal.core.writes.tracked_write)."""
    params = {"sent": sent, "reason": reason, "next_url": next_url}
    _operation, reply = tracked_write(
        user=user,
        idempotency_key=f"{kind}:{domain_id}:{idempotency_key}",
        kind=kind,
        domain_id=domain_id,
        params=params,
        send=lambda: audited_call(
            user=user,
            operation_id=kind,
            domain_id=domain_id,
            sent=sent,
            reason=reason,
            call=call,
            hints=FIELD_HINTS,
        ),
        read_back=_read_back,
        on_unknown=_reconcile_later,
        result=lambda reply: {"next_url": next_url},
    )
    return reply


def _pre_orders_of(reply: Any) -> list:
    """The pre-orders of an answer (a list wrapper) or of a read-back (the one pre-order found)."""
    if hasattr(reply, "subscription_pre_orders"):
        return list(reply.subscription_pre_orders)
    return [reply]


def _customer_url(domain_id: int) -> str:
    return reverse("customers:detail", args=[domain_id]) + "#section-subscriptions"


def _subscription_url(subscription_id: int) -> str:
    return reverse("subscriptions:detail", args=[subscription_id])


# Pre-orders (a new paid subscription on a date) ------------------------------------------------------------


def pre_order_create(
    *,
    user,
    domain_id: int,
    idempotency_key: str,
    apply_date: dt.date,
    product_id: str,
    plan: str,
    license_count: int | None,
    reason: str = "",
) -> PreOrder | None:
    """createSubscriptionPreOrder; the new pre-order is cached from the reply (None if the reply held none)."""
    reply = _change(
        user=user,
        kind="createSubscriptionPreOrder",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(applyDate=apply_date, productId=product_id, plan=plan, licenseCount=license_count),
        reason=reason,
        call=lambda client: client.create_subscription_pre_order(
            domain_id=domain_id,
            apply_date=apply_date,
            product_id=product_id,
            plan=plan,
            **({"license_count": license_count} if license_count is not None else {}),
        ),
        next_url=_customer_url(domain_id),
    )
    created = [_pre_order_upsert(domain_id=domain_id, pre=p) for p in _pre_orders_of(reply)]
    _refresh_later(domain_id)
    return created[0] if created else None


def pre_order_move(
    *, user, domain_id: int, pre_order_id: int, idempotency_key: str, apply_date: dt.date, reason: str = ""
) -> PreOrder | None:
    """updateSubscriptionPreOrder: only the date can change."""
    reply = _change(
        user=user,
        kind="updateSubscriptionPreOrder",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(preOrderId=pre_order_id, applyDate=apply_date),
        reason=reason,
        call=lambda client: client.update_subscription_pre_order(
            domain_id=domain_id, pre_order_id=pre_order_id, apply_date=apply_date
        ),
        next_url=_customer_url(domain_id),
    )
    for p in _pre_orders_of(reply):
        _pre_order_upsert(domain_id=domain_id, pre=p)
    return PreOrder.objects.filter(pre_order_id=pre_order_id).first()


def pre_order_delete(
    *, user, domain_id: int, pre_order_id: int, idempotency_key: str, reason: str = ""
) -> None:
    """deleteSubscriptionPreOrder (option orders tied to it stay, per the contract)."""
    _change(
        user=user,
        kind="deleteSubscriptionPreOrder",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(preOrderId=pre_order_id),
        reason=reason,
        call=lambda client: client.delete_subscription_pre_order(
            domain_id=domain_id, pre_order_id=pre_order_id
        ),
        next_url=_customer_url(domain_id),
    )
    PreOrder.objects.filter(pre_order_id=pre_order_id).delete()
    _refresh_later(domain_id)


# Reservations (a change of an existing subscription on a date) --------------------------------------------


def reservation_create(
    *,
    user,
    domain_id: int,
    subscription_id: int,
    idempotency_key: str,
    type: str,
    apply_date: dt.date,
    plan: str = "",
    product_id: str = "",
    license_count: int | None = None,
    reason: str = "",
) -> Reservation:
    """createSubscriptionReservation (START_PAID_SERVICE, ADD_LICENSE or CANCEL)."""
    reply = _change(
        user=user,
        kind="createSubscriptionReservation",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(
            subscriptionId=subscription_id,
            type=type,
            applyDate=apply_date,
            plan=plan,
            productId=product_id,
            licenseCount=license_count,
        ),
        reason=reason,
        call=lambda client: client.create_subscription_reservation(
            domain_id=domain_id,
            subscription_id=subscription_id,
            type=type,
            apply_date=apply_date,
            plan=plan or None,
            product_id=product_id or None,
            license_count=license_count,
        ),
        next_url=_subscription_url(subscription_id),
    )
    reservation = _reservation_upsert(domain_id=domain_id, res=reply)
    _refresh_later(domain_id)
    return reservation


def reservation_move(
    *, user, domain_id: int, subscription_id: int, idempotency_key: str, apply_date: dt.date, reason: str = ""
) -> Reservation:
    """updateSubscriptionReservation: only the date can change."""
    reply = _change(
        user=user,
        kind="updateSubscriptionReservation",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(subscriptionId=subscription_id, applyDate=apply_date),
        reason=reason,
        call=lambda client: client.update_subscription_reservation(
            domain_id=domain_id, subscription_id=subscription_id, apply_date=apply_date
        ),
        next_url=_subscription_url(subscription_id),
    )
    return _reservation_upsert(domain_id=domain_id, res=reply)


def reservation_delete(
    *, user, domain_id: int, subscription_id: int, idempotency_key: str, reason: str = ""
) -> None:
    """deleteSubscriptionReservation (option orders stay, per the contract)."""
    _change(
        user=user,
        kind="deleteSubscriptionReservation",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(subscriptionId=subscription_id),
        reason=reason,
        call=lambda client: client.delete_subscription_reservation(
            domain_id=domain_id, subscription_id=subscription_id
        ),
        next_url=_subscription_url(subscription_id),
    )
    Reservation.objects.filter(subscription_id=subscription_id).delete()
    _refresh_later(domain_id)


# Renewal (what happens at the end of the term) ------------------------------------------------------------


def renewal_update(
    *,
    user,
    domain_id: int,
    subscription_id: int,
    idempotency_key: str,
    type: str,
    product_id: str = "",
    plan: str = "",
    license_count: int | None = None,
    reason: str = "",
) -> Subscription | None:
    """updateSubscriptionRenewal: STAY, CHANGE (product, plan, licences) or CANCEL."""
    reply = _change(
        user=user,
        kind="updateSubscriptionRenewal",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(
            subscriptionId=subscription_id,
            type=type,
            productId=product_id,
            plan=plan,
            licenseCount=license_count,
        ),
        reason=reason,
        call=lambda client: client.update_subscription_renewal(
            domain_id=domain_id,
            subscription_id=subscription_id,
            type=type,
            product_id=product_id or None,
            plan=plan or None,
            license_count=license_count,
        ),
        next_url=_subscription_url(subscription_id),
    )
    Subscription.objects.filter(subscription_id=subscription_id).update(
        **_renewal_columns(reply), synced_at=timezone.now()
    )
    _refresh_later(domain_id)
    return Subscription.objects.filter(subscription_id=subscription_id).first()


# Immediate changes ----------------------------------------------------------------------------------------


def subscription_add(
    *,
    user,
    domain_id: int,
    idempotency_key: str,
    product_id: str,
    plan: str,
    license_count: int | None,
    reason: str = "",
) -> Subscription | None:
    """createSubscription: a subscription starting today."""
    reply = _change(
        user=user,
        kind="createSubscription",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(productId=product_id, plan=plan, licenseCount=license_count),
        reason=reason,
        call=lambda client: client.create_subscription(
            domain_id=domain_id,
            product_id=product_id,
            plan=plan,
            **({"license_count": license_count} if license_count is not None else {}),
        ),
        next_url=_customer_url(domain_id),
    )
    subscription = _subscription_upsert(domain_id=domain_id, sub=reply)
    _refresh_later(domain_id)
    return subscription


def subscription_convert(
    *,
    user,
    domain_id: int,
    subscription_id: int,
    idempotency_key: str,
    plan: str,
    product_id: str = "",
    license_count: int | None = None,
    reason: str = "",
) -> Subscription | None:
    """convertSubscriptionToPaid, effective now; the API deletes the subscription's scheduled change."""
    reply = _change(
        user=user,
        kind="convertSubscriptionToPaid",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(
            subscriptionId=subscription_id, plan=plan, productId=product_id, licenseCount=license_count
        ),
        reason=reason,
        call=lambda client: client.convert_subscription_to_paid(
            domain_id=domain_id,
            subscription_id=subscription_id,
            plan=plan,
            product_id=product_id or None,
            **({"license_count": license_count} if license_count is not None else {}),
        ),
        next_url=_subscription_url(subscription_id),
    )
    Reservation.objects.filter(subscription_id=subscription_id).delete()
    subscription = _subscription_upsert(domain_id=domain_id, sub=reply)
    _refresh_later(domain_id)
    return subscription


def subscription_upgrade(
    *, user, domain_id: int, subscription_id: int, idempotency_key: str, product_id: str, reason: str = ""
) -> Subscription | None:
    """upgradeSubscription (Standard to Advanced now); the API clears an upgrade set for renewal."""
    reply = _change(
        user=user,
        kind="upgradeSubscription",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(subscriptionId=subscription_id, productId=product_id),
        reason=reason,
        call=lambda client: client.upgrade_subscription(
            domain_id=domain_id, subscription_id=subscription_id, product_id=product_id
        ),
        next_url=_subscription_url(subscription_id),
    )
    subscription = _subscription_upsert(domain_id=domain_id, sub=reply)
    _refresh_later(domain_id)
    return subscription


def subscription_add_licences(
    *, user, domain_id: int, subscription_id: int, idempotency_key: str, license_count: int, reason: str = ""
) -> Subscription | None:
    """addSubscriptionLicenseCount: `license_count` more licences from today."""
    before = Subscription.objects.filter(subscription_id=subscription_id).values_list(
        "license_count", flat=True
    )
    reply = _change(
        user=user,
        kind="addSubscriptionLicenseCount",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(
            subscriptionId=subscription_id, licenseCount=license_count, before=next(iter(before), None)
        ),
        reason=reason,
        call=lambda client: client.add_subscription_license_count(
            domain_id=domain_id, subscription_id=subscription_id, license_count=license_count
        ),
        next_url=_subscription_url(subscription_id),
    )
    subscription = _subscription_upsert(domain_id=domain_id, sub=reply)
    _refresh_later(domain_id)
    return subscription


def subscription_cancel(
    *, user, domain_id: int, subscription_id: int, idempotency_key: str, reason: str = ""
) -> None:
    """cancelSubscription, effective now (options go with it)."""
    _change(
        user=user,
        kind="cancelSubscription",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        sent=_sent(subscriptionId=subscription_id),
        reason=reason,
        call=lambda client: client.cancel_subscription(domain_id=domain_id, subscription_id=subscription_id),
        next_url=_customer_url(domain_id),
    )
    Subscription.objects.filter(subscription_id=subscription_id).delete()
    _refresh_later(domain_id)


# Reading back after a timeout ------------------------------------------------------------------------------


def _rb_pre_order_create(client, domain_id: int, sent: dict):
    listing = client.list_subscription_pre_orders(domain_id=domain_id)
    for p in listing.subscription_pre_orders:
        if (
            p.apply_date.isoformat() == sent.get("applyDate")
            and wire_text(p.product_id) == sent.get("productId")
            and wire_text(p.plan) == sent.get("plan")
            and p.license_count == sent.get("licenseCount")
        ):
            return p
    return None


def _rb_pre_order_move(client, domain_id: int, sent: dict):
    listing = client.list_subscription_pre_orders(domain_id=domain_id)
    return next(
        (
            p
            for p in listing.subscription_pre_orders
            if p.pre_order_id == sent["preOrderId"] and p.apply_date.isoformat() == sent["applyDate"]
        ),
        None,
    )


def _rb_pre_order_delete(client, domain_id: int, sent: dict):
    listing = client.list_subscription_pre_orders(domain_id=domain_id)
    gone = all(p.pre_order_id != sent["preOrderId"] for p in listing.subscription_pre_orders)
    return {"deleted": sent["preOrderId"]} if gone else None


def _rb_reservation(client, domain_id: int, sent: dict):
    try:
        res = client.get_subscription_reservation(domain_id=domain_id, subscription_id=sent["subscriptionId"])
    except NotFoundError:
        return None
    if res.apply_date.isoformat() != sent["applyDate"]:
        return None
    if "type" in sent and wire_text(res.type) != sent["type"]:
        return None
    return res


def _rb_reservation_delete(client, domain_id: int, sent: dict):
    try:
        client.get_subscription_reservation(domain_id=domain_id, subscription_id=sent["subscriptionId"])
    except NotFoundError:
        return {"deleted": sent["subscriptionId"]}
    return None


def _rb_renewal(client, domain_id: int, sent: dict):
    sub = client.get_subscription(domain_id=domain_id, subscription_id=sent["subscriptionId"])
    renewal = sub.renewal
    if renewal is None or wire_text(renewal.type) != sent["type"]:
        return None
    if sent["type"] == "CHANGE" and (
        ("plan" in sent and wire_text(renewal.plan) not in ("", sent["plan"]))
        or ("licenseCount" in sent and renewal.license_count != sent["licenseCount"])
    ):
        return None
    return renewal


def _rb_subscription_add(client, domain_id: int, sent: dict):
    listing = client.list_subscriptions(domain_id=domain_id)
    return next(
        (
            s
            for s in listing.subscriptions
            if wire_text(s.product_id) == sent["productId"] and wire_text(s.plan) == sent["plan"]
        ),
        None,
    )


def _rb_subscription(check):
    def read(client, domain_id: int, sent: dict):
        try:
            sub = client.get_subscription(domain_id=domain_id, subscription_id=sent["subscriptionId"])
        except NotFoundError:
            return None
        return sub if check(sub, sent) else None

    return read


def _rb_subscription_cancel(client, domain_id: int, sent: dict):
    listing = client.list_subscriptions(domain_id=domain_id)
    gone = all(s.subscription_id != sent["subscriptionId"] for s in listing.subscriptions)
    return {"deleted": sent["subscriptionId"]} if gone else None


#: operationId -> read_back(client, domain_id, sent) returning the change's result when it is applied, else None.
READ_BACKS = {
    "createSubscriptionPreOrder": _rb_pre_order_create,
    "updateSubscriptionPreOrder": _rb_pre_order_move,
    "deleteSubscriptionPreOrder": _rb_pre_order_delete,
    "createSubscriptionReservation": _rb_reservation,
    "updateSubscriptionReservation": _rb_reservation,
    "deleteSubscriptionReservation": _rb_reservation_delete,
    "updateSubscriptionRenewal": _rb_renewal,
    "createSubscription": _rb_subscription_add,
    "convertSubscriptionToPaid": _rb_subscription(lambda s, sent: wire_text(s.plan) == sent["plan"]),
    "upgradeSubscription": _rb_subscription(lambda s, sent: wire_text(s.product_id) == sent["productId"]),
    "addSubscriptionLicenseCount": _rb_subscription(
        lambda s, sent: (
            sent.get("before") is not None and s.license_count == sent["before"] + sent["licenseCount"]
        )
    ),
    "cancelSubscription": _rb_subscription_cancel,
}


def _read_back(operation: Operation):
    return READ_BACKS[operation.kind](get_client(), operation.domain_id, operation.params.get("sent", {}))


def operation_reconcile(*, operation_id: str, attempt: int) -> None:
    """Task body: look again for the result of a change whose answer never came; settle the Operation."""
    operation = Operation.objects.filter(pk=operation_id).first()
    if operation is None or operation.kind not in READ_BACKS:
        return
    last = attempt >= len(RECONCILE_DELAYS) - 1
    settled = operation_settle(
        operation,
        read_back=_read_back,
        give_up=last,
        result=lambda reply: {"next_url": operation.params.get("next_url", "")},
    )
    if settled is not None or last:
        if operation.domain_id:
            _refresh_later(operation.domain_id)
        return
    from subscriptions import tasks

    tasks.operation_reconcile.apply_async(
        kwargs={"operation_id": operation_id, "attempt": attempt + 1}, countdown=RECONCILE_DELAYS[attempt + 1]
    )
