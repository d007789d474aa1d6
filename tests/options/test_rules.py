"""The contract's option rules at their boundaries (options/rules.py), and the forms that check them before
anything is sent (no API: a refused form never reaches it)."""

from __future__ import annotations

import datetime as dt

import pytest

from options import forms_changes as f
from options import rules
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_reservation, make_subscription

TODAY = dt.date(2026, 11, 20)
DAY = dt.timedelta(days=1)


def _ids(subs) -> set[str]:
    return {s.sub_option_id for s in subs}


@pytest.mark.parametrize(
    ("product", "allowed", "refused"),
    [
        ("STD_T", {"ACV200", "DRV00", "DRV_PS_T"}, {"ACV201", "DRV01", "SSTG201", "BCT01", "DRV_PA_T"}),
        ("ADV_T", {"ACV200", "DRV_PA_T"}, {"DRV00", "DRV_PA", "SSTG201", "BCT04"}),
        ("STD", {"ACV201", "DRV01", "DRV_PS", "DRV00", "SSTG207", "BCT01"}, {"DRV_PA", "DRV_PA_T"}),
        ("ADV", {"ACV201", "DRV_PA", "DRV_PA_T", "SSTG201", "BCT04"}, {"DRV01", "DRV_PS", "DRV00"}),
        ("FR", set(), {"ACV200", "ACV201", "SSTG201"}),
    ],
)
def test_eligibility_per_product(product, allowed, refused):
    offered = _ids(rules.addable_sub_options(product_id=product, in_use=set()))
    assert allowed <= offered and not (refused & offered)
    for sub_option in allowed:
        assert rules.may_add(product_id=product, sub_option_id=sub_option)
    for sub_option in refused:
        assert not rules.may_add(product_id=product, sub_option_id=sub_option)


def test_options_in_use_are_not_offered_again():
    assert not any(
        s.option_product_id == "SSTG2" for s in rules.addable_sub_options(product_id="STD", in_use={"SSTG2"})
    )


def test_upgrade_goes_only_to_a_higher_tier_of_the_same_family():
    assert _ids(rules.upgrade_targets(sub_option_id="SSTG206")) == {"SSTG207"}
    assert rules.upgrade_targets(sub_option_id="SSTG207") == []
    assert _ids(rules.upgrade_targets(sub_option_id="BCT02")) == {"BCT03", "BCT04"}
    assert _ids(rules.upgrade_targets(sub_option_id="DRV01")) == {"DRV_PS"}  # Drive for STD stays for STD
    assert rules.upgrade_targets(sub_option_id="DRV_PA") == []
    assert rules.upgrade_targets(sub_option_id="ACV201") == []  # no higher tier
    # A Trial stays a Trial (it becomes paid by a scheduled START_PAID_SERVICE), as the sandbox checks.
    assert _ids(rules.upgrade_targets(sub_option_id="DRV00")) == {"DRV_PS_T"}
    assert rules.upgrade_targets(sub_option_id="DRV_PS_T") == []
    assert rules.upgrade_targets(sub_option_id="DRV_PA_T") == []


def test_renewal_allows_a_downgrade_for_storage_and_contacts_only():
    assert "SSTG201" in _ids(rules.renewal_targets(sub_option_id="SSTG203"))
    assert "DRV01" not in _ids(rules.renewal_targets(sub_option_id="DRV_PS"))


def test_quantity_only_for_storage_and_contacts():
    assert [o for o in rules.OPTIONS if rules.has_quantity(o)] == ["SSTG2", "BCT"]


@pytest.mark.parametrize(
    ("sub_option", "quantity", "usage", "exceeds"),
    [
        ("SSTG203", 1, 10, False),
        ("SSTG203", 1, 11, True),
        ("SSTG203", 2, 20, False),
        ("BCT01", 1, 250_001, True),
    ],
)
def test_renewal_usage_above_the_chosen_tier(sub_option, quantity, usage, exceeds):
    assert rules.usage_exceeds(sub_option_id=sub_option, quantity=quantity, usage=usage) is exceeds


@pytest.mark.parametrize(
    ("today", "readd"),
    [(dt.date(2026, 11, 20), dt.date(2026, 12, 1)), (dt.date(2026, 12, 31), dt.date(2027, 1, 1))],
)
def test_an_annual_option_comes_back_only_from_the_first_of_next_month(today, readd):
    assert rules.readd_date_after_cancel(today=today, plan="ANNUAL_LICENSE") == readd
    assert rules.readd_date_after_cancel(today=today, plan="MONTHLY") is None


@pytest.mark.parametrize(
    ("day", "refused"),
    [(dt.date(2026, 11, 30), True), (dt.date(2026, 12, 1), False), (dt.date(2026, 12, 2), False)],
)
def test_a_re_add_before_the_first_of_next_month_is_refused_with_the_date(day, refused):
    refusal = rules.readd_refusal(readd_from=dt.date(2026, 12, 1), day=day)
    assert (refusal is not None) is refused
    if refused:
        assert "2026-12-01" in refusal
    assert rules.readd_refusal(readd_from=None, day=day) is None


def _window(order_type, **kw):
    args = {"today": TODAY, "subscription_plan": "ANNUAL_LICENSE", "subscription_end": dt.date(2027, 3, 31)}
    return rules.order_window(order_type=order_type, **{**args, **kw})


def test_apply_window_on_a_paid_subscription_is_tomorrow_to_the_day_after_its_end():
    window = _window("APPLY")
    assert TODAY not in window and TODAY + DAY in window
    assert dt.date(2027, 4, 1) in window and dt.date(2027, 4, 2) not in window


def test_cancel_window_ends_the_day_after_the_option_ends():
    window = _window("CANCEL", option_end=TODAY + dt.timedelta(days=10))
    assert TODAY not in window and TODAY + DAY in window
    assert TODAY + dt.timedelta(days=11) in window and TODAY + dt.timedelta(days=12) not in window


def test_change_quantity_only_on_the_first_of_next_month_and_not_in_the_last_month():
    window = _window("CHANGE_QUANTITY")
    assert list(
        filter(window.__contains__, [dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 2)])
    ) == [dt.date(2026, 12, 1)]
    assert _window("CHANGE_QUANTITY", subscription_end=dt.date(2026, 11, 30)).empty


def test_orders_on_a_trial_take_the_date_of_its_paid_conversion():
    conversion = TODAY + dt.timedelta(days=7)
    same = rules.same_date_of(
        order_type="APPLY",
        subscription_plan="TRIAL",
        reservation_type="START_PAID_SERVICE",
        reservation_date=conversion,
    )
    window = _window("APPLY", subscription_plan="TRIAL", same_date=same)
    assert conversion in window and conversion - DAY not in window and conversion + DAY not in window


# --- Forms refuse before sending ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_option_is_added_in_the_trial_grace_period():
    sub = make_subscription(
        make_customer(), product_id="STD_T", plan="TRIAL", status="SUSPENDED_TRIALEND", license_count=None
    )
    form = f.OptionAddForm(
        {"idempotency_key": f.new_key(), "sub_option_id": "ACV200"}, subscription=sub, in_use=set(), orders={}
    )
    assert not form.is_valid()
    assert "grace period" in form.non_field_errors()[0]


@pytest.mark.django_db
def test_a_trial_subscription_cannot_add_a_paid_sub_option_nor_a_quantity():
    sub = make_subscription(make_customer(), product_id="STD_T", plan="TRIAL", license_count=None)
    form = f.OptionAddForm(
        {"idempotency_key": f.new_key(), "sub_option_id": "ACV201"}, subscription=sub, in_use=set(), orders={}
    )
    assert not form.is_valid() and "sub_option_id" in form.errors
    paid = make_subscription(make_customer(), product_id="STD")
    form = f.OptionAddForm(
        {"idempotency_key": f.new_key(), "sub_option_id": "ACV201", "quantity": "2"},
        subscription=paid,
        in_use=set(),
        orders={},
    )
    assert not form.is_valid() and "quantity" in form.errors


@pytest.mark.django_db
def test_add_quantity_only_for_options_with_a_quantity():
    option = make_option(option_product_id="ACV2", sub_option_id="ACV201", quantity=None)
    form = f.OptionAddQuantityForm({"idempotency_key": f.new_key(), "quantity": "1"}, option=option)
    assert not form.is_valid()


@pytest.mark.django_db
@pytest.mark.parametrize(("offset", "ok"), [(0, False), (1, True), (132, True), (133, False)])
def test_order_form_apply_window_at_today_tomorrow_end_and_after(offset, ok):
    customer = make_customer()
    sub = make_subscription(customer, plan_end_date=TODAY + dt.timedelta(days=131))
    form = f.OptionOrderForm(
        {
            "idempotency_key": f.new_key(),
            "type": "APPLY",
            "sub_option_id": "ACV201",
            "apply_date": (TODAY + dt.timedelta(days=offset)).isoformat(),
        },
        subscription=sub,
        reservation=None,
        options={},
        orders={},
        today=TODAY,
    )
    assert form.is_valid() is ok, form.errors
    assert form.fields["apply_date"].widget.attrs["max"] == (TODAY + dt.timedelta(days=132)).isoformat()


@pytest.mark.django_db
def test_the_order_form_offers_what_the_customer_can_schedule_and_each_windows_before_it_is_sent():
    """Opened from "Schedule an option change" (no kind chosen yet): the kinds, sub options and dates it
    offers are the customer's real ones, not the first kind's window and every sub option there is."""
    customer = make_customer()
    sub = make_subscription(customer, product_id="STD", plan_end_date=dt.date(2027, 10, 30))
    storage = make_option(customer, sub_option_id="SSTG203", quantity=1, plan_end_date=dt.date(2027, 3, 31))
    form = f.OptionOrderForm(
        subscription=sub, reservation=None, options={"SSTG2": storage}, orders={}, today=TODAY
    )
    kinds = [value for value, _label in form.fields["type"].choices]
    assert kinds == ["APPLY", "CANCEL", "CHANGE_QUANTITY"]  # no Trial option: no paid start to schedule
    offered = {value for value, _label in form.fields["sub_option_id"].choices}
    assert "SSTG203" in offered and "ACV201" in offered and "DRV_PS" in offered
    assert not offered & {"DRV_PA", "DRV_PA_T", "SSTG201", "SSTG207"}  # for Advanced; Storage is in use
    picker, help_text = form.fields["apply_date"].widget.attrs, str(form.fields["apply_date"].help_text)
    assert (picker["min"], picker["max"]) == ("2026-11-21", "2027-10-31")  # the widest window of the kinds
    assert help_text == (
        "Add the option: 2026-11-21 – 2027-10-31; Cancel the option: 2026-11-21 – 2027-04-01; "
        "Change the quantity: 2026-12-01 only"
    )
    # A kind chosen (as the option row's links do): that kind's window alone.
    chosen = f.OptionOrderForm(
        subscription=sub,
        reservation=None,
        options={"SSTG2": storage},
        orders={},
        today=TODAY,
        initial={"type": "CHANGE_QUANTITY", "sub_option_id": "SSTG203"},
    )
    picker = chosen.fields["apply_date"].widget.attrs
    assert (picker["min"], picker["max"]) == ("2026-12-01", "2026-12-01")
    assert str(chosen.fields["apply_date"].help_text) == "Change the quantity: 2026-12-01 only"
    # An option that already has a scheduled change is not offered again.
    ordered = f.OptionOrderForm(
        subscription=sub,
        reservation=None,
        options={"SSTG2": storage},
        orders={"SSTG2": object()},
        today=TODAY,
    )
    assert [value for value, _label in ordered.fields["type"].choices] == ["APPLY"]
    assert "SSTG203" not in {value for value, _label in ordered.fields["sub_option_id"].choices}


@pytest.mark.django_db
def test_order_form_apply_takes_the_date_of_the_subscriptions_scheduled_change():
    customer = make_customer()
    sub = make_subscription(customer)
    reservation = make_reservation(sub, apply_date=TODAY + dt.timedelta(days=5))
    data = {"idempotency_key": f.new_key(), "type": "APPLY", "sub_option_id": "ACV201"}
    kwargs = {"subscription": sub, "reservation": reservation, "options": {}, "orders": {}, "today": TODAY}
    for offset, ok in ((4, False), (5, True), (6, False)):
        form = f.OptionOrderForm(
            {**data, "apply_date": (TODAY + dt.timedelta(days=offset)).isoformat()}, **kwargs
        )
        assert form.is_valid() is ok, (offset, form.errors)


@pytest.mark.django_db
def test_change_quantity_needs_a_larger_total():
    customer = make_customer()
    sub = make_subscription(customer)
    option = make_option(customer, quantity=3)
    form = f.OptionOrderForm(
        {
            "idempotency_key": f.new_key(),
            "type": "CHANGE_QUANTITY",
            "sub_option_id": "SSTG203",
            "quantity": "3",
            "apply_date": "2026-12-01",
        },
        subscription=sub,
        reservation=None,
        options={"SSTG2": option},
        orders={},
        today=TODAY,
    )
    assert not form.is_valid() and "quantity" in form.errors and "apply_date" not in form.errors


@pytest.mark.django_db
def test_renewal_form_warns_when_the_cached_usage_is_above_the_chosen_tier():
    option = make_option(sub_option_id="SSTG203", quantity=1)
    data = {"idempotency_key": f.new_key(), "type": "CHANGE", "sub_option_id": "SSTG201", "quantity": "1"}
    form = f.OptionRenewalForm(data, option=option, usage=4)
    assert form.is_valid() and "above what this choice holds" in form.consequences()[0]
    form = f.OptionRenewalForm(data, option=option, usage=1)
    assert form.is_valid() and form.consequences() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("plan", "product", "paid_start", "offered"),
    [
        ("FREE", "STD", None, set()),  # every option on a Free subscription waits for its paid start
        ("FREE", "STD", "ADV", {"ACV201", "DRV_PA", "DRV_PA_T", "SSTG201", "BCT01"}),
        ("TRIAL", "STD_T", None, {"ACV200", "DRV00", "DRV_PS_T"}),  # Trial sub options only
        ("TRIAL", "STD_T", "", {"ACV201", "DRV01", "DRV_PS", "DRV00", "SSTG201"}),  # its paid start: Standard
    ],
)
def test_the_order_form_offers_to_add_only_what_the_contract_lets_the_subscription_take(
    plan, product, paid_start, offered
):
    customer = make_customer()
    sub = make_subscription(customer, plan=plan, product_id=product, license_count=None, renewal_type="")
    reservation = None
    if paid_start is not None:
        reservation = make_reservation(
            sub, type="START_PAID_SERVICE", product_id=paid_start, plan="MONTHLY", license_count=None
        )
    form = f.OptionOrderForm(subscription=sub, reservation=reservation, options={}, orders={}, today=TODAY)
    choices = {value for value, _label in form.fields["sub_option_id"].choices}
    assert offered <= choices and (choices or not offered)
    if not offered:
        assert choices == set() and form.fields["type"].choices == []
        assert "No option change can be scheduled" in str(form.fields["type"].help_text)
    if plan == "TRIAL" and paid_start is None:
        assert all(rules.SUB_OPTIONS[c].trial for c in choices)


@pytest.mark.django_db
def test_a_customer_with_nothing_to_schedule_is_told_so_not_given_an_empty_form(client_as):
    from django.urls import reverse

    from portal.core.access import Role

    customer = make_customer()
    make_subscription(customer, plan="FREE", product_id="STD", license_count=None, renewal_type="")
    answer = client_as(Role.ACCOUNT_MANAGER).get(
        reverse("options:order_add", args=[customer.domain_id]), follow=True
    )
    assert answer.redirect_chain[0][0].endswith("#section-options")
    assert "No option change can be scheduled for this customer now." in answer.content.decode()
