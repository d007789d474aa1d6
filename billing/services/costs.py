"""Costs learned from LINE WORKS' invoices: what a month's invoice details say each product or option costs,
stored when the month is stored (`invoice_cost_learn`), and Finance accepting them into the price book
(`invoice_cost_accept`: one transaction, one audit entry per price added, nothing added twice). The rules of
what is a price are billing/costs.py; the proposal as the page reads it is `selectors.cost_proposal`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from billing import costs, rules
from billing.models import DetailMonth, InvoiceCost, MonthClosing, PriceEntry
from billing.services.closing import MonthClosed
from portal.core.models import AuditEntry
from portal.core.services import audit_record


def invoice_cost_learn(*, year: int, month: int, items: Iterable[Any], synced_at: dt.datetime) -> int:
    """Replace what the month's invoice says each product or option costs (`InvoiceCost`) with what its items say
    (`costs.learned_costs`): run with the month's store, in its transaction, on the items it holds already."""
    learned = costs.learned_costs(items, year, month)
    InvoiceCost.objects.filter(year=year, month=month).delete()
    InvoiceCost.objects.bulk_create(
        [
            InvoiceCost(
                year=year,
                month=month,
                item_type=row.item_type,
                item_id=row.item_id,
                sub_item_id=row.sub_item_id,
                plan=row.plan,
                unit_cost=row.unit_cost,
                reason=row.reason,
                lines=row.lines,
                customers=row.customers,
                example_domain_id=row.example_domain_id,
                example_name=row.example_name,
                learned_at=synced_at,
            )
            for row in learned
        ]
    )
    return len(learned)


class NothingToAccept(Exception):
    """None of the chosen costs differs from the price book any more (accepted already, or not proposed)."""


def invoice_cost_accept(
    *, user, year: int, month: int, keys: Iterable[str] | None = None
) -> list[PriceEntry]:
    """Add to the price book the month's costs learned from LINE WORKS' invoice that it lacks or has otherwise
    (`keys`: those chosen, `costs.key_of`; None: every one), each from the month's first day, for every customer:
    its price to the customer kept from the entry in force then, or not set when there was none. One transaction;
    one audit entry per price added. A cost the book has already is skipped, so accepting twice adds nothing.
    `MonthClosed` when a price would be in force in a closed month (nothing is added)."""
    chosen = None if keys is None else set(keys)
    first = costs.month_first(year, month)
    with transaction.atomic():
        # One acceptance of the month at a time: a second waits, then finds the book has them.
        DetailMonth.objects.select_for_update().filter(year=year, month=month).first()
        rows = [
            r
            for r in costs.proposed_rows(year, month)
            if r.acceptable and (chosen is None or r.key in chosen)
        ]
        if not rows:
            raise NothingToAccept
        closed = set(MonthClosing.objects.filter(reopened_at__isnull=True).values_list("year", "month"))
        added = []
        for row in rows:
            touched = rules.closed_month_touched(first, row.next_from, closed)
            if touched is not None:
                raise MonthClosed(*touched)
            entry = PriceEntry.objects.create(
                item_id=row.item_id,
                sub_item_id=row.sub_item_id,
                plan=row.plan,
                domain_id=None,
                cost=row.unit_cost,
                price=row.price,
                effective_from=first,
                created_by=user,
            )
            audit_record(
                actor=user,
                operation_id="portal.acceptInvoiceCost",
                sent={
                    "month": f"{year}-{month:02d}",
                    "item": row.item_id,
                    "tier": row.sub_item_id,
                    "plan": row.plan,
                    "effective_from": first.isoformat(),
                    "cost": row.unit_cost,
                    "cost_before": row.book_cost,
                    "price": row.price,
                    "entry": entry.pk,
                },
                outcome=AuditEntry.Outcome.SUCCEEDED,
            )
            added.append(entry)
    return added
