"""Options: add, list, cancel, upgrade, add quantity, renewal settings and usages (one test per rule)."""

import datetime as dt

import pytest

from tests.sandbox.commerce import (
    BASE,
    add_option,
    day,
    free_customer,
    options_path,
    paid_customer,
    refused,
    subs_path,
    trial_customer,
)


def options(api, domain_id):
    return api.get(options_path(domain_id)).json()["optionProducts"]


# --- createOptionProduct ------------------------------------------------------------------------------------------


@pytest.mark.rule("option.add_refused_in_grace")
def test_add_refused_in_grace_period():
    # Needs the clock to reach the Trial grace period: a private sandbox.
    from sandbox.testing import start_sandbox

    with start_sandbox() as box:
        api = box.client()
        domain_id, sub = trial_customer(api)
        box.set_clock(day(dt.date.fromisoformat(sub["planEndDate"]), 1))
        assert api.get(subs_path(domain_id, sub["subscriptionId"])).json()["status"] == "SUSPENDED_TRIALEND"
        refused(add_option(api, domain_id, "ACV2", "ACV200"), "option.add_refused_in_grace")


@pytest.mark.rule("option.add_trial_subscription_trial_only")
def test_add_trial_subscription_only_trial_sub_options(sandbox_client):
    domain_id, _ = trial_customer(sandbox_client)
    refused(
        add_option(sandbox_client, domain_id, "ACV2", "ACV201"), "option.add_trial_subscription_trial_only"
    )
    assert add_option(sandbox_client, domain_id, "ACV2", "ACV200").json()["plan"] == "TRIAL"


@pytest.mark.rule("option.add_paid_subscription_both")
def test_add_paid_subscription_both(sandbox_client):
    domain_id, sub = paid_customer(sandbox_client)
    trial = add_option(sandbox_client, domain_id, "ACV2", "ACV200").json()
    paid = add_option(sandbox_client, domain_id, "DRV", "DRV01").json()
    assert (trial["plan"], paid["plan"]) == ("TRIAL", "ANNUAL_LICENSE")
    assert paid["planEndDate"] == sub["planEndDate"]


@pytest.mark.rule("option.add_archive_drive_products")
def test_add_archive_drive_with_every_product(sandbox_client):
    for product in ("STD_T", "ADV_T"):
        domain_id, _ = trial_customer(sandbox_client, product)
        assert add_option(sandbox_client, domain_id, "ACV2", "ACV200").status_code == 201
    for product in ("STD", "ADV"):
        domain_id, _ = paid_customer(sandbox_client, product)
        assert add_option(sandbox_client, domain_id, "ACV2", "ACV201").status_code == 201
    domain_id, _ = free_customer(sandbox_client)
    refused(add_option(sandbox_client, domain_id, "ACV2", "ACV200"), "option.add_archive_drive_products")


@pytest.mark.rule("option.add_storage_contacts_paid_only")
def test_add_storage_contacts_paid_only(sandbox_client):
    domain_id, _ = trial_customer(sandbox_client)
    refused(
        add_option(sandbox_client, domain_id, "SSTG2", "SSTG201"), "option.add_storage_contacts_paid_only"
    )
    refused(add_option(sandbox_client, domain_id, "BCT", "BCT01"), "option.add_storage_contacts_paid_only")
    domain_id, _ = paid_customer(sandbox_client, "ADV")
    assert add_option(sandbox_client, domain_id, "BCT", "BCT01").status_code == 201


@pytest.mark.rule("option.add_sub_option_belongs")
def test_add_sub_option_belongs(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(add_option(sandbox_client, domain_id, "SSTG2", "BCT01"), "option.add_sub_option_belongs")
    refused(add_option(sandbox_client, domain_id, "SSTG2", "SSTG299"), "option.add_sub_option_belongs")


@pytest.mark.rule("option.add_drive_for_std_or_adv")
def test_add_drive_labels(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client, "ADV")
    refused(add_option(sandbox_client, domain_id, "DRV", "DRV01"), "option.add_drive_for_std_or_adv")
    assert add_option(sandbox_client, domain_id, "DRV", "DRV_PA").status_code == 201
    domain_id, _ = trial_customer(sandbox_client, "STD_T")
    refused(add_option(sandbox_client, domain_id, "DRV", "DRV_PA_T"), "option.add_drive_for_std_or_adv")


@pytest.mark.rule("option.add_quantity_only_counted")
def test_add_quantity_only_for_counted_options(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        add_option(sandbox_client, domain_id, "ACV2", "ACV201", quantity=2),
        "option.add_quantity_only_counted",
    )
    refused(
        add_option(sandbox_client, domain_id, "SSTG2", "SSTG201", quantity=0),
        "option.add_quantity_only_counted",
    )
    assert add_option(sandbox_client, domain_id, "SSTG2", "SSTG201", quantity=3).json()["quantity"] == 3


@pytest.mark.rule("option.add_answer_quantity")
def test_add_answer_quantity(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    assert add_option(sandbox_client, domain_id, "BCT", "BCT02").json()["quantity"] == 1
    assert add_option(sandbox_client, domain_id, "ACV2", "ACV201").json()["quantity"] is None


@pytest.mark.rule("option.add_deletes_task")
def test_add_deletes_scheduled_task(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    body = {"optionProductId": "ACV2", "subOptionId": "ACV201", "type": "APPLY", "applyDate": day(today, 3)}
    assert sandbox_client.post(f"{BASE}/{domain_id}/option-product-orders", json=body).status_code == 201
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    assert sandbox_client.get(f"{BASE}/{domain_id}/option-product-orders/ACV2").status_code == 404


@pytest.mark.rule("option.add_annual_readd_next_month")
def test_add_annual_option_again_next_month():
    from sandbox.testing import start_sandbox

    with start_sandbox() as box:
        api = box.client()
        domain_id, _ = paid_customer(api)
        add_option(api, domain_id, "SSTG2", "SSTG201")
        assert api.delete(options_path(domain_id, "/SSTG2")).status_code == 204
        refused(add_option(api, domain_id, "SSTG2", "SSTG201"), "option.add_annual_readd_next_month")
        first_next = (box.today().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        box.set_clock(first_next.isoformat())
        assert add_option(api, domain_id, "SSTG2", "SSTG201").status_code == 201


@pytest.mark.rule("option.add_one_per_option")
def test_add_one_per_option(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    refused(add_option(sandbox_client, domain_id, "DRV", "DRV_PS"), "option.add_one_per_option")


# --- listOptionProducts -------------------------------------------------------------------------------------------


@pytest.mark.rule("option.list_in_use_only")
def test_list_in_use_only(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client, plan="MONTHLY")
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    sandbox_client.delete(options_path(domain_id, "/ACV2"))
    assert [o["optionProductId"] for o in options(sandbox_client, domain_id)] == ["BCT"]


@pytest.mark.rule("option.list_quantity_only_counted")
def test_list_quantity(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG202", quantity=2)
    quantities = {o["optionProductId"]: o["quantity"] for o in options(sandbox_client, domain_id)}
    assert quantities == {"DRV": None, "SSTG2": 2}


@pytest.mark.rule("option.list_plan_end_date")
def test_list_plan_end_dates(sandbox_client, today):
    domain_id, sub = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    ends = {o["subOptionId"]: o["planEndDate"] for o in options(sandbox_client, domain_id)}
    assert ends == {"ACV200": day(today, 29), "DRV01": sub["planEndDate"]}


@pytest.mark.rule("option.list_not_paginated")
def test_list_not_paginated(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    for option, sub_option in (("ACV2", "ACV201"), ("DRV", "DRV01"), ("SSTG2", "SSTG201"), ("BCT", "BCT01")):
        add_option(sandbox_client, domain_id, option, sub_option)
    body = sandbox_client.get(options_path(domain_id), params={"count": 1}).json()
    assert set(body) == {"optionProducts"} and len(body["optionProducts"]) == 4


# --- cancelOptionProduct ------------------------------------------------------------------------------------------


@pytest.mark.rule("option.cancel_in_use_only")
def test_cancel_not_in_use(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(sandbox_client.delete(options_path(domain_id, "/BCT")), "option.cancel_in_use_only", 404)


@pytest.mark.rule("option.cancel_immediate")
def test_cancel_immediate(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    assert sandbox_client.delete(options_path(domain_id, "/BCT")).status_code == 204
    assert options(sandbox_client, domain_id) == []


@pytest.mark.rule("option.cancel_annual_penalty")
def test_cancel_annual_option_is_billed_a_penalty():
    from sandbox.testing import start_sandbox

    with start_sandbox() as box:
        api = box.client()
        domain_id, _ = paid_customer(api)
        add_option(api, domain_id, "SSTG2", "SSTG202")
        api.delete(options_path(domain_id, "/SSTG2"))
        today = box.today()
        first_next = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        box.set_clock(first_next.isoformat())
        details = api.get(
            "/partners/invoice-details", params={"year": today.year, "month": today.month}
        ).json()
        [mine] = [d for d in details["invoiceDetails"] if d["domainId"] == domain_id]
        penalties = [i for i in mine["settlementItems"] if i["itemType"] == "PENALTY"]
        assert len(penalties) == 1 and penalties[0]["amount"] > 0 and penalties[0]["itemId"] == "SSTG2"


@pytest.mark.rule("option.cancel_annual_readd_next_month")
def test_cancel_annual_then_add_refused(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    sandbox_client.delete(options_path(domain_id, "/BCT"))
    assert add_option(sandbox_client, domain_id, "BCT", "BCT01").status_code == 400
    # A monthly contract's option can come back at once.
    domain_id, _ = paid_customer(sandbox_client, plan="MONTHLY")
    add_option(sandbox_client, domain_id, "BCT", "BCT01")
    sandbox_client.delete(options_path(domain_id, "/BCT"))
    assert add_option(sandbox_client, domain_id, "BCT", "BCT01").status_code == 201


# --- upgradeOptionProduct -----------------------------------------------------------------------------------------


def upgrade(api, domain_id, option, sub_option):
    return api.post(options_path(domain_id, f"/{option}/upgrade"), json={"subOptionId": sub_option})


@pytest.mark.rule("option.upgrade_in_use_only")
def test_upgrade_not_in_use(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(upgrade(sandbox_client, domain_id, "SSTG2", "SSTG203"), "option.upgrade_in_use_only", 404)


@pytest.mark.rule("option.upgrade_immediate")
def test_upgrade_immediate(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    assert upgrade(sandbox_client, domain_id, "SSTG2", "SSTG203").json()["subOptionId"] == "SSTG203"
    assert options(sandbox_client, domain_id)[0]["subOptionId"] == "SSTG203"


@pytest.mark.rule("option.upgrade_upgradable_options")
def test_upgrade_archive_refused(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    refused(upgrade(sandbox_client, domain_id, "ACV2", "ACV201"), "option.upgrade_upgradable_options")


@pytest.mark.rule("option.upgrade_sub_option_belongs")
def test_upgrade_sub_option_belongs(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    refused(upgrade(sandbox_client, domain_id, "SSTG2", "BCT04"), "option.upgrade_sub_option_belongs")


@pytest.mark.rule("option.upgrade_higher_tier")
def test_upgrade_higher_tier_only(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG203")
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    refused(upgrade(sandbox_client, domain_id, "SSTG2", "SSTG203"), "option.upgrade_higher_tier")
    refused(upgrade(sandbox_client, domain_id, "SSTG2", "SSTG202"), "option.upgrade_higher_tier")
    refused(upgrade(sandbox_client, domain_id, "DRV", "DRV_PS_T"), "option.upgrade_higher_tier")
    assert upgrade(sandbox_client, domain_id, "DRV", "DRV_PS").status_code == 200


# --- addOptionProductQuantity -------------------------------------------------------------------------------------


def add_quantity(api, domain_id, option, quantity):
    return api.patch(options_path(domain_id, f"/{option}/add-quantity"), json={"quantity": quantity})


@pytest.mark.rule("option.add_quantity_immediate")
def test_add_quantity_immediate(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    add_quantity(sandbox_client, domain_id, "SSTG2", 2)
    assert options(sandbox_client, domain_id)[0]["quantity"] == 3
    assert sandbox_client.get(f"{BASE}/{domain_id}/option-product-orders").json()["optionProductOrders"] == []


@pytest.mark.rule("option.add_quantity_only_grows")
def test_add_quantity_grows(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "BCT", "BCT01", quantity=2)
    assert add_quantity(sandbox_client, domain_id, "BCT", 1).json()["quantity"] == 3
    assert add_quantity(sandbox_client, domain_id, "BCT", -1).status_code == 400


@pytest.mark.rule("option.add_quantity_counted_options")
def test_add_quantity_counted_only(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    refused(add_quantity(sandbox_client, domain_id, "DRV", 1), "option.add_quantity_counted_options")


@pytest.mark.rule("option.add_quantity_in_use")
def test_add_quantity_not_in_use(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(add_quantity(sandbox_client, domain_id, "SSTG2", 1), "option.add_quantity_in_use", 404)


@pytest.mark.rule("option.add_quantity_at_least_one")
def test_add_quantity_at_least_one(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    refused(add_quantity(sandbox_client, domain_id, "SSTG2", 0), "option.add_quantity_at_least_one")
    refused(
        sandbox_client.patch(options_path(domain_id, "/SSTG2/add-quantity"), json={}),
        "option.add_quantity_at_least_one",
    )


# --- option renewal -----------------------------------------------------------------------------------------------


def renewal(domain_id, option):
    return options_path(domain_id, f"/{option}/renewal")


@pytest.mark.rule("option_renewal.get_in_use")
def test_renewal_option_not_in_use(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    refused(sandbox_client.get(renewal(domain_id, "DRV")), "option_renewal.get_in_use", 404)


@pytest.mark.rule("option_renewal.get_paid_only")
def test_renewal_trial_option_refused(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "ACV2", "ACV200")
    refused(sandbox_client.get(renewal(domain_id, "ACV2")), "option_renewal.get_paid_only", 404)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG202")
    got = sandbox_client.get(renewal(domain_id, "SSTG2")).json()
    assert (got["type"], got["subOptionId"], got["quantity"]) == ("STAY", "SSTG202", 1)


@pytest.mark.rule("option_renewal.stay")
def test_renewal_stay(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG203", quantity=2)
    sandbox_client.patch(renewal(domain_id, "SSTG2"), json={"type": "CHANGE", "subOptionId": "SSTG201"})
    stay = sandbox_client.patch(renewal(domain_id, "SSTG2"), json={"type": "STAY"}).json()
    assert (stay["type"], stay["subOptionId"], stay["quantity"]) == ("STAY", "SSTG203", 2)


@pytest.mark.rule("option_renewal.change")
def test_renewal_change(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "BCT", "BCT02", quantity=3)
    changed = sandbox_client.patch(
        renewal(domain_id, "BCT"), json={"type": "CHANGE", "subOptionId": "BCT03", "quantity": 1}
    )
    assert (changed.json()["subOptionId"], changed.json()["quantity"]) == ("BCT03", 1)
    refused(sandbox_client.patch(renewal(domain_id, "BCT"), json={"type": "CHANGE"}), "option_renewal.change")


@pytest.mark.rule("option_renewal.downgrade_storage_contacts")
def test_renewal_downgrade(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG205")
    down = sandbox_client.patch(
        renewal(domain_id, "SSTG2"), json={"type": "CHANGE", "subOptionId": "SSTG201"}
    )
    assert down.status_code == 200 and down.json()["subOptionId"] == "SSTG201"
    # Drive may not go down at renewal: Drive Plus stays Drive Plus (or the same).
    add_option(sandbox_client, domain_id, "DRV", "DRV_PS")
    refused(
        sandbox_client.patch(renewal(domain_id, "DRV"), json={"type": "CHANGE", "subOptionId": "DRV01"}),
        "option_renewal.downgrade_storage_contacts",
    )
    same = sandbox_client.patch(renewal(domain_id, "DRV"), json={"type": "CHANGE", "subOptionId": "DRV_PS"})
    assert same.status_code == 200


@pytest.mark.rule("option_renewal.over_usage_becomes_stay")
def test_renewal_change_accepted_whatever_the_usage(sandbox_client):
    # Accepted now (no error at PATCH time); the silent STAY at renewal: tests/sandbox/test_clock_options.py.
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG207")
    assert (
        sandbox_client.patch(
            renewal(domain_id, "SSTG2"), json={"type": "CHANGE", "subOptionId": "SSTG201"}
        ).status_code
        == 200
    )


@pytest.mark.rule("option_renewal.sub_option_belongs")
def test_renewal_sub_option_belongs(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG202")
    refused(
        sandbox_client.patch(renewal(domain_id, "SSTG2"), json={"type": "CHANGE", "subOptionId": "BCT01"}),
        "option_renewal.sub_option_belongs",
    )


@pytest.mark.rule("option_renewal.quantity_counted_only")
def test_renewal_quantity_counted_only(sandbox_client):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "DRV", "DRV01")
    refused(
        sandbox_client.patch(renewal(domain_id, "DRV"), json={"type": "CHANGE", "quantity": 2}),
        "option_renewal.quantity_counted_only",
    )
    assert (
        sandbox_client.patch(
            renewal(domain_id, "DRV"), json={"type": "CHANGE", "subOptionId": "DRV_PS"}
        ).status_code
        == 200
    )


# --- listOptionProductUsages --------------------------------------------------------------------------------------


def usages(api, domain_id, **params):
    return api.get(f"{BASE}/{domain_id}/option-product-usages", params=params)


@pytest.mark.rule("option_usage.year_month_required")
def test_usages_year_month(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(usages(sandbox_client, domain_id, year=today.year), "option_usage.year_month_required")
    refused(usages(sandbox_client, domain_id, month=today.month), "option_usage.year_month_required")
    refused(usages(sandbox_client, domain_id, year=today.year, month=13), "option_usage.year_month_required")
    refused(usages(sandbox_client, domain_id, year=today.year, month=0), "option_usage.year_month_required")


@pytest.mark.rule("option_usage.product_group_works")
def test_usages_product_group(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    refused(
        usages(sandbox_client, domain_id, year=today.year, month=today.month, productGroupId="ROGER"),
        "option_usage.product_group_works",
    )
    assert (
        usages(
            sandbox_client, domain_id, year=today.year, month=today.month, productGroupId="WORKS"
        ).status_code
        == 200
    )


@pytest.mark.rule("option_usage.one_per_option_per_day")
def test_usages_daily(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    add_option(sandbox_client, domain_id, "SSTG2", "SSTG201")
    add_option(sandbox_client, domain_id, "ACV2", "ACV201")
    rows = usages(sandbox_client, domain_id, year=today.year, month=today.month).json()["optionProductUsages"]
    assert sorted((r["optionProductId"], r["usedDate"]) for r in rows) == [
        ("ACV2", today.isoformat()),
        ("SSTG2", today.isoformat()),
    ]
    assert {r["productGroupId"] for r in rows} == {"WORKS"}


@pytest.mark.rule("option_usage.not_paginated")
def test_usages_not_paginated(sandbox_client, today):
    domain_id, _ = paid_customer(sandbox_client)
    body = usages(sandbox_client, domain_id, year=today.year, month=today.month).json()
    assert set(body) == {"optionProductUsages"}
