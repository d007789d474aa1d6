"""Costs learned from LINE WORKS' invoices (issue 57): which lines of a month's invoice details are a price a
month per unit and why the others are not; the month's proposal beside the price book and the month before;
Finance accepting all or some (confirmed, one transaction, audited, twice adds nothing); refusals in words; the
estimate priced by what was accepted, and what still has no price says why."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing import costs, services
from billing.models import InvoiceCost, InvoiceItem, MonthClosing, PriceEntry
from billing.selectors import unpriced_why
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
SEP = {"year": 2026, "month": 9}
Reason = InvoiceCost.Reason


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def line(**fields) -> SimpleNamespace:
    """A settlement item of October 2026 as the store holds it: a whole month of 10 licences of Standard."""
    base = {
        "domain_id": 1,
        "customer_name": "Example K.K.",
        "item_type": "PRODUCT",
        "item_id": "STD",
        "sub_item_id": "",
        "plan": "ANNUAL_LICENSE",
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 10, 31),
        "license_count": 10,
        "member_count": 8,
        "quantity": None,
        "amount": 4_500,
    }
    return SimpleNamespace(**(base | fields))


def learned(*items) -> dict[tuple, tuple]:
    return {
        (r.item_id, r.sub_item_id, r.plan, r.reason): (r.unit_cost, r.lines, r.customers)
        for r in costs.learned_costs(items, **OCT)
    }


def test_a_whole_month_of_whole_units_is_a_price_and_every_other_line_says_why_not():
    found = learned(
        line(),  # 10 licences, ¥4,500: ¥450 a licence
        line(domain_id=2, plan="MONTHLY", license_count=None, member_count=4, amount=2_160),  # members: ¥540
        line(
            item_type="OPTION_PRODUCT",
            item_id="SSTG2",
            sub_item_id="SSTG202",
            plan="MONTHLY",
            quantity=2,
            amount=40_000,
        ),  # a quantity: ¥20,000 a unit, by its tier
        line(domain_id=3, start_date=dt.date(2026, 10, 11), amount=3_000),  # split by a change
        line(domain_id=4, item_id="STD_T", plan="TRIAL", amount=0),
        line(domain_id=5, license_count=3, amount=1_000),  # ¥333.33 a licence
        line(domain_id=6, plan="MONTHLY", license_count=None, member_count=0, amount=540),
        line(domain_id=7, amount=None),
        line(item_type="SUMMARY", item_id="", plan="", amount=46_500),
        line(item_type="OPTION_PLUS", item_id="", plan="MONTHLY", amount=3_000),
        line(item_type="ADJUSTMENT", item_id="", plan="", amount=-500),
        line(item_type="PENALTY", item_id="STD", amount=12_000),
    )
    assert found == {
        ("STD", "", "ANNUAL_LICENSE", ""): (450, 1, 1),
        ("STD", "", "MONTHLY", ""): (540, 1, 1),
        ("SSTG2", "SSTG202", "MONTHLY", ""): (20_000, 1, 1),
        ("STD", "", "ANNUAL_LICENSE", Reason.PART_OF_MONTH): (None, 1, 1),
        ("STD_T", "", "TRIAL", Reason.NOT_BILLED): (None, 1, 1),
        ("STD", "", "ANNUAL_LICENSE", Reason.UNEVEN): (None, 1, 1),
        ("STD", "", "MONTHLY", Reason.NO_UNITS): (None, 1, 1),
        ("STD", "", "ANNUAL_LICENSE", Reason.NO_AMOUNT): (None, 1, 1),
        ("", "", "", Reason.SUBTOTAL): (None, 1, 1),
        ("", "", "MONTHLY", Reason.OPTION_PLUS): (None, 1, 1),
        ("", "", "", Reason.ADJUSTMENT): (None, 1, 1),
        ("STD", "", "ANNUAL_LICENSE", Reason.PENALTY): (None, 1, 1),
    }


def test_the_amount_most_customers_are_billed_is_the_price_the_others_are_listed_and_a_tie_is_none():
    found = learned(
        line(domain_id=1),
        line(domain_id=2, license_count=20, amount=9_000),
        line(domain_id=3, amount=4_000),  # ¥400 a licence: a discount of its own
    )
    assert found == {
        ("STD", "", "ANNUAL_LICENSE", ""): (450, 2, 2),
        ("STD", "", "ANNUAL_LICENSE", Reason.DIFFERS): (400, 1, 1),
    }
    tie = costs.learned_costs(
        [line(domain_id=1, item_id="ADV", amount=8_000), line(domain_id=2, item_id="ADV", amount=7_000)],
        **OCT,
    )
    assert sorted((r.unit_cost, r.reason) for r in tie) == [(700, Reason.SEVERAL), (800, Reason.SEVERAL)]


def _learn(year: int = 2026, month: int = 10) -> None:
    services.invoice_cost_learn(
        year=year,
        month=month,
        items=InvoiceItem.objects.filter(year=year, month=month),
        synced_at=timezone.now(),
    )


@pytest.fixture
def october(db):
    """October's invoice: Standard on an annual licence (¥450), Standard monthly (¥540), Drive Plus for Standard
    (¥300 a member), a split period and a subtotal; September's says ¥430 for the licence and had no Drive."""
    make_invoice(**OCT)
    make_item()
    make_item(domain_id=2, plan="MONTHLY", license_count=None, member_count=4, amount=2_160)
    make_item(
        domain_id=2,
        item_type="OPTION_PRODUCT",
        item_id="DRV",
        sub_item_id="DRV_PS",
        plan="MONTHLY",
        license_count=None,
        member_count=4,
        amount=1_200,
    )
    make_item(domain_id=3, start_date=dt.date(2026, 10, 11), amount=3_000)
    make_item(domain_id=2, item_type="SUMMARY", item_id="", plan="", amount=3_360)
    make_item(**SEP, amount=4_300)
    make_item(**SEP, domain_id=2, plan="MONTHLY", license_count=None, member_count=4, amount=2_160)
    from billing.models import DetailMonth

    for month in (SEP, OCT):
        DetailMonth.objects.create(**month, synced_at=timezone.now())
        _learn(**month)


def _rows(year=2026, month=10) -> dict[str, costs.Proposed]:
    return {r.key: r for r in costs.proposed_rows(year, month)}


def test_the_proposal_says_what_the_book_lacks_has_otherwise_or_has_and_what_changed_since_last_month(
    october,
):
    PriceEntry.objects.create(
        item_id="STD", plan="MONTHLY", cost=540, price=700, effective_from=dt.date(2026, 1, 1)
    )
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=430, price=600, effective_from=dt.date(2026, 1, 1)
    )
    rows = _rows()
    licence, monthly, drive = rows["STD||ANNUAL_LICENSE"], rows["STD||MONTHLY"], rows["DRV|DRV_PS|MONTHLY"]
    assert (licence.status, licence.book_cost, licence.unit_cost, licence.price) == ("changed", 430, 450, 600)
    assert (licence.since_last, licence.last_cost) == ("changed", 430)
    assert (monthly.status, monthly.since_last) == ("same", "same")
    assert (drive.status, drive.book_cost, drive.price, drive.since_last) == ("new", None, None, "new")
    assert [r.status for r in costs.proposed_rows(2026, 10)] == ["new", "changed", "same"]
    # September's month before is not in the portal: nothing to say since then.
    assert {r.since_last for r in costs.proposed_rows(**SEP)} == {""}


def test_finance_accepts_all_after_a_confirmation_audited_and_twice_adds_nothing(october, client_as):
    finance = client_as(Role.FINANCE)
    page = finance.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    assert 'data-testid="accept-all"' in page and "Drive Plus (for Standard)" in page
    assert "DRV_PS" not in page.replace('value="DRV|DRV_PS|MONTHLY"', "").replace(
        'data-key="DRV|DRV_PS|MONTHLY"', ""
    )
    # It covers part of the month: its amount is for its days: among the lines that are not a price.
    assert "covers part of the month" in page and "subtotal" in page
    confirm = finance.post(reverse("billing:costs_accept", kwargs=OCT), {"choice": "all"})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and 'data-testid="costs-confirm"' in body
    assert not PriceEntry.objects.exists()  # nothing before the confirmation
    keys = [
        k for k in ("DRV|DRV_PS|MONTHLY", "STD||ANNUAL_LICENSE", "STD||MONTHLY") if f'value="{k}"' in body
    ]
    assert len(keys) == 3
    done = finance.post(reverse("billing:costs_accept", kwargs=OCT), {"keys": keys, "confirmed": "1"})
    assert done.status_code == 302
    entries = {
        (e.item_id, e.sub_item_id, e.plan): (e.cost, e.price, e.effective_from)
        for e in PriceEntry.objects.all()
    }
    assert entries == {
        ("DRV", "DRV_PS", "MONTHLY"): (300, None, dt.date(2026, 10, 1)),
        ("STD", "", "ANNUAL_LICENSE"): (450, None, dt.date(2026, 10, 1)),
        ("STD", "", "MONTHLY"): (540, None, dt.date(2026, 10, 1)),
    }
    audit = AuditEntry.objects.filter(operation_id="portal.acceptInvoiceCost")
    assert audit.count() == 3
    assert {
        (
            a.request_summary["item"],
            a.request_summary["tier"],
            a.request_summary["cost"],
            a.request_summary["cost_before"],
        )
        for a in audit
    } == {("DRV", "DRV_PS", 300, None), ("STD", "", 450, None), ("STD", "", 540, None)}
    assert {a.actor_id for a in audit} == {PriceEntry.objects.first().created_by_id}
    # Twice: the book has them, nothing is added, and the page says so.
    again = finance.post(reverse("billing:costs_accept", kwargs=OCT), {"keys": keys, "confirmed": "1"})
    assert again.status_code == 200 and "no longer proposed" in again.content.decode()
    with pytest.raises(services.NothingToAccept):
        services.invoice_cost_accept(user=make_persona(Role.FINANCE, username="f2"), **OCT)
    assert PriceEntry.objects.count() == 3 and audit.count() == 3
    page = finance.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    assert 'data-testid="costs-all-in-book"' in page


def test_finance_accepts_the_ticked_only_and_a_changed_cost_keeps_the_price_to_the_customer(
    october, client_as
):
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=430, price=600, effective_from=dt.date(2026, 1, 1)
    )
    finance = client_as(Role.FINANCE)
    url = reverse("billing:costs_accept", kwargs=OCT)
    nothing = finance.post(url, {"choice": "ticked"})
    assert nothing.status_code == 200 and "Tick the costs to accept" in nothing.content.decode()
    confirm = finance.post(url, {"choice": "ticked", "keys": ["STD||ANNUAL_LICENSE"]}).content.decode()
    assert "¥430" in confirm and "¥450" in confirm and "¥600, as before" in confirm
    finance.post(url, {"keys": ["STD||ANNUAL_LICENSE"], "confirmed": "1"})
    added = PriceEntry.objects.get(effective_from=dt.date(2026, 10, 1))
    assert (added.item_id, added.plan, added.cost, added.price) == ("STD", "ANNUAL_LICENSE", 450, 600)
    assert {r.key: r.status for r in costs.proposed_rows(**OCT)} == {
        "DRV|DRV_PS|MONTHLY": "new",
        "STD||MONTHLY": "new",
        "STD||ANNUAL_LICENSE": "same",
    }
    # September keeps the price it had.
    from billing.prices import PriceBook

    assert PriceBook.load().entry("STD", "ANNUAL_LICENSE", None, dt.date(2026, 9, 30)).cost == 430


def test_a_closed_month_refuses_in_words_and_adds_nothing(october, client_as):
    MonthClosing.objects.create(**OCT, closed_at=timezone.now())
    finance = client_as(Role.FINANCE)
    page = finance.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    assert 'data-testid="costs-closed"' in page and 'data-testid="accept-all"' not in page
    done = finance.post(
        reverse("billing:costs_accept", kwargs=OCT), {"choice": "all", "confirmed": "1"}, follow=True
    )
    assert "is closed" in done.content.decode()
    with pytest.raises(services.MonthClosed):
        services.invoice_cost_accept(user=None, **OCT)
    assert not PriceEntry.objects.exists()


def test_a_month_not_fetched_or_fetched_before_costs_were_learned_says_what_to_do(client_as, db):
    finance = client_as(Role.FINANCE)
    assert (
        'data-testid="costs-not-fetched"'
        in finance.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    )
    from billing.models import DetailMonth

    DetailMonth.objects.create(**OCT, synced_at=timezone.now())
    assert (
        'data-testid="costs-not-learned"'
        in finance.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    )


def test_a_price_for_an_option_tier_is_used_before_the_options_price():
    from billing.prices import PriceBook

    every = PriceEntry(item_id="DRV", plan="", cost=100, price=150, effective_from=dt.date(2026, 1, 1))
    tier = PriceEntry(
        item_id="DRV",
        sub_item_id="DRV_PS",
        plan="MONTHLY",
        cost=300,
        price=None,
        effective_from=dt.date(2026, 1, 1),
    )
    book = PriceBook([every, tier])
    day = dt.date(2026, 10, 1)
    assert book.entry("DRV", "MONTHLY", None, day, "DRV_PS") is tier
    assert book.entry("DRV", "MONTHLY", None, day, "DRV01") is every
    assert book.entry("DRV", "MONTHLY", 5, day) is every


def test_what_has_no_price_says_why(october):
    finance = make_persona(Role.FINANCE)
    found = {
        u.item_id: u.why
        for u in unpriced_why(
            user=finance,
            year=2026,
            month=11,
            unpriced=[
                ("STD", "", "ANNUAL_LICENSE", 3),
                ("ACV2", "ACV201", "MONTHLY", 2),
                ("STD_T", "", "TRIAL", 1),
            ],
        )
    }
    assert found["STD"] == (
        "No price for Standard, Annual (licence), from 2026-11: LINE WORKS' invoice for 2026-10 bills it at ¥450 a "
        "unit, not accepted into the price book yet."
    )
    assert found["ACV2"] == (
        "No price for Archive (Talk), Monthly, from 2026-11: no invoice of LINE WORKS fetched bills it yet. Its "
        "cost is learned once one does; or add its price to the price book."
    )


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_on_the_accept_form_get_an_answer_and_add_nothing(october, client_as, value):
    finance = client_as(Role.FINANCE)
    url = reverse("billing:costs_accept", kwargs=OCT)
    for payload in (
        {"keys": value, "choice": value, "confirmed": value},
        {"keys": [value, "STD||MONTHLY"], "confirmed": "1"},
        {"keys": "STD||MONTHLY|x", "choice": "ticked", "confirmed": "1"},
    ):
        response = finance.post(url, payload)
        assert response.status_code < 500, payload
    assert not PriceEntry.objects.exists() and not AuditEntry.objects.exists()


def test_a_cost_without_a_price_to_the_customer_is_passed_on_by_the_margins_and_awaited_by_invoices(october):
    from billing.margins import charged
    from billing.prices import PriceBook
    from billing.selectors import month_charged_items

    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=None, effective_from=dt.date(2026, 10, 1)
    )
    item = InvoiceItem.objects.filter(**OCT, domain_id=10_000_001).values().get()
    assert charged(item, PriceBook.load(), **OCT) == (None, 10, 4_500)  # the vendor's amount, passed on
    drafted = [
        i for i in month_charged_items(user=make_persona(Role.FINANCE), **OCT) if i.domain_id == 10_000_001
    ]
    assert [(i.item_id, i.unit_price, i.amount) for i in drafted] == [
        ("STD", None, None)
    ]  # waits for a price


def test_a_customer_billed_another_amount_is_named_as_the_invoice_names_it(client_as, db):
    """The costs page names one customer of each amount billed apart (a discount of its own, perhaps) as the
    month's invoice named it, kept when the month was learned: no customer is looked up to show it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_invoice(**OCT)
    make_item(domain_id=1, customer_name="Alpha K.K.")
    make_item(domain_id=2, customer_name="Beta K.K.", license_count=20, amount=9_000)
    make_item(domain_id=3, customer_name="ガンマ商事株式会社", amount=4_000)  # ¥400 a licence
    from billing.models import DetailMonth

    DetailMonth.objects.create(**OCT, synced_at=timezone.now())
    _learn()
    differs = InvoiceCost.objects.get(reason=Reason.DIFFERS)
    assert (differs.example_domain_id, differs.example_name) == (3, "ガンマ商事株式会社")
    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as reads:
        page = client.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    assert "for example to ガンマ商事株式会社" in page
    assert not [q for q in reads.captured_queries if "customers_customer" in q["sql"]]
    # A row whose invoice gave no name names the customer as the portal does.
    from tests.customers.factories import make_customer

    make_customer(domain_id=3, company_name="ガンマ商事（旧）")
    InvoiceCost.objects.filter(pk=differs.pk).update(example_name="")
    assert (
        "for example to ガンマ商事（旧）" in client.get(reverse("billing:costs", kwargs=OCT)).content.decode()
    )
