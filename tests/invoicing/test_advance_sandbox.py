"""Billing in advance against the sandbox (real HTTP, no mocks of the API): the cache filled by a full resync, the
sandbox's prices in the price book, the partner switched to "in advance" on its billing details, every customer
with details of its own. The running month's invoices are issued from its estimate, one per customer the
estimate prices in full, with gap-free numbers; issuing again (a retried run) issues nothing twice."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from billing import selectors as billing
from billing.estimate import KEEPER
from billing.models import PriceEntry
from customers.models import Customer
from invoicing import document, rules, selectors, services
from invoicing.models import BillingBasis, CustomerBilling, InvoiceCounter, IssuedInvoice
from portal.core import kept, sync
from portal.core.access import Role
from tests.billing.test_estimate_sandbox import SANDBOX_PRICES
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


# A sandbox of its own: the session's grows with the customers other tests add, and this test reads, prices and
# bills every customer it has.
own_sandbox = sandbox_of_its_own(seed_customers=30, seed=7)


def test_a_partner_switched_to_in_advance_issues_the_running_month_from_the_estimate(
    own_sandbox, portal_api, monkeypatch
):
    portal_sandbox = portal_api(own_sandbox)
    today = dt.date.fromisoformat(portal_sandbox.clock()["today"])
    pin_business_today(monkeypatch, today)
    assert sync.resync_full().status == "succeeded"
    for (item, plan), cost in SANDBOX_PRICES.items():
        PriceEntry.objects.create(
            item_id=item, plan=plan, cost=cost, price=cost * 5 // 4, effective_from=dt.date(2000, 1, 1)
        )
    for customer in Customer.objects.filter(removed_at=None):
        CustomerBilling.objects.create(
            domain_id=customer.domain_id,
            bill_to_name=customer.company_name,
            bill_to_address="東京都千代田区1-1",
            language="ja",
        )
    finance = make_persona(Role.FINANCE)
    details = {
        "registered_name": "パートナー株式会社",
        "address": "東京都千代田区丸の内1-1",
        "corporation": True,
        "registration_number": "T7000012050002",
        "bank_account": "みずほ銀行 本店 普通 1234567",
        "payment_terms": "end_of_next_month",
    }
    services.issuer_details_set(actor=finance, **details, billing_basis=BillingBasis.AFTER_INVOICE)
    month = {"year": today.year, "month": today.month}
    assert selectors.month_drafts(user=finance, **month).basis == rules.FROM_INVOICE
    assert not selectors.ready_drafts(
        user=finance, issue_date=today, **month
    )  # LINE WORKS has not invoiced it

    # Switched to billing in advance: the room opens on the running month, its drafts from the estimate.
    services.issuer_details_set(actor=finance, **details, billing_basis=BillingBasis.IN_ADVANCE)
    assert selectors.default_month() == (today.year, today.month)
    found = selectors.month_drafts(user=finance, **month)
    assert found.basis == rules.FROM_ESTIMATE
    assert kept.keep_month(KEEPER.name, **month)  # the worker, as the Invoices page asks it to
    estimated = billing.month_estimate(user=finance, **month)
    priced_in_full = {c.domain_id: c.price for c in estimated.customers if c.lines and not c.unknown_count}
    assert priced_in_full, "the sandbox sells plans the price book prices"
    assert {d.domain_id for d in found.ready} == set(priced_in_full)
    for draft in found.ready:
        assert draft.subtotal == priced_in_full[draft.domain_id]
    # A customer the book cannot price in full is blocked with the reason, not issued.
    for draft in found.blocked:
        assert any("no price for" in reason for reason in draft.blocked), draft.blocked

    with mock.patch.object(document, "pdf_of", lambda _invoice: b"%PDF-1.4\n%%EOF\n"):
        run = services.month_issue(run_id=services.month_issue_request(user=finance, **month).pk)
        assert run.finished_at is not None and not run.error
        again = services.month_issue(run_id=run.pk)  # a redelivered task
    assert again.done == run.done == len(priced_in_full)
    issued = list(IssuedInvoice.objects.filter(**month).order_by("number"))
    assert [i.number for i in issued] == list(range(1, len(priced_in_full) + 1)), "gap-free, from 1"
    assert InvoiceCounter.objects.get().next_number == len(priced_in_full) + 1
    assert {i.domain_id: i.subtotal for i in issued} == priced_in_full
    assert all(i.issue_date == today for i in issued)
    with pytest.raises(services.IssueRefused):
        services.month_issue_request(user=finance, **month)
