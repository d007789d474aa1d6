"""Pre-orders, reservations and renewal settings of subscriptions (one test per rule; no clock moves here)."""

import datetime as dt

import pytest

from tests.sandbox.commerce import (
    BASE,
    add_option,
    day,
    free_customer,
    new_customer,
    orders_path,
    paid_customer,
    refused,
    subs_path,
    trial_customer,
)


def pre_orders(domain_id, tail=""):
    return f"{BASE}/{domain_id}/subscriptions/pre-orders{tail}"


def pre_order(api, domain_id, apply_date, product="STD", plan="MONTHLY", **extra):
    return api.post(
        pre_orders(domain_id), json={"applyDate": apply_date, "productId": product, "plan": plan, **extra}
    )


# --- createSubscriptionPreOrder -----------------------------------------------------------------------------------


@pytest.mark.rule("preorder.apply_date_window")
def test_pre_order_window_tomorrow_to_31_days(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    refused(pre_order(sandbox_client, domain_id, day(today, 0)), "preorder.apply_date_window")
    refused(pre_order(sandbox_client, domain_id, day(today, 32)), "preorder.apply_date_window")
    refused(pre_order(sandbox_client, domain_id, "2026-13-01"), "preorder.apply_date_window")
    assert pre_order(sandbox_client, domain_id, day(today, 1)).status_code == 201
    assert pre_order(sandbox_client, domain_id, day(today, 31)).status_code == 201


@pytest.mark.rule("preorder.product_std_or_adv")
def test_pre_order_product(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    refused(pre_order(sandbox_client, domain_id, day(today, 2), product="FR"), "preorder.product_std_or_adv")
    assert (
        pre_order(sandbox_client, domain_id, day(today, 2), product="ADV").json()["subscriptionPreOrders"][0][
            "productId"
        ]
        == "ADV"
    )


@pytest.mark.rule("preorder.paid_only")
def test_pre_order_paid_plans_only(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    refused(pre_order(sandbox_client, domain_id, day(today, 2), plan="TRIAL"), "preorder.paid_only")
    refused(pre_order(sandbox_client, domain_id, day(today, 2), plan="FREE"), "preorder.paid_only")


@pytest.mark.rule("preorder.license_count_annual")
def test_pre_order_license_count(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    refused(
        pre_order(sandbox_client, domain_id, day(today, 2), plan="ANNUAL_LICENSE"),
        "preorder.license_count_annual",
    )
    created = pre_order(sandbox_client, domain_id, day(today, 2), plan="ANNUAL_LICENSE", licenseCount=10)
    assert created.json()["subscriptionPreOrders"][0]["licenseCount"] == 10
    monthly = pre_order(sandbox_client, domain_id, day(today, 3))
    assert monthly.json()["subscriptionPreOrders"][0]["licenseCount"] is None


@pytest.mark.rule("preorder.plan_required")
def test_pre_order_plan_required(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    response = sandbox_client.post(
        pre_orders(domain_id), json={"applyDate": day(today, 2), "productId": "STD"}
    )
    refused(response, "preorder.plan_required")


@pytest.mark.rule("preorder.created_wrapper")
def test_pre_order_answer_wraps_created_task(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    pre_order(sandbox_client, domain_id, day(today, 5))
    response = pre_order(
        sandbox_client, domain_id, day(today, 6), plan="ANNUAL_PREPAY_LICENSE", licenseCount=4
    )
    assert response.status_code == 201
    [task] = response.json()["subscriptionPreOrders"]
    assert task["applyDate"] == day(today, 6) and task["plan"] == "ANNUAL_PREPAY_LICENSE"


# --- listSubscriptionPreOrders ------------------------------------------------------------------------------------


@pytest.mark.rule("preorder.list_either_scope")
def test_pre_orders_read_scope(sandbox_client, sandbox_read_client, today):
    domain_id = new_customer(sandbox_client)
    pre_order(sandbox_client, domain_id, day(today, 4))
    assert len(sandbox_read_client.get(pre_orders(domain_id)).json()["subscriptionPreOrders"]) == 1


@pytest.mark.rule("preorder.list_all_pending")
def test_pre_orders_all_or_empty(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    assert sandbox_client.get(pre_orders(domain_id)).json() == {"subscriptionPreOrders": []}
    pre_order(sandbox_client, domain_id, day(today, 9))
    pre_order(sandbox_client, domain_id, day(today, 4))
    dates = [
        p["applyDate"] for p in sandbox_client.get(pre_orders(domain_id)).json()["subscriptionPreOrders"]
    ]
    assert dates == [day(today, 4), day(today, 9)]


@pytest.mark.rule("preorder.list_gone_when_applied")
def test_pre_order_gone_when_deleted(sandbox_client, today):
    domain_id = new_customer(sandbox_client)
    pre_id = pre_order(sandbox_client, domain_id, day(today, 4)).json()["subscriptionPreOrders"][0][
        "preOrderId"
    ]
    sandbox_client.delete(pre_orders(domain_id, f"/{pre_id}"))
    assert sandbox_client.get(pre_orders(domain_id)).json()["subscriptionPreOrders"] == []
    # (applied pre-orders disappear too: tests/sandbox/test_clock_subscriptions.py)


# --- updateSubscriptionPreOrder / deleteSubscriptionPreOrder ------------------------------------------------------


def new_pre_order(api, today, days=5):
    domain_id = new_customer(api)
    pre = pre_order(api, domain_id, day(today, days), plan="ANNUAL_LICENSE", licenseCount=8).json()
    return domain_id, pre["subscriptionPreOrders"][0]


@pytest.mark.rule("preorder.patch_only_apply_date")
def test_pre_order_patch_changes_date_only(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    response = sandbox_client.patch(
        pre_orders(domain_id, f"/{pre['preOrderId']}"),
        json={"applyDate": day(today, 7), "productId": "ADV", "plan": "MONTHLY", "licenseCount": 99},
    )
    [task] = response.json()["subscriptionPreOrders"]
    assert (task["applyDate"], task["productId"], task["plan"], task["licenseCount"]) == (
        day(today, 7),
        "STD",
        "ANNUAL_LICENSE",
        8,
    )


@pytest.mark.rule("preorder.patch_date_window")
def test_pre_order_patch_window(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    path = pre_orders(domain_id, f"/{pre['preOrderId']}")
    refused(sandbox_client.patch(path, json={"applyDate": day(today, 0)}), "preorder.patch_date_window")
    refused(sandbox_client.patch(path, json={"applyDate": day(today, 32)}), "preorder.patch_date_window")
    assert sandbox_client.patch(path, json={"applyDate": day(today, 31)}).status_code == 200
    assert sandbox_client.patch(path, json={"applyDate": day(today, 1)}).status_code == 200


def option_on_pre_order(api, domain_id, apply_date):
    body = {"optionProductId": "SSTG2", "subOptionId": "SSTG201", "type": "APPLY", "applyDate": apply_date}
    response = api.post(orders_path(domain_id), json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.rule("preorder.patch_option_tasks_stay")
def test_pre_order_patch_leaves_option_task(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    option_on_pre_order(sandbox_client, domain_id, day(today, 5))
    sandbox_client.patch(pre_orders(domain_id, f"/{pre['preOrderId']}"), json={"applyDate": day(today, 8)})
    assert sandbox_client.get(orders_path(domain_id, "/SSTG2")).json()["applyDate"] == day(today, 5)


@pytest.mark.rule("preorder.patch_unknown")
def test_pre_order_patch_unknown(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    other_id = new_customer(sandbox_client)
    refused(
        sandbox_client.patch(
            pre_orders(other_id, f"/{pre['preOrderId']}"), json={"applyDate": day(today, 3)}
        ),
        "preorder.patch_unknown",
        404,
    )
    refused(
        sandbox_client.patch(pre_orders(domain_id, "/987654321"), json={"applyDate": day(today, 3)}),
        "preorder.patch_unknown",
        404,
    )


@pytest.mark.rule("preorder.delete_option_tasks_stay")
def test_pre_order_delete_leaves_option_task(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    option_on_pre_order(sandbox_client, domain_id, day(today, 5))
    assert sandbox_client.delete(pre_orders(domain_id, f"/{pre['preOrderId']}")).status_code == 204
    assert sandbox_client.get(orders_path(domain_id, "/SSTG2")).status_code == 200


@pytest.mark.rule("preorder.delete_unknown")
def test_pre_order_delete_unknown(sandbox_client, today):
    domain_id, pre = new_pre_order(sandbox_client, today)
    assert sandbox_client.delete(pre_orders(domain_id, f"/{pre['preOrderId']}")).status_code == 204
    refused(
        sandbox_client.delete(pre_orders(domain_id, f"/{pre['preOrderId']}")), "preorder.delete_unknown", 404
    )


# --- createSubscriptionReservation --------------------------------------------------------------------------------


def reserve(api, domain_id, sub, **body):
    return api.post(subs_path(domain_id, sub["subscriptionId"], "/reservation"), json=body)


@pytest.mark.rule("reservation.type_and_date_required")
def test_reservation_type_and_date_required(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=day(today, 2)), "reservation.type_and_date_required"
    )
    refused(reserve(sandbox_client, domain_id, sub, type="CANCEL"), "reservation.type_and_date_required")
    refused(
        reserve(sandbox_client, domain_id, sub, type="DELETE", applyDate=day(today, 2)),
        "reservation.type_and_date_required",
    )


@pytest.mark.rule("reservation.one_per_subscription")
def test_reservation_one_per_subscription(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    assert reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 2)).status_code == 201
    refused(
        reserve(sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 2), licenseCount=1),
        "reservation.one_per_subscription",
    )


@pytest.mark.rule("reservation.paid_only_free_or_trial")
def test_reservation_paid_only_from_free_or_trial(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        reserve(
            sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 2), plan="MONTHLY"
        ),
        "reservation.paid_only_free_or_trial",
    )
    domain_id, sub = free_customer(sandbox_client)
    ok = reserve(
        sandbox_client,
        domain_id,
        sub,
        type="START_PAID_SERVICE",
        applyDate=day(today, 2),
        plan="MONTHLY",
        productId="STD",
    )
    assert ok.status_code == 201


@pytest.mark.rule("reservation.paid_plan_and_licenses")
def test_reservation_paid_plan_and_licenses(sandbox_client, today):
    domain_id, sub = trial_customer(sandbox_client)
    refused(
        reserve(sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 2)),
        "reservation.paid_plan_and_licenses",
    )
    refused(
        reserve(
            sandbox_client,
            domain_id,
            sub,
            type="START_PAID_SERVICE",
            applyDate=day(today, 2),
            plan="ANNUAL_LICENSE",
        ),
        "reservation.paid_plan_and_licenses",
    )
    created = reserve(
        sandbox_client,
        domain_id,
        sub,
        type="START_PAID_SERVICE",
        applyDate=day(today, 2),
        plan="ANNUAL_LICENSE",
        licenseCount=20,
    )
    assert created.json()["licenseCount"] == 20


@pytest.mark.rule("reservation.paid_product_free_only")
def test_reservation_paid_product_rules(sandbox_client, today):
    domain_id, sub = trial_customer(sandbox_client)
    refused(
        reserve(
            sandbox_client,
            domain_id,
            sub,
            type="START_PAID_SERVICE",
            applyDate=day(today, 2),
            plan="MONTHLY",
            productId="STD",
        ),
        "reservation.paid_product_free_only",
    )
    domain_id, sub = free_customer(sandbox_client)
    refused(
        reserve(
            sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 2), plan="MONTHLY"
        ),
        "reservation.paid_product_free_only",
    )


@pytest.mark.rule("reservation.paid_date_window")
def test_reservation_paid_windows(sandbox_client, today):
    domain_id, sub = free_customer(sandbox_client)
    body = {"type": "START_PAID_SERVICE", "plan": "MONTHLY", "productId": "STD"}
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=day(today, 0), **body),
        "reservation.paid_date_window",
    )
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=day(today, 61), **body),
        "reservation.paid_date_window",
    )
    assert reserve(sandbox_client, domain_id, sub, applyDate=day(today, 60), **body).status_code == 201
    # Trial: up to the last day of the grace period (Trial end + 30 days here).
    domain_id, sub = trial_customer(sandbox_client)
    grace_last = (dt.date.fromisoformat(sub["planEndDate"]) + dt.timedelta(days=30)).isoformat()
    after = (dt.date.fromisoformat(sub["planEndDate"]) + dt.timedelta(days=31)).isoformat()
    trial_body = {"type": "START_PAID_SERVICE", "plan": "MONTHLY"}
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=day(today, 0), **trial_body),
        "reservation.paid_date_window",
    )
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=after, **trial_body), "reservation.paid_date_window"
    )
    assert reserve(sandbox_client, domain_id, sub, applyDate=grace_last, **trial_body).status_code == 201


@pytest.mark.rule("reservation.paid_adv_needs_domain")
def test_reservation_free_to_adv_needs_domain(sandbox_client, today):
    domain_id, sub = free_customer(sandbox_client, group=True)
    body = {"type": "START_PAID_SERVICE", "applyDate": day(today, 3), "plan": "MONTHLY"}
    refused(
        reserve(sandbox_client, domain_id, sub, productId="ADV", **body), "reservation.paid_adv_needs_domain"
    )
    assert reserve(sandbox_client, domain_id, sub, productId="STD", **body).status_code == 201


@pytest.mark.rule("reservation.add_license_annual_only")
def test_reservation_add_license_annual_only(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    refused(
        reserve(sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 2), licenseCount=5),
        "reservation.add_license_annual_only",
    )
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        reserve(sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 2)),
        "reservation.add_license_annual_only",
    )


@pytest.mark.rule("reservation.add_license_date_window")
def test_reservation_add_license_window(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    end = sub["planEndDate"]
    after_end = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()
    body = {"type": "ADD_LICENSE", "licenseCount": 5}
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=day(today, 0), **body),
        "reservation.add_license_date_window",
    )
    refused(
        reserve(sandbox_client, domain_id, sub, applyDate=after_end, **body),
        "reservation.add_license_date_window",
    )
    assert reserve(sandbox_client, domain_id, sub, applyDate=end, **body).status_code == 201


@pytest.mark.rule("reservation.cancel_paid_only")
def test_reservation_cancel_paid_only(sandbox_client, today):
    domain_id, sub = trial_customer(sandbox_client)
    refused(
        reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 2)),
        "reservation.cancel_paid_only",
    )


@pytest.mark.rule("reservation.cancel_date_window")
def test_reservation_cancel_window(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    end = dt.date.fromisoformat(sub["planEndDate"])
    refused(
        reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 0)),
        "reservation.cancel_date_window",
    )
    refused(
        reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(end, 2)),
        "reservation.cancel_date_window",
    )
    assert reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(end, 1)).status_code == 201


@pytest.mark.rule("reservation.license_count_max")
def test_reservation_license_count_max(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        reserve(
            sandbox_client,
            domain_id,
            sub,
            type="ADD_LICENSE",
            applyDate=day(today, 2),
            licenseCount=1_000_001,
        ),
        "reservation.license_count_max",
    )
    assert (
        reserve(
            sandbox_client,
            domain_id,
            sub,
            type="ADD_LICENSE",
            applyDate=day(today, 2),
            licenseCount=1_000_000,
        ).status_code
        == 201
    )


@pytest.mark.rule("reservation.paid_converts_trial_options")
def test_reservation_paid_conversion_is_scheduled(sandbox_client, today):
    # The conversion itself is applied by the clock: tests/sandbox/test_clock_subscriptions.py.
    domain_id, sub = trial_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    assert (
        reserve(
            sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 3), plan="MONTHLY"
        ).status_code
        == 201
    )
    [option] = sandbox_client.get(f"{BASE}/{domain_id}/option-products").json()["optionProducts"]
    assert option["plan"] == "TRIAL"  # nothing changes before the date


@pytest.mark.rule("reservation.cancel_cancels_options")
def test_reservation_cancel_keeps_options_until_date(sandbox_client, today):
    # Applied by the clock: tests/sandbox/test_clock_subscriptions.py.
    domain_id, sub = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 3))
    assert len(sandbox_client.get(f"{BASE}/{domain_id}/option-products").json()["optionProducts"]) == 1


@pytest.mark.rule("reservation.paid_task_blocks_cancel")
def test_reservation_paid_task_blocks_immediate_cancel(sandbox_client, today):
    domain_id, sub = free_customer(sandbox_client)
    reserve(
        sandbox_client,
        domain_id,
        sub,
        type="START_PAID_SERVICE",
        applyDate=day(today, 3),
        plan="MONTHLY",
        productId="STD",
    )
    response = sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"]))
    assert response.status_code == 400
    sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"], "/reservation"))
    assert sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"])).status_code == 204


# --- get / update / delete reservation ----------------------------------------------------------------------------


@pytest.mark.rule("reservation.get_either_scope")
def test_reservation_get_read_scope(sandbox_client, sandbox_read_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 4))
    got = sandbox_read_client.get(subs_path(domain_id, sub["subscriptionId"], "/reservation"))
    assert got.json() == {
        "subscriptionId": sub["subscriptionId"],
        "type": "CANCEL",
        "applyDate": day(today, 4),
        "licenseCount": None,
    }


@pytest.mark.rule("reservation.get_license_count_meaning")
def test_reservation_license_count_is_licences_to_add(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    reserve(sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 4), licenseCount=7)
    assert (
        sandbox_client.get(subs_path(domain_id, sub["subscriptionId"], "/reservation")).json()["licenseCount"]
        == 7
    )


@pytest.mark.rule("reservation.get_none_404")
def test_reservation_get_none(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        sandbox_client.get(subs_path(domain_id, sub["subscriptionId"], "/reservation")),
        "reservation.get_none_404",
        404,
    )


@pytest.mark.rule("reservation.patch_only_apply_date")
def test_reservation_patch_only_date(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    reserve(sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 4), licenseCount=7)
    patched = sandbox_client.patch(
        subs_path(domain_id, sub["subscriptionId"], "/reservation"),
        json={"applyDate": day(today, 6), "type": "CANCEL", "licenseCount": 1},
    ).json()
    assert (patched["type"], patched["applyDate"], patched["licenseCount"]) == (
        "ADD_LICENSE",
        day(today, 6),
        7,
    )


@pytest.mark.rule("reservation.patch_date_window")
def test_reservation_patch_window_per_type(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    path = subs_path(domain_id, sub["subscriptionId"], "/reservation")
    end = dt.date.fromisoformat(sub["planEndDate"])
    reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 1))
    refused(sandbox_client.patch(path, json={"applyDate": day(end, 2)}), "reservation.patch_date_window")
    refused(sandbox_client.patch(path, json={"applyDate": day(today, 0)}), "reservation.patch_date_window")
    assert sandbox_client.patch(path, json={"applyDate": day(end, 1)}).status_code == 200
    domain_id, sub = free_customer(sandbox_client)
    path = subs_path(domain_id, sub["subscriptionId"], "/reservation")
    reserve(
        sandbox_client,
        domain_id,
        sub,
        type="START_PAID_SERVICE",
        applyDate=day(today, 1),
        plan="MONTHLY",
        productId="STD",
    )
    refused(sandbox_client.patch(path, json={"applyDate": day(today, 61)}), "reservation.patch_date_window")
    assert sandbox_client.patch(path, json={"applyDate": day(today, 60)}).status_code == 200


@pytest.mark.rule("reservation.patch_option_tasks_stay")
def test_reservation_patch_leaves_option_tasks(sandbox_client, today):
    domain_id, sub = trial_customer(sandbox_client)
    reserve(
        sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 3), plan="MONTHLY"
    )
    body = {"optionProductId": "ACV2", "subOptionId": "ACV201", "type": "APPLY", "applyDate": day(today, 3)}
    assert sandbox_client.post(orders_path(domain_id), json=body).status_code == 201
    sandbox_client.patch(
        subs_path(domain_id, sub["subscriptionId"], "/reservation"), json={"applyDate": day(today, 5)}
    )
    assert sandbox_client.get(orders_path(domain_id, "/ACV2")).json()["applyDate"] == day(today, 3)


@pytest.mark.rule("reservation.patch_none_404")
def test_reservation_patch_none(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    response = sandbox_client.patch(
        subs_path(domain_id, sub["subscriptionId"], "/reservation"), json={"applyDate": day(today, 2)}
    )
    refused(response, "reservation.patch_none_404", 404)


@pytest.mark.rule("reservation.delete_option_tasks_stay")
def test_reservation_delete_leaves_option_tasks(sandbox_client, today):
    domain_id, sub = trial_customer(sandbox_client)
    reserve(
        sandbox_client, domain_id, sub, type="START_PAID_SERVICE", applyDate=day(today, 3), plan="MONTHLY"
    )
    body = {"optionProductId": "ACV2", "subOptionId": "ACV201", "type": "APPLY", "applyDate": day(today, 3)}
    sandbox_client.post(orders_path(domain_id), json=body)
    assert (
        sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"], "/reservation")).status_code == 204
    )
    assert sandbox_client.get(orders_path(domain_id, "/ACV2")).status_code == 200


@pytest.mark.rule("reservation.delete_allows_new_task")
def test_reservation_delete_then_new(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    reserve(sandbox_client, domain_id, sub, type="CANCEL", applyDate=day(today, 3))
    sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"], "/reservation"))
    assert (
        reserve(
            sandbox_client, domain_id, sub, type="ADD_LICENSE", applyDate=day(today, 3), licenseCount=2
        ).status_code
        == 201
    )


@pytest.mark.rule("reservation.delete_none_404")
def test_reservation_delete_none(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"], "/reservation")),
        "reservation.delete_none_404",
        404,
    )


# --- renewals -----------------------------------------------------------------------------------------------------


def renewal(domain_id, sub):
    return subs_path(domain_id, sub["subscriptionId"], "/renewal")


@pytest.mark.rule("sub_renewal.get_either_scope")
def test_renewal_get_read_scope(sandbox_client, sandbox_read_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=12)
    got = sandbox_read_client.get(renewal(domain_id, sub)).json()
    assert got == {
        "subscriptionId": sub["subscriptionId"],
        "type": "STAY",
        "productId": "STD",
        "plan": "ANNUAL_LICENSE",
        "licenseCount": 12,
    }


@pytest.mark.rule("sub_renewal.get_paid_only")
def test_renewal_get_free_trial_refused(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    refused(sandbox_client.get(renewal(domain_id, sub)), "sub_renewal.get_paid_only")
    domain_id, sub = free_customer(sandbox_client)
    refused(sandbox_client.get(renewal(domain_id, sub)), "sub_renewal.get_paid_only")


@pytest.mark.rule("sub_renewal.type_required")
def test_renewal_type_required(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        sandbox_client.patch(renewal(domain_id, sub), json={"plan": "MONTHLY"}), "sub_renewal.type_required"
    )
    refused(
        sandbox_client.patch(renewal(domain_id, sub), json={"type": "RENEW"}), "sub_renewal.type_required"
    )


@pytest.mark.rule("sub_renewal.stay_keeps_terms")
def test_renewal_stay(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "licenseCount": 30})
    stay = sandbox_client.patch(renewal(domain_id, sub), json={"type": "STAY"}).json()
    assert (stay["type"], stay["plan"], stay["licenseCount"]) == ("STAY", "ANNUAL_LICENSE", 10)


@pytest.mark.rule("sub_renewal.change_terms")
def test_renewal_change(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    fewer = sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "licenseCount": 4}).json()
    assert (fewer["type"], fewer["licenseCount"]) == ("CHANGE", 4)
    monthly = sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "plan": "MONTHLY"}).json()
    assert monthly["plan"] == "MONTHLY" and "licenseCount" not in monthly
    refused(
        sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE"}), "sub_renewal.change_terms"
    )


@pytest.mark.rule("sub_renewal.cancel_ends_after_term")
def test_renewal_cancel_set(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    assert sandbox_client.patch(renewal(domain_id, sub), json={"type": "CANCEL"}).json()["type"] == "CANCEL"
    # Still in use until planEndDate (the stop itself: tests/sandbox/test_clock_subscriptions.py).
    assert (
        sandbox_client.get(subs_path(domain_id, sub["subscriptionId"])).json()["renewal"]["type"] == "CANCEL"
    )


@pytest.mark.rule("sub_renewal.license_count_annual")
def test_renewal_license_count(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    refused(
        sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "plan": "ANNUAL_LICENSE"}),
        "sub_renewal.license_count_annual",
    )
    refused(
        sandbox_client.patch(
            renewal(domain_id, sub),
            json={"type": "CHANGE", "plan": "ANNUAL_LICENSE", "licenseCount": 1_000_001},
        ),
        "sub_renewal.license_count_annual",
    )
    refused(
        sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "licenseCount": 5}),
        "sub_renewal.license_count_annual",
    )
    ok = sandbox_client.patch(
        renewal(domain_id, sub), json={"type": "CHANGE", "plan": "ANNUAL_LICENSE", "licenseCount": 1_000_000}
    )
    assert ok.json()["licenseCount"] == 1_000_000


@pytest.mark.rule("sub_renewal.adv_needs_domain")
def test_renewal_adv_needs_domain(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    group_id, group_trial = trial_customer(sandbox_client, group=True)
    group_sub = sandbox_client.post(
        subs_path(group_id, group_trial["subscriptionId"], "/paid-service"), json={"plan": "MONTHLY"}
    ).json()
    refused(
        sandbox_client.patch(renewal(group_id, group_sub), json={"type": "CHANGE", "productId": "ADV"}),
        "sub_renewal.adv_needs_domain",
    )
    assert (
        sandbox_client.patch(renewal(domain_id, sub), json={"type": "CHANGE", "productId": "ADV"}).status_code
        == 200
    )


@pytest.mark.rule("sub_renewal.paid_only")
def test_renewal_patch_free_trial_refused(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    refused(sandbox_client.patch(renewal(domain_id, sub), json={"type": "STAY"}), "sub_renewal.paid_only")


@pytest.mark.rule("sub_renewal.upgrade_clears_change")
def test_renewal_upgrade_set_cleared_by_immediate_upgrade(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    sandbox_client.patch(
        renewal(domain_id, sub), json={"type": "CHANGE", "productId": "ADV", "licenseCount": 20}
    )
    sandbox_client.post(subs_path(domain_id, sub["subscriptionId"], "/upgrade"), json={"productId": "ADV"})
    after = sandbox_client.get(renewal(domain_id, sub)).json()
    assert (after["type"], after["productId"], after["licenseCount"]) == ("CHANGE", "ADV", 20)
