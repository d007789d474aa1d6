"""The kept estimate (`estimate.estimate_keep`, the worker's; `kept_estimate`, the readers') is always what a
fresh `month_estimate` works out once the worker has been: after random changes to the cache (each marked
written as the sync and change engines mark it), price book entries, a new business day, customers added and
removed, read again and again. A reader works nothing out: it reads what is kept, says how far behind it is and
queues the rest (`portal.core.kept`)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import estimate
from billing.estimate import kept as keeper
from billing.estimate import month
from billing.models import EstimateCopy, EstimateMonth, Invoice, InvoiceItem, PriceEntry, UsageSnapshot
from customers.models import Customer
from options.models import Option
from portal.core.copies import copies_changed
from portal.core.kept import KEPT_MARGIN
from subscriptions.models import Reservation, Subscription
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db
NOV = {"year": 2026, "month": 11}
TODAY = dt.date(2026, 11, 15)
_ids = itertools.count(70_000_000)

change = st.one_of(
    st.tuples(st.just("licences"), st.integers(0, 3), st.integers(1, 40)),
    st.tuples(st.just("members"), st.integers(0, 3), st.integers(1, 40)),
    st.tuples(st.just("plan"), st.integers(0, 3), st.sampled_from(["MONTHLY", "ANNUAL_LICENSE", "FREE"])),
    st.tuples(st.just("reservation"), st.integers(0, 3), st.integers(2, 30)),
    st.tuples(st.just("option"), st.integers(0, 3), st.integers(1, 5)),
    st.tuples(st.just("no option"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("withdrawal"), st.integers(0, 3), st.integers(1, 30)),
    st.tuples(st.just("removed"), st.integers(0, 3), st.just(0)),
    st.tuples(st.just("usage"), st.integers(0, 3), st.integers(1, 40)),
    st.tuples(st.just("new customer"), st.just(0), st.integers(1, 40)),
    st.tuples(st.just("price"), st.sampled_from(["STD", "SSTG2"]), st.integers(100, 900)),
    st.tuples(st.just("next day"), st.just(0), st.integers(1, 3)),
)


def _kept(today: dt.date) -> estimate.Estimate:
    """The month as the worker leaves it, read as the pages read it."""
    estimate.estimate_keep(**NOV, today=today)
    return estimate.kept_estimate(**NOV)


def _customer(licences: int) -> int:
    customer = make_customer(domain_id=next(_ids), member_count=8)
    make_subscription(customer, license_count=licences)
    return customer.domain_id


def _apply(kind: str, target, value: int, customers: list[int], today: list[dt.date]) -> None:
    if kind == "price":
        PriceEntry.objects.create(
            item_id=target,
            plan="",
            cost=value,
            price=value + 50,
            effective_from=dt.date(2026, 11, value % 28 + 1),
        )
        return
    if kind == "next day":
        today[0] += dt.timedelta(days=value)
        return
    if kind == "new customer":
        customers.append(_customer(value))
        copies_changed([customers[-1]])
        return
    domain_id = customers[target % len(customers)]
    sub = Subscription.objects.filter(customer_id=domain_id).first()
    if kind == "licences" and sub:
        Subscription.objects.filter(pk=sub.pk).update(license_count=value)
    elif kind == "members":
        Customer.objects.filter(domain_id=domain_id).update(member_count=value)
    elif kind == "plan" and sub:
        Subscription.objects.filter(pk=sub.pk).update(plan=value)
    elif kind == "reservation" and sub:
        Reservation.objects.update_or_create(
            subscription=sub,
            defaults={
                "customer_id": domain_id,
                "type": "ADD_LICENSE",
                "apply_date": dt.date(2026, 11, value),
                "license_count": 3,
                "synced_at": timezone.now(),
            },
        )
    elif kind == "option" and sub:
        Option.objects.filter(customer_id=domain_id).delete()
        make_option(
            Customer.objects.get(domain_id=domain_id), subscription_id=sub.subscription_id, quantity=value
        )
    elif kind == "no option":
        Option.objects.filter(customer_id=domain_id).delete()
    elif kind == "withdrawal":
        Customer.objects.filter(domain_id=domain_id).update(withdrawal_date=dt.date(2026, 11, value))
    elif kind == "removed":
        Customer.objects.filter(domain_id=domain_id).update(removed_at=timezone.now())
    elif kind == "usage":
        UsageSnapshot.objects.update_or_create(
            domain_id=domain_id,
            used_date=dt.date(2026, 11, value % 14 + 1),
            product_group_id="WORKS",
            defaults={
                "product_id": "STD",
                "plan": "ANNUAL_LICENSE",
                "license_count": value,
                "member_count": 8,
                "synced_at": timezone.now(),
            },
        )
    copies_changed([domain_id])  # what the engines do after every store and applied change


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.lists(st.integers(1, 40), min_size=1, max_size=4), changes=st.lists(change, max_size=8))
def test_the_kept_estimate_is_always_a_fresh_one(start, changes):
    EstimateCopy.objects.all().delete()
    PriceEntry.objects.all().delete()
    Invoice.objects.all().delete()
    InvoiceItem.objects.all().delete()
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    customers = [_customer(licences) for licences in start]
    # The month's invoice: its first customer billed, the second too with an adjustment, one not in the cache.
    make_invoice(**NOV)
    for domain_id, amount in zip(customers, (4_500, 9_000), strict=False):
        make_item(None, **NOV, domain_id=domain_id, amount=amount)
    make_item(None, **NOV, domain_id=customers[-1], item_type="ADJUSTMENT", item_id="", plan="", amount=-100)
    make_item(None, **NOV, domain_id=69_999_999, customer_name="Gone K.K.", amount=1_200)
    today = [TODAY]
    assert _kept(today[0]) == estimate.month_estimate(**NOV)
    assert _compared_kept() == _compared_fresh()
    for step, (kind, target, value) in enumerate(changes, start=1):
        # Each change later than the margin after the one before: only its customer is worked out again.
        with time_machine.travel(timezone.now() + step * (KEPT_MARGIN + dt.timedelta(minutes=1))):
            _apply(kind, target, value, customers, today)
            kept = _kept(today[0])
            assert kept == estimate.month_estimate(**NOV), kind
            # Set beside the invoice, each customer and the month's figures are what a fresh comparison says.
            assert _compared_kept() == _compared_fresh(), kind
            # The month's totals, summed by the worker, are a fresh estimate's.
            fresh = estimate.month_estimate(**NOV)
            assert EstimateMonth.objects.get(**NOV).totals == {
                "cost": fresh.cost,
                "price": fresh.price,
                "customers": len(fresh.customers),
                "unknown": fresh.unknown,
                "customers_unknown": fresh.customers_unknown,
                # The items without a price, with their periods: what the page says why of.
                "unpriced": _unpriced(fresh),
            }, kind
            assert _kept(today[0]) == kept  # kept again: nothing changed, the copies stand


def _unpriced(fresh) -> list[list]:
    found = Counter(
        (line.item_id, line.sub_item_id, line.plan) for c in fresh.customers for line in c.unknown
    )
    return [[*key, periods] for key, periods in sorted(found.items())]


def _compared_kept() -> tuple[list, dict]:
    """The estimate against the invoice as the worker keeps it: each customer's, and the month's figures."""
    rows = (
        EstimateCopy.objects.filter(**NOV)
        .exclude(verdict="")
        .order_by("domain_id")
        .values_list("domain_id", "company_name", "cost", "invoiced", "not_estimated", "verdict", "explained")
    )
    return list(rows), EstimateMonth.objects.get(**NOV).compared


def _compared_fresh() -> tuple[list, dict]:
    """The estimate against the invoice worked out now, from a fresh estimate and every item of the invoice."""
    items = InvoiceItem.objects.filter(**NOV).values(
        "domain_id", "customer_name", "item_type", "item_id", "amount"
    )
    compared = sorted(
        estimate.against_invoice(estimate.month_estimate(**NOV), items), key=lambda c: c.domain_id
    )
    rows = [
        (c.domain_id, c.company_name, c.estimated, c.invoiced, c.not_estimated, c.verdict, c.explained)
        for c in compared
    ]
    differ = [c for c in compared if c.verdict != estimate.Verdict.SAME]
    figures = {
        "estimated": sum(c.estimated for c in compared),
        "invoiced": sum(c.invoiced for c in compared),
        "not_estimated": sum(c.not_estimated for c in compared),
        "same": len(compared) - len(differ),
        "explained": sum(1 for c in differ if c.explained),
        "to_look_at": sum(1 for c in compared if not c.explained),
    }
    return rows, figures


def test_a_customer_unchanged_is_read_from_its_copy_and_a_changed_one_worked_out_again():
    a, b = _customer(10), _customer(20)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    _kept(TODAY)
    # A copy changed without the engines' mark is not seen: the kept copy is what is read (proves it is read).
    Subscription.objects.filter(customer_id=a).update(license_count=11)
    Subscription.objects.filter(customer_id=b).update(license_count=21)
    copies_changed([b])
    # Until the worker comes, the reader reads the copy as kept and is told one customer is behind.
    assert estimate.kept_estimate(**NOV).of(b).lines[0].units == 20
    assert estimate.estimate_state(**NOV, today=TODAY).behind == 1
    kept = _kept(TODAY)
    assert kept.of(a).lines[0].units == 10
    assert kept.of(b).lines[0].units == 21
    assert estimate.estimate_state(**NOV, today=TODAY).current
    # A new business day works every customer out again.
    assert estimate.estimate_state(**NOV, today=TODAY + dt.timedelta(days=1)).whole
    assert _kept(TODAY + dt.timedelta(days=1)).of(a).lines[0].units == 11


@pytest.mark.kept_by_worker
def test_the_estimates_are_kept_ahead_every_minute_so_the_page_works_nothing_out(monkeypatch, finance):
    from billing import selectors
    from billing.models import EstimateMonth
    from portal.celery import app
    from portal.core.periodic import beat_schedule
    from tests.fixtures.portal_api import pin_business_today

    customer = _customer(10)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    pin_business_today(monkeypatch, TODAY)
    # The minute's task, as beat runs it: both months the page shows.
    entry = beat_schedule()["kept-copies"]
    assert entry["schedule"] == 60.0 and entry["task"] in app.tasks
    app.tasks[entry["task"]]()
    months = estimate.months_estimated(TODAY, invoiced=set())
    kept = {(m.year, m.month): m.worked_at for m in EstimateMonth.objects.all()}
    assert set(kept) == set(months) and len(months) == 2
    # The page's read then works nothing out again: each month read as kept, and up to date.
    worked_out = []
    for worker in (month, keeper):  # where the page or the worker would work a month out
        monkeypatch.setattr(worker, "estimate_with_book", lambda *a, **k: worked_out.append(a))
    shown = selectors.estimates(user=finance, top=20)
    assert [e["kept"].current for e in shown] == [True, True]
    assert all(e["estimate"].top[0].domain_id == customer for e in shown)
    assert worked_out == []
    assert {(m.year, m.month): m.worked_at for m in EstimateMonth.objects.all()} == kept


@pytest.mark.kept_by_worker
def test_after_a_price_change_the_page_says_it_is_being_worked_out_and_the_worker_fills_it(
    monkeypatch, client_as, django_capture_on_commit_callbacks
):
    """The first reader after a price change is not made to wait for every customer worked out: the page shows
    the figures kept and says they are being worked out again, and queues the month; the worker's task then
    brings it up to date and the page shows the new price. A month never worked out says it is being worked
    out."""
    from django.core.cache import cache
    from django.urls import reverse

    from portal.core import kept
    from portal.core.access import Role
    from tests.fixtures.portal_api import pin_business_today

    pin_business_today(monkeypatch, TODAY)
    cache.clear()  # an earlier test's month queued (a mark kept QUEUE_EVERY)
    _customer(10)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    client = client_as(Role.FINANCE)
    queued = []
    monkeypatch.setattr(kept.keep_task, "delay", lambda **k: queued.append(k))

    def page(lang: str = "en") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(
                reverse("billing:invoices"),
                HTTP_HX_REQUEST="true",
                HTTP_HX_TARGET="estimate",
                HTTP_ACCEPT_LANGUAGE=lang,
            )
        return response.content.decode()

    first = page()
    assert 'data-kept="never"' in first and "Being worked out" in first
    assert {"name": estimate.KEPT, **NOV} in queued
    assert "計算中" in page("ja")
    kept.keep_all(TODAY)
    assert "¥6,000" in page() and 'data-testid="kept-state"' not in page()
    # The price changes: the reader works nothing out and reads the ¥600 figures, said to be being worked out.
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=450, price=700, effective_from=dt.date(2026, 11, 1)
    )
    worked_out = []
    real = month.estimate_with_book
    for worker in (month, keeper):  # where the page or the worker would work a month out
        monkeypatch.setattr(
            worker, "estimate_with_book", lambda *a, **k: worked_out.append(a) or real(*a, **k)
        )
    cache.clear()  # the month was queued a moment ago: a reader now queues it again only after QUEUE_EVERY
    queued.clear()
    behind = page()
    assert worked_out == [] and 'data-kept="whole"' in behind and "¥6,000" in behind
    assert {"name": estimate.KEPT, **NOV} in queued
    kept.keep_task(**queued[-1])  # the worker
    assert worked_out and "¥7,000" in page()


@pytest.mark.kept_by_worker
def test_the_findings_page_shows_the_margins_the_worker_keeps_without_reading_the_months_items(
    monkeypatch, client_as
):
    """The month's margins per customer are worked out by the worker with the month's estimate, from the
    invoice's items and the price book, and kept on the month: the findings page reads that one row, never the
    month's items (every one of them at each open before); a price change shows
    once the worker has been."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from portal.core.access import Role
    from tests.fixtures.portal_api import pin_business_today

    pin_business_today(monkeypatch, TODAY)
    oct_ = {"year": 2026, "month": 10}
    customer = make_customer(domain_id=next(_ids), company_name="Margin Trading K.K.")
    make_invoice(**oct_)
    make_item(customer, **oct_, license_count=10, amount=4_500)
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 10, 1)
    )
    client = client_as(Role.FINANCE)
    url = reverse("billing:findings", kwargs=oct_)
    assert 'data-testid="margins"' not in client.get(url).content.decode()  # never worked out: queued
    estimate.estimate_keep(**oct_, today=TODAY)
    with CaptureQueriesContext(connection) as read:
        page = client.get(url).content.decode()
    # No item priced (the page's count of customers without usage reads their keys alone).
    assert not [q for q in read.captured_queries if '"billing_invoiceitem"."amount"' in q["sql"]]
    margins = page[page.index('data-testid="margins"') :]
    assert "Margin Trading K.K." in margins and "¥6,000" in margins and "¥1,500" in margins
    PriceEntry.objects.create(  # a new price is a new entry (the book is append-only)
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=700, effective_from=dt.date(2026, 10, 1)
    )
    estimate.estimate_keep(**oct_, today=TODAY)
    margins = client.get(url).content.decode()
    assert "¥7,000" in margins[margins.index('data-testid="margins"') :]
