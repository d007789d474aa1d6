"""One wording per side effect: a confirmation page states each thing a change also does once, whoever knows it:
the form what its values imply (`consequences()`), the declared change what the contract says it does
(`Change.side_effects`), the options app what it does to the customer's options, by name (`Effect`). Converting,
upgrading, adding licences and cancelling stated several twice (the deleted scheduled change, the options that stay
Trial, the cleared upgrade at renewal, when licences are billed, the options cancelled)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from portal.core.access import Role
from subscriptions import forms_changes as f
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_reservation, make_subscription

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen"),
]  # frozen: tests/subscriptions/conftest.py

STATED = re.compile(r'data-testid="consequences">.*?<ul>(.*?)</ul>', re.DOTALL)


def stated(page: str) -> list[str]:
    """The "What else happens" list of a confirmation page, as read."""
    found = STATED.search(page)
    assert found, "a confirmation page"
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    ]


def _confirm(client, name: str, subscription, data: dict, language: str) -> list[str]:
    client.cookies["django_language"] = language
    response = client.post(
        reverse(f"subscriptions:{name}", args=[subscription.pk]), {"idempotency_key": f.new_key(), **data}
    )
    assert response.status_code == 200
    return stated(response.content.decode())


@pytest.fixture
def manager(client_as):
    return client_as(Role.ACCOUNT_MANAGER)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Billing starts today.",
                "A change scheduled for this subscription is deleted.",
                "Trial options stay Trial until each is converted on its own: Archive (Talk) Trial.",
            ],
        ),
        (
            "ja",
            [
                "本日から課金が始まります。",
                "この契約に予約されている変更は削除されます。",
                "トライアルのまま残り、個別に有償化するまで変わらないオプション：アーカイブ（トーク）トライアル。",
            ],
        ),
    ],
)
def test_converting_a_trial_states_each_effect_once(manager, language, expected):
    customer = make_customer(product_id="STD_T", plan="TRIAL", member_count=5)
    trial = make_subscription(customer, product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    make_option(
        customer, option_product_id="ACV2", sub_option_id="ACV200", trial=True, plan="TRIAL", quantity=None
    )
    assert _confirm(manager, "convert", trial, {"plan": "MONTHLY"}, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            [
                "Advanced applies from today, with its price.",
                "The upgrade set for the renewal is removed: it is done now.",
                "Options cancelled by the upgrade: Drive (for Standard).",
            ],
        ),
        (
            "ja",
            [
                "本日からアドバンストとその料金が適用されます。",
                "更新時に設定済みのアップグレードは、今すぐ実行されるため削除されます。",
                "アップグレードで解約されるオプション：ドライブ（スタンダード用）。",
            ],
        ),
    ],
)
def test_upgrading_states_each_effect_once(manager, language, expected):
    customer = make_customer(product_id="STD", plan="MONTHLY")
    standard = make_subscription(
        customer,
        product_id="STD",
        plan="MONTHLY",
        license_count=None,
        renewal_type="CHANGE",
        renewal_product_id="ADV",
    )
    make_option(customer, option_product_id="DRV", sub_option_id="DRV01", plan="MONTHLY", quantity=None)
    assert _confirm(manager, "upgrade", standard, {}, language) == expected


def test_upgrading_without_an_upgrade_at_renewal_says_nothing_of_one(manager):
    standard = make_subscription(product_id="STD", plan="MONTHLY", license_count=None, renewal_type="STAY")
    assert _confirm(manager, "upgrade", standard, {}, "en") == [
        "Advanced applies from today, with its price."
    ]


def test_adding_licences_states_each_effect_once(manager):
    annual = make_subscription(product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    make_reservation(annual, type="ADD_LICENSE", apply_date=dt.date(2026, 12, 1), license_count=5)
    assert _confirm(manager, "add_licences", annual, {"license_count": "3"}, "en") == [
        "The customer's maximum users do not change; raise it on the customer's usage page if needed.",
        "The licences are added from today and billed for the rest of the term.",
        "The scheduled licence increase of 2026-12-01 is deleted (LINE WORKS deletes it with this change).",
    ]


def test_cancelling_names_the_options_cancelled_with_it_once(manager):
    customer = make_customer()
    annual = make_subscription(customer, product_id="STD", plan="MONTHLY", license_count=None)
    make_option(customer, option_product_id="SSTG2", sub_option_id="SSTG202", quantity=2, plan="MONTHLY")
    said = _confirm(manager, "cancel", annual, {}, "en")
    assert said[0] == "The subscription ends today."
    assert [s for s in said if "options" in s.lower()] == [
        "Options cancelled with it: Shared Storage 5 TB × 2."
    ]
