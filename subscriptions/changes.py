"""The subscriptions app's writes, declared for the change pipeline (portal.core.changes).

Each `Change` says how to send one operation, how to find out afterwards whether it was applied (read back),
how the cache follows the answer (apply, in subscriptions/services.py), and what else the contract says it does
(side effects, stated on the confirmation page before sending). Arguments are JSON-safe: dates as ISO text.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from partner_api.errors import NotFoundError
from partner_api.models import wire_text
from portal.core.changes import Change
from subscriptions import services
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS

#: Wire names in the API's error descriptions and the form fields they belong to.
FIELD_HINTS = {
    "applyDate": "apply_date",
    "licenseCount": "license_count",
    "plan": "plan",
    "productId": "product_id",
    "type": "type",
}


def _day(a, name: str = "apply_date") -> dt.date:
    return dt.date.fromisoformat(a[name])


def _given(**fields):
    """Optional body fields: those the form had (None and "" are left out of the request)."""
    return {k: v for k, v in fields.items() if v not in (None, "")}


def licences_taken(a) -> int:
    """How many licences a renewal with changes takes away: the licences it renews with below those the
    subscription has when it is asked (`licences_before`); 0 for any other renewal."""
    before, after = a.get("licences_before"), a.get("license_count")
    if a.get("type") != "CHANGE" or before is None or after is None:
        return 0
    return max(0, before - after)


# --- Read-backs: the change's result when the API shows it applied, else None --------------------------------


def _rb_pre_order_create(client, a):
    for p in client.list_subscription_pre_orders(domain_id=a["domain_id"]).subscription_pre_orders:
        if (
            p.apply_date.isoformat() == a["apply_date"]
            and wire_text(p.product_id) == a["product_id"]
            and wire_text(p.plan) == a["plan"]
            and p.license_count == a.get("license_count")
        ):
            return p
    return None


def _rb_pre_order_move(client, a):
    listing = client.list_subscription_pre_orders(domain_id=a["domain_id"])
    return next(
        (
            p
            for p in listing.subscription_pre_orders
            if p.pre_order_id == a["pre_order_id"] and p.apply_date.isoformat() == a["apply_date"]
        ),
        None,
    )


def _rb_pre_order_delete(client, a):
    listing = client.list_subscription_pre_orders(domain_id=a["domain_id"])
    gone = all(p.pre_order_id != a["pre_order_id"] for p in listing.subscription_pre_orders)
    return {"deleted": a["pre_order_id"]} if gone else None


def _rb_reservation(client, a):
    try:
        res = client.get_subscription_reservation(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"]
        )
    except NotFoundError:
        return None
    if res.apply_date.isoformat() != a["apply_date"]:
        return None
    if a.get("type") and wire_text(res.type) != a["type"]:
        return None
    return res


def _rb_reservation_delete(client, a):
    # A 404 (no reservation any more) is "gone" for a change that deletes (see the engine).
    client.get_subscription_reservation(domain_id=a["domain_id"], subscription_id=a["subscription_id"])
    return None


def _rb_renewal(client, a):
    renewal = client.get_subscription(domain_id=a["domain_id"], subscription_id=a["subscription_id"]).renewal
    if renewal is None or wire_text(renewal.type) != a["type"]:
        return None
    if a["type"] == "CHANGE" and (
        (a.get("plan") and wire_text(renewal.plan) not in ("", a["plan"]))
        or (a.get("license_count") is not None and renewal.license_count != a["license_count"])
    ):
        return None
    return renewal


def _rb_subscription_add(client, a):
    listing = client.list_subscriptions(domain_id=a["domain_id"])
    return next(
        (
            s
            for s in listing.subscriptions
            if wire_text(s.product_id) == a["product_id"] and wire_text(s.plan) == a["plan"]
        ),
        None,
    )


def _rb_subscription(check):
    def read(client, a):
        try:
            sub = client.get_subscription(domain_id=a["domain_id"], subscription_id=a["subscription_id"])
        except NotFoundError:
            return None
        return sub if check(sub, a) else None

    return read


def _rb_subscription_cancel(client, a):
    listing = client.list_subscriptions(domain_id=a["domain_id"])
    gone = all(s.subscription_id != a["subscription_id"] for s in listing.subscriptions)
    return {"deleted": a["subscription_id"]} if gone else None


# --- Side effects the contract documents ------------------------------------------------------------------------


def _add_licences_effects(a) -> list[str]:
    out = [_("The licences are added from today and billed for the rest of the term.")]
    if a.get("scheduled_add_license"):
        out.append(
            _(
                "The scheduled licence increase of %(day)s is deleted (LINE WORKS deletes it with this change)."
            )
            % {"day": a["scheduled_add_license"]}
        )
    return out


CHANGES = [
    Change(
        operation_id="createSubscriptionPreOrder",
        send=lambda c, a: c.create_subscription_pre_order(
            domain_id=a["domain_id"],
            apply_date=_day(a),
            product_id=a["product_id"],
            plan=a["plan"],
            **_given(license_count=a.get("license_count")),
        ),
        read_back=_rb_pre_order_create,
        apply=services.pre_order_created,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="updateSubscriptionPreOrder",
        send=lambda c, a: c.update_subscription_pre_order(
            domain_id=a["domain_id"], pre_order_id=a["pre_order_id"], apply_date=_day(a)
        ),
        read_back=_rb_pre_order_move,
        apply=services.pre_order_created,
        field_hints=FIELD_HINTS,
        refresh=False,
    ),
    Change(
        operation_id="deleteSubscriptionPreOrder",
        send=lambda c, a: c.delete_subscription_pre_order(
            domain_id=a["domain_id"], pre_order_id=a["pre_order_id"]
        ),
        read_back=_rb_pre_order_delete,
        apply=services.pre_order_deleted,
        side_effects=lambda a: [_("Option orders tied to the pre-order stay as they are.")],
        field_hints=FIELD_HINTS,
        deletes=True,
    ),
    Change(
        operation_id="createSubscriptionReservation",
        send=lambda c, a: c.create_subscription_reservation(
            domain_id=a["domain_id"],
            subscription_id=a["subscription_id"],
            type=a["type"],
            apply_date=_day(a),
            plan=a.get("plan") or None,
            product_id=a.get("product_id") or None,
            license_count=a.get("license_count"),
        ),
        read_back=_rb_reservation,
        apply=services.reservation_applied,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="updateSubscriptionReservation",
        send=lambda c, a: c.update_subscription_reservation(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"], apply_date=_day(a)
        ),
        read_back=_rb_reservation,
        apply=services.reservation_applied,
        field_hints=FIELD_HINTS,
        refresh=False,
    ),
    Change(
        operation_id="deleteSubscriptionReservation",
        send=lambda c, a: c.delete_subscription_reservation(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"]
        ),
        read_back=_rb_reservation_delete,
        apply=services.reservation_deleted,
        side_effects=lambda a: [_("Option orders keep their own dates.")],
        field_hints=FIELD_HINTS,
        deletes=True,
    ),
    Change(
        operation_id="updateSubscriptionRenewal",
        send=lambda c, a: c.update_subscription_renewal(
            domain_id=a["domain_id"],
            subscription_id=a["subscription_id"],
            type=a["type"],
            product_id=a.get("product_id") or None,
            plan=a.get("plan") or None,
            license_count=a.get("license_count"),
        ),
        read_back=_rb_renewal,
        apply=services.renewal_applied,
        field_hints=FIELD_HINTS,
        target=lambda a: frozenset({f"subscription:{a['subscription_id']}:renewal"}),
        approval="reduction",
        perm=CHANGE_SUBSCRIPTIONS,
        amount=licences_taken,
    ),
    Change(
        operation_id="createSubscription",
        send=lambda c, a: c.create_subscription(
            domain_id=a["domain_id"],
            product_id=a["product_id"],
            plan=a["plan"],
            **_given(license_count=a.get("license_count")),
        ),
        read_back=_rb_subscription_add,
        apply=services.subscription_applied,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="convertSubscriptionToPaid",
        send=lambda c, a: c.convert_subscription_to_paid(
            domain_id=a["domain_id"],
            subscription_id=a["subscription_id"],
            plan=a["plan"],
            product_id=a.get("product_id") or None,
            **_given(license_count=a.get("license_count")),
        ),
        read_back=_rb_subscription(lambda s, a: wire_text(s.plan) == a["plan"]),
        apply=services.subscription_converted,
        side_effects=lambda a: [_("A change scheduled for this subscription is deleted.")],
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="upgradeSubscription",
        send=lambda c, a: c.upgrade_subscription(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"], product_id=a["product_id"]
        ),
        read_back=_rb_subscription(lambda s, a: wire_text(s.product_id) == a["product_id"]),
        apply=services.subscription_applied,
        side_effects=lambda a: (
            [_("The upgrade set for the renewal is removed: it is done now.")]
            if a.get("renewal_upgrade")
            else []
        ),
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="addSubscriptionLicenseCount",
        send=lambda c, a: c.add_subscription_license_count(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"], license_count=a["license_count"]
        ),
        read_back=_rb_subscription(
            lambda s, a: a.get("before") is not None and s.license_count == a["before"] + a["license_count"]
        ),
        apply=services.licences_added,
        side_effects=_add_licences_effects,
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="cancelSubscription",
        send=lambda c, a: c.cancel_subscription(
            domain_id=a["domain_id"], subscription_id=a["subscription_id"]
        ),
        read_back=_rb_subscription_cancel,
        apply=services.subscription_cancelled,
        field_hints=FIELD_HINTS,
        deletes=True,
        approval="cancellation",
        perm=CHANGE_SUBSCRIPTIONS,
    ),
]
