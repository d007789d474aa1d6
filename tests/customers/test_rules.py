"""The contract's rules of customer changes (customers/rules.py), at their boundaries."""

from __future__ import annotations

import datetime as dt

from customers import rules


def test_a_max_users_change_may_apply_from_tomorrow_to_one_year_from_today():
    today = dt.date(2026, 11, 21)
    window = rules.max_users_change_window(today)
    assert (window.first, window.last) == (dt.date(2026, 11, 22), dt.date(2027, 11, 21))
    assert today not in window
    assert dt.date(2026, 11, 22) in window and dt.date(2027, 11, 21) in window
    assert dt.date(2027, 11, 22) not in window
    assert "2026-11-22" in window.error() and "2027-11-21" in window.error()


def test_from_29_february_one_year_later_is_28_february():
    window = rules.max_users_change_window(dt.date(2028, 2, 29))
    assert window.last == dt.date(2029, 2, 28)


def test_the_fixed_maximum_message_names_the_scheduled_change():
    text = rules.renewal_max_fixed_message(dt.date(2026, 12, 1), None)
    assert "2026-12-01" in text and "no limit" in text and "delete" in text
    assert "300" in rules.renewal_max_fixed_message(dt.date(2026, 12, 1), 300)


def test_a_new_group_customer_is_read_back_under_either_by_works_suffix():
    """A group name is stored under by-works.com or by-works.net (the vendor's current pages): the add's read-back
    finds the customer under either, so a created customer is not left unconfirmed (read back as not applied)."""
    from customers.changes import CHANGES
    from partner_api.models import CustomerList

    create = next(c for c in CHANGES if c.operation_id == "createCustomer")

    class Client:
        def __init__(self, domain):
            self.domain = domain

        def list_customers(self, *, domain):
            customer = {
                "tenantId": 1,
                "domainId": 10000099,
                "domain": self.domain,
                "companyName": "Net K.K.",
                "phoneNumber": "03-0000-0000",
                "timeZone": "Asia/Tokyo",
                "locale": "ja_JP",
                "enableActiveMxrecord": True,
                "enableActiveDomain": True,
                "domainType": "GROUP",
            }
            return CustomerList.model_validate({"customers": [customer]})

    for stored in ("sakura.by-works.com", "sakura.by-works.net"):
        assert create.read_back(Client(stored), {"domain": "sakura"}).domain == stored
    assert create.read_back(Client("sakura.example.net"), {"domain": "sakura"}) is None
    assert create.read_back(Client("sakura.co.jp"), {"domain": "sakura.co.jp"}).domain == "sakura.co.jp"
    assert rules.names_of("sakura") == ("sakura", "sakura.by-works.com", "sakura.by-works.net")
