"""Scheduled tasks of options (option-product-orders): one test per rule; no clock moves on the shared server."""

import datetime as dt

import pytest

from sandbox.testing import start_sandbox
from tests.sandbox.commerce import (
    BASE,
    add_option,
    day,
    free_customer,
    new_customer,
    options_path,
    orders_path,
    paid_customer,
    refused,
    subs_path,
    trial_customer,
)


def order(api, domain_id, option, sub_option, kind, apply_date, **extra):
    body = {
        "optionProductId": option,
        "subOptionId": sub_option,
        "type": kind,
        "applyDate": apply_date,
        **extra,
    }
    return api.post(orders_path(domain_id), json=body)


def next_first(today: dt.date) -> dt.date:
    return (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def converting_trial(api, today, days=3, product="STD_T"):
    domain_id, sub = trial_customer(api, product)
    body = {"type": "START_PAID_SERVICE", "applyDate": day(today, days), "plan": "MONTHLY"}
    assert api.post(subs_path(domain_id, sub["subscriptionId"], "/reservation"), json=body).status_code == 201
    return domain_id, sub


# --- createOptionProductOrder -------------------------------------------------------------------------------------


@pytest.mark.rule("option_order.refused_in_grace")
def test_order_refused_in_grace():
    with start_sandbox() as box:
        api = box.client()
        domain_id, sub = trial_customer(api)
        box.set_clock(day(dt.date.fromisoformat(sub["planEndDate"]), 1))
        refused(
            order(api, domain_id, "ACV2", "ACV200", "APPLY", day(box.today(), 2)),
            "option_order.refused_in_grace",
        )


@pytest.mark.rule("option_order.annual_readd_next_month")
def test_order_annual_cancelled_from_next_month(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    sandbox_client.delete(options_path(domain_id, "/BCT"))
    first = next_first(today)
    refused(
        order(sandbox_client, domain_id, "BCT", "BCT01", "APPLY", day(first, -1)),
        "option_order.annual_readd_next_month",
    )
    if first <= dt.date.fromisoformat(
        sandbox_client.get(subs_path(domain_id)).json()["subscriptions"][0]["planEndDate"]
    ):
        assert order(sandbox_client, domain_id, "BCT", "BCT01", "APPLY", first.isoformat()).status_code == 201


@pytest.mark.rule("option_order.apply_quantity_counted_only")
def test_order_apply_quantity(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 2), quantity=1),
        "option_order.apply_quantity_counted_only",
    )
    created = order(sandbox_client, domain_id, "SSTG2", "SSTG202", "APPLY", day(today, 2))
    assert created.json()["quantity"] == 1
    assert order(sandbox_client, domain_id, "DRV", "DRV01", "APPLY", day(today, 2)).json()["quantity"] is None


@pytest.mark.rule("option_order.apply_same_date_as_reservation")
def test_order_apply_same_date_as_subscription_task(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    sandbox_client.post(
        subs_path(domain_id, sub["subscriptionId"], "/reservation"),
        json={"type": "ADD_LICENSE", "applyDate": day(today, 5), "licenseCount": 2},
    )
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4)),
        "option_order.apply_same_date_as_reservation",
    )
    assert order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 5)).status_code == 201


@pytest.mark.rule("option_order.apply_with_pre_order")
def test_order_apply_with_pre_order_only(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4)),
        "option_order.apply_with_pre_order",
    )
    sandbox_client.post(
        f"{BASE}/{domain_id}/subscriptions/pre-orders",
        json={"applyDate": day(today, 4), "productId": "STD", "plan": "MONTHLY"},
    )
    created = order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4)).json()
    assert created["subscriptionId"] is None


@pytest.mark.rule("option_order.apply_paid_subscription_both")
def test_order_apply_paid_subscription_both(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    assert order(sandbox_client, domain_id, "ACV2", "ACV200", "APPLY", day(today, 2)).status_code == 201
    created = order(sandbox_client, domain_id, "DRV", "DRV_PS", "APPLY", day(today, 2)).json()
    assert created["subscriptionId"] == sub["subscriptionId"]


@pytest.mark.rule("option_order.apply_trial_subscription_trial")
def test_order_apply_trial_on_trial(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client, "ADV_T")
    assert order(sandbox_client, domain_id, "DRV", "DRV_PA_T", "APPLY", day(today, 2)).status_code == 201


@pytest.mark.rule("option_order.apply_paid_needs_conversion")
def test_order_apply_paid_on_trial_needs_conversion(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 3)),
        "option_order.apply_paid_needs_conversion",
    )
    domain_id, _ = free_customer(sandbox_client)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 3)),
        "option_order.apply_paid_needs_conversion",
    )
    domain_id, _ = converting_trial(sandbox_client, today)
    assert order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 3)).status_code == 201


@pytest.mark.rule("option_order.apply_date_rules")
def test_order_apply_dates(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    end = dt.date.fromisoformat(sub["planEndDate"])
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 0)),
        "option_order.apply_date_rules",
    )
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(end, 2)),
        "option_order.apply_date_rules",
    )
    assert order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(end, 1)).status_code == 201
    domain_id, _ = converting_trial(sandbox_client, today, days=6)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 5)),
        "option_order.apply_same_date_as_reservation",
    )
    pre_id = new_customer(sandbox_client)
    sandbox_client.post(
        f"{BASE}/{pre_id}/subscriptions/pre-orders",
        json={"applyDate": day(today, 9), "productId": "STD", "plan": "MONTHLY"},
    )
    refused(
        order(sandbox_client, pre_id, "ACV2", "ACV201", "APPLY", day(today, 8)),
        "option_order.apply_date_rules",
    )


@pytest.mark.rule("option_order.cancel_trial_or_paid")
def test_order_cancel_trial_or_paid(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "CANCEL", day(today, 2)),
        "option_order.cancel_trial_or_paid",
    )
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    assert order(sandbox_client, domain_id, "ACV2", "ACV200", "CANCEL", day(today, 2)).status_code == 201
    assert (
        order(sandbox_client, domain_id, "DRV", "DRV01", "CANCEL", day(today, 2)).json()["type"] == "CANCEL"
    )


@pytest.mark.rule("option_order.cancel_trial_needs_conversion")
def test_order_cancel_on_trial_needs_conversion(sandbox_client, today):
    domain_id, _ = trial_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV200", "CANCEL", day(today, 3)),
        "option_order.cancel_trial_needs_conversion",
    )


@pytest.mark.rule("option_order.cancel_date_rules")
def test_order_cancel_dates(sandbox_client, today):
    domain_id, _ = converting_trial(sandbox_client, today, days=4)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV200", "CANCEL", day(today, 3)),
        "option_order.cancel_date_rules",
    )
    assert order(sandbox_client, domain_id, "ACV2", "ACV200", "CANCEL", day(today, 4)).status_code == 201
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    option = add_option(sandbox_client, domain_id, "DRV", "DRV01").json()
    end = dt.date.fromisoformat(option["planEndDate"])
    refused(
        order(sandbox_client, domain_id, "DRV", "DRV01", "CANCEL", day(end, 2)),
        "option_order.cancel_date_rules",
    )
    refused(
        order(sandbox_client, domain_id, "DRV", "DRV01", "CANCEL", day(today, 0)),
        "option_order.cancel_date_rules",
    )
    assert order(sandbox_client, domain_id, "DRV", "DRV01", "CANCEL", day(end, 1)).status_code == 201


@pytest.mark.rule("option_order.start_paid_converts_trial")
def test_order_start_paid_needs_trial_option(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    refused(
        order(sandbox_client, domain_id, "DRV", "DRV01", "START_PAID_SERVICE", day(today, 2)),
        "option_order.start_paid_converts_trial",
    )
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    created = order(sandbox_client, domain_id, "ACV2", "ACV201", "START_PAID_SERVICE", day(today, 2)).json()
    assert (created["type"], created["subOptionId"]) == ("START_PAID_SERVICE", "ACV201")


@pytest.mark.rule("option_order.start_paid_date_rules")
def test_order_start_paid_dates(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    trial = add_option(sandbox_client, domain_id, "ACV2", "ACV200").json()
    trial_end = dt.date.fromisoformat(trial["planEndDate"])
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "START_PAID_SERVICE", day(trial_end, 2)),
        "option_order.start_paid_date_rules",
    )
    assert (
        order(
            sandbox_client, domain_id, "ACV2", "ACV201", "START_PAID_SERVICE", day(trial_end, 1)
        ).status_code
        == 201
    )
    domain_id, _ = converting_trial(sandbox_client, today, days=5)
    add_option(sandbox_client, domain_id, "DRV", "DRV00")
    refused(
        order(sandbox_client, domain_id, "DRV", "DRV01", "START_PAID_SERVICE", day(today, 4)),
        "option_order.start_paid_date_rules",
    )
    assert (
        order(sandbox_client, domain_id, "DRV", "DRV01", "START_PAID_SERVICE", day(today, 5)).status_code
        == 201
    )


@pytest.mark.rule("option_order.change_quantity_next_month")
def test_order_change_quantity_first_of_next_month(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    first = next_first(today)
    refused(
        order(sandbox_client, domain_id, "SSTG2", "SSTG201", "CHANGE_QUANTITY", day(first, 1), quantity=2),
        "option_order.change_quantity_next_month",
    )
    created = order(
        sandbox_client, domain_id, "SSTG2", "SSTG201", "CHANGE_QUANTITY", first.isoformat(), quantity=2
    )
    assert created.status_code == 201 and created.json()["quantity"] == 2
    # Not in the subscription's last month: a monthly contract always is in it.
    domain_id, _ = paid_customer(sandbox_client, plan="MONTHLY")
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    refused(
        order(sandbox_client, domain_id, "BCT", "BCT01", "CHANGE_QUANTITY", first.isoformat(), quantity=2),
        "option_order.change_quantity_next_month",
    )


@pytest.mark.rule("option_order.one_per_option")
def test_order_one_per_option(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 2))
    refused(
        order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 3)),
        "option_order.one_per_option",
    )


# --- list / get / update / delete ---------------------------------------------------------------------------------


@pytest.mark.rule("option_order.list_subscription_null_for_pre_order")
def test_orders_list_subscription_id(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    sandbox_client.post(
        f"{BASE}/{domain_id}/subscriptions/pre-orders",
        json={"applyDate": day(today, 4), "productId": "STD", "plan": "MONTHLY"},
    )
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4))
    [task] = sandbox_client.get(orders_path(domain_id)).json()["optionProductOrders"]
    assert task["subscriptionId"] is None
    domain_id, sub = paid_customer(sandbox_client)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4))
    [task] = sandbox_client.get(orders_path(domain_id)).json()["optionProductOrders"]
    assert task["subscriptionId"] == sub["subscriptionId"]


@pytest.mark.rule("option_order.list_not_paginated")
def test_orders_list_not_paginated(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4))
    order(sandbox_client, domain_id, "BCT", "BCT01", "APPLY", day(today, 5))
    body = sandbox_client.get(orders_path(domain_id), params={"count": 1}).json()
    assert set(body) == {"optionProductOrders"} and len(body["optionProductOrders"]) == 2


@pytest.mark.rule("option_order.get_none_404")
def test_order_get_none(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(sandbox_client.get(orders_path(domain_id, "/DRV")), "option_order.get_none_404", 404)
    order(sandbox_client, domain_id, "DRV", "DRV01", "APPLY", day(today, 4))
    assert sandbox_client.get(orders_path(domain_id, "/DRV")).json()["subOptionId"] == "DRV01"


@pytest.mark.rule("option_order.patch_none_404")
def test_order_patch_none(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        sandbox_client.patch(orders_path(domain_id, "/DRV"), json={"applyDate": day(today, 3)}),
        "option_order.patch_none_404",
        404,
    )


@pytest.mark.rule("option_order.patch_annual_readd_next_month")
def test_order_patch_annual_readd(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    first = next_first(today)
    assert order(sandbox_client, domain_id, "BCT", "BCT01", "APPLY", first.isoformat()).status_code == 201
    add_option(sandbox_client, domain_id, "BCT", "BCT01")  # deletes the task; then cancel the annual option
    sandbox_client.delete(options_path(domain_id, "/BCT"))
    order(
        sandbox_client,
        domain_id,
        "BCT",
        "BCT01",
        "APPLY",
        day(first, 3),
    )
    refused(
        sandbox_client.patch(orders_path(domain_id, "/BCT"), json={"applyDate": day(first, -1)}),
        "option_order.patch_annual_readd_next_month",
    )


@pytest.mark.rule("option_order.patch_apply_date_rules")
def test_order_patch_apply_dates(sandbox_client, today):
    domain_id, _ = converting_trial(sandbox_client, today, days=3)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 3))
    # With a paid conversion of a Trial: tomorrow .. end of the Trial grace period.
    assert (
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"applyDate": day(today, 10)}).status_code
        == 200
    )
    refused(
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"applyDate": day(today, 0)}),
        "option_order.patch_apply_date_rules",
    )
    domain_id = new_customer(sandbox_client)
    sandbox_client.post(
        f"{BASE}/{domain_id}/subscriptions/pre-orders",
        json={"applyDate": day(today, 4), "productId": "STD", "plan": "MONTHLY"},
    )
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 4))
    refused(
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"applyDate": day(today, 5)}),
        "option_order.patch_apply_date_rules",
    )


@pytest.mark.rule("option_order.patch_cancel_date_rules")
def test_order_patch_cancel_dates(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client, plan="MONTHLY")
    option = add_option(sandbox_client, domain_id, "DRV", "DRV01").json()
    end = dt.date.fromisoformat(option["planEndDate"])
    order(sandbox_client, domain_id, "DRV", "DRV01", "CANCEL", day(today, 1))
    refused(
        sandbox_client.patch(orders_path(domain_id, "/DRV"), json={"applyDate": day(end, 2)}),
        "option_order.patch_cancel_date_rules",
    )
    assert sandbox_client.patch(orders_path(domain_id, "/DRV"), json={"applyDate": day(end, 1)}).json()[
        "applyDate"
    ] == day(end, 1)


@pytest.mark.rule("option_order.patch_start_paid_date_rules")
def test_order_patch_start_paid_dates(sandbox_client, today):
    domain_id, _ = converting_trial(sandbox_client, today, days=5)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    order(sandbox_client, domain_id, "ACV2", "ACV201", "START_PAID_SERVICE", day(today, 5))
    refused(
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"applyDate": day(today, 6)}),
        "option_order.patch_start_paid_date_rules",
    )
    assert (
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"applyDate": day(today, 5)}).status_code
        == 200
    )


@pytest.mark.rule("option_order.patch_modify_date_rules")
def test_order_modify_is_not_a_task_type(sandbox_client, today):
    # MODIFY appears only in the PATCH page's date rules and in no enum: such a task cannot exist.
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    assert order(sandbox_client, domain_id, "DRV", "DRV01", "MODIFY", day(today, 2)).status_code == 400


@pytest.mark.rule("option_order.patch_change_quantity_next_month")
def test_order_patch_change_quantity(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    first = next_first(today)
    order(sandbox_client, domain_id, "SSTG2", "SSTG201", "CHANGE_QUANTITY", first.isoformat(), quantity=3)
    refused(
        sandbox_client.patch(orders_path(domain_id, "/SSTG2"), json={"applyDate": day(first, 1)}),
        "option_order.patch_change_quantity_next_month",
    )
    assert (
        sandbox_client.patch(orders_path(domain_id, "/SSTG2"), json={"quantity": 4}).json()["quantity"] == 4
    )


@pytest.mark.rule("option_order.patch_type_fixed")
def test_order_patch_type_fixed(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 2))
    refused(
        sandbox_client.patch(orders_path(domain_id, "/ACV2"), json={"type": "CANCEL"}),
        "option_order.patch_type_fixed",
    )


@pytest.mark.rule("option_order.delete_none_404")
def test_order_delete(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(sandbox_client.delete(orders_path(domain_id, "/ACV2")), "option_order.delete_none_404", 404)
    order(sandbox_client, domain_id, "ACV2", "ACV201", "APPLY", day(today, 2))
    assert sandbox_client.delete(orders_path(domain_id, "/ACV2")).status_code == 204
    assert sandbox_client.get(orders_path(domain_id)).json()["optionProductOrders"] == []
