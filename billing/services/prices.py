"""Writes to the price book: a price added from a date (`price_entry_create`). The book itself and pricing are
billing/prices.py."""

from __future__ import annotations

import datetime as dt

from billing import rules
from billing.models import MonthClosing, PriceEntry
from billing.services.closing import MonthClosed
from portal.core.models import AuditEntry
from portal.core.services import audit_record


def price_entry_create(
    *,
    user,
    item_id: str,
    plan: str,
    domain_id: int | None,
    cost: int,
    price: int | None,
    effective_from: dt.date,
    sub_item_id: str = "",
) -> PriceEntry:
    """Add a price from a date (never rewrites an earlier price: past months keep the price they had; a second
    entry of the same day takes over from the first, as a price set for a cost learned from an invoice does), with
    an audit entry (`portal.addPrice`). Refused
    (`MonthClosed`) when the price would be in force in a closed month (the form says so first)."""
    item_id = item_id.strip()
    later = (
        PriceEntry.objects.filter(
            item_id=item_id,
            sub_item_id=sub_item_id,
            plan=plan,
            domain_id=domain_id,
            effective_from__gt=effective_from,
        )
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    closed = set(MonthClosing.objects.filter(reopened_at__isnull=True).values_list("year", "month"))
    touched = rules.closed_month_touched(effective_from, later, closed)
    if touched is not None:
        raise MonthClosed(*touched)
    entry = PriceEntry.objects.create(
        item_id=item_id,
        sub_item_id=sub_item_id,
        plan=plan,
        domain_id=domain_id,
        cost=cost,
        price=price,
        effective_from=effective_from,
        created_by=user,
    )
    audit_record(
        actor=user,
        operation_id="portal.addPrice",
        outcome=AuditEntry.Outcome.SUCCEEDED,
        domain_id=domain_id,
        sent={
            "item": item_id,
            "tier": sub_item_id,
            "plan": plan,
            "effective_from": effective_from.isoformat(),
            "cost": cost,
            "price": price,
            "entry": entry.pk,
        },
    )
    return entry
