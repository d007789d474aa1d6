"""The estimate where people read it: the Invoices page (this month and the next invoice, the customers of the
largest cost, what it cannot know), each customer's billing section (its periods), the CSV of every customer
(names, codes in extra columns), and a month's estimate against its invoice."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import PriceEntry
from options.models import Option
from portal.core.access import Role
from subscriptions.models import Reservation, Subscription
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.downloads import csv_of

pytestmark = pytest.mark.django_db
NOV = {"year": 2026, "month": 11}


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def _annual(customer, licences: int = 20, n: int = 1) -> Subscription:
    return Subscription.objects.create(
        subscription_id=customer.domain_id * 10 + n,
        customer=customer,
        product_id="STD",
        plan="ANNUAL_LICENSE",
        plan_start_date=dt.date(2026, 4, 1),
        plan_end_date=dt.date(2027, 3, 31),
        license_count=licences,
        status="ACTIVE",
        renewal_type="STAY",
        synced_at=timezone.now(),
    )


@pytest.fixture
def sold(db):
    harbor = make_customer(company_name="Blue Harbor Clinic", customer_code="BH-01")
    sub = _annual(harbor)
    Reservation.objects.create(
        subscription=sub,
        customer=harbor,
        type="ADD_LICENSE",
        apply_date=dt.date(2026, 11, 16),
        license_count=5,
        synced_at=timezone.now(),
    )
    Option.objects.create(
        customer=harbor,
        option_product_id="SSTG2",
        sub_option_id="SSTG203",
        subscription_id=sub.subscription_id,
        quantity=2,
        plan="ANNUAL_LICENSE",
        plan_start_date=dt.date(2026, 4, 1),
        plan_end_date=dt.date(2027, 3, 31),
        synced_at=timezone.now(),
    )
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    return harbor


def _estimates(client, **headers) -> str:
    """The Invoices page's estimates, as the page asks for them once shown (htmx swaps #estimate)."""
    answer = client.get(
        reverse("billing:invoices"),
        {"estimate": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="estimate",
        **headers,
    )
    return answer.content.decode()


def test_the_invoices_page_asks_for_its_estimates_once_shown_and_does_not_price_every_customer_itself(
    client_as, sold, django_assert_num_queries
):
    client = client_as(Role.FINANCE)
    client.get(reverse("billing:invoices"))  # the session's first request reads more (user, permissions)
    with django_assert_num_queries(QUERIES):
        page = client.get(reverse("billing:invoices")).content.decode()
    assert 'data-testid="estimate-loading"' in page and 'hx-trigger="load"' in page
    assert 'data-testid="estimate-month"' not in page
    # Without JavaScript, the link under the heading opens the page with them.
    assert f"{reverse('billing:invoices')}?estimate=1#estimate" in page
    full = client.get(reverse("billing:invoices"), {"estimate": "1"}).content.decode()
    assert 'data-testid="estimate-month"' in full and "<html" in full
    partial = _estimates(client)
    assert 'data-testid="estimate-month"' in partial and "<html" not in partial
    # The page itself reads the same whatever the number of customers sold.
    for n in range(2, 6):
        _annual(make_customer(company_name=f"Customer {n}"))
    with django_assert_num_queries(QUERIES):
        client.get(reverse("billing:invoices"))


#: The Invoices page's queries without its estimates (session and user, fetch runs, invoices with each month's
#: open findings counted in the same query, the last closed month).
QUERIES = 4


def test_the_invoices_page_estimates_this_month_and_the_next_invoice_and_says_what_it_cannot_know(
    client_as, sold
):
    make_invoice()  # October's invoice arrived: the next invoice is November's
    page = _estimates(client_as(Role.FINANCE))
    assert page.count('data-testid="estimate-month"') == 1
    assert "this month, the next invoice" in page
    assert "¥10,125" in page  # 15 days of 20 licences and 15 days of 25, at ¥450
    assert "Shared Storage 10 TB" in page  # no price for it: named, not counted as 0
    assert "What the estimate cannot know" in page and "adjustments and penalties" in page
    assert reverse("billing:estimate_export", kwargs=NOV) in page

    # Before October's invoice arrives, October is the next invoice, estimated apart from this month.
    from billing.models import Invoice

    Invoice.objects.all().delete()
    page = _estimates(client_as(Role.FINANCE))
    assert page.count('data-testid="estimate-month"') == 2
    # Issued by LINE WORKS on the 1st, only not fetched yet: the heading does not say "not issued".
    assert "the next invoice (issued on 2026-11-01, not in the portal yet)" in page
    assert "not issued" not in page


def test_the_page_reads_japanese(client_as, sold):
    with translation.override("ja"):
        text = _estimates(client_as(Role.FINANCE), HTTP_ACCEPT_LANGUAGE="ja")
    assert "見込み" in text and "見込みで分からないこと" in text


def test_the_customer_section_lists_its_periods(client_as, sold):
    page = client_as(Role.FINANCE).get(reverse("customers:detail", args=[sold.domain_id])).content.decode()
    section = page[page.index('data-testid="customer-estimate"') :]
    assert "11-01 – 11-15" in section and "11-16 – 11-30" in section
    assert "Not in the price book" in section
    assert "¥10,125" in section


def test_the_csv_holds_every_customer_by_name_with_codes_apart(client_as, sold):
    other = make_customer(company_name="Cedar Works")
    _annual(other, licences=4)
    response = client_as(Role.FINANCE).get(reverse("billing:estimate_export", kwargs=NOV))
    rows = csv_of(response)
    header, *lines = rows
    assert header[:3] == ["Company", "Product or option", "Plan"]
    assert {r[0] for r in lines} == {"Blue Harbor Clinic", "Cedar Works"}
    storage = next(r for r in lines if r[1] == "Shared Storage 10 TB")
    assert (storage[6], storage[7], storage[8]) == ("", "", "No price")
    assert storage[-2:] == ["SSTG203", "ANNUAL_LICENSE"] and storage[11] == "BH-01"


def test_the_csv_read_a_customer_at_a_time_is_the_same_file_in_name_order(client_as, sold, monkeypatch):
    """A large partner's download holds a batch of customers' lines, not the month's: batches of one customer
    give the same rows, still by company name."""
    from billing import exports

    for name in ("Cedar Works", "Aster K.K."):
        _annual(make_customer(company_name=name), licences=4)
    url = reverse("billing:estimate_export", kwargs=NOV)
    whole = csv_of(client_as(Role.FINANCE).get(url))
    monkeypatch.setattr(exports, "ESTIMATE_BATCH", 1)
    batched = csv_of(client_as(Role.FINANCE).get(url))
    assert batched == whole
    names = [row[0] for row in batched[1:]]
    assert names == sorted(names) and set(names) == {"Aster K.K.", "Blue Harbor Clinic", "Cedar Works"}


def test_a_month_against_its_invoice_explains_rounding_and_lists_the_rest(client_as, db):
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    same, rounded, differs, unbilled = (
        make_customer(company_name=n) for n in ("Alpha", "Bravo", "Charlie", "Delta")
    )
    for customer in (same, rounded, differs, unbilled):
        _annual(customer, licences=10)
    oct_ = {"year": 2026, "month": 10}
    make_invoice(**oct_)
    make_item(same, **oct_, license_count=10, amount=4_500)
    make_item(rounded, **oct_, license_count=10, amount=4_501)
    make_item(differs, **oct_, license_count=12, amount=5_400)
    make_item(differs, **oct_, item_type="ADJUSTMENT", item_id="", plan="", license_count=None, amount=-100)
    page = client_as(Role.FINANCE).get(reverse("billing:estimate_invoice", kwargs=oct_)).content.decode()
    verdicts = {int(d): v for d, v in re.findall(r'data-domain="(\d+)" data-verdict="(\w+)"', page)}
    assert verdicts == {
        rounded.domain_id: "rounding",
        differs.domain_id: "differs",
        unbilled.domain_id: "not_billed",
    }
    # Its link leads to the customer's findings of the month: the findings list filtered to it.
    found = reverse("billing:findings", kwargs=oct_) + f"?domain_id={differs.domain_id}&amp;status=all"
    assert found in page
    # An estimate the invoice does not bill goes with the check's "Active but not billed".
    assert "See the month's findings (Active but not billed)" in html.unescape(page)
    assert 'data-testid="same">1<' in page


def test_a_month_against_its_invoice_pages_the_customers_that_differ_those_to_look_at_first(
    client_as, db, monkeypatch
):
    """The customers that differ are paged (those to look at first, then by name); the figures above them count
    every customer, whichever page is read."""
    from billing import views

    monkeypatch.setattr(views, "ESTIMATE_AGAINST_ROWS", 2)
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2026, 1, 1)
    )
    same, rounded, differs, unbilled = (
        make_customer(company_name=n) for n in ("Alpha", "Bravo", "Charlie", "Delta")
    )
    for customer in (same, rounded, differs, unbilled):
        _annual(customer, licences=10)
    oct_ = {"year": 2026, "month": 10}
    make_invoice(**oct_)
    make_item(same, **oct_, license_count=10, amount=4_500)
    make_item(rounded, **oct_, license_count=10, amount=4_501)
    make_item(differs, **oct_, license_count=12, amount=5_400)
    client = client_as(Role.FINANCE)
    url = reverse("billing:estimate_invoice", kwargs=oct_)
    pages = [client.get(url, {"page": n}).content.decode() for n in (1, 2)]
    listed = [re.findall(r'data-domain="(\d+)" data-verdict="(\w+)"', page) for page in pages]
    assert listed == [
        [(str(differs.domain_id), "differs"), (str(unbilled.domain_id), "not_billed")],
        [(str(rounded.domain_id), "rounding")],
    ]
    for page in pages:
        assert 'data-testid="same">1<' in page and 'data-testid="explained">1<' in page
        assert "¥18,000" in page and "¥14,401" in page  # estimated and invoiced, every customer
    assert "page=2" in pages[0]
