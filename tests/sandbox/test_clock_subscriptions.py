"""The business clock applies subscription pre-orders, reservations and renewals (private sandbox)."""

import datetime as dt

import pytest

from sandbox.testing import start_sandbox
from tests.sandbox.commerce import (
    BASE,
    add_option,
    day,
    new_customer,
    options_path,
    orders_path,
    paid_customer,
    subs_path,
    trial_customer,
)


@pytest.fixture(scope="module")
def box():
    with start_sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(box):
    return box.client()


def only_subscription(api, domain_id):
    [sub] = api.get(subs_path(domain_id)).json()["subscriptions"]
    return sub


@pytest.mark.rule("preorder.list_gone_when_applied")
def test_pre_order_starts_paid_subscription_with_its_option_tasks(box, api):
    today = box.today()
    domain_id = new_customer(api)
    body = {"applyDate": day(today, 1), "productId": "STD", "plan": "ANNUAL_LICENSE", "licenseCount": 10}
    assert api.post(f"{BASE}/{domain_id}/subscriptions/pre-orders", json=body).status_code == 201
    task = {"optionProductId": "SSTG2", "subOptionId": "SSTG201", "type": "APPLY", "applyDate": day(today, 1)}
    assert api.post(orders_path(domain_id), json=task).status_code == 201
    box.advance_clock("1d")
    sub = only_subscription(api, domain_id)
    assert (sub["productId"], sub["plan"], sub["licenseCount"], sub["planStartDate"]) == (
        "STD",
        "ANNUAL_LICENSE",
        10,
        day(today, 1),
    )
    assert api.get(f"{BASE}/{domain_id}/subscriptions/pre-orders").json()["subscriptionPreOrders"] == []
    [option] = api.get(options_path(domain_id)).json()["optionProducts"]
    assert (option["optionProductId"], option["subscriptionId"]) == ("SSTG2", sub["subscriptionId"])
    assert api.get(orders_path(domain_id)).json()["optionProductOrders"] == []


@pytest.mark.rule("reservation.paid_converts_trial_options")
def test_scheduled_paid_conversion_converts_trial_options_without_tasks(box, api):
    today = box.today()
    domain_id, sub = trial_customer(api)
    add_option(api, domain_id, "ACV2", "ACV200")
    add_option(api, domain_id, "DRV", "DRV_PS_T")
    reservation = {"type": "START_PAID_SERVICE", "applyDate": day(today, 1), "plan": "MONTHLY"}
    assert (
        api.post(subs_path(domain_id, sub["subscriptionId"], "/reservation"), json=reservation).status_code
        == 201
    )
    cancel = {
        "optionProductId": "DRV",
        "subOptionId": "DRV_PS_T",
        "type": "CANCEL",
        "applyDate": day(today, 1),
    }
    assert api.post(orders_path(domain_id), json=cancel).status_code == 201
    box.advance_clock("1d")
    converted = only_subscription(api, domain_id)
    assert (converted["productId"], converted["plan"], converted["status"]) == ("STD", "MONTHLY", "ACTIVE")
    [option] = api.get(options_path(domain_id)).json()["optionProducts"]
    assert (option["subOptionId"], option["plan"]) == ("ACV201", "MONTHLY")


def test_add_license_reservation_applies(box, api):
    today = box.today()
    domain_id, sub = paid_customer(api, licenses=10)
    task = {"type": "ADD_LICENSE", "applyDate": day(today, 1), "licenseCount": 5}
    api.post(subs_path(domain_id, sub["subscriptionId"], "/reservation"), json=task)
    box.advance_clock("1d")
    assert only_subscription(api, domain_id)["licenseCount"] == 15
    assert api.get(subs_path(domain_id, sub["subscriptionId"], "/reservation")).status_code == 404


@pytest.mark.rule("reservation.cancel_cancels_options")
def test_cancel_reservation_cancels_subscription_and_options(box, api):
    today = box.today()
    domain_id, sub = paid_customer(api)
    add_option(api, domain_id, "ACV2", "ACV201")
    add_option(api, domain_id, "BCT", "BCT01")
    api.post(
        orders_path(domain_id),
        json={"optionProductId": "BCT", "subOptionId": "BCT01", "type": "CANCEL", "applyDate": day(today, 2)},
    )
    api.post(
        subs_path(domain_id, sub["subscriptionId"], "/reservation"),
        json={"type": "CANCEL", "applyDate": day(today, 1)},
    )
    box.advance_clock("1d")
    assert api.get(subs_path(domain_id)).json()["subscriptions"] == []
    assert api.get(options_path(domain_id)).json()["optionProducts"] == []
    assert api.get(orders_path(domain_id)).json()["optionProductOrders"] == []


def renewal_path(domain_id, sub):
    return subs_path(domain_id, sub["subscriptionId"], "/renewal")


def test_renewal_change_applies_on_the_renewal_date(box, api):
    domain_id, sub = paid_customer(api, plan="MONTHLY")
    api.patch(
        renewal_path(domain_id, sub), json={"type": "CHANGE", "plan": "ANNUAL_LICENSE", "licenseCount": 20}
    )
    renewal_day = dt.date.fromisoformat(sub["planEndDate"]) + dt.timedelta(days=1)
    box.set_clock(renewal_day.isoformat())
    renewed = only_subscription(api, domain_id)
    assert (renewed["plan"], renewed["licenseCount"], renewed["planStartDate"]) == (
        "ANNUAL_LICENSE",
        20,
        renewal_day.isoformat(),
    )
    assert renewed["renewal"]["type"] == "STAY"


def test_renewal_stay_starts_a_new_term(box, api):
    domain_id, sub = paid_customer(api, plan="MONTHLY")
    renewal_day = dt.date.fromisoformat(sub["planEndDate"]) + dt.timedelta(days=1)
    box.set_clock(renewal_day.isoformat())
    renewed = only_subscription(api, domain_id)
    next_end = (renewal_day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert (renewed["plan"], renewed["planStartDate"], renewed["planEndDate"]) == (
        "MONTHLY",
        renewal_day.isoformat(),
        next_end.isoformat(),
    )


@pytest.mark.rule("sub_renewal.cancel_ends_after_term")
def test_renewal_cancel_stops_after_plan_end(box, api):
    domain_id, sub = paid_customer(api, plan="MONTHLY")
    api.patch(renewal_path(domain_id, sub), json={"type": "CANCEL"})
    box.set_clock(sub["planEndDate"])
    assert only_subscription(api, domain_id)["subscriptionId"] == sub["subscriptionId"]
    box.advance_clock("1d")
    assert api.get(subs_path(domain_id)).json()["subscriptions"] == []
