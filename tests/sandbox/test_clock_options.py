"""The business clock applies option orders, paid option renewals and the end of option Trials (private sandbox)."""

import datetime as dt

import pytest

from sandbox.testing import start_sandbox
from tests.sandbox.commerce import BASE, add_option, day, options_path, orders_path, paid_customer


@pytest.fixture(scope="module")
def box():
    with start_sandbox(seed_customers=80, seed=3) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def api(box):
    return box.client()


def in_use(api, domain_id):
    return {o["optionProductId"]: o for o in api.get(options_path(domain_id)).json()["optionProducts"]}


def schedule(api, domain_id, option, sub_option, kind, apply_date, **extra):
    body = {
        "optionProductId": option,
        "subOptionId": sub_option,
        "type": kind,
        "applyDate": apply_date,
        **extra,
    }
    response = api.post(orders_path(domain_id), json=body)
    assert response.status_code == 201, response.text
    return response


def test_option_orders_apply_on_their_date(box, api):
    today = box.today()
    domain_id, sub = paid_customer(api)
    add_option(api, domain_id, "ACV2", "ACV200")
    add_option(api, domain_id, "SSTG2", "SSTG201")
    schedule(api, domain_id, "ACV2", "ACV201", "START_PAID_SERVICE", day(today, 1))
    schedule(api, domain_id, "BCT", "BCT02", "APPLY", day(today, 1))
    schedule(api, domain_id, "SSTG2", "SSTG201", "CANCEL", day(today, 1))
    box.advance_clock("1d")
    options = in_use(api, domain_id)
    assert sorted(options) == ["ACV2", "BCT"]
    assert (options["ACV2"]["subOptionId"], options["ACV2"]["plan"]) == ("ACV201", "ANNUAL_LICENSE")
    assert (options["BCT"]["subOptionId"], options["BCT"]["quantity"]) == ("BCT02", 1)
    assert api.get(orders_path(domain_id)).json()["optionProductOrders"] == []


def test_change_quantity_applies_on_the_first(box, api):
    today = box.today()
    domain_id, _ = paid_customer(api)
    add_option(api, domain_id, "SSTG2", "SSTG202")
    first = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    schedule(api, domain_id, "SSTG2", "SSTG202", "CHANGE_QUANTITY", first.isoformat(), quantity=3)
    box.set_clock(day(first, -1))
    assert in_use(api, domain_id)["SSTG2"]["quantity"] == 1
    box.advance_clock("1d")
    assert in_use(api, domain_id)["SSTG2"]["quantity"] == 3


def test_option_trial_ends_without_grace(box, api):
    domain_id, _ = paid_customer(api)
    trial = add_option(api, domain_id, "DRV", "DRV00").json()
    box.set_clock(trial["planEndDate"])
    assert "DRV" in in_use(api, domain_id)
    box.advance_clock("1d")
    assert in_use(api, domain_id) == {}


def seeded_storage_over_capacity(api, today):
    """A seeded monthly Shared Storage whose usage exceeds what SSTG201 (1 TB a unit) holds."""
    for domain_id in range(10_000_001, 10_000_081):
        option = in_use(api, domain_id).get("SSTG2")
        if not option or option["plan"] != "MONTHLY" or option["subOptionId"] == "SSTG201":
            continue
        rows = api.get(
            f"{BASE}/{domain_id}/option-product-usages", params={"year": today.year, "month": today.month}
        ).json()["optionProductUsages"]
        usage = [r for r in rows if r["optionProductId"] == "SSTG2"][-1]
        if usage["usageCount"] > usage["quantity"]:
            return domain_id, option
    pytest.fail("seed 3 has no Shared Storage above 1 TB a unit on a monthly contract")


@pytest.mark.rule("option_renewal.over_usage_becomes_stay")
def test_renewal_change_below_usage_is_renewed_as_stay(box, api):
    today = box.today()
    domain_id, option = seeded_storage_over_capacity(api, today)
    renewal = options_path(domain_id, "/SSTG2/renewal")
    assert api.patch(renewal, json={"type": "CHANGE", "subOptionId": "SSTG201"}).status_code == 200
    # A new option without usage on a monthly contract, changed the same way, does change.
    other_id, _ = paid_customer(api, plan="MONTHLY")
    add_option(api, other_id, "SSTG2", "SSTG203")
    api.patch(options_path(other_id, "/SSTG2/renewal"), json={"type": "CHANGE", "subOptionId": "SSTG201"})
    renewal_day = dt.date.fromisoformat(option["planEndDate"]) + dt.timedelta(days=1)
    box.set_clock(renewal_day.isoformat())
    kept = in_use(api, domain_id)["SSTG2"]
    assert (kept["subOptionId"], kept["planStartDate"]) == (option["subOptionId"], renewal_day.isoformat())
    assert api.get(renewal).json()["type"] == "STAY"
    assert in_use(api, other_id)["SSTG2"]["subOptionId"] == "SSTG201"
