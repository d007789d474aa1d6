"""The variance check of a month finds each kind of difference between what was billed and what was sold in
the month (its usage snapshots, option usage and audited changes), whatever changed after the month; an
explanation is kept (and audited); the price book's prices apply from their dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from billing import services
from billing.models import Finding, InvoiceItem, PriceEntry, UsageSnapshot
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def _kinds() -> dict[tuple[int, str], Finding]:
    return {(f.domain_id, f.kind): f for f in Finding.objects.filter(**OCT)}


def snapshots(customer, first: dt.date, last: dt.date, **terms) -> None:
    """The customer's daily usage snapshots of first..last (a licence plan of 10 unless told)."""
    values = {"product_id": "STD", "plan": "ANNUAL_LICENSE", "license_count": 10, "member_count": 8} | terms
    day = first
    while day <= last:
        UsageSnapshot.objects.update_or_create(
            domain_id=customer.domain_id,
            used_date=day,
            product_group_id="WORKS",
            defaults=values | {"status": "ACTIVE", "synced_at": timezone.now()},
        )
        day += dt.timedelta(days=1)


def _paid(customer, **fields):
    defaults = {
        "plan_start_date": dt.date(2026, 4, 1),
        "plan_end_date": dt.date(2027, 3, 31),
        "license_count": 10,
    }
    return make_subscription(customer, **(defaults | fields))


def test_a_month_that_matches_what_was_sold_has_no_finding():
    customer = make_customer()
    sub = _paid(customer)
    make_item(customer, subscription_id=sub.subscription_id)
    make_item(customer, item_type="SUMMARY", item_id="", plan="", license_count=None)
    make_invoice()
    assert services.finding_month_check(**OCT) == {}
    assert not InvoiceItem.objects.filter(flagged=True).exists()


def test_a_cancelled_customer_still_billed_is_found():
    gone = make_customer(withdrawal_date=dt.date(2026, 9, 15))
    make_item(gone, amount=4_500)
    services.finding_month_check(**OCT)
    finding = _kinds()[(gone.domain_id, Finding.Kind.BILLED_NOT_ACTIVE)]
    assert (finding.expected, finding.billed) == ("2026-09-15", "4500")
    assert InvoiceItem.objects.get().flagged


def test_a_paid_subscription_not_billed_is_found():
    customer, later = make_customer(), make_customer()
    snapshots(customer, dt.date(2026, 10, 1), dt.date(2026, 10, 31), product_id="ADV", plan="MONTHLY")
    snapshots(later, dt.date(2026, 11, 3), dt.date(2026, 11, 14))  # started after October: not expected
    _paid(later, plan_start_date=dt.date(2026, 4, 1))  # as cached today: says nothing of October
    services.finding_month_check(**OCT)
    assert set(_kinds()) == {(customer.domain_id, Finding.Kind.ACTIVE_NOT_BILLED)}
    finding = _kinds()[(customer.domain_id, Finding.Kind.ACTIVE_NOT_BILLED)]
    assert (finding.subject, finding.expected) == ("ADV", "ADV MONTHLY")

    # Removed from the API in November: it was still a customer in October.
    customer.removed_at = timezone.now()
    customer.save()
    services.finding_month_check(**OCT)
    assert set(_kinds()) == {(customer.domain_id, Finding.Kind.ACTIVE_NOT_BILLED)}


def test_a_licence_count_billed_differently_is_found():
    customer = make_customer()
    sub = _paid(customer, license_count=14)  # two more added in November
    snapshots(customer, dt.date(2026, 10, 1), dt.date(2026, 10, 31), license_count=12)
    snapshots(customer, dt.date(2026, 11, 1), dt.date(2026, 11, 14), license_count=14)
    item = make_item(customer, subscription_id=sub.subscription_id, license_count=10)
    services.finding_month_check(**OCT)
    finding = _kinds()[(customer.domain_id, Finding.Kind.LICENCES)]
    assert (finding.expected, finding.billed) == ("12", "10")
    item.refresh_from_db()
    assert item.flagged


def test_licences_added_after_the_month_do_not_make_a_finding():
    """The case of the issue: 19 licences all October, 2 added on 24 November; October billed 19."""
    customer = make_customer(company_name="Blue Harbor Clinic")
    sub = _paid(customer, license_count=21)
    snapshots(customer, dt.date(2026, 9, 30), dt.date(2026, 10, 31), license_count=19)
    make_item(customer, subscription_id=sub.subscription_id, license_count=19)
    with time_machine.travel(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC), tick=False):
        snapshots(customer, dt.date(2026, 11, 1), dt.date(2026, 11, 24), license_count=21)
        AuditEntry.objects.create(
            domain_id=customer.domain_id, operation_id="changeSubscriptionLicense", outcome="succeeded"
        )
        services.finding_month_check(**OCT)
    assert _kinds() == {}


def test_a_licence_change_within_the_month_splits_the_items_and_each_is_checked():
    customer = make_customer()
    sub = _paid(customer)
    snapshots(customer, dt.date(2026, 9, 30), dt.date(2026, 10, 11), license_count=8)
    snapshots(customer, dt.date(2026, 10, 12), dt.date(2026, 10, 31), license_count=10)
    # The change was made during 11 October: the 12th's snapshot shows it.
    make_item(customer, subscription_id=sub.subscription_id, end_date=dt.date(2026, 10, 10), license_count=8)
    make_item(
        customer, subscription_id=sub.subscription_id, start_date=dt.date(2026, 10, 11), license_count=10
    )
    services.finding_month_check(**OCT)
    assert _kinds() == {}

    InvoiceItem.objects.filter(end_date=dt.date(2026, 10, 10)).update(license_count=7)
    services.finding_month_check(**OCT)
    finding = Finding.objects.get(kind=Finding.Kind.LICENCES)
    assert (finding.subject, finding.expected, finding.billed) == (
        f"{sub.subscription_id}:2026-10-10",
        "8",
        "7",
    )


def _option_usage(customer, day: dt.date, quantity: int) -> None:
    from options.models import OptionUsage

    OptionUsage.objects.create(
        customer=customer,
        option_product_id="SSTG2",
        sub_option_id="SSTG203",
        used_date=day,
        quantity=quantity,
        synced_at=timezone.now(),
    )


def test_an_option_quantity_billed_differently_is_found():
    customer, same = make_customer(), make_customer()
    for c, billed in ((customer, 5), (same, 3)):
        make_option(c, option_product_id="SSTG2", sub_option_id="SSTG203", quantity=9)  # raised in November
        _option_usage(c, dt.date(2026, 10, 31), 3)
        _option_usage(c, dt.date(2026, 11, 2), 9)
        make_item(
            c,
            item_type="OPTION_PRODUCT",
            item_id="SSTG2",
            sub_item_id="SSTG203",
            plan="MONTHLY",
            license_count=None,
            quantity=billed,
            amount=1_000 * billed,
        )
    services.finding_month_check(**OCT)
    found = {k for k in _kinds() if k[1] == Finding.Kind.QUANTITY}
    assert found == {(customer.domain_id, Finding.Kind.QUANTITY)}
    finding = _kinds()[(customer.domain_id, Finding.Kind.QUANTITY)]
    assert (finding.expected, finding.billed) == ("3", "5")
    assert InvoiceItem.objects.get(domain_id=customer.domain_id).flagged
    assert not InvoiceItem.objects.get(domain_id=same.domain_id).flagged


def test_an_option_quantity_is_taken_from_the_usage_of_the_months_last_day():
    """For an older month the option as cached today says nothing; its usage on 31 October does."""
    customer = make_customer()
    make_option(customer, quantity=7)  # raised in November
    _option_usage(customer, dt.date(2026, 10, 31), 4)
    make_item(
        customer,
        item_type="OPTION_PRODUCT",
        item_id="SSTG2",
        sub_item_id="SSTG203",
        plan="MONTHLY",
        license_count=None,
        quantity=4,
        amount=4_000,
    )
    services.finding_month_check(**OCT)
    assert not any(k[1] == Finding.Kind.QUANTITY for k in _kinds())


def test_a_period_split_without_a_known_change_is_found_and_one_with_a_change_is_not():
    customer, changed = make_customer(), make_customer()
    sub = _paid(customer)
    snapshots(customer, dt.date(2026, 9, 30), dt.date(2026, 10, 31))
    make_item(
        customer,
        subscription_id=sub.subscription_id,
        start_date=dt.date(2026, 10, 1),
        end_date=dt.date(2026, 10, 10),
        license_count=8,
    )
    make_item(
        customer, subscription_id=sub.subscription_id, start_date=dt.date(2026, 10, 11), license_count=10
    )
    # Its snapshots show the change: 10 licences from 20 October.
    other = _paid(changed, plan_start_date=dt.date(2026, 11, 1))  # renewed since: today's start says nothing
    snapshots(changed, dt.date(2026, 9, 30), dt.date(2026, 10, 19), license_count=8)
    snapshots(changed, dt.date(2026, 10, 20), dt.date(2026, 10, 31), license_count=10)
    make_item(changed, subscription_id=other.subscription_id, end_date=dt.date(2026, 10, 19), license_count=8)
    make_item(changed, subscription_id=other.subscription_id, start_date=dt.date(2026, 10, 20))
    # A change recorded after the month explains nothing in it.
    with time_machine.travel(dt.datetime(2026, 11, 10, 1, 0, tzinfo=dt.UTC), tick=False):
        AuditEntry.objects.create(domain_id=customer.domain_id, operation_id="changeX", outcome="succeeded")
    services.finding_month_check(**OCT)
    found = {k for k in _kinds() if k[1] == Finding.Kind.PERIOD}
    assert found == {(customer.domain_id, Finding.Kind.PERIOD)}
    assert Finding.objects.get(kind=Finding.Kind.PERIOD).expected == "2026-10-11"


def test_a_change_recorded_in_the_audit_trail_explains_a_split_period():
    customer, refused = make_customer(), make_customer()
    for c, outcome in ((customer, "succeeded"), (refused, "refused")):
        sub = _paid(c)
        snapshots(c, dt.date(2026, 9, 30), dt.date(2026, 10, 31))  # the snapshots show no change
        with time_machine.travel(dt.datetime(2026, 10, 11, 1, 0, tzinfo=dt.UTC), tick=False):
            AuditEntry.objects.create(
                domain_id=c.domain_id, operation_id="createSubscriptionReservation", outcome=outcome
            )
        make_item(c, subscription_id=sub.subscription_id, start_date=dt.date(2026, 10, 11))
    services.finding_month_check(**OCT)
    # A change the API refused changed nothing.
    assert {k for k in _kinds() if k[1] == Finding.Kind.PERIOD} == {(refused.domain_id, Finding.Kind.PERIOD)}


def test_a_cost_beyond_one_yen_from_the_price_book_is_found_and_prices_apply_from_their_date():
    customer = make_customer()
    sub = _paid(customer)
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    # A later price never rewrites October.
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=999, price=1200, effective_from=dt.date(2026, 11, 1)
    )
    item = make_item(customer, subscription_id=sub.subscription_id, license_count=10, amount=4_501)
    services.finding_month_check(**OCT)
    assert not any(k[1] == Finding.Kind.COST for k in _kinds()), "¥1 is within tolerance"

    item.amount = 4_700
    item.save()
    services.finding_month_check(**OCT)
    finding = _kinds()[(customer.domain_id, Finding.Kind.COST)]
    assert (finding.expected, finding.billed) == ("4500", "4700")

    # A customer's own price overrides the general one, from its date.
    PriceEntry.objects.create(
        item_id="STD",
        plan="",
        domain_id=customer.domain_id,
        cost=470,
        price=650,
        effective_from=dt.date(2026, 10, 1),
    )
    services.finding_month_check(**OCT)
    assert not any(k[1] == Finding.Kind.COST for k in _kinds())


def test_an_invoice_that_does_not_add_up_is_found():
    make_invoice(total_amount=79_641)
    services.finding_month_check(**OCT)
    finding = _kinds()[(0, Finding.Kind.ARITHMETIC)]
    assert (finding.expected, finding.billed) == ("79640", "79641")


def test_an_explanation_is_audited_and_survives_the_next_check(finance):
    customer = make_customer()
    sub = _paid(customer, license_count=12)
    snapshots(customer, dt.date(2026, 10, 31), dt.date(2026, 10, 31), license_count=12)
    make_item(customer, subscription_id=sub.subscription_id, license_count=10)
    services.finding_month_check(**OCT)
    finding = Finding.objects.get(kind=Finding.Kind.LICENCES)

    services.finding_explain(user=finance, finding_id=finding.pk, note="Two licences credited by the vendor")
    services.finding_month_check(**OCT)

    finding.refresh_from_db()
    assert finding.explained and finding.still_found and finding.explained_by == finance
    entry = AuditEntry.objects.get(operation_id="billing.explainFinding")
    assert entry.actor == finance and entry.domain_id == customer.domain_id
    assert entry.request_summary["note"] == "Two licences credited by the vendor"

    # Once the difference is gone, the explained finding stays, marked as no longer found.
    InvoiceItem.objects.update(license_count=12)
    services.finding_month_check(**OCT)
    finding.refresh_from_db()
    assert finding.explained and not finding.still_found
    assert timezone.now() >= finding.checked_at


def test_margins_compare_only_the_items_the_price_book_prices():
    from billing.margins import month_margins

    customer = make_customer()
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 10, 1)
    )
    make_item(customer, license_count=10, amount=4_500)  # as the book says
    make_item(customer, item_id="ADV", plan="MONTHLY", license_count=None, member_count=8, amount=7_200)
    (row,) = month_margins(**OCT)
    assert (row["billed"], row["expected"], row["cost_difference"]) == (11_700, 4_500, None)
    assert (row["revenue"], row["margin"]) == (6_000 + 7_200, 1_500)

    InvoiceItem.objects.filter(item_id="STD").update(amount=4_700)
    (row,) = month_margins(**OCT)
    assert row["cost_difference"] == 200
