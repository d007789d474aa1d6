"""Each option form's valid path and each rule's boundary, through the portal's pages against a sandbox of its own
over real HTTP. The clock is the sandbox's (moved only by these tests) and the portal's business date is pinned to
it, so both sides apply the contract's windows to the same day.

Every customer is made here, in the exact state a rule needs (tests/sandbox/commerce.py), then read into the
portal's cache; a refused form is checked to have sent nothing, and an accepted boundary is confirmed to be
accepted by the sandbox too.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from options.models import Option
from portal.core.changes.forms import new_key
from portal.core.sync import resync_customer
from tests.fixtures.changes import submit_change
from tests.fixtures.portal_api import pin_business_today
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.sandbox.commerce import add_option, orders_path, paid_customer, subs_path, trial_customer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

DAY = dt.timedelta(days=1)
STORAGE = {f"SSTG20{i}" for i in range(1, 8)}
CONTACTS = {f"BCT0{i}" for i in range(1, 5)}


# An empty sandbox: each test makes the customers it needs (overrides tests/options/conftest.py's).
own_sandbox = sandbox_of_its_own()


@pytest.fixture
def api(own_sandbox):
    return own_sandbox.client("partner")


def _cached(domain_id: int) -> int:
    run = resync_customer(domain_id=domain_id)
    assert run.status == "succeeded", run.errors
    return domain_id


def _url(name: str, domain_id: int, *rest) -> str:
    return reverse(f"options:{name}", args=[domain_id, *rest])


def _review(client, url: str, data: dict):
    """Post the form once (no confirmation): the confirmation page, or the form with its errors."""
    return client.post(url, {"idempotency_key": new_key(), **data})


def _accepted(answer) -> bool:
    return 'data-testid="confirm"' in answer.content.decode()


def _option_rows(client, domain_id: int) -> dict[str, str]:
    """The customer page's option rows: optionProductId -> the row's HTML."""
    import re

    html = client.get(reverse("customers:detail", args=[domain_id])).content.decode()
    return dict(re.findall(r'<tr data-option-id="(\w+)">(.*?)</tr>', html, re.S))


def _sent(sandbox, operation_id: str) -> int:
    return len(sandbox.requests(operation_id=operation_id))


def _offered(client, domain_id: int) -> set[str]:
    form = client.get(_url("add", domain_id)).context["form"]
    return {value for value, _label in form.fields["sub_option_id"].choices}


# --- Add: eligibility per product, quantity only where it applies ------------------------------------------


@pytest.mark.parametrize(
    ("product", "offered", "added"),
    [
        ("STD_T", {"ACV200", "DRV00", "DRV_PS_T"}, ("DRV", "DRV_PS_T", None)),
        ("ADV_T", {"ACV200", "DRV_PA_T"}, ("DRV", "DRV_PA_T", None)),
        (
            "STD",
            {"ACV200", "ACV201", "DRV00", "DRV01", "DRV_PS_T", "DRV_PS"} | STORAGE | CONTACTS,
            ("BCT", "BCT02", 3),
        ),
        ("ADV", {"ACV200", "ACV201", "DRV_PA_T", "DRV_PA"} | STORAGE | CONTACTS, ("SSTG2", "SSTG201", None)),
    ],
)
def test_add_offers_exactly_what_the_subscription_allows(
    today, manager, api, own_sandbox, product, offered, added
):
    if product.endswith("_T"):
        domain_id, _sub = trial_customer(api, product)
    else:
        domain_id, _sub = paid_customer(api, product)
    _cached(domain_id)
    assert _offered(manager, domain_id) == offered

    # A sub option the subscription may not have is refused on its field, before anything is sent.
    own_sandbox.clear_requests()
    foreign = "DRV_PA" if product.startswith("STD") else "DRV01"
    refused = _review(manager, _url("add", domain_id), {"sub_option_id": foreign})
    assert "sub_option_id" in refused.context["form"].errors
    assert _sent(own_sandbox, "createOptionProduct") == 0

    option_id, sub_option, quantity = added
    submit_change(manager, _url("add", domain_id), {"sub_option_id": sub_option, "quantity": quantity or ""})
    remote = {
        o["optionProductId"]: o
        for o in api.get(f"/partners/customers/{domain_id}/option-products").json()["optionProducts"]
    }
    assert remote[option_id]["subOptionId"] == sub_option
    # Quantity: as asked for, 1 when left empty on a counted option, none on the others.
    expected = quantity or (1 if option_id in ("SSTG2", "BCT") else None)
    assert remote[option_id]["quantity"] == expected
    assert Option.objects.get(customer_id=domain_id, option_product_id=option_id).quantity == expected
    # Once in use, the option is offered no more.
    assert not {s for s in _offered(manager, domain_id) if s.startswith(option_id[:3])}


def test_quantity_is_refused_on_an_option_without_one(today, manager, api, own_sandbox):
    domain_id = _cached(paid_customer(api, "STD")[0])
    own_sandbox.clear_requests()
    refused = _review(manager, _url("add", domain_id), {"sub_option_id": "ACV201", "quantity": "2"})
    assert refused.context["form"].errors["quantity"] == [
        "Leave the quantity empty: this option has no quantity."
    ]
    assert _accepted(_review(manager, _url("add", domain_id), {"sub_option_id": "SSTG201", "quantity": "2"}))
    assert _sent(own_sandbox, "createOptionProduct") == 0


def test_add_quantity_only_where_it_applies_and_within_1000(today, manager, api):
    domain_id, _sub = paid_customer(api, "STD")
    add_option(api, domain_id, "SSTG2", "SSTG201", quantity=998)
    add_option(api, domain_id, "ACV2", "ACV201")
    _cached(domain_id)
    assert manager.get(_url("add_quantity", domain_id, "ACV2")).status_code == 200
    refused = _review(manager, _url("add_quantity", domain_id, "ACV2"), {"quantity": "1"})
    assert (
        "Only Shared Storage and Extend contacts carry a quantity."
        in refused.context["form"].non_field_errors()
    )
    over = _review(manager, _url("add_quantity", domain_id, "SSTG2"), {"quantity": "3"})
    assert over.context["form"].errors["quantity"] == ["An option holds at most 1,000 units."]
    submit_change(manager, _url("add_quantity", domain_id, "SSTG2"), {"quantity": "2"})
    assert (
        api.get(f"/partners/customers/{domain_id}/option-products").json()["optionProducts"][0]["quantity"]
        == 1000
    )


# --- Trial grace period ------------------------------------------------------------------------------------


def test_nothing_is_added_or_scheduled_in_the_trial_grace_period(
    today, manager, api, own_sandbox, monkeypatch
):
    domain_id, sub = trial_customer(api, "STD_T")
    # Move the sandbox (and the portal's business date) to the day after the Trial ends: the grace period.
    own_sandbox.set_clock((dt.date.fromisoformat(sub["planEndDate"]) + DAY).isoformat())
    grace_day = own_sandbox.today()
    pin_business_today(monkeypatch, grace_day)
    assert api.get(subs_path(domain_id, sub["subscriptionId"])).json()["status"] == "SUSPENDED_TRIALEND"
    _cached(domain_id)
    own_sandbox.clear_requests()
    refused = _review(manager, _url("add", domain_id), {"sub_option_id": "ACV200"})
    assert (
        "Options cannot be added during the Trial grace period." in refused.context["form"].non_field_errors()
    )
    ja = manager.post(
        _url("add", domain_id),
        {"idempotency_key": new_key(), "sub_option_id": "ACV200"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert "トライアルの猶予期間中はオプションを追加できません。" in ja.content.decode()
    order = _review(
        manager,
        _url("order_add", domain_id),
        {"type": "APPLY", "sub_option_id": "ACV200", "apply_date": (grace_day + DAY).isoformat()},
    )
    assert (
        "Options cannot be scheduled during the Trial grace period."
        in order.context["form"].non_field_errors()
    )
    assert _sent(own_sandbox, "createOptionProduct") == _sent(own_sandbox, "createOptionProductOrder") == 0


# --- Upgrade: only a higher tier of the same family --------------------------------------------------------


def test_upgrade_offers_only_higher_tiers_and_the_sandbox_agrees(today, manager, api, own_sandbox):
    domain_id, _sub = paid_customer(api, "STD")
    add_option(api, domain_id, "SSTG2", "SSTG203")
    add_option(api, domain_id, "DRV", "DRV00")  # a Trial Drive on a paid subscription
    add_option(api, domain_id, "ACV2", "ACV201")
    _cached(domain_id)

    def choices(option_id):
        form = manager.get(_url("upgrade", domain_id, option_id)).context["form"]
        return [value for value, _label in form.fields["sub_option_id"].choices]

    assert choices("SSTG2") == ["SSTG204", "SSTG205", "SSTG206", "SSTG207"]
    assert choices("DRV") == ["DRV_PS_T"]  # a Trial stays a Trial; Drive for STD stays for STD
    # Archive has no larger sub option: its row offers no Upgrade, and its address leads back with why.
    rows = _option_rows(manager, domain_id)
    offered = {option for option, row in rows.items() if _url("upgrade", domain_id, option) in row}
    assert offered == {"SSTG2", "DRV"}
    archive_page = manager.get(_url("upgrade", domain_id, "ACV2"), follow=True)
    assert archive_page.redirect_chain[0][0].endswith("#section-options")
    assert "This option has no larger sub option to upgrade to." in archive_page.content.decode()
    own_sandbox.clear_requests()
    lower = _review(manager, _url("upgrade", domain_id, "SSTG2"), {"sub_option_id": "SSTG202"})
    assert "sub_option_id" in lower.context["form"].errors
    same = _review(manager, _url("upgrade", domain_id, "SSTG2"), {"sub_option_id": "SSTG203"})
    assert "sub_option_id" in same.context["form"].errors
    archive = _review(manager, _url("upgrade", domain_id, "ACV2"), {"sub_option_id": "ACV201"})
    assert not _accepted(archive)
    assert _sent(own_sandbox, "upgradeOptionProduct") == 0

    submit_change(manager, _url("upgrade", domain_id, "SSTG2"), {"sub_option_id": "SSTG204"})
    submit_change(manager, _url("upgrade", domain_id, "DRV"), {"sub_option_id": "DRV_PS_T"})
    remote = {
        o["optionProductId"]: o["subOptionId"]
        for o in api.get(f"/partners/customers/{domain_id}/option-products").json()["optionProducts"]
    }
    assert (remote["SSTG2"], remote["DRV"]) == ("SSTG204", "DRV_PS_T")
    assert _sent(own_sandbox, "upgradeOptionProduct") == 2
    page = manager.get(reverse("customers:detail", args=[domain_id])).content.decode()
    assert "Shared Storage 25 TB" in page and "Drive Plus Trial (for Standard)" in page


# --- Scheduled orders: each type's window at today / tomorrow / last day / the day after ------------------


def _order_data(order_type: str, day: dt.date) -> dict:
    sub_option = {"APPLY": "ACV201", "CANCEL": "SSTG201", "START_PAID_SERVICE": "DRV00"}.get(
        order_type, "SSTG201"
    )
    data = {"type": order_type, "sub_option_id": sub_option, "apply_date": day.isoformat()}
    if order_type == "CHANGE_QUANTITY":
        data["quantity"] = "4"
    return data


@pytest.mark.parametrize("order_type", ["APPLY", "CANCEL", "START_PAID_SERVICE", "CHANGE_QUANTITY"])
def test_each_order_type_takes_only_its_window(today, manager, api, own_sandbox, order_type):
    domain_id, sub = paid_customer(api, "STD")
    add_option(api, domain_id, "SSTG2", "SSTG201")
    trial_drive = add_option(api, domain_id, "DRV", "DRV00").json()
    _cached(domain_id)
    sub_end = dt.date.fromisoformat(sub["planEndDate"])
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    # The window's first and last day, from the contract (not from options/rules.py).
    first_day, last_day = {
        "APPLY": (today + DAY, sub_end + DAY),
        "CANCEL": (today + DAY, sub_end + DAY),  # the option ends with the subscription
        "START_PAID_SERVICE": (today + DAY, dt.date.fromisoformat(trial_drive["planEndDate"]) + DAY),
        "CHANGE_QUANTITY": (first, first),
    }[order_type]
    url = _url("order_add", domain_id)
    query = f"?type={order_type}&sub_option_id={_order_data(order_type, today)['sub_option_id']}"
    picker = manager.get(url + query).context["form"].fields["apply_date"].widget.attrs
    assert (picker["min"], picker["max"]) == (first_day.isoformat(), last_day.isoformat())

    own_sandbox.clear_requests()
    for day, ok in (
        (today, False),
        (first_day - DAY, False),
        (first_day, True),
        (last_day, True),
        (last_day + DAY, False),
    ):
        answer = _review(manager, url, _order_data(order_type, day))
        assert _accepted(answer) is ok, (day, answer.context["form"].errors)
        if not ok:
            assert "apply_date" in answer.context["form"].errors
    assert _sent(own_sandbox, "createOptionProductOrder") == 0

    # The last day of the window is accepted by the sandbox too; the order shows on the customer page.
    submit_change(manager, url, _order_data(order_type, last_day))
    remote = {o["optionProductId"]: o for o in api.get(orders_path(domain_id)).json()["optionProductOrders"]}
    option_id = {"APPLY": "ACV2", "START_PAID_SERVICE": "DRV"}.get(order_type, "SSTG2")
    assert (remote[option_id]["type"], remote[option_id]["applyDate"]) == (order_type, last_day.isoformat())
    assert (
        last_day.strftime("%Y-%m-%d")
        in manager.get(reverse("customers:detail", args=[domain_id])).content.decode()
    )


def test_moving_an_order_keeps_its_window(today, manager, api, own_sandbox):
    domain_id, sub = paid_customer(api, "STD")
    add_option(api, domain_id, "SSTG2", "SSTG201")
    _cached(domain_id)
    submit_change(manager, _url("order_add", domain_id), _order_data("CANCEL", today + 10 * DAY))
    url = _url("order", domain_id, "SSTG2")
    refused = _review(manager, url, {"apply_date": today.isoformat()})
    assert "apply_date" in refused.context["form"].errors
    submit_change(manager, url, {"apply_date": (today + DAY).isoformat()})
    assert api.get(orders_path(domain_id, "/SSTG2")).json()["applyDate"] == (today + DAY).isoformat()


# --- Re-adding an annual option after a cancel -------------------------------------------------------------


def test_a_cancelled_annual_option_comes_back_only_from_the_first_of_next_month(
    today, manager, api, own_sandbox
):
    domain_id, sub = paid_customer(api, "STD")
    add_option(api, domain_id, "BCT", "BCT01")
    _cached(domain_id)
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    review, _done = submit_change(manager, _url("cancel", domain_id, "BCT"), {})
    assert f"can be added again only from {first.isoformat()}" in review.content.decode()

    own_sandbox.clear_requests()
    again = _review(manager, _url("add", domain_id), {"sub_option_id": "BCT01"})
    assert (
        f"can be added again only from {first.isoformat()}"
        in again.context["form"].errors["sub_option_id"][0]
    )
    if first - DAY > today:  # the day before the 1st is inside the APPLY window unless it is today
        early = _review(
            manager,
            _url("order_add", domain_id),
            {"type": "APPLY", "sub_option_id": "BCT01", "apply_date": (first - DAY).isoformat()},
        )
        assert first.isoformat() in early.context["form"].errors["apply_date"][0]
    assert _sent(own_sandbox, "createOptionProduct") == _sent(own_sandbox, "createOptionProductOrder") == 0

    # Scheduling it back on the 1st of next month is accepted by both.
    submit_change(
        manager,
        _url("order_add", domain_id),
        {"type": "APPLY", "sub_option_id": "BCT01", "apply_date": first.isoformat()},
    )
    assert api.get(orders_path(domain_id, "/BCT")).json()["applyDate"] == first.isoformat()


# --- The API's refusal, shown on the field -------------------------------------------------------------------


def test_a_refusal_by_the_api_is_shown_on_the_field_in_both_languages(today, manager, api, own_sandbox):
    domain_id, _sub = paid_customer(api, "STD")
    _cached(domain_id)
    # Someone adds Drive elsewhere: the portal's cache does not know yet, so its form lets Drive through.
    add_option(api, domain_id, "DRV", "DRV01")
    assert "DRV_PS" in _offered(manager, domain_id)
    _review_page, answer = submit_change(manager, _url("add", domain_id), {"sub_option_id": "DRV_PS"})
    assert answer.status_code == 200
    error = answer.context["form"].errors["sub_option_id"][0]
    assert "LINE WORKS refused the change" in error and "DRV is already in use" in error
    ja_key = new_key()
    ja_review = manager.post(
        _url("add", domain_id),
        {"idempotency_key": ja_key, "sub_option_id": "DRV_PS"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert _accepted(ja_review)
    ja = manager.post(
        _url("add", domain_id),
        {"idempotency_key": ja_key, "sub_option_id": "DRV_PS", "confirmed": "1"},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert "LINE WORKS が変更を受け付けませんでした" in ja.context["form"].errors["sub_option_id"][0]
    # Nothing changed remotely: the Drive added elsewhere stays as it was.
    remote = api.get(f"/partners/customers/{domain_id}/option-products").json()["optionProducts"]
    assert [(o["optionProductId"], o["subOptionId"]) for o in remote] == [("DRV", "DRV01")]
