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
