"""The arguments of the subscriptions' changes, made from a change form's cleaned values: one definition for the
change pages (views_changes.py) and the API's write endpoints (api.py), so a change asked either way sends the
same thing."""

from __future__ import annotations

import datetime as dt


def subscription_args(s, **fields) -> dict:
    """The arguments of a change of one subscription (JSON-safe: dates as text, empty fields left out)."""
    return {"domain_id": s.customer_id, "subscription_id": s.pk, **json_safe(fields)}


def json_safe(fields: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items() if v not in (None, "")
    }


def terms(d: dict) -> dict:
    """Product, plan and licences of a form; a field the form does not have is not sent."""
    return {"plan": d.get("plan"), "product_id": d.get("product_id"), "license_count": d.get("license_count")}


def renewal_args(s, d: dict) -> dict:
    """A renewal's arguments: its type and terms, and the licences the subscription has as it is asked (what an
    approval rule on fewer licences measures)."""
    return subscription_args(s, type=d["type"], licences_before=s.license_count, **terms(d))


def reservation_args(s, d: dict) -> dict:
    """A change scheduled on a date: its type, date and terms."""
    return subscription_args(s, type=d["type"], apply_date=d["apply_date"], **terms(d))


def reservation_move_args(s, d: dict) -> dict:
    """The scheduled change moved to another date (only its date can change)."""
    return subscription_args(s, apply_date=d["apply_date"])


def convert_args(s, d: dict) -> dict:
    return subscription_args(s, **terms(d))


def upgrade_args(s, target: str) -> dict:
    """Upgraded now to `target` (the form's), saying whether an upgrade at renewal was set (it is cleared)."""
    return subscription_args(s, product_id=target, renewal_upgrade=bool(s.renewal_product_id))


def add_licences_args(s, d: dict) -> dict:
    """Licences added now, with the licences before and the date of a scheduled increase it deletes."""
    reservation = getattr(s, "reservation", None)
    scheduled = (
        reservation.apply_date.isoformat()
        if reservation is not None and reservation.type == "ADD_LICENSE"
        else ""
    )
    return subscription_args(
        s, license_count=d["license_count"], before=s.license_count, scheduled_add_license=scheduled
    )


def new_subscription_args(domain_id: int, d: dict) -> dict:
    """A subscription added now to a customer: its terms."""
    return {"domain_id": domain_id, **json_safe(terms(d))}


def pre_order_args(domain_id: int, d: dict) -> dict:
    """A paid subscription pre-ordered from a date: the date and its terms."""
    return {"domain_id": domain_id, **json_safe({"apply_date": d["apply_date"], **terms(d)})}


def pre_order_move_args(domain_id: int, pre_order_id: int, d: dict) -> dict:
    """A pre-order moved to another date (only its date can change)."""
    return {"domain_id": domain_id, "pre_order_id": pre_order_id, "apply_date": d["apply_date"].isoformat()}


def pre_order_ref(domain_id: int, pre_order_id: int) -> dict:
    """The arguments naming one pre-order (its deletion)."""
    return {"domain_id": domain_id, "pre_order_id": pre_order_id}
