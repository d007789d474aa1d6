"""The estimate against the sandbox's seeded invoice of the last closed month: with the sandbox's prices in the
price book, every customer's estimate matches its invoice or differs by a rule the page names; nothing is left
unexplained but what changed since the month (the sandbox's own history)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from billing import selectors
from billing.estimate import KEEPER, Verdict
from billing.models import Finding, PriceEntry
from billing.rules import INVOICE_DETAILS, INVOICES
from portal.core import kept, sync
from portal.core.access import Role
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

#: The sandbox's prices of its plans (sandbox/catalogue.py), as Finance would type them into the price book.
SANDBOX_PRICES = {
    ("STD", "MONTHLY"): 540,
    ("STD", "ANNUAL_LICENSE"): 450,
    ("STD", "ANNUAL_PREPAY_LICENSE"): 450,
    ("ADV", "MONTHLY"): 960,
    ("ADV", "ANNUAL_LICENSE"): 800,
    ("ADV", "ANNUAL_PREPAY_LICENSE"): 800,
}


def test_the_seeded_invoice_is_estimated_or_each_difference_named(
    billing_sandbox, closed_month, read_month_usage
):
    assert sync.resync_full().status == "succeeded"
    assert (
        sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]}).status == "succeeded"
    )
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"
    read_month_usage()  # the month's own daily usage: what was sold on each of its days
    for (item, plan), cost in SANDBOX_PRICES.items():
        PriceEntry.objects.create(
            item_id=item, plan=plan, cost=cost, price=cost * 5 // 4, effective_from=dt.date(2000, 1, 1)
        )
    finance = make_persona(Role.FINANCE)
    assert kept.keep_month(KEEPER.name, **closed_month)  # the worker, as the page asks it to
    figures, page = selectors.estimate_against_invoice(user=finance, **closed_month, page=1, per_page=10_000)
    rows = page.object_list  # the customers that differ, every one of them on this page
    verdicts = Counter(r.verdict for r in rows)
    assert figures["same"] and verdicts[Verdict.UNPRICED], (figures, verdicts)
    # Each billed customer whose difference no rule explains is one the month's check found something about
    # (the sandbox plants them): the estimate lists it beside the findings, and cries no other wolf.
    found = set(Finding.objects.filter(**closed_month).values_list("domain_id", flat=True))
    listed = {r.domain_id for r in rows if r.verdict in (Verdict.DIFFERS, Verdict.NOT_ESTIMATED)}
    assert listed and listed <= found, (listed, found)
