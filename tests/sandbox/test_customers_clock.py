"""What the business clock applies for customers: max-users changes, withdrawals, trial end and grace."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from sandbox.testing import start_sandbox
from tests.sandbox.helpers import create_customer, days

rule = pytest.mark.rule


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(sandbox):
    return sandbox.client()


@rule("renewal.applies_on_date")
def test_max_member_change_applies_on_its_date(sandbox, api):
    today = sandbox.today()
    customer = create_customer(api)
    url = f"/partners/customers/{customer['domainId']}/usage-status"
    api.post(url + "/renewal", json={"applyDate": days(today, 2), "maxMemberCount": 40})
    sandbox.advance_clock("1d")
    assert api.get(url).json()["maxMemberCount"] is None
    sandbox.advance_clock("1d")
    after = api.get(url).json()
    assert after["maxMemberCount"] == 40 and "renewal" not in after


@rule("usage.withdrawal_deletes_customer")
def test_withdrawal_date_deletes_the_customer(sandbox, api):
    today = sandbox.today()
    customer = create_customer(api)
    api.patch(
        f"/partners/customers/{customer['domainId']}/usage-status", json={"withdrawalDate": days(today, 1)}
    )
    sandbox.advance_clock("1d")
    assert api.get(f"/partners/customers/{customer['domainId']}").status_code == 404


@rule("usage.withdrawal_pending_deletion")
def test_withdrawal_with_non_realtime_app_is_pending_then_deleted(sandbox, api):
    today = sandbox.today()
    customer = create_customer(api)
    sandbox.customer_facts(customer["domainId"], hasNonRealtimePaidApp=True)
    url = f"/partners/customers/{customer['domainId']}/usage-status"
    api.patch(url, json={"withdrawalDate": days(today, 1)})
    sandbox.advance_clock("1d")
    pending = api.get(url).json()
    assert pending["status"] == "SUSPENDED_WITHDRAWAL"
    deletion = dt.date.fromisoformat(pending["withdrawalDate"])
    assert deletion.day == 2 and deletion > today
    sandbox.set_clock(deletion.isoformat())
    assert api.get(url).status_code == 404


@rule("usage.patch_withdrawal_billing")
def test_withdrawal_bills_use_up_to_the_date(sandbox, api):
    today = sandbox.today()
    customer = create_customer(api)
    with sqlite3.connect(sandbox.env["SANDBOX_DB"], timeout=30) as db:
        db.execute(
            "insert into sandbox_usageperiod (customer_id, product_group_id, product_id, plan, option_product_id,"
            " sub_option_id, member_count, status, start_date) values (?, 'WORKS', 'STD', 'MONTHLY', '', '', 5,"
            " 'ACTIVE', '2026-01-01')",
            (customer["domainId"],),
        )
    api.patch(
        f"/partners/customers/{customer['domainId']}/usage-status", json={"withdrawalDate": days(today, 1)}
    )
    sandbox.advance_clock("1d")
    with sqlite3.connect(sandbox.env["SANDBOX_DB"], timeout=30) as db:
        end = db.execute(
            "select end_date from sandbox_usageperiod where customer_id=?", (customer["domainId"],)
        )
        assert end.fetchone()[0] == days(today, 1)


def test_trial_ends_into_grace_then_stops(sandbox, api):
    from sandbox.dates import GRACE_DAYS, TRIAL_DAYS

    customer = create_customer(api, productId="STD_T")
    db_path = sandbox.env["SANDBOX_DB"]

    def subscription():
        with sqlite3.connect(db_path, timeout=30) as db:
            return db.execute(
                "select status, cancelled_on from sandbox_subscription where customer_id=?",
                (customer["domainId"],),
            ).fetchone()

    assert subscription() == ("ACTIVE", None)
    sandbox.advance_clock(f"{TRIAL_DAYS}d")
    assert subscription()[0] == "SUSPENDED_TRIALEND"
    sandbox.advance_clock(f"{GRACE_DAYS}d")
    assert subscription()[1] is not None
    assert api.get(f"/partners/customers/{customer['domainId']}").json()["productId"] is None


def test_clock_only_moves_forward(sandbox):
    import requests

    response = requests.post(sandbox.root + "/_sandbox/clock", json={"date": "2000-01-01"}, timeout=10)
    assert response.status_code == 400
