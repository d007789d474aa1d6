"""Costs learned from the sandbox's seeded invoices, fetched over real HTTP: every price the portal proposes is
the sandbox's own unit price of that plan or option tier; the month before is compared; Finance accepts them all
and the estimate, ¥0 of cost with an empty price book, is priced, while what still has no price says why."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import costs, rules, selectors, services
from billing.estimate import KEEPER
from billing.models import InvoiceCost, PriceEntry
from billing.rules import INVOICE_DETAILS, INVOICES
from portal.core import kept, sync
from portal.core.access import Role
from portal.core.models import AuditEntry
from sandbox.catalogue import PER_UNIT_OPTION_PRICES, PER_USER_OPTION_PRICES, PRODUCT_PRICES
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _sandbox_price(row: costs.Proposed) -> int | None:
    if row.item_type == "PRODUCT":
        return PRODUCT_PRICES.get((row.item_id, row.plan))
    return PER_USER_OPTION_PRICES.get(row.sub_item_id) or PER_UNIT_OPTION_PRICES.get(row.sub_item_id)


def test_costs_learned_from_the_fetched_invoice_are_the_vendors_prices_and_price_the_estimate(
    billing_sandbox, closed_month
):
    year, month = closed_month["year"], closed_month["month"]
    (before_year, before_month), _closed = rules.months_back(year, month, 2)
    assert sync.resync_full().status == "succeeded"
    for invoice_year in sorted({year, before_year}):
        assert sync.resync_partner_wide(name=INVOICES, params={"year": invoice_year}).status == "succeeded"
    before = {"year": before_year, "month": before_month}
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=before).status == "succeeded"
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"

    rows = costs.proposed_rows(year, month)
    assert {r.item_type for r in rows} == {"PRODUCT", "OPTION_PRODUCT"}
    # Each is the sandbox's own unit price of its plan or tier; none is the book's yet.
    assert [(r.key, r.unit_cost) for r in rows if r.unit_cost != _sandbox_price(r)] == []
    assert {r.status for r in rows} == {"new"}
    # The month before was learned too: what changed since is said (the sandbox's prices do not move).
    assert {r.since_last for r in rows} <= {"same", "new"} and "same" in {r.since_last for r in rows}
    reasons = set(InvoiceCost.objects.filter(**closed_month).values_list("reason", flat=True))
    assert {InvoiceCost.Reason.SUBTOTAL, InvoiceCost.Reason.OPTION_PLUS} <= reasons, reasons

    finance = make_persona(Role.FINANCE)
    assert kept.keep_month(KEEPER.name, **closed_month)
    empty = selectors.estimates(user=finance, top=5)
    running = rules.month_of(dt.date.fromisoformat(billing_sandbox.clock()["today"]))
    summaries = {(e["estimate"].year, e["estimate"].month): e for e in empty}
    assert all(e["estimate"].cost == 0 for e in empty)

    added = services.invoice_cost_accept(user=finance, year=year, month=month)
    assert len(added) == len(rows) == PriceEntry.objects.count()
    assert AuditEntry.objects.filter(operation_id="portal.acceptInvoiceCost").count() == len(rows)
    assert {r.status for r in costs.proposed_rows(year, month)} == {"same"}

    for kept_month in [closed_month, *({"year": y, "month": m} for y, m in summaries)]:
        kept.keep_month(KEEPER.name, **kept_month)
    priced = selectors.estimates(user=finance, top=5)
    assert all(e["estimate"].cost > 0 for e in priced), [(e["estimate"].cost, e["unpriced"]) for e in priced]
    # What still has no price (a plan or tier no invoice billed a whole month of) says why.
    for e in priced:
        for group, items in e["unpriced"].items():
            for unpriced in items:
                assert unpriced.kind == group and unpriced.why.startswith("No price for "), unpriced
        # Accepted, the closed month's invoice no longer says a price the book lacks.
        assert e["unpriced"]["to_accept"] == []
    assert running in summaries
