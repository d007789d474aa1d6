"""Each kind of finding alone, as a function of a month's facts (no database): what it finds, and what it
leaves alone."""

from __future__ import annotations

import datetime as dt

from billing import findings, prices
from billing.findings import Found, MonthFacts, Usage
from billing.models import Finding, PriceEntry
from customers.selectors import Departure

OCT = {"year": 2026, "month": 10}
D = 10_000_001


def _item(n: int = 1, **fields) -> dict:
    return {
        "id": n,
        "domain_id": D,
        "customer_name": "Blue Harbor Clinic",
        "subscription_id": 7,
        "item_type": "PRODUCT",
        "item_id": "STD",
        "plan": "ANNUAL_LICENSE",
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 10, 31),
        "license_count": 19,
        "member_count": 8,
        "quantity": None,
        "amount": 8_550,
    } | fields


def _days(first: int, last: int, **terms) -> dict[dt.date, Usage]:
    usage = {"product_id": "STD", "plan": "ANNUAL_LICENSE", "license_count": 19, "member_count": 8} | terms
    return {dt.date(2026, 10, d): Usage(**usage) for d in range(first, last + 1)}


CUSTOMER = {D: Departure("Blue Harbor Clinic", None, None)}


def _facts(**fields) -> MonthFacts:
    return MonthFacts(**OCT, customers=fields.pop("customers", CUSTOMER), **fields)


def test_arithmetic():
    assert list(findings.arithmetic(_facts(invoice_totals=(79_640, 79_640)))) == []
    assert list(findings.arithmetic(_facts(invoice_totals=(79_640, 79_641)))) == [
        Found(0, "", Finding.Kind.ARITHMETIC, "total", "79640", "79641")
    ]


def test_billed_not_active():
    gone = {D: Departure("Blue Harbor Clinic", dt.date(2026, 9, 15), None)}
    (found,) = findings.billed_not_active(_facts(items=(_item(),), customers=gone))
    assert (found.expected, found.billed, found.items) == ("2026-09-15", "8550", (1,))
    later = {
        D: Departure("Blue Harbor Clinic", dt.date(2026, 11, 15), dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    }
    assert list(findings.billed_not_active(_facts(items=(_item(),), customers=later))) == []


def test_active_not_billed():
    facts = _facts(usage={D: _days(1, 31, product_id="ADV", plan="MONTHLY")})
    (found,) = findings.active_not_billed(facts)
    assert (found.subject, found.expected) == ("ADV", "ADV MONTHLY")
    assert list(findings.active_not_billed(_facts(usage={D: _days(1, 31)}, items=(_item(),)))) == []
    # A Free plan all month, or a paid one only on the day before the month, was not sold in it.
    free = {D: {dt.date(2026, 9, 30): Usage("STD", "MONTHLY", None, 8), **_days(1, 31, plan="FREE")}}
    assert list(findings.active_not_billed(_facts(usage=free))) == []


def test_licences():
    assert list(findings.licences(_facts(items=(_item(),), usage={D: _days(1, 31)}))) == []
    (found,) = findings.licences(_facts(items=(_item(),), usage={D: _days(1, 31, license_count=21)}))
    assert (found.subject, found.expected, found.billed) == ("7", "21", "19")
    # A day without a snapshot has the terms of the latest day before it (old snapshots are thinned).
    (found,) = findings.licences(_facts(items=(_item(),), usage={D: _days(1, 30, license_count=21)}))
    assert found.expected == "21"
    # Without a snapshot of the month there is nothing to compare with.
    assert list(findings.licences(_facts(items=(_item(),)))) == []


def test_quantity():
    option = _item(
        item_type="OPTION_PRODUCT", item_id="SSTG2", plan="MONTHLY", license_count=None, quantity=3
    )
    day = (D, "SSTG2", dt.date(2026, 10, 31))
    assert list(findings.quantity(_facts(items=(option,), option_quantities={day: 3}))) == []
    (found,) = findings.quantity(_facts(items=(option,), option_quantities={day: 5}))
    assert (found.subject, found.expected, found.billed) == ("SSTG2", "5", "3")


def test_period():
    split = (_item(1, end_date=dt.date(2026, 10, 19)), _item(2, start_date=dt.date(2026, 10, 20)))
    usage = {D: _days(1, 31)}
    found = list(findings.period(_facts(items=split, usage=usage)))
    assert {f.expected for f in found} == {"2026-10-20"} and len(found) == 2
    changed = {D: _days(1, 19) | _days(20, 31, license_count=21)}
    assert list(findings.period(_facts(items=split, usage=changed))) == []
    audited = {D: {dt.date(2026, 10, 19)}}
    assert list(findings.period(_facts(items=split, usage=usage, change_days=audited))) == []
    # Without the month's snapshots nothing says when terms changed: not a finding (the page counts them).
    assert list(findings.period(_facts(items=split))) == []
    # Billed up to a cancellation date (made in LINE WORKS: no audit entry): the day after is a known change.
    ended = (_item(1, end_date=dt.date(2026, 10, 19)),)
    assert len(list(findings.period(_facts(items=ended, usage={D: _days(1, 19)})))) == 1
    cancelled = {D: Departure("Blue Harbor Clinic", dt.date(2026, 10, 19), None)}
    facts = _facts(items=ended, usage={D: _days(1, 19)}, customers=cancelled)
    assert list(findings.period(facts)) == []


def test_cost():
    book = prices.PriceBook(
        [PriceEntry(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))]
    )
    assert list(findings.cost(_facts(items=(_item(amount=8_551),), prices=book))) == []
    (found,) = findings.cost(_facts(items=(_item(amount=8_700),), prices=book))
    assert (found.expected, found.billed) == ("8550", "8700")
    assert list(findings.cost(_facts(items=(_item(amount=8_700),)))) == []  # no price book: no finding


def test_every_kind_is_declared_once():
    assert len(set(findings.KINDS)) == len(findings.KINDS) == len(Finding.Kind)
