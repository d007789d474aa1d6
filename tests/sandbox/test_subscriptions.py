"""Subscriptions: list, add, get, cancel, paid conversion, upgrade and licence additions (one test per rule)."""

import datetime as dt

import pytest

from tests.sandbox.commerce import (
    add_option,
    create_sub,
    free_customer,
    new_customer,
    options_path,
    paid_customer,
    refused,
    subs_path,
    trial_customer,
)

# --- listSubscriptions ---------------------------------------------------------------------------------------


@pytest.mark.rule("subscription.list_either_scope")
def test_list_readable_with_read_scope(sandbox_client, sandbox_read_client):
    domain_id, sub = trial_customer(sandbox_client)
    response = sandbox_read_client.get(subs_path(domain_id))
    assert response.status_code == 200
    assert [s["subscriptionId"] for s in response.json()["subscriptions"]] == [sub["subscriptionId"]]


@pytest.mark.rule("subscription.list_in_use_only")
def test_list_leaves_out_cancelled(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    assert sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"])).status_code == 204
    listed = sandbox_client.get(subs_path(domain_id)).json()["subscriptions"]
    assert listed == []
    domain_id, _ = trial_customer(sandbox_client)
    statuses = {s["status"] for s in sandbox_client.get(subs_path(domain_id)).json()["subscriptions"]}
    assert statuses <= {"ACTIVE", "SUSPENDED_TRIALEND"}


@pytest.mark.rule("subscription.list_renewal_paid_only")
def test_list_renewal_only_for_paid(sandbox_client):
    trial_id, _ = trial_customer(sandbox_client)
    paid_id, _ = paid_customer(sandbox_client)
    [trial] = sandbox_client.get(subs_path(trial_id)).json()["subscriptions"]
    [paid] = sandbox_client.get(subs_path(paid_id)).json()["subscriptions"]
    assert "renewal" not in trial
    assert paid["renewal"]["type"] == "STAY"


@pytest.mark.rule("subscription.list_not_paginated")
def test_list_not_paginated(sandbox_client):
    domain_id, _ = trial_customer(sandbox_client)
    body = sandbox_client.get(subs_path(domain_id), params={"count": 1}).json()
    assert set(body) == {"subscriptions"}


@pytest.mark.rule("subscription.list_unknown_domain")
def test_list_unknown_domain_404(sandbox_client):
    response = sandbox_client.get(subs_path(99_999_999))
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


# --- createSubscription ------------------------------------------------------------------------------------------


@pytest.mark.rule("subscription.create_paid_after_free_or_trial")
def test_create_paid_needs_free_or_trial_first(sandbox_client):
    domain_id = new_customer(sandbox_client)
    refused(
        create_sub(sandbox_client, domain_id, "STD", "MONTHLY"),
        "subscription.create_paid_after_free_or_trial",
    )
    # Once a Trial was used (and stopped), a paid subscription can be added.
    _, sub = trial_customer(sandbox_client)
    domain_id = sub["domainId"]
    assert sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"])).status_code == 204
    assert create_sub(sandbox_client, domain_id, "STD", "ANNUAL_LICENSE", 5).status_code == 201


@pytest.mark.rule("subscription.create_not_for_conversion")
def test_create_paid_refused_while_free_in_use(sandbox_client):
    domain_id, _ = free_customer(sandbox_client)
    refused(create_sub(sandbox_client, domain_id, "STD", "MONTHLY"), "subscription.create_not_for_conversion")


@pytest.mark.rule("subscription.create_plan_values")
def test_create_plan_values(sandbox_client):
    domain_id = new_customer(sandbox_client)
    refused(create_sub(sandbox_client, domain_id, "STD_T", "LIFETIME"), "subscription.create_plan_values")
    refused(create_sub(sandbox_client, domain_id, "STD_T", "FREE"), "subscription.create_plan_values")
    response = create_sub(sandbox_client, domain_id, "FR", "FREE")
    assert response.status_code == 201
    assert response.json()["plan"] == "FREE"


@pytest.mark.rule("subscription.create_free_trial_immediate")
def test_create_trial_starts_today(sandbox_server, sandbox_client):
    domain_id = new_customer(sandbox_client)
    sub = create_sub(sandbox_client, domain_id, "ADV_T", "TRIAL").json()
    today = sandbox_server.today()
    assert sub["planStartDate"] == today.isoformat()
    assert sub["status"] == "ACTIVE"
    assert sub["planEndDate"] > today.isoformat()


@pytest.mark.rule("subscription.create_license_count_annual")
def test_create_license_count_for_annual(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"]))
    refused(
        create_sub(sandbox_client, domain_id, "STD", "ANNUAL_LICENSE"),
        "subscription.create_license_count_annual",
    )
    monthly = create_sub(sandbox_client, domain_id, "STD", "MONTHLY", 7)
    assert monthly.status_code == 201
    assert monthly.json()["licenseCount"] is None


@pytest.mark.rule("subscription.create_one_per_product_group")
def test_create_one_subscription_per_group(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        create_sub(sandbox_client, domain_id, "ADV", "MONTHLY"), "subscription.create_one_per_product_group"
    )


@pytest.mark.rule("subscription.create_replaces_customer_product")
def test_create_on_customer_without_product(sandbox_client):
    domain_id = new_customer(sandbox_client)
    assert sandbox_client.get(subs_path(domain_id)).json()["subscriptions"] == []
    create_sub(sandbox_client, domain_id, "STD_T", "TRIAL")
    assert sandbox_client.get(f"/partners/customers/{domain_id}").json()["productId"] == "STD_T"


# --- getSubscription ---------------------------------------------------------------------------------------------


@pytest.mark.rule("subscription.get_either_scope")
def test_get_with_read_scope(sandbox_client, sandbox_read_client):
    domain_id, sub = trial_customer(sandbox_client)
    response = sandbox_read_client.get(subs_path(domain_id, sub["subscriptionId"]))
    assert response.status_code == 200
    assert response.json()["productId"] == "STD_T"


@pytest.mark.rule("subscription.get_renewal_paid_only")
def test_get_renewal_only_for_paid(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    got = sandbox_client.get(subs_path(domain_id, sub["subscriptionId"])).json()
    assert got["renewal"] == {
        "subscriptionId": sub["subscriptionId"],
        "type": "STAY",
        "productId": "STD",
        "plan": "MONTHLY",
    }
    domain_id, sub = free_customer(sandbox_client)
    assert "renewal" not in sandbox_client.get(subs_path(domain_id, sub["subscriptionId"])).json()


@pytest.mark.rule("subscription.get_unknown_id")
def test_get_unknown_subscription(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    other_id, other = trial_customer(sandbox_client)
    refused(
        sandbox_client.get(subs_path(domain_id, other["subscriptionId"])), "subscription.get_unknown_id", 404
    )
    refused(sandbox_client.get(subs_path(domain_id, "abc")), "subscription.get_unknown_id", 404)
    refused(sandbox_client.get(subs_path(domain_id, 0)), "subscription.get_unknown_id", 404)
    for lookalike in ("\u00b2", "\u2460"):  # digits to str.isdigit(), not to int()
        refused(sandbox_client.get(subs_path(domain_id, lookalike)), "subscription.get_unknown_id", 404)


# --- cancelSubscription --------------------------------------------------------------------------------------------


@pytest.mark.rule("subscription.cancel_refused_with_paid_task")
def test_cancel_refused_with_paid_conversion_scheduled(sandbox_server, sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    tomorrow = sandbox_server.today().toordinal() + 1
    body = {
        "type": "START_PAID_SERVICE",
        "applyDate": dt.date.fromordinal(tomorrow).isoformat(),
        "plan": "MONTHLY",
    }
    assert (
        sandbox_client.post(
            subs_path(domain_id, sub["subscriptionId"], "/reservation"), json=body
        ).status_code
        == 201
    )
    refused(
        sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"])),
        "subscription.cancel_refused_with_paid_task",
    )


@pytest.mark.rule("subscription.cancel_immediate")
def test_cancel_immediate_and_drops_task(sandbox_server, sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    path = subs_path(domain_id, sub["subscriptionId"])
    tomorrow = (sandbox_server.today() + dt.timedelta(days=1)).isoformat()
    sandbox_client.post(path + "/reservation", json={"type": "CANCEL", "applyDate": tomorrow})
    assert sandbox_client.delete(path).status_code == 204
    assert sandbox_client.get(path).status_code == 404


@pytest.mark.rule("subscription.cancel_options_and_penalty")
def test_cancel_takes_options_along(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    assert add_option(sandbox_client, domain_id, "SSTG2", "SSTG201").status_code == 201
    assert sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"])).status_code == 204
    assert sandbox_client.get(options_path(domain_id)).json()["optionProducts"] == []


@pytest.mark.rule("subscription.cancel_not_listed_after")
def test_cancelled_not_listed(sandbox_client):
    domain_id, sub = free_customer(sandbox_client)
    sandbox_client.delete(subs_path(domain_id, sub["subscriptionId"]))
    assert sandbox_client.get(subs_path(domain_id)).json() == {"subscriptions": []}


# --- convertSubscriptionToPaid ------------------------------------------------------------------------------------


def convert(api, domain_id, sub, **body):
    return api.post(subs_path(domain_id, sub["subscriptionId"], "/paid-service"), json=body)


@pytest.mark.rule("subscription.paid_plan_required")
def test_paid_plan_required(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    refused(convert(sandbox_client, domain_id, sub), "subscription.paid_plan_required")
    refused(convert(sandbox_client, domain_id, sub, plan="TRIAL"), "subscription.paid_plan_required")


@pytest.mark.rule("subscription.paid_only_free_or_trial")
def test_paid_only_from_free_or_trial(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    refused(convert(sandbox_client, domain_id, sub, plan="MONTHLY"), "subscription.paid_only_free_or_trial")


@pytest.mark.rule("subscription.paid_trial_without_product")
def test_paid_trial_product_follows(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client, "ADV_T")
    refused(
        convert(sandbox_client, domain_id, sub, plan="MONTHLY", productId="ADV"),
        "subscription.paid_trial_without_product",
    )
    converted = convert(sandbox_client, domain_id, sub, plan="MONTHLY")
    assert converted.status_code == 200
    assert converted.json()["productId"] == "ADV"


@pytest.mark.rule("subscription.paid_free_needs_product")
def test_paid_free_needs_product(sandbox_client):
    domain_id, sub = free_customer(sandbox_client)
    refused(convert(sandbox_client, domain_id, sub, plan="MONTHLY"), "subscription.paid_free_needs_product")
    converted = convert(sandbox_client, domain_id, sub, plan="MONTHLY", productId="STD")
    assert converted.json()["productId"] == "STD" and converted.json()["plan"] == "MONTHLY"


@pytest.mark.rule("subscription.paid_license_count_annual")
def test_paid_license_count_for_annual(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    refused(
        convert(sandbox_client, domain_id, sub, plan="ANNUAL_PREPAY_LICENSE"),
        "subscription.paid_license_count_annual",
    )
    assert (
        convert(sandbox_client, domain_id, sub, plan="ANNUAL_PREPAY_LICENSE", licenseCount=3).json()[
            "licenseCount"
        ]
        == 3
    )


@pytest.mark.rule("subscription.paid_license_count_members")
def test_paid_licenses_at_least_members(sandbox_server, sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    sandbox_server.customer_facts(domain_id, memberCount=12)
    refused(
        convert(sandbox_client, domain_id, sub, plan="ANNUAL_LICENSE", licenseCount=11),
        "subscription.paid_license_count_members",
    )
    assert convert(sandbox_client, domain_id, sub, plan="ANNUAL_LICENSE", licenseCount=12).status_code == 200


@pytest.mark.rule("subscription.paid_deletes_reservation")
def test_paid_deletes_reservation(sandbox_server, sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    path = subs_path(domain_id, sub["subscriptionId"], "/reservation")
    tomorrow = (sandbox_server.today() + dt.timedelta(days=1)).isoformat()
    assert (
        sandbox_client.post(
            path, json={"type": "START_PAID_SERVICE", "applyDate": tomorrow, "plan": "MONTHLY"}
        ).status_code
        == 201
    )
    assert convert(sandbox_client, domain_id, sub, plan="MONTHLY").status_code == 200
    assert sandbox_client.get(path).status_code == 404


@pytest.mark.rule("subscription.paid_trial_options_stay")
def test_paid_trial_options_stay_trial(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client)
    assert add_option(sandbox_client, domain_id, "ACV2", "ACV200").status_code == 201
    convert(sandbox_client, domain_id, sub, plan="MONTHLY")
    [option] = sandbox_client.get(options_path(domain_id)).json()["optionProducts"]
    assert (option["subOptionId"], option["plan"]) == ("ACV200", "TRIAL")


@pytest.mark.rule("subscription.paid_adv_needs_domain")
def test_paid_free_to_adv_needs_domain(sandbox_client):
    domain_id, sub = free_customer(sandbox_client, group=True)
    refused(
        convert(sandbox_client, domain_id, sub, plan="MONTHLY", productId="ADV"),
        "subscription.paid_adv_needs_domain",
    )
    domain_id, sub = free_customer(sandbox_client)
    assert convert(sandbox_client, domain_id, sub, plan="MONTHLY", productId="ADV").status_code == 200


# --- upgradeSubscription ------------------------------------------------------------------------------------------


def upgrade(api, domain_id, sub, product):
    return api.post(subs_path(domain_id, sub["subscriptionId"], "/upgrade"), json={"productId": product})


@pytest.mark.rule("subscription.upgrade_product_required")
def test_upgrade_product_required(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    refused(
        sandbox_client.post(subs_path(domain_id, sub["subscriptionId"], "/upgrade"), json={}),
        "subscription.upgrade_product_required",
    )
    refused(upgrade(sandbox_client, domain_id, sub, "STD"), "subscription.upgrade_product_required")


@pytest.mark.rule("subscription.upgrade_only_std_to_adv")
def test_upgrade_only_upwards(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    refused(upgrade(sandbox_client, domain_id, sub, "ADV_T"), "subscription.upgrade_only_std_to_adv")
    assert upgrade(sandbox_client, domain_id, sub, "ADV").json()["productId"] == "ADV"
    domain_id, sub = trial_customer(sandbox_client)
    assert upgrade(sandbox_client, domain_id, sub, "ADV_T").json()["productId"] == "ADV_T"


@pytest.mark.rule("subscription.upgrade_adv_needs_domain")
def test_upgrade_needs_domain(sandbox_client):
    domain_id, sub = trial_customer(sandbox_client, group=True)
    refused(upgrade(sandbox_client, domain_id, sub, "ADV_T"), "subscription.upgrade_adv_needs_domain")


@pytest.mark.rule("subscription.upgrade_clears_renewal_upgrade")
def test_upgrade_clears_upgrade_set_for_renewal(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    renewal = subs_path(domain_id, sub["subscriptionId"], "/renewal")
    assert (
        sandbox_client.patch(renewal, json={"type": "CHANGE", "productId": "ADV"}).json()["productId"]
        == "ADV"
    )
    upgrade(sandbox_client, domain_id, sub, "ADV")
    assert sandbox_client.get(renewal).json()["type"] == "STAY"


@pytest.mark.rule("subscription.upgrade_not_free_or_grace")
def test_upgrade_not_for_free(sandbox_client):
    domain_id, sub = free_customer(sandbox_client)
    refused(upgrade(sandbox_client, domain_id, sub, "ADV"), "subscription.upgrade_not_free_or_grace")


@pytest.mark.rule("subscription.upgrade_cancels_unavailable_options")
def test_upgrade_cancels_drive_for_std(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    upgrade(sandbox_client, domain_id, sub, "ADV")
    left = [
        o["optionProductId"] for o in sandbox_client.get(options_path(domain_id)).json()["optionProducts"]
    ]
    assert left == ["ACV2"]


# --- addSubscriptionLicenseCount ----------------------------------------------------------------------------------


def add_licenses(api, domain_id, sub, count):
    return api.post(
        subs_path(domain_id, sub["subscriptionId"], "/add-license-count"), json={"licenseCount": count}
    )


@pytest.mark.rule("subscription.add_license_annual_only")
def test_add_licenses_annual_only(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, plan="MONTHLY")
    refused(add_licenses(sandbox_client, domain_id, sub, 5), "subscription.add_license_annual_only")


@pytest.mark.rule("subscription.add_license_adds")
def test_add_licenses_adds(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    assert add_licenses(sandbox_client, domain_id, sub, 5).json()["licenseCount"] == 15


@pytest.mark.rule("subscription.add_license_range")
def test_add_licenses_range(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client, licenses=10)
    refused(add_licenses(sandbox_client, domain_id, sub, 0), "subscription.add_license_range")
    refused(add_licenses(sandbox_client, domain_id, sub, 1_000_001), "subscription.add_license_range")
    refused(add_licenses(sandbox_client, domain_id, sub, 999_991), "subscription.add_license_range")
    assert add_licenses(sandbox_client, domain_id, sub, 1).status_code == 200


@pytest.mark.rule("subscription.add_license_deletes_task")
def test_add_licenses_deletes_add_license_task(sandbox_server, sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    path = subs_path(domain_id, sub["subscriptionId"], "/reservation")
    tomorrow = (sandbox_server.today() + dt.timedelta(days=1)).isoformat()
    assert (
        sandbox_client.post(
            path, json={"type": "ADD_LICENSE", "applyDate": tomorrow, "licenseCount": 3}
        ).status_code
        == 201
    )
    add_licenses(sandbox_client, domain_id, sub, 2)
    assert sandbox_client.get(path).status_code == 404


@pytest.mark.rule("subscription.add_license_not_max_users")
def test_add_licenses_leaves_max_users(sandbox_server, sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    before = sandbox_client.get(f"/partners/customers/{domain_id}/usage-status").json()
    add_licenses(sandbox_client, domain_id, sub, 50)
    after = sandbox_client.get(f"/partners/customers/{domain_id}/usage-status").json()
    assert after.get("maxMemberCount") == before.get("maxMemberCount")
