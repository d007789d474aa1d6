"""The contract's rules in the change forms, on a frozen clock: each boundary refused or accepted before any
call to the Partner API (these tests run no sandbox: a form that let a bad value through would try to send)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from subscriptions import forms_changes as f
from subscriptions.models import PreOrder
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen"),
]  # frozen: tests/subscriptions/conftest.py

D = dt.date
TODAY = D(2026, 11, 21)


def _days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


def _key() -> str:
    return f.new_key()


# --- Pre-orders: tomorrow to +31, plan and licences ----------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "ok"), [(0, False), (1, True), (31, True), (32, False), (-1, False)], ids=str
)
def test_pre_order_date_window_is_tomorrow_to_31_days_in_tokyo(offset, ok):
    form = f.PreOrderForm(
        {"idempotency_key": _key(), "apply_date": _days(offset), "product_id": "STD", "plan": "MONTHLY"},
        customer=make_customer(),
        today=TODAY,
    )
    assert form.is_valid() is ok, form.errors
    if not ok:
        assert "2026-11-22" in form.errors["apply_date"][0] and "2026-12-22" in form.errors["apply_date"][0]


def test_pre_order_date_picker_offers_only_the_window():
    form = f.PreOrderForm(customer=make_customer(), today=TODAY)
    html = str(form["apply_date"])
    assert 'min="2026-11-22"' in html and 'max="2026-12-22"' in html


@pytest.mark.parametrize(
    ("plan", "licences", "error"),
    [
        ("ANNUAL_LICENSE", "", "Enter the number of licences"),
        ("ANNUAL_PREPAY_LICENSE", "", "Enter the number of licences"),
        ("ANNUAL_LICENSE", "1000001", "less than or equal to 1000000"),
        ("ANNUAL_LICENSE", "0", "greater than or equal to 1"),
        ("MONTHLY", "10", "Leave the licences empty"),
    ],
)
def test_pre_order_licence_rules(plan, licences, error):
    form = f.PreOrderForm(
        {
            "idempotency_key": _key(),
            "apply_date": _days(5),
            "product_id": "ADV",
            "plan": plan,
            "license_count": licences,
        },
        customer=make_customer(),
        today=TODAY,
    )
    assert not form.is_valid()
    assert error in " ".join(form.errors["license_count"])


def test_pre_order_accepts_free_and_trial_products_nowhere():
    form = f.PreOrderForm(
        {"idempotency_key": _key(), "apply_date": _days(5), "product_id": "STD_T", "plan": "TRIAL"},
        customer=make_customer(),
        today=TODAY,
    )
    assert not form.is_valid()
    assert set(form.errors) == {"product_id", "plan"}


def test_pre_order_date_change_keeps_the_window_and_refuses_the_same_date():
    pre = make_pre_order(apply_date=D(2026, 12, 1))
    for offset, ok in ((0, False), (1, True), (31, True), (32, False)):
        form = f.PreOrderDateForm(
            {"idempotency_key": _key(), "apply_date": _days(offset)}, pre_order=pre, today=TODAY
        )
        assert form.is_valid() is ok, (offset, form.errors)
    same = f.PreOrderDateForm(
        {"idempotency_key": _key(), "apply_date": "2026-12-01"}, pre_order=pre, today=TODAY
    )
    assert not same.is_valid() and "already" in same.errors["apply_date"][0]


# --- Reservations: one window per kind ------------------------------------------------------------------


def _reservation(sub, **data):
    return f.ReservationForm(
        {"idempotency_key": _key(), **data}, subscription=sub, customer=sub.customer, today=TODAY
    )


def test_reservation_kinds_depend_on_the_plan():
    annual = make_subscription(plan="ANNUAL_LICENSE")
    monthly = make_subscription(plan="MONTHLY", license_count=None)
    trial = make_subscription(product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    choices = lambda s: [c for c, _ in _reservation(s).fields["type"].choices]  # noqa: E731
    assert choices(annual) == ["ADD_LICENSE", "CANCEL"]
    assert choices(monthly) == ["CANCEL"]
    assert choices(trial) == ["START_PAID_SERVICE"]


def test_add_licence_window_ends_on_the_last_day_of_the_term():
    sub = make_subscription(plan_end_date=D(2027, 3, 31))
    ok = _reservation(sub, type="ADD_LICENSE", apply_date="2027-03-31", license_count="5")
    late = _reservation(sub, type="ADD_LICENSE", apply_date="2027-04-01", license_count="5")
    today = _reservation(sub, type="ADD_LICENSE", apply_date=_days(0), license_count="5")
    assert ok.is_valid(), ok.errors
    assert not late.is_valid() and "2027-03-31" in late.errors["apply_date"][0]
    assert not today.is_valid() and "apply_date" in today.errors


def test_cancel_window_ends_the_day_after_the_term():
    sub = make_subscription(plan_end_date=D(2027, 3, 31))
    assert _reservation(sub, type="CANCEL", apply_date="2027-04-01").is_valid()
    late = _reservation(sub, type="CANCEL", apply_date="2027-04-02")
    assert not late.is_valid() and "2027-04-01" in late.errors["apply_date"][0]


def test_add_licences_needs_a_count_and_stays_under_the_maximum():
    sub = make_subscription(license_count=999_990)
    missing = _reservation(sub, type="ADD_LICENSE", apply_date=_days(3))
    over = _reservation(sub, type="ADD_LICENSE", apply_date=_days(3), license_count="11")
    assert "Enter how many licences" in missing.errors["license_count"][0]
    assert "At most 10 more licences" in over.errors["license_count"][0]
    assert _reservation(sub, type="ADD_LICENSE", apply_date=_days(3), license_count="10").is_valid()


def test_adding_licences_now_stays_under_the_maximum_too():
    sub = make_subscription(license_count=999_990)
    form = lambda n: f.AddLicencesForm({"idempotency_key": _key(), "license_count": n}, subscription=sub)  # noqa: E731
    assert "At most 10 more licences" in form("11").errors["license_count"][0]
    assert form("10").is_valid()
    assert 'max="10"' in str(f.AddLicencesForm(subscription=sub)["license_count"])


def test_free_paid_start_window_is_60_days_and_needs_a_product():
    sub = make_subscription(
        product_id="FR", plan="FREE", license_count=None, renewal_type="", plan_end_date=None
    )
    ok = _reservation(sub, type="START_PAID_SERVICE", apply_date=_days(60), plan="MONTHLY", product_id="STD")
    late = _reservation(
        sub, type="START_PAID_SERVICE", apply_date=_days(61), plan="MONTHLY", product_id="STD"
    )
    no_product = _reservation(sub, type="START_PAID_SERVICE", apply_date=_days(3), plan="MONTHLY")
    assert ok.is_valid(), ok.errors
    assert "apply_date" in late.errors
    assert "product_id" in no_product.errors


def test_advanced_paid_start_needs_a_domain():
    group = make_customer(domain_type="GROUP")
    sub = make_subscription(
        group, product_id="FR", plan="FREE", license_count=None, renewal_type="", plan_end_date=None
    )
    form = _reservation(sub, type="START_PAID_SERVICE", apply_date=_days(3), plan="MONTHLY", product_id="ADV")
    assert not form.is_valid() and "only with a domain" in form.errors["product_id"][0]


# --- Renewal ----------------------------------------------------------------------------------------------


def _renewal(sub, **data):
    return f.RenewalForm({"idempotency_key": _key(), **data}, subscription=sub, customer=sub.customer)


def test_renewal_change_needs_something_to_change_and_licences_follow_the_plan():
    sub = make_subscription(plan="ANNUAL_LICENSE", license_count=20)
    assert "Choose what changes" in _renewal(sub, type="CHANGE").errors["type"][0]
    assert "license_count" in _renewal(sub, type="CHANGE", plan="MONTHLY", license_count="5").errors
    over = _renewal(sub, type="CHANGE", license_count="1000001")
    assert "less than or equal to 1000000" in over.errors["license_count"][0]
    fewer = _renewal(sub, type="CHANGE", license_count="10")
    assert fewer.is_valid(), fewer.errors
    assert fewer.preview()[-1] == ("Licences", "20", "10")


def test_a_renewal_to_fewer_licences_than_members_is_allowed_and_says_so(client_as):
    """Issue 53, item 15: 株式会社青葉製薬 has 99 members; renewing with 30 licences is not refused (the contract
    refuses fewer licences than members only when converting to paid) but the confirmation says it, with the
    members today and the licences after; as many licences as members say nothing."""
    aoba = make_customer(company_name="株式会社青葉製薬", member_count=99)
    sub = make_subscription(aoba, plan="ANNUAL_LICENSE", license_count=100)
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("subscriptions:renewal", args=[sub.subscription_id])
    review = client.post(url, {"idempotency_key": _key(), "type": "CHANGE", "license_count": "30"})
    body = review.content.decode()
    assert 'data-testid="confirm"' in body  # allowed: a warning, not a refusal
    assert "the customer has 99 members today and will have 30 licences after the renewal" in body
    enough = client.post(url, {"idempotency_key": _key(), "type": "CHANGE", "license_count": "99"})
    assert "Fewer licences than members" not in enough.content.decode()
    assert not Operation.objects.exists()


def test_renewal_of_a_trial_is_refused():
    trial = make_subscription(product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    form = _renewal(trial, type="STAY")
    assert not form.is_valid() and "Only paid subscriptions" in form.non_field_errors()[0]


# --- Immediate changes ------------------------------------------------------------------------------------


def test_add_subscription_refuses_a_plan_that_does_not_go_with_the_product():
    form = f.SubscriptionAddForm(
        {"idempotency_key": _key(), "product_id": "FR", "plan": "MONTHLY"}, customer=make_customer()
    )
    assert not form.is_valid() and "goes with" in form.errors["plan"][0]


def test_convert_to_paid_needs_licences_for_every_member():
    customer = make_customer(member_count=40)
    trial = make_subscription(customer, product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    few = f.ConvertForm(
        {"idempotency_key": _key(), "plan": "ANNUAL_LICENSE", "license_count": "39"},
        subscription=trial,
        customer=customer,
    )
    assert not few.is_valid() and "At least 40 licences" in few.errors["license_count"][0]
    assert "product_id" not in few.fields  # a Trial keeps its product level; the API refuses a productId
    enough = f.ConvertForm(
        {"idempotency_key": _key(), "plan": "ANNUAL_LICENSE", "license_count": "40"},
        subscription=trial,
        customer=customer,
    )
    assert enough.is_valid(), enough.errors
    assert enough.consequences() == [
        "Billing starts today."
    ]  # the deleted scheduled change is the Change's to say


def test_cancel_is_refused_while_a_paid_start_is_scheduled():
    trial = make_subscription(product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    make_reservation(trial, type="START_PAID_SERVICE", plan="MONTHLY", license_count=None)
    trial.refresh_from_db()
    form = f.CancelForm({"idempotency_key": _key()}, subscription=trial)
    assert not form.is_valid() and "cannot be cancelled" in form.non_field_errors()[0]


def test_upgrade_only_from_standard_and_with_a_domain():
    adv = make_subscription(product_id="ADV")
    group_std = make_subscription(make_customer(domain_type="GROUP"), product_id="STD")
    assert not f.UpgradeForm({"idempotency_key": _key()}, subscription=adv, customer=adv.customer).is_valid()
    form = f.UpgradeForm({"idempotency_key": _key()}, subscription=group_std, customer=group_std.customer)
    assert not form.is_valid() and "only with a domain" in form.non_field_errors()[0]


def test_upgrade_is_not_offered_to_a_group_name_customer_and_its_form_says_why_before_anything_is_typed(
    client_as,
):
    """Advanced needs a domain (contract: upgradeSubscription): a Standard subscription of a customer on a group
    name offers no upgrade on its page, which says why instead; the form, if reached by its address, says why at
    once and offers nothing to submit. A customer with a domain is offered it."""
    client = client_as(Role.ACCOUNT_MANAGER)
    group_std = make_subscription(make_customer(domain_type="GROUP"), product_id="STD")
    upgrade = reverse("subscriptions:upgrade", args=[group_std.pk])
    page = client.get(reverse("subscriptions:detail", args=[group_std.pk])).content.decode()
    assert upgrade not in page and "Upgrade now" not in page
    assert "Advanced is available only with a domain" in page
    form = client.get(upgrade).content.decode()
    assert "Advanced is available only with a domain" in form
    assert 'data-testid="review"' not in form and 'name="reason"' not in form

    domain_std = make_subscription(make_customer(), product_id="STD")
    page = client.get(reverse("subscriptions:detail", args=[domain_std.pk])).content.decode()
    assert reverse("subscriptions:upgrade", args=[domain_std.pk]) in page
    form = client.get(reverse("subscriptions:upgrade", args=[domain_std.pk])).content.decode()
    assert 'data-testid="review"' in form and "only with a domain" not in form


# --- Through the page: a refused form never reaches the API ------------------------------------------------


def test_page_shows_the_rule_and_sends_nothing(client_as):
    customer = make_customer()
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("subscriptions:pre_order_add", args=[customer.domain_id])
    page = client.get(url)
    assert page.status_code == 200 and 'min="2026-11-22"' in page.content.decode()
    answer = client.post(
        url,
        {
            "idempotency_key": _key(),
            "apply_date": _days(32),
            "product_id": "STD",
            "plan": "ANNUAL_LICENSE",
            "confirmed": "1",
        },
    )
    body = answer.content.decode()
    assert answer.status_code == 200
    assert "Choose a date from 2026-11-22 to 2026-12-22" in body
    assert "Enter the number of licences" in body
    assert (
        not PreOrder.objects.exists() and not Operation.objects.exists() and not AuditEntry.objects.exists()
    )


def test_valid_form_asks_for_confirmation_with_before_and_after(client_as):
    customer = make_customer()
    make_subscription(customer, product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("subscriptions:pre_order_add", args=[customer.domain_id])
    answer = client.post(
        url,
        {
            "idempotency_key": _key(),
            "apply_date": _days(10),
            "product_id": "ADV",
            "plan": "ANNUAL_LICENSE",
            "license_count": "30",
        },
    )
    body = answer.content.decode()
    assert 'data-testid="preview"' in body and 'data-testid="confirm"' in body
    assert "Standard (trial) Trial" in body and "Advanced Annual (licence) 30 licences" in body
    assert "2026-12-01" in body
    assert not Operation.objects.exists()
