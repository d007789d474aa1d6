"""Costs learned from LINE WORKS' invoices as Finance's page reads them: the month's proposal beside the price
book (`cost_proposal`), the lines that cannot be a price grouped by why, and why the estimate has no price for
an item (`unpriced_why`). The rules are billing/costs.py; they were worked out when the month was stored: the
page reads the month's few learned rows and the price book, never its items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext

from billing import costs
from billing.models import DetailMonth, InvoiceCost
from billing.permissions import CHANGE_BILLING, VIEW_BILLING
from billing.selectors.closing import month_is_closed
from billing.templatetags.billing import yen
from customers.selectors import customer_names
from portal.core.access import check
from portal.core.vocabulary import Plan, item_name, label


@dataclass(frozen=True)
class NotPrice:
    """Lines of the month's invoice that cannot be a price, of one product or option, tier and plan, and why."""

    row: InvoiceCost
    customer_name: str  # the customer a `DIFFERS` row is about (the first of them)

    @property
    def why(self) -> str:
        return InvoiceCost.Reason(self.row.reason).label


def cost_proposal(*, user, year: int, month: int) -> dict:
    """The month's "Costs from LINE WORKS": whether its details are stored and learned, the prices its invoice
    says beside the price book (`costs.proposed_rows`: those to accept first), and the lines that cannot be a
    price with why (a subtotal, a part of the month...), those about a product or option first."""
    check(user, CHANGE_BILLING)
    stored = DetailMonth.objects.filter(year=year, month=month).exists()
    learned = list(
        InvoiceCost.objects.filter(year=year, month=month).exclude(reason=InvoiceCost.Reason.PRICE)
    )
    rows = costs.proposed_rows(year, month)
    # Each row's example as the invoice names it (kept when learned); one the invoice gives no name for, as the
    # portal names it.
    names = customer_names(
        {
            r.example_domain_id
            for r in learned
            if r.reason == InvoiceCost.Reason.DIFFERS and not r.example_name
        }
    )
    not_prices = [
        NotPrice(r, r.example_name or (names.get(r.example_domain_id, "") if r.example_domain_id else ""))
        for r in sorted(
            learned, key=lambda r: (r.item_type not in costs.PRICED_TYPES, r.item_label, r.plan, r.reason)
        )
    ]
    return {
        "stored": stored,
        "learned": bool(rows or learned),
        "rows": rows,
        "to_accept": [r for r in rows if r.acceptable],
        "not_prices": not_prices,
        "closed": month_is_closed(year=year, month=month),
    }


@dataclass(frozen=True)
class Unpriced:
    """An item the estimate of a month has no price for, and why: the latest month whose invoice says its cost
    (`learned_month`, with `unit_cost` when it is a price Finance has not accepted), or none."""

    item_id: str
    sub_item_id: str
    plan: str
    periods: int
    learned_month: tuple[int, int] | None
    unit_cost: int | None
    reason: str  # why the latest invoice that bills it gives no price ("" when it does)
    why: str  # all that, in words

    @property
    def item_label(self) -> str:
        return item_name(self.sub_item_id or self.item_id)

    @property
    def plan_label(self) -> str:
        return label(Plan, self.plan) if self.plan else gettext("every plan")

    @property
    def kind(self) -> str:
        """ "to_accept" (its latest invoice says a price the book lacks), "not_a_price" (it bills it otherwise) or
        "not_billed" (no invoice fetched bills it)."""
        if self.learned_month is None:
            return "not_billed"
        return "not_a_price" if self.reason else "to_accept"

    @property
    def why_short(self) -> str:
        return InvoiceCost.Reason(self.reason).label if self.reason else ""


def unpriced_grouped(unpriced: list[Unpriced]) -> dict[str, list[Unpriced]]:
    """The items without a price by why (`Unpriced.kind`), each group as the page lists it."""
    groups: dict[str, list[Unpriced]] = {"to_accept": [], "not_a_price": [], "not_billed": []}
    for u in sorted(unpriced, key=lambda u: (item_name(u.item_id), u.sub_item_id, u.plan)):
        groups[u.kind].append(u)
    return groups


def unpriced_why(
    *, user, year: int, month: int, unpriced: Iterable[tuple[str, str, str, int]]
) -> list[Unpriced]:
    """For each item (product or option, tier, plan, periods) the month's estimate has no price for: the latest
    month up to this one whose invoice bills it, and what it says. Reads the learned rows of those items only."""
    check(user, VIEW_BILLING)
    keys = list(unpriced)
    if not keys:
        return []
    items = {item_id for item_id, *_rest in keys}
    upto = year * 12 + month
    found: dict[tuple[str, str, str], InvoiceCost] = {}
    rows = (
        InvoiceCost.objects.filter(item_id__in=items, year__lte=year)
        .exclude(reason=InvoiceCost.Reason.DIFFERS)
        .order_by("-year", "-month", "reason")
    )
    for row in rows:
        key = (row.item_id, row.sub_item_id, row.plan)
        if row.year * 12 + row.month <= upto and key not in found:
            found[key] = row
    out = []
    for item_id, sub_item_id, plan, periods in keys:
        row = found.get((item_id, sub_item_id, plan))
        out.append(
            Unpriced(
                item_id,
                sub_item_id,
                plan,
                periods,
                None if row is None else (row.year, row.month),
                None if row is None or row.reason else row.unit_cost,
                "" if row is None else row.reason,
                _why(item_id, sub_item_id, plan, (year, month), row),
            )
        )
    return out


def _month(year: int, month: int) -> str:
    return gettext("%(year)d-%(month)02d") % {"year": year, "month": month}


def _why(
    item_id: str, sub_item_id: str, plan: str, estimated: tuple[int, int], row: InvoiceCost | None
) -> str:
    """Why the book has no price for an item from the estimated month, in words."""
    words = {
        "item": item_name(sub_item_id or item_id),
        "plan": label(Plan, plan) if plan else gettext("every plan"),
        "month": _month(*estimated),
    }
    if row is None:
        return (
            gettext(
                "No price for %(item)s, %(plan)s, from %(month)s: no invoice of LINE WORKS fetched bills it yet. "
                "Its cost is learned once one does; or add its price to the price book."
            )
            % words
        )
    words["invoice"] = _month(row.year, row.month)
    if row.reason:
        return gettext(
            "No price for %(item)s, %(plan)s, from %(month)s: LINE WORKS' invoice for %(invoice)s bills it, but "
            "not as a price: %(why)s"
        ) % {**words, "why": InvoiceCost.Reason(row.reason).label}
    return gettext(
        "No price for %(item)s, %(plan)s, from %(month)s: LINE WORKS' invoice for %(invoice)s bills it at "
        "%(unit)s a unit, not accepted into the price book yet."
    ) % {**words, "unit": yen(row.unit_cost)}


def cost_month_latest(*, user) -> tuple[int, int] | None:
    """The latest month whose invoice the portal learned costs from (None: none yet): where the price book links."""
    check(user, VIEW_BILLING)
    return max(costs.learned_months(), default=None)
