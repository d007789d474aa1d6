"""The issue's "Done when": a history built to trick the check (changes after the period, mid-month changes,
cancellations, options added and removed, trial conversions) gives zero false findings and misses no planted
difference, checked on the month's last day and again a year later, after everything changed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from billing import rules, services
from billing.models import Finding, PriceEntry, UsageSnapshot
from options.models import Option, OptionUsage
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
LAST_DAY = dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)  # 21:00 in Tokyo
LATER = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)
YEAR_LATER = dt.datetime(2027, 10, 31, 12, 0, tzinfo=dt.UTC)
UNIT_COST = 450  # the price book's STD, every plan


def _day(d: int) -> dt.date:
    return dt.date(2026, 10, d)


def _usage(customer, first: dt.date, last: dt.date, *, product="STD", plan="ANNUAL_LICENSE", licences=10):
    """The customer's daily snapshots first..last with the same terms (a change shows in the next day's)."""
    day = first
    while day <= last:
        UsageSnapshot.objects.update_or_create(
            domain_id=customer.domain_id,
            used_date=day,
            product_group_id="WORKS",
            defaults={
                "product_id": product,
                "plan": plan,
                "license_count": licences if plan in rules.LICENSE_PLANS else None,
                "member_count": 8,
                "status": "ACTIVE",
                "synced_at": timezone.now(),
            },
        )
        day += dt.timedelta(days=1)


def _option_usage(customer, first: int, last: int, *, quantity: int, option=("SSTG2", "SSTG203")) -> None:
    for d in range(first, last + 1):
        OptionUsage.objects.create(
            customer=customer,
            option_product_id=option[0],
            sub_option_id=option[1],
            used_date=_day(d),
            plan="ANNUAL_LICENSE",
            quantity=quantity,
            synced_at=timezone.now(),
        )


def _product(customer, sub, start: int = 1, end: int = 31, *, licences: int = 10, plan="ANNUAL_LICENSE", **f):
    """A plan item billed as the price book says (so only a planted cost differs)."""
    amount = rules.prorated(UNIT_COST * licences, _day(start), _day(end), 2026, 10)
    fields = {
        "subscription_id": sub.subscription_id,
        "plan": plan,
        "start_date": _day(start),
        "end_date": _day(end),
        "license_count": licences,
        "amount": amount,
    }
    return make_item(customer, **(fields | f))


def _option_item(customer, start: int = 1, end: int = 31, *, quantity: int, option=("SSTG2", "SSTG203")):
    return make_item(
        customer,
        item_type="OPTION_PRODUCT",
        item_id=option[0],
        sub_item_id=option[1],
        plan="ANNUAL_LICENSE",
        start_date=_day(start),
        end_date=_day(end),
        license_count=None,
        quantity=quantity,
        amount=300 * quantity,
    )


def _october() -> dict[str, object]:
    """The month as it happened, and its invoice; returns the customers by role."""
    c: dict[str, object] = {}
    september_30 = dt.date(2026, 9, 30)

    # Tricks: nothing here is a finding.
    # The case: billed 19 licences, right for October; 2 licences are added on 24 November.
    c["harbor"] = harbor = make_customer(company_name="Blue Harbor Clinic")
    c["harbor_sub"] = sub = make_subscription(harbor, license_count=19)
    _usage(harbor, september_30, _day(31), licences=19)
    _product(harbor, sub, licences=19)

    # Licences added on the 16th (shown in the 17th's snapshot): the invoice splits the month there.
    c["grown"] = grown = make_customer(company_name="Grown Mid-month K.K.")
    sub = make_subscription(grown, license_count=15)
    _usage(grown, september_30, _day(16), licences=10)
    _usage(grown, _day(17), _day(31), licences=15)
    _product(grown, sub, 1, 15, licences=10)
    _product(grown, sub, 16, 31, licences=15)

    # Cancelled in LINE WORKS on the 20th (no audit entry): billed up to and including that day.
    c["cancelled"] = cancelled = make_customer(
        company_name="Cancelled Mid-month K.K.", withdrawal_date=_day(20)
    )
    sub = make_subscription(cancelled, license_count=12)
    _usage(cancelled, september_30, _day(20), licences=12)
    _product(cancelled, sub, 1, 20, licences=12)

    # A Trial converted to an annual plan on the 15th through the portal (audited), its first paid day.
    c["converted"] = converted = make_customer(company_name="Converted Trial K.K.")
    sub = make_subscription(converted, product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    _usage(converted, september_30, _day(15), product="STD_T", plan="TRIAL", licences=None)
    _usage(converted, _day(16), _day(31), licences=20)
    with time_machine.travel(dt.datetime(2026, 10, 15, 2, 0, tzinfo=dt.UTC), tick=False):
        AuditEntry.objects.create(
            domain_id=converted.domain_id, operation_id="updateSubscription", outcome="succeeded"
        )
    _product(converted, sub, 15, 31, licences=20)

    # Storage added on the 10th and removed after the 20th; another option's quantity raised on the 15th.
    c["options"] = options = make_customer(company_name="Options Come and Go K.K.")
    sub = make_subscription(options, license_count=10)
    _usage(options, september_30, _day(31), licences=10)
    _product(options, sub, licences=10)
    _option_usage(options, 10, 20, quantity=2)
    _option_item(options, 10, 20, quantity=2)
    make_option(options, option_product_id="BCT", sub_option_id="BCT01", quantity=3)
    _option_usage(options, 1, 15, quantity=1, option=("BCT", "BCT01"))
    _option_usage(options, 16, 31, quantity=3, option=("BCT", "BCT01"))
    _option_item(options, 1, 14, quantity=1, option=("BCT", "BCT01"))
    _option_item(options, 15, 31, quantity=3, option=("BCT", "BCT01"))

    # Planted differences: each must be found.
    c["off"] = off = make_customer(company_name="Licences Off K.K.")
    sub = make_subscription(off, license_count=30)
    _usage(off, september_30, _day(31), licences=30)
    _product(off, sub, licences=33)

    c["unbilled"] = unbilled = make_customer(company_name="Not Billed K.K.")
    make_subscription(unbilled, product_id="ADV", plan="MONTHLY", license_count=None)
    _usage(unbilled, september_30, _day(31), product="ADV", plan="MONTHLY")

    c["gone"] = gone = make_customer(company_name="Gone Before K.K.", withdrawal_date=dt.date(2026, 9, 20))
    sub = make_subscription(gone, license_count=10)
    _product(gone, sub, licences=10)

    c["quantity"] = quantity = make_customer(company_name="Quantity Off K.K.")
    sub = make_subscription(quantity, license_count=10)
    _usage(quantity, september_30, _day(31), licences=10)
    _product(quantity, sub, licences=10)
    make_option(quantity, quantity=3)
    _option_usage(quantity, 1, 31, quantity=3)
    _option_item(quantity, quantity=4)

    c["split"] = split = make_customer(company_name="Split Without Change K.K.")
    c["split_sub"] = sub = make_subscription(split, license_count=10)
    _usage(split, september_30, _day(31), licences=10)
    _product(split, sub, 1, 14, licences=10)
    _product(split, sub, 15, 31, licences=10)

    c["cost"] = cost = make_customer(company_name="Cost Off K.K.")
    sub = make_subscription(cost, license_count=10)
    _usage(cost, september_30, _day(31), licences=10)
    _product(cost, sub, licences=10, amount=UNIT_COST * 10 + 100)

    make_invoice(total_amount=79_641)  # one yen more than its parts
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=UNIT_COST, price=600, effective_from=dt.date(2026, 1, 1)
    )
    return c


def _after(c: dict) -> None:
    """A year of changes after October: licences, plans, options, customers removed and cancelled, new prices,
    audited changes and the following months' usage."""
    with time_machine.travel(LATER, tick=False):
        for customer in (v for k, v in c.items() if not k.endswith("_sub")):
            AuditEntry.objects.create(
                domain_id=customer.domain_id, operation_id="updateSubscription", outcome="succeeded"
            )
            _usage(customer, dt.date(2026, 11, 1), dt.date(2026, 11, 30), product="ADV", licences=21)
            customer.subscriptions.update(
                license_count=21, product_id="ADV", plan_start_date=dt.date(2027, 4, 1)
            )
        c["harbor_sub"].refresh_from_db()
        Option.objects.filter(customer_id__in=[c["options"].domain_id, c["quantity"].domain_id]).delete()
        make_option(c["harbor"], quantity=5)
        _option_usage_day = dt.date(2026, 11, 24)
        OptionUsage.objects.create(
            customer=c["quantity"],
            option_product_id="SSTG2",
            sub_option_id="SSTG203",
            used_date=_option_usage_day,
            quantity=9,
            synced_at=timezone.now(),
        )
        c["unbilled"].removed_at = timezone.now()
        c["unbilled"].save()
        c["off"].withdrawal_date = dt.date(2027, 3, 31)
        c["off"].save()
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=999, price=1_200, effective_from=dt.date(2026, 11, 1)
    )


def _findings() -> set[tuple]:
    return set(Finding.objects.filter(**OCT).values_list("domain_id", "kind", "expected", "billed"))


def test_a_history_built_to_trick_the_check_gives_no_false_finding_and_misses_no_planted_one():
    with time_machine.travel(LAST_DAY, tick=False):
        c = _october()
        services.finding_month_check(**OCT)
    planted = {
        (0, Finding.Kind.ARITHMETIC, "79640", "79641"),
        (c["off"].domain_id, Finding.Kind.LICENCES, "30", "33"),
        (c["unbilled"].domain_id, Finding.Kind.ACTIVE_NOT_BILLED, "ADV MONTHLY", ""),
        (c["gone"].domain_id, Finding.Kind.BILLED_NOT_ACTIVE, "2026-09-20", "4500"),
        (c["quantity"].domain_id, Finding.Kind.QUANTITY, "3", "4"),
        (c["split"].domain_id, Finding.Kind.PERIOD, "2026-10-15", "2026-10-15..2026-10-31"),
        (c["cost"].domain_id, Finding.Kind.COST, "4500", "4600"),
    }
    # Every kind of finding is planted once, and nothing else is found.
    assert {kind for _d, kind, _e, _b in planted} == set(Finding.Kind.values)
    assert _findings() == planted

    _after(c)
    with time_machine.travel(YEAR_LATER, tick=False):
        services.finding_month_check(**OCT)
    assert _findings() == planted
