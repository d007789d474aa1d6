"""Billing in advance: a partner that bills its customers at the start of the month makes the running month's
drafts from the month's estimate (`billing.selectors.month_estimated_items`, the estimate in the charged items'
shape), priced by the same price book; the month's page says which basis its drafts use; the rest (price edits,
issuing, numbering) is unchanged. Without the sandbox: the cache written as a resync would."""

from __future__ import annotations

import datetime as dt
import html

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from billing import selectors as billing
from billing.estimate import month_estimate
from billing.models import PriceEntry
from invoicing import drafts, rules, selectors, services
from invoicing.models import BillingBasis, CustomerBilling, IssuedInvoice, IssuerDetails
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.options.factories import make_option
from tests.subscriptions.factories import make_reservation, make_subscription

pytestmark = pytest.mark.django_db
NOV = {"year": 2026, "month": 11}
TODAY = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def _billed(customer, name: str) -> None:
    CustomerBilling.objects.create(
        domain_id=customer.domain_id, bill_to_name=name, bill_to_address="大阪市北区1-2", language="ja"
    )


@pytest.fixture
def advance(issuer):
    """Harbor: 20 Standard licences, 5 more from 16 November (a reservation), at ¥610 a licence; Gale: 7 licences
    and an option the price book has no price for. Both with billing details; the partner bills in advance."""
    IssuerDetails.objects.filter(pk=1).update(billing_basis=BillingBasis.IN_ADVANCE)
    harbor = make_customer(company_name="Blue Harbor Clinic", plan="ANNUAL_LICENSE")
    gale = make_customer(company_name="Gale Logistics", plan="ANNUAL_LICENSE")
    sub = make_subscription(harbor, license_count=20)
    make_reservation(sub, apply_date=dt.date(2026, 11, 16), license_count=5)
    gale_sub = make_subscription(gale, license_count=7)
    make_option(gale, subscription_id=gale_sub.subscription_id, quantity=2)
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=610, effective_from=dt.date(2026, 1, 1)
    )
    _billed(harbor, "Blue Harbor Clinic 経理部")
    _billed(gale, "Gale Logistics")
    return {"harbor": harbor, "gale": gale}


def test_the_basis_of_a_month(advance):
    basis = rules.draft_basis
    assert basis(in_advance=False, year=2026, month=11, today=TODAY) == rules.FROM_INVOICE
    assert basis(in_advance=False, year=2026, month=12, today=TODAY) == rules.FROM_INVOICE
    assert basis(in_advance=True, year=2026, month=11, today=TODAY) == rules.FROM_ESTIMATE
    assert basis(in_advance=True, year=2026, month=10, today=TODAY) == rules.FROM_INVOICE
    assert basis(in_advance=True, year=2025, month=12, today=TODAY) == rules.FROM_INVOICE
    assert basis(in_advance=True, year=2026, month=12, today=TODAY) == rules.NOT_BEGUN
    assert basis(in_advance=True, year=2027, month=1, today=TODAY) == rules.NOT_BEGUN
    # The invoicing room opens on the running month for a partner that bills in advance.
    assert selectors.default_month() == (2026, 11)
    IssuerDetails.objects.filter(pk=1).update(billing_basis=BillingBasis.AFTER_INVOICE)
    assert selectors.default_month() == (2026, 10)


def test_the_estimate_becomes_items_of_the_charged_shape_priced_by_the_book(advance):
    finance = make_persona(Role.FINANCE)
    items = billing.month_estimated_items(user=finance, **NOV)
    estimated = month_estimate(**NOV)
    # One item per estimated period, in the estimate's order, its price the estimate's.
    assert [(i.domain_id, i.start_date, i.end_date, i.units, i.amount) for i in items] == [
        (c.domain_id, line.start, line.end, line.units, line.price)
        for c in estimated.customers
        for line in c.lines
    ]
    harbor = [i for i in items if i.domain_id == advance["harbor"].domain_id]
    assert [(i.item_type, i.item_id, i.plan, i.units, i.unit_price, i.amount) for i in harbor] == [
        ("PRODUCT", "STD", "ANNUAL_LICENSE", 20, 610, 6_100),  # 1-15 November: 20 x ¥610 x 15/30
        ("PRODUCT", "STD", "ANNUAL_LICENSE", 25, 610, 7_625),  # from the reservation's day
    ]
    assert harbor[0].end_date == dt.date(2026, 11, 15) and harbor[1].start_date == dt.date(2026, 11, 16)
    # The option the book has no price for: neither unit price nor amount (a sub option by its own code).
    [option] = [i for i in items if i.item_type == "OPTION_PRODUCT"]
    assert (option.item_id, option.unit_price, option.amount) == ("SSTG203", None, None)


def test_drafts_from_the_estimate_total_per_rate_and_block_an_unpriced_item(advance):
    finance = make_persona(Role.FINANCE)
    found = selectors.month_drafts(user=finance, **NOV)
    assert found.basis == rules.FROM_ESTIMATE and found.cannot_know
    by_customer = {d.domain_id: d for d in found.drafts}
    harbor = by_customer[advance["harbor"].domain_id]
    assert harbor.ready
    # Rounded once per invoice and rate (¥13,725 x 10 % = ¥1,372.5, floored), not per line.
    assert harbor.per_rate == [drafts.RateTotal(rate=10, amount=13_725, tax=1_372)]
    assert harbor.total == 15_097
    gale = by_customer[advance["gale"].domain_id]
    with translation.override("en"):
        gale = selectors.draft_get(user=finance, domain_id=advance["gale"].domain_id, **NOV)
        assert gale is not None
        assert gale.blocked == [f"The price book has no price for {gale.lines[1].description()}."]
    assert [d.domain_id for d in found.ready] == [advance["harbor"].domain_id]


def test_a_price_edit_applies_to_a_draft_from_the_estimate(advance):
    finance = make_persona(Role.FINANCE)
    domain_id = advance["harbor"].domain_id
    services.draft_price_set(
        actor=finance,
        **NOV,
        domain_id=domain_id,
        item_id="STD",
        plan="ANNUAL_LICENSE",
        unit_price=500,
        book_price=610,
    )
    draft = selectors.draft_get(user=finance, domain_id=domain_id, **NOV)
    assert draft is not None and draft.edited and not draft.stale_edits
    assert [line.amount for line in draft.lines] == [5_000, 6_250]


def test_the_month_page_says_its_basis_in_each_mode(client_as, advance):
    client = client_as(Role.FINANCE)
    make_invoice(year=2026, month=10)
    make_item(advance["harbor"], year=2026, month=10, license_count=20, amount=9_000)
    with translation.override("en"):
        page = html.unescape(
            client.get(reverse("invoicing:drafts", kwargs=NOV), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
    assert "From the estimate of 2026-11." in page
    assert 'data-testid="advance-cannot-know"' in page and "Usage-based charges" in page
    page = html.unescape(
        client.get(reverse("invoicing:drafts", kwargs={"year": 2026, "month": 10})).content.decode()
    )
    assert "From LINE WORKS' invoice for 2026-10." in page
    assert "this month has ended" in page and 'data-testid="advance-cannot-know"' not in page
    page = html.unescape(
        client.get(reverse("invoicing:drafts", kwargs={"year": 2026, "month": 12})).content.decode()
    )
    assert "Nothing to bill yet for 2026-12." in page and 'data-testid="drafts"' not in page
    # The room opens on the running month.
    assert "From the estimate of 2026-11." in html.unescape(
        client.get(reverse("invoicing:start")).content.decode()
    )

    IssuerDetails.objects.filter(pk=1).update(billing_basis=BillingBasis.AFTER_INVOICE)
    page = html.unescape(client.get(reverse("invoicing:drafts", kwargs=NOV)).content.decode())
    assert "From LINE WORKS' invoice for 2026-11." in page
    assert "No customer is billed in this month." in page  # LINE WORKS has not invoiced November
    page = html.unescape(client.get(reverse("invoicing:start")).content.decode())
    assert "From LINE WORKS' invoice for 2026-10." in page and "this month has ended" not in page


def test_the_setting_is_saved_and_audited_and_not_written_on_invoices(client_as, advance):
    IssuerDetails.objects.filter(pk=1).update(billing_basis=BillingBasis.AFTER_INVOICE)
    client = client_as(Role.FINANCE)
    form = client.get(reverse("invoicing:issuer")).content.decode()
    assert 'name="billing_basis" value="after_invoice"' in form and "checked" in form
    details = selectors.details_mapping()
    assert details is not None
    answer = client.post(
        reverse("invoicing:issuer"),
        {**details, "corporation": "on", "billing_basis": BillingBasis.IN_ADVANCE},
    )
    assert answer.status_code == 302
    assert selectors.bills_in_advance()
    entry = AuditEntry.objects.get(operation_id="portal.setIssuerDetails")
    assert entry.request_summary["changed"] == {
        "billing_basis": {"before": "after_invoice", "after": "in_advance"}
    }
    assert "billing_basis" not in (selectors.issuer_mapping() or {})
    # A value not offered is refused in words; nothing changes.
    answer = client.post(
        reverse("invoicing:issuer"), {**details, "corporation": "on", "billing_basis": "later"}
    )
    assert answer.status_code == 200 and 'aria-invalid="true"' in answer.content.decode()
    assert selectors.bills_in_advance()


def test_issuing_the_running_month_from_the_estimate(advance):
    finance = make_persona(Role.FINANCE)
    run = services.month_issue(run_id=services.month_issue_request(user=finance, **NOV).pk)
    assert run.finished_at is not None and not run.error
    [invoice] = IssuedInvoice.objects.filter(**NOV)
    assert invoice.domain_id == advance["harbor"].domain_id and invoice.total == 15_097
    assert [line["amount"] for line in invoice.lines] == [6_100, 7_625]
    assert [line["start_date"] for line in invoice.lines] == ["2026-11-01", "2026-11-16"]
    assert "billing_basis" not in invoice.issuer
    # A month not begun has nothing to issue.
    with pytest.raises(services.IssueRefused):
        services.month_issue_request(user=finance, year=2026, month=12)
