"""A month checked on its last day and checked again a year later gives the same findings, for random
histories: licence changes within the month and after it, plans, options, cancellations, removals, audited
changes, prices and invoices that do not add up. Everything after the month (the cache as it is a year on,
later snapshots, usage thinned by the next stores, later changes and prices) must not move a finding."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import Finding, PriceEntry, UsageSnapshot
from options.models import OptionUsage
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
LAST_DAY = dt.datetime(2026, 10, 31, 12, 0, tzinfo=dt.UTC)  # 21:00 in Tokyo
YEAR_LATER = dt.datetime(2027, 10, 31, 12, 0, tzinfo=dt.UTC)
_n = itertools.count()

customer_history = st.fixed_dictionaries(
    {
        "product": st.sampled_from(["STD", "ADV"]),
        "plan": st.sampled_from(["ANNUAL_LICENSE", "MONTHLY", "FREE"]),
        "licences": st.integers(1, 30),
        # A licence change within October (its day), or none.
        "change_on": st.none() | st.integers(2, 31),
        "added": st.integers(1, 5),
        # What the invoice did: billed as sold, a licence count off, not billed at all.
        "billed": st.sampled_from(["as sold", "off", "missing"]),
        "split_without_change": st.booleans(),
        "withdrawn_before": st.booleans(),
        "audited_on": st.none() | st.integers(1, 31),
        "option": st.none() | st.tuples(st.integers(1, 9), st.integers(-1, 1)),
        # After October: licences added, the plan changed, removed from the API, cancelled later.
        "later_licences": st.integers(1, 40),
        "later_removed": st.booleans(),
        "later_withdrawal": st.booleans(),
    }
)


def _snapshot(domain_id: int, day: dt.date, *, product: str, plan: str, licences: int | None) -> None:
    UsageSnapshot.objects.update_or_create(
        domain_id=domain_id,
        used_date=day,
        product_group_id="WORKS",
        defaults={
            "product_id": product,
            "plan": plan,
            "license_count": licences,
            "member_count": 5,
            "status": "ACTIVE",
            "synced_at": timezone.now(),
        },
    )


def _october(h: dict) -> None:
    customer = make_customer(
        company_name=f"History {next(_n)} K.K.",
        withdrawal_date=dt.date(2026, 9, 20) if h["withdrawn_before"] else None,
    )
    licence_plan = h["plan"] == "ANNUAL_LICENSE"
    sub = make_subscription(
        customer,
        product_id=h["product"],
        plan=h["plan"],
        license_count=h["licences"] if licence_plan else None,
    )
    before, after = h["licences"], h["licences"] + h["added"]
    change = dt.date(2026, 10, h["change_on"]) if h["change_on"] and licence_plan else None
    day = dt.date(2026, 9, 30)
    while day <= dt.date(2026, 10, 31):
        count = after if change and day > change else before  # the change shows in the next day's snapshot
        _snapshot(
            customer.domain_id,
            day,
            product=h["product"],
            plan=h["plan"],
            licences=count if licence_plan else None,
        )
        day += dt.timedelta(days=1)
    if h["audited_on"]:
        with time_machine.travel(dt.datetime(2026, 10, h["audited_on"], 3, 0, tzinfo=dt.UTC), tick=False):
            AuditEntry.objects.create(
                domain_id=customer.domain_id, operation_id="updateCustomer", outcome="succeeded"
            )
    if h["plan"] != "FREE" and h["billed"] != "missing":
        off = 1 if h["billed"] == "off" else 0
        fields = {"subscription_id": sub.subscription_id, "item_id": h["product"], "plan": h["plan"]}
        if not licence_plan:
            fields["license_count"] = None
        if change:
            make_item(
                customer,
                **fields,
                end_date=change - dt.timedelta(days=1),
                **({"license_count": before + off} if licence_plan else {}),
            )
            make_item(
                customer, **fields, start_date=change, **({"license_count": after} if licence_plan else {})
            )
        elif h["split_without_change"]:
            make_item(
                customer,
                **fields,
                end_date=dt.date(2026, 10, 14),
                **({"license_count": before} if licence_plan else {}),
            )
            make_item(
                customer,
                **fields,
                start_date=dt.date(2026, 10, 15),
                **({"license_count": before + off} if licence_plan else {}),
            )
        else:
            make_item(customer, **fields, **({"license_count": before + off} if licence_plan else {}))
    if h["option"]:
        quantity, off = h["option"]
        make_option(customer, option_product_id="SSTG2", sub_option_id="SSTG203", quantity=quantity)
        OptionUsage.objects.create(
            customer=customer,
            option_product_id="SSTG2",
            sub_option_id="SSTG203",
            used_date=dt.date(2026, 10, 31),
            quantity=quantity,
            synced_at=timezone.now(),
        )
        make_item(
            customer,
            item_type="OPTION_PRODUCT",
            item_id="SSTG2",
            sub_item_id="SSTG203",
            plan="MONTHLY",
            license_count=None,
            quantity=max(quantity + off, 0),
            amount=300 * max(quantity + off, 0),
        )
    h["customer"], h["sub"] = customer, sub


def _year_on(h: dict) -> None:
    """A year of changes after October, then the next store of the customer's usage."""
    customer, sub = h["customer"], h["sub"]
    with time_machine.travel(dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC), tick=False):
        AuditEntry.objects.create(
            domain_id=customer.domain_id, operation_id="updateSubscription", outcome="succeeded"
        )
        sub.license_count, sub.plan, sub.plan_start_date = (
            h["later_licences"],
            "ANNUAL_LICENSE",
            dt.date(2027, 4, 1),
        )
        sub.save()
        if h["later_removed"]:
            customer.removed_at = timezone.now()
        if h["later_withdrawal"] and not customer.withdrawal_date:
            customer.withdrawal_date = dt.date(2027, 3, 31)
        customer.save()
        OptionUsage.objects.create(
            customer=customer,
            option_product_id="SSTG2",
            sub_option_id="SSTG203",
            used_date=dt.date(2026, 11, 24),
            quantity=h["later_licences"],
            synced_at=timezone.now(),
        )
    with time_machine.travel(YEAR_LATER, tick=False):
        remote = SimpleNamespace(
            usages=[
                SimpleNamespace(
                    used_date=dt.date(2027, 10, d),
                    product_group_id="WORKS",
                    product_id="ADV",
                    plan="ANNUAL_LICENSE",
                    license_count=h["later_licences"],
                    member_count=5,
                    max_member_count=None,
                    status="ACTIVE",
                )
                for d in range(1, 31)
            ]
        )
        services.usage_store(domain_id=customer.domain_id, remote=remote, synced_at=timezone.now())


def _findings() -> set[tuple]:
    return set(
        Finding.objects.filter(**OCT).values_list(
            "domain_id", "kind", "subject", "expected", "billed", "still_found"
        )
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    histories=st.lists(customer_history, min_size=1, max_size=3),
    invoice_off=st.booleans(),
    priced=st.booleans(),
)
def test_a_month_checked_on_its_last_day_and_a_year_later_gives_the_same_findings(
    histories, invoice_off, priced
):
    with transaction.atomic():
        with time_machine.travel(LAST_DAY, tick=False):
            for h in histories:
                _october(h)
            make_invoice(total_amount=79_640 + (1 if invoice_off else 0))
            if priced:
                PriceEntry.objects.create(
                    item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
                )
            services.finding_month_check(**OCT)
        on_the_last_day = _findings()

        for h in histories:
            _year_on(h)
        PriceEntry.objects.create(
            item_id="STD", plan="", cost=999, price=1_200, effective_from=dt.date(2026, 11, 1)
        )
        PriceEntry.objects.create(
            item_id="ADV", plan="", cost=999, price=1_200, effective_from=dt.date(2027, 1, 1)
        )
        with time_machine.travel(YEAR_LATER, tick=False):
            services.finding_month_check(**OCT)
        assert _findings() == on_the_last_day
        transaction.set_rollback(True)


def test_the_property_sees_planted_differences():
    """The property is not met by finding nothing: a licence billed off and a product not billed are found,
    on the last day and a year later alike."""
    off = {
        "product": "STD",
        "plan": "ANNUAL_LICENSE",
        "licences": 19,
        "change_on": None,
        "added": 2,
        "billed": "off",
        "split_without_change": False,
        "withdrawn_before": False,
        "audited_on": None,
        "option": None,
        "later_licences": 21,
        "later_removed": True,
        "later_withdrawal": True,
    }
    missing = off | {"product": "ADV", "plan": "MONTHLY", "billed": "missing"}
    with time_machine.travel(LAST_DAY, tick=False):
        for h in (off, missing):
            _october(h)
        services.finding_month_check(**OCT)
    for h in (off, missing):
        _year_on(h)
    with time_machine.travel(YEAR_LATER, tick=False):
        services.finding_month_check(**OCT)
    found = {(d, k, e, b) for d, k, _s, e, b, _f in _findings()}
    assert found == {
        (off["customer"].domain_id, Finding.Kind.LICENCES, "19", "20"),
        (missing["customer"].domain_id, Finding.Kind.ACTIVE_NOT_BILLED, "ADV MONTHLY", ""),
    }
