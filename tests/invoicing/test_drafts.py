"""The month's drafts alone (`invoicing.drafts.month_drafts` on items built here, no database): one per billed
customer, totals and tax per rate rounded once per invoice, the due date, and the reasons a draft is blocked
while the others go."""

import datetime as dt

from billing.selectors import ChargedItem
from invoicing import drafts

ISSUER = {
    "registered_name": "Partner K.K.",
    "address": "Tokyo",
    "corporation": True,
    "registration_number": "T7000012050002",
    "bank_account": "Bank",
    "payment_terms": "end_of_next_month",
}
TODAY = dt.date(2026, 11, 2)


def item(domain_id=1, amount=1_005, unit_price=1_005, item_id="STD", **fields) -> ChargedItem:
    values = {
        "domain_id": domain_id,
        "customer_name": f"Company {domain_id}",
        "customer_code": "",
        "item_type": "PRODUCT",
        "item_id": item_id,
        "plan": "MONTHLY",
        "start_date": dt.date(2026, 10, 1),
        "end_date": dt.date(2026, 10, 31),
        "units": 1,
        "unit_price": unit_price,
        "amount": amount,
    }
    values.update(fields)
    return ChargedItem(**values)


def recipient(**fields):
    return {
        "billed": True,
        "bill_to_name": "Customer K.K.",
        "bill_to_address": "Osaka",
        "language": "ja",
    } | fields


def make(items, recipients=None, **kwargs):
    recipients = {1: recipient(), 2: recipient()} if recipients is None else recipients
    return drafts.month_drafts(items, issuer=ISSUER, recipients=recipients, issue_date=TODAY, **kwargs)


def test_one_draft_per_customer_with_the_tax_rounded_once_per_invoice_not_per_line():
    # Three lines of ¥1,005: per line the tax would be 3 x ¥100 = ¥300; once on ¥3,015 it is ¥301.
    [draft] = make([item(), item(), item()])
    assert len(draft.lines) == 3
    assert [(r.rate, r.amount, r.tax) for r in draft.per_rate] == [(10, 3_015, 301)]
    assert (draft.subtotal, draft.tax, draft.total) == (3_015, 301, 3_316)
    assert draft.due_date == dt.date(2026, 12, 31)
    assert draft.ready


def test_the_rounding_rule_is_the_setting_s():
    [draft] = make([item()], rounding="ceiling")
    assert draft.tax == 101


def test_each_rate_is_totalled_and_taxed_on_its_own():
    reduced = drafts.DraftLine("PRODUCT", "STD", "", None, None, 1, 1_005, 1_005, tax_rate=8)
    standard = drafts.DraftLine("PRODUCT", "STD", "", None, None, 1, 1_005, 1_005)
    totals = drafts.per_rate([reduced, standard, reduced], "floor")
    assert [(r.rate, r.amount, r.tax) for r in totals] == [(10, 1_005, 100), (8, 2_010, 160)]


def test_a_customer_without_details_or_a_price_is_blocked_and_the_others_go():
    found = make(
        [item(1), item(2, item_id="STD", amount=None, unit_price=None), item(3)],
        recipients={1: recipient(), 2: recipient()},
    )
    by = {d.domain_id: d for d in found}
    assert by[1].ready
    assert not by[2].ready and any("no price" in r for r in by[2].blocked)
    assert not by[3].ready and by[3].blocked == ["No billing details: add the name and address to bill."]
    # An unpriced line is out of the totals, never 0.
    assert by[2].total == 0 and by[2].lines[0].amount is None


def test_a_customer_marked_not_billed_gets_no_draft():
    found = make([item(1), item(2)], recipients={1: recipient(), 2: recipient(billed=False)})
    assert [d.domain_id for d in found] == [1]


def test_a_missing_address_or_issuer_blocks_with_a_clear_reason():
    [draft] = make([item()], recipients={1: recipient(bill_to_address=" ")})
    assert draft.blocked == ["Billing details lack the address to bill."]
    found = drafts.month_drafts([item()], issuer=None, recipients={1: recipient()}, issue_date=TODAY)
    assert "The partner's own billing details" in found[0].blocked[0]
    wrong = ISSUER | {"registration_number": "T7000012050003"}
    found = drafts.month_drafts([item()], issuer=wrong, recipients={1: recipient()}, issue_date=TODAY)
    assert "registration number is wrong" in found[0].blocked[0]


def test_the_difference_from_last_month_and_the_issued_are_told():
    [draft] = make([item()], previous_totals={1: 1_000}, issued={1: 42})
    assert draft.difference == draft.total - 1_000
    assert draft.issued_number == 42 and not draft.ready
