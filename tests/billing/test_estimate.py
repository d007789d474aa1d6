"""The estimate of a month (billing/estimate/): what is sold now and the changes scheduled within the month,
split into periods prorated by their days and priced by the price book; an item the book has no price for is
unknown, not free."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from billing import estimate
from billing.estimate import Line, simulate
from billing.models import PriceEntry
from billing.prices import PriceBook
from customers.selectors import BilledCustomer
from options.selectors import OptionsSold, ScheduledOption, SoldOption, UsedOption
from subscriptions.selectors import Scheduled, SoldSubscription, SubscriptionsSold

NOV = {"year": 2026, "month": 11}
FIRST, LAST = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
D = 10_000_001


def _sub(**fields) -> SoldSubscription:
    values = {
        "subscription_id": 7,
        "product_id": "STD",
        "plan": "ANNUAL_LICENSE",
        "license_count": 20,
        "plan_start_date": dt.date(2026, 4, 1),
        "plan_end_date": dt.date(2027, 3, 31),
        "renewal_type": "STAY",
        "renewal_product_id": "",
        "renewal_plan": "",
        "renewal_license_count": None,
        "reservation": None,
    }
    return SoldSubscription(**(values | fields))


def _option(**fields) -> SoldOption:
    values = {
        "option_product_id": "DRV",
        "sub_option_id": "DRV01",
        "subscription_id": 7,
        "plan": "ANNUAL_LICENSE",
        "quantity": None,
        "plan_end_date": dt.date(2027, 3, 31),
        "trial": False,
        "renewal_type": "STAY",
        "renewal_sub_option_id": "",
        "renewal_quantity": None,
    }
    return SoldOption(**(values | fields))


def _book(*entries: tuple[str, str, int, int]) -> PriceBook:
    return PriceBook(
        PriceEntry(item_id=item, plan=plan, cost=cost, price=price, effective_from=dt.date(2026, 1, 1))
        for item, plan, cost, price in entries
    )


BOOK = _book(("STD", "ANNUAL_LICENSE", 450, 600), ("DRV", "", 100, 150))


def _estimate(
    *,
    subs=(),
    pre_orders=(),
    options=(),
    orders=(),
    members=8,
    withdrawal=None,
    book=BOOK,
    usage=(),
    used_options=(),
):
    customers = {D: BilledCustomer(D, "Blue Harbor Clinic", "harbor.example", "C-001", members, withdrawal)}
    return estimate.estimate_of(
        **NOV,
        customers=customers,
        subscriptions=SubscriptionsSold({D: list(subs)}, {D: list(pre_orders)}),
        options=OptionsSold({D: list(options)}, {D: list(orders)}, {D: list(used_options)}),
        book=book,
        usage={D: list(usage)},
    )


def _periods(customer) -> list[tuple]:
    return [(line.item_id, line.units, line.start.day, line.end.day, line.cost) for line in customer.lines]


def test_a_whole_month_is_priced_by_the_book():
    (customer,) = _estimate(subs=[_sub()]).customers
    assert _periods(customer) == [("STD", 20, 1, 30, 9_000)]
    assert (customer.cost, customer.price, customer.margin) == (9_000, 12_000, 3_000)
    assert customer.lines[0].name == "Standard" and customer.lines[0].plan_name == "Annual (licence)"


def test_licences_added_mid_month_split_it_into_two_prorated_periods():
    reservation = Scheduled("ADD_LICENSE", dt.date(2026, 11, 16), "", "", 5)
    (customer,) = _estimate(subs=[_sub(reservation=reservation)]).customers
    # 15 days of 20 licences, then 15 days of 25: each period priced for its own days, as the invoice does.
    assert _periods(customer) == [
        ("STD", 20, 1, 15, round(450 * 20 * 15 / 30)),
        ("STD", 25, 16, 30, round(450 * 25 * 15 / 30)),
    ]
    assert customer.cost == 4_500 + 5_625


def test_a_scheduled_cancellation_ends_the_subscription_and_its_options_the_day_before():
    reservation = Scheduled("CANCEL", dt.date(2026, 11, 11), "", "", None)
    (customer,) = _estimate(subs=[_sub(reservation=reservation)], options=[_option()]).customers
    assert _periods(customer) == [
        ("STD", 20, 1, 10, round(9_000 * 10 / 30)),
        ("DRV", 20, 1, 10, round(2_000 * 10 / 30)),
    ]


def test_a_renewal_that_cancels_ends_the_subscription_with_its_term():
    sub = _sub(plan_end_date=dt.date(2026, 11, 20), renewal_type="CANCEL")
    (customer,) = _estimate(subs=[sub]).customers
    assert _periods(customer) == [("STD", 20, 1, 20, 6_000)]


def test_a_renewal_with_changes_bills_the_new_terms_from_the_day_after_the_term():
    sub = _sub(
        plan_end_date=dt.date(2026, 11, 10),
        renewal_type="CHANGE",
        renewal_product_id="ADV",
        renewal_license_count=12,
    )
    book = _book(("STD", "ANNUAL_LICENSE", 450, 600), ("ADV", "ANNUAL_LICENSE", 800, 1_000))
    (customer,) = _estimate(subs=[sub], book=book).customers
    assert _periods(customer) == [("ADV", 12, 11, 30, 6_400), ("STD", 20, 1, 10, 3_000)]


def test_a_customer_cancelled_is_billed_up_to_its_cancellation_date():
    (customer,) = _estimate(subs=[_sub()], withdrawal=dt.date(2026, 11, 5)).customers
    assert _periods(customer) == [("STD", 20, 1, 5, 1_500)]
    assert _estimate(subs=[_sub()], withdrawal=dt.date(2026, 10, 31)).customers == ()


def test_an_item_missing_from_the_price_book_is_unknown_not_free():
    drive_plus = _option(option_product_id="SSTG2", sub_option_id="SSTG203", quantity=2)
    result = _estimate(subs=[_sub()], options=[drive_plus])
    (customer,) = result.customers
    (unknown,) = customer.unknown
    assert (unknown.item_id, unknown.cost, unknown.price, unknown.units) == ("SSTG2", None, None, 2)
    assert unknown.name == "Shared Storage 10 TB"
    # The totals hold what is known and say how much is not.
    assert (customer.cost, result.cost, result.unknown, result.customers_unknown) == (9_000, 9_000, 1, 1)


def test_a_paid_conversion_on_a_date_bills_from_that_day_and_converts_trial_options():
    trial = _sub(product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    reservation = Scheduled("START_PAID_SERVICE", dt.date(2026, 11, 21), "", "ANNUAL_LICENSE", 12)
    trial_drive = _option(
        sub_option_id="DRV00", plan="TRIAL", trial=True, plan_end_date=dt.date(2026, 12, 31)
    )
    (customer,) = _estimate(subs=[replace_reservation(trial, reservation)], options=[trial_drive]).customers
    assert _periods(customer) == [
        ("STD", 12, 21, 30, round(450 * 12 * 10 / 30)),
        ("DRV", 12, 21, 30, round(100 * 12 * 10 / 30)),
    ]


def replace_reservation(sub: SoldSubscription, reservation: Scheduled) -> SoldSubscription:
    return sub._replace(reservation=reservation)


def test_a_pre_order_starts_a_paid_subscription_on_its_date():
    pre = Scheduled("PRE_ORDER", dt.date(2026, 11, 26), "STD", "ANNUAL_LICENSE", 30)
    free = _sub(product_id="FR", plan="FREE", license_count=None, renewal_type="")
    (customer,) = _estimate(subs=[free], pre_orders=[pre]).customers
    assert _periods(customer) == [("STD", 30, 26, 30, round(450 * 30 * 5 / 30))]


def test_option_orders_add_change_the_quantity_and_cancel_on_their_days():
    book = _book(
        ("STD", "ANNUAL_LICENSE", 450, 600), ("SSTG2", "", 5_000, 6_000), ("BCT", "", 10_000, 12_000)
    )
    storage = _option(option_product_id="SSTG2", sub_option_id="SSTG201", quantity=1)
    orders = [
        ScheduledOption("SSTG2", "SSTG201", "CHANGE_QUANTITY", 3, dt.date(2026, 11, 11)),
        ScheduledOption("BCT", "BCT01", "APPLY", 1, dt.date(2026, 11, 21)),
    ]
    (customer,) = _estimate(subs=[_sub()], options=[storage], orders=orders, book=book).customers
    assert _periods(customer) == [
        ("STD", 20, 1, 30, 9_000),
        ("BCT", 1, 21, 30, round(10_000 * 10 / 30)),
        ("SSTG2", 1, 1, 10, round(5_000 * 10 / 30)),
        ("SSTG2", 3, 11, 30, round(15_000 * 20 / 30)),
    ]
    cancel = [ScheduledOption("SSTG2", "SSTG201", "CANCEL", None, dt.date(2026, 11, 6))]
    (customer,) = _estimate(subs=[_sub()], options=[storage], orders=cancel, book=book).customers
    assert [p for p in _periods(customer) if p[0] == "SSTG2"] == [("SSTG2", 1, 1, 5, round(5_000 * 5 / 30))]


def test_an_option_added_mid_month_counts_from_the_day_it_was_added():
    (customer,) = _estimate(subs=[_sub()], options=[_option(added_on=dt.date(2026, 11, 21))]).customers
    assert _periods(customer) == [("STD", 20, 1, 30, 9_000), ("DRV", 20, 21, 30, round(2_000 * 10 / 30))]
    # Added before the month (or the cache does not say when): the whole month.
    (customer,) = _estimate(subs=[_sub()], options=[_option(added_on=dt.date(2026, 6, 3))]).customers
    assert _periods(customer)[1] == ("DRV", 20, 1, 30, 2_000)


def _used(option: str, sub_option: str, start: int, end: int, *, quantity=None, plan="ANNUAL_LICENSE"):
    return UsedOption(
        option, sub_option, plan, quantity, 20, 8, dt.date(2026, 11, start), dt.date(2026, 11, end)
    )


def test_the_days_gone_by_count_the_options_their_daily_usage_recorded_not_todays():
    """Storage was 1 unit until the 5th, 3 from the 6th; Drive was cancelled after the 8th (gone from the cache
    today); usage read up to the 14th. Today's cache: storage at 2 units. Those days are billed as recorded,
    the rest of the month as the cache holds it."""
    book = _book(("STD", "ANNUAL_LICENSE", 450, 600), ("SSTG2", "", 5_000, 6_000), ("DRV", "", 100, 150))
    storage = _option(option_product_id="SSTG2", sub_option_id="SSTG201", quantity=2)
    used = [
        _used("SSTG2", "SSTG201", 1, 5, quantity=1),
        _used("SSTG2", "SSTG201", 6, 14, quantity=3),
        _used("DRV", "DRV01", 1, 8),
    ]
    (customer,) = _estimate(subs=[_sub()], options=[storage], used_options=used, book=book).customers
    assert _periods(customer) == [
        ("STD", 20, 1, 30, 9_000),
        ("DRV", 20, 1, 8, round(2_000 * 8 / 30)),
        ("SSTG2", 1, 1, 5, round(5_000 * 5 / 30)),
        ("SSTG2", 3, 6, 14, round(15_000 * 9 / 30)),
        ("SSTG2", 2, 15, 30, round(10_000 * 16 / 30)),
    ]


def test_an_option_the_whole_month_of_usage_shows_is_billed_as_recorded_whatever_the_cache_says_now():
    """Last month's estimate (the next invoice's), read after the option was cancelled: still billed."""
    used = [_used("DRV", "DRV01", 1, 30)]
    (customer,) = _estimate(subs=[_sub()], used_options=used).customers
    assert _periods(customer) == [("STD", 20, 1, 30, 9_000), ("DRV", 20, 1, 30, 2_000)]


def test_monthly_plans_are_priced_by_members_and_free_and_trial_are_not_billed():
    book = _book(("ADV", "MONTHLY", 960, 1_200))
    (customer,) = _estimate(
        subs=[_sub(product_id="ADV", plan="MONTHLY", license_count=None)], members=11, book=book
    ).customers
    assert _periods(customer) == [("ADV", 11, 1, 30, 10_560)]
    trial = _sub(product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    assert _estimate(subs=[trial]).customers == ()


def test_the_days_gone_by_are_priced_as_the_daily_usage_shows_them_then_the_cache_and_its_schedule():
    # Today is the 11th: the snapshots say 18 licences until the 5th, 20 from the 6th (the cache's count).
    usage = [(dt.date(2026, 10, 31), "STD", "ANNUAL_LICENSE", 18)]
    usage += [(dt.date(2026, 11, d), "STD", "ANNUAL_LICENSE", 18 if d < 6 else 20) for d in range(1, 11)]
    reservation = Scheduled("ADD_LICENSE", dt.date(2026, 11, 21), "", "", 5)
    (customer,) = _estimate(subs=[_sub(reservation=reservation)], usage=usage).customers
    assert [(u, s, e) for _i, u, s, e, _c in _periods(customer)] == [(18, 1, 5), (20, 6, 20), (25, 21, 30)]
    # A month gone by entirely (its snapshots to the last day) is what they show, whatever the cache says now.
    month = [(dt.date(2026, 11, d), "STD", "MONTHLY", None) for d in range(1, 31)]
    (customer,) = _estimate(subs=[_sub()], usage=month, book=_book(("STD", "MONTHLY", 540, 700))).customers
    assert _periods(customer) == [("STD", 8, 1, 30, 4_320)]


def test_changes_after_the_month_do_not_move_it():
    later = Scheduled("ADD_LICENSE", dt.date(2026, 12, 1), "", "", 5)
    (customer,) = _estimate(subs=[_sub(reservation=later)]).customers
    assert _periods(customer) == [("STD", 20, 1, 30, 9_000)]


def test_the_next_invoice_is_the_last_closed_month_until_its_invoice_arrives():
    today = dt.date(2026, 11, 24)
    assert estimate.months_estimated(today, invoiced={(2026, 10)}) == [(2026, 11)]
    assert estimate.months_estimated(today, invoiced=set()) == [(2026, 10), (2026, 11)]


def _annual_licences(customer, subscription_id: int):
    """A cached annual licence plan of 20 licences, April to March, renewed as it is."""
    from subscriptions.models import Subscription

    return Subscription.objects.create(
        subscription_id=subscription_id,
        customer=customer,
        product_id="STD",
        plan="ANNUAL_LICENSE",
        plan_start_date=dt.date(2026, 4, 1),
        plan_end_date=dt.date(2027, 3, 31),
        license_count=20,
        status="ACTIVE",
        renewal_type="STAY",
        synced_at=timezone.now(),
    )


@pytest.mark.django_db
def test_the_estimate_reads_the_cache_through_the_selectors_in_a_fixed_number_of_queries():
    from tests.customers.factories import make_customer

    def add(n: int) -> None:
        from subscriptions.models import Reservation

        customer = make_customer(member_count=8)
        sub = _annual_licences(customer, 9_000 + n)
        Reservation.objects.create(
            subscription=sub,
            customer=customer,
            type="ADD_LICENSE",
            apply_date=dt.date(2026, 11, 16),
            license_count=5,
            synced_at=timezone.now(),
        )

    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    add(1)
    with CaptureQueriesContext(connection) as one:
        result = estimate.month_estimate(**NOV)
    assert [c.cost for c in result.customers] == [10_125]
    for n in range(2, 6):
        add(n)
    with CaptureQueriesContext(connection) as five:
        result = estimate.month_estimate(**NOV)
    assert [c.cost for c in result.customers] == [10_125] * 5
    # customers, subscriptions, pre-orders, options, option orders, usage (the changed customers and the
    # month's first and last snapshots), option usage, prices
    assert len(five) == len(one) == 9


def test_a_line_names_its_sub_option():
    line = Line("OPTION_PRODUCT", "DRV", "DRV_PS", "MONTHLY", 3, FIRST, LAST)
    assert line.name == "Drive Plus (for Standard)" and not line.known


@settings(max_examples=150, deadline=None)
@given(
    plan=st.sampled_from(["ANNUAL_LICENSE", "MONTHLY", "FREE", "TRIAL"]),
    start=st.sampled_from([dt.date(2026, 4, 1), FIRST, dt.date(2026, 11, 10)]),
    end=st.sampled_from([dt.date(2026, 11, 20), LAST, dt.date(2027, 3, 31)]),
    renewal=st.sampled_from(["STAY", "CANCEL", "CHANGE", ""]),
    reservation_day=st.none() | st.integers(1, 30),
    withdrawal=st.none() | st.sampled_from([dt.date(2026, 11, 12), LAST, dt.date(2026, 12, 31)]),
    option_plan=st.none() | st.sampled_from(["ANNUAL_LICENSE", "MONTHLY", "TRIAL"]),
    added_day=st.none() | st.integers(1, 30),
    order_day=st.none() | st.integers(1, 40),
    usage=st.sampled_from(["none", "held", "changed", "late"]),
)
def test_a_month_with_nothing_dated_in_it_is_the_same_in_closed_form_as_walked_day_by_day(
    plan, start, end, renewal, reservation_day, withdrawal, option_plan, added_day, order_day, usage
):
    licences = 20 if plan == "ANNUAL_LICENSE" else None
    reservation = (
        Scheduled("ADD_LICENSE", dt.date(2026, 11, reservation_day), "", "", 5) if reservation_day else None
    )
    sub = _sub(
        plan=plan, license_count=licences, plan_start_date=start, plan_end_date=end, renewal_type=renewal
    )._replace(reservation=reservation, renewal_product_id="ADV" if renewal == "CHANGE" else "")
    options = []
    if option_plan:
        added_on = dt.date(2026, 11, added_day) if added_day else None
        options.append(_option(plan=option_plan, trial=option_plan == "TRIAL", added_on=added_on))
    orders = []
    if order_day:
        orders.append(
            ScheduledOption("DRV", "DRV01", "CANCEL", None, FIRST + dt.timedelta(days=order_day - 1))
        )
    terms = ("STD", plan, licences)
    history = {
        "none": [],
        "held": [(FIRST - dt.timedelta(days=1), *terms), (dt.date(2026, 11, 14), *terms)],
        "changed": [(FIRST - dt.timedelta(days=1), "STD", plan, 18), (dt.date(2026, 11, 14), *terms)],
        "late": [(dt.date(2026, 11, 3), *terms), (dt.date(2026, 11, 14), *terms)],
    }[usage]
    facts = {
        "first": FIRST,
        "last": LAST,
        "members": 8,
        "withdrawal_date": withdrawal,
        "subscriptions": [sub],
        "pre_orders": [],
        "options": options,
        "orders": orders,
        "usage": history,
        "used_options": [],
    }
    steady = simulate.steady_lines(**facts)
    if steady is not None:
        assert steady == simulate.customer_lines(**facts)


def test_the_closed_form_is_taken_for_a_month_with_nothing_dated_and_not_otherwise():
    plain = {
        "first": FIRST,
        "last": LAST,
        "members": 8,
        "withdrawal_date": None,
        "subscriptions": [_sub()],
        "pre_orders": [],
        "options": [_option()],
        "orders": [],
        "usage": [(FIRST - dt.timedelta(days=1), "STD", "ANNUAL_LICENSE", 20)],
        "used_options": [],
    }
    assert simulate.steady_lines(**plain) == simulate.customer_lines(**plain)
    reservation = Scheduled("ADD_LICENSE", dt.date(2026, 11, 16), "", "", 5)
    assert simulate.steady_lines(**(plain | {"subscriptions": [_sub(reservation=reservation)]})) is None


@pytest.mark.django_db
def test_one_customers_estimate_reads_that_customers_usage_only():
    """The customer page's estimate reads the usage snapshots of its customer, not every customer's: another
    customer's snapshots (here a change of plan within the month) are not among the rows read."""
    from billing.models import UsageSnapshot
    from billing.usage import usage_turns

    synced = timezone.now()
    for domain_id, plans in ((D, ["ANNUAL_LICENSE"] * 3), (D + 1, ["MONTHLY", "ANNUAL_LICENSE", "MONTHLY"])):
        for day, plan in enumerate(plans, start=1):
            UsageSnapshot.objects.create(
                domain_id=domain_id,
                used_date=dt.date(2026, 11, day),
                plan=plan,
                license_count=20,
                synced_at=synced,
            )
    terms = ("product_id", "plan", "license_count")
    assert {row[0] for row in usage_turns(FIRST, LAST, terms)} == {D, D + 1}
    mine = list(usage_turns(FIRST, LAST, terms, domain_ids=[D]))
    assert mine == [
        (D, dt.date(2026, 11, 1), "", "ANNUAL_LICENSE", 20),
        (D, dt.date(2026, 11, 3), "", "ANNUAL_LICENSE", 20),
    ]
    assert list(usage_turns(FIRST, LAST, terms, domain_ids=[])) == []


@pytest.mark.django_db
def test_one_customers_estimate_reads_the_general_prices_and_its_own_not_every_customers():
    """A customer's own price overrides the general one for that customer only; one customer's estimate (its
    page, its draft) reads the general entries and that customer's own, not every customer's (they grow with
    the partner's customers)."""
    from tests.customers.factories import make_customer

    def customer(n: int, price: int | None):
        made = make_customer(member_count=8)
        _annual_licences(made, 9_100 + n)
        if price is not None:
            PriceEntry.objects.create(
                item_id="STD",
                plan="ANNUAL_LICENSE",
                domain_id=made.domain_id,
                cost=450,
                price=price,
                effective_from=dt.date(2026, 1, 1),
            )
        return made

    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    mine, general = customer(1, 500), customer(2, None)
    others = [customer(3 + n, 550 + n) for n in range(5)]
    assert PriceEntry.objects.count() == 7

    book = PriceBook.load([mine.domain_id])
    assert book.customers() == {mine.domain_id}
    assert book.entry("STD", "ANNUAL_LICENSE", mine.domain_id, dt.date(2026, 11, 1)).price == 500
    assert PriceBook.load([general.domain_id]).customers() == set()
    assert PriceBook.load().customers() == {mine.domain_id, *(o.domain_id for o in others)}

    by_customer = {
        c.domain_id: c.price
        for c in estimate.month_estimate(**NOV, domain_ids=[mine.domain_id, general.domain_id]).customers
    }
    assert by_customer == {mine.domain_id: 20 * 500, general.domain_id: 20 * 600}
    whole = {c.domain_id: c.price for c in estimate.month_estimate(**NOV).customers}
    assert whole[mine.domain_id] == 20 * 500 and whole[others[0].domain_id] == 20 * 550
