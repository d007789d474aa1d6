"""In headless Chromium: the Owner filter of the Scheduled changes page, in English and in Japanese. An Account
manager's page opens on their own customers; choosing "Everyone" swaps the agenda and is remembered."""

import datetime as dt
import re

import pytest

from customers import services
from portal.core import clock
from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_pre_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_account_manager_opens_the_scheduled_changes_on_their_customers(page):
    admin = make_persona(Role.ADMIN, username="owner-admin")
    aiko = make_persona(Role.ACCOUNT_MANAGER, username="aiko")
    ben = make_persona(Role.ACCOUNT_MANAGER, username="ben")
    day = clock.today() + dt.timedelta(days=5)
    for name, owner in (("緑電機株式会社", aiko), ("Blue Ocean", ben), ("Red Sun", None)):
        customer = make_customer(company_name=name)
        make_pre_order(customer, apply_date=day)
        if owner is not None:
            services.customer_owner_set(
                actor=admin,
                domain_id=customer.domain_id,
                account_manager_id=owner.pk,
                support_contact_id=None,
            )
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, aiko)
    page.click("nav.mainnav a[data-nav=scheduled]")
    owner = page.locator("select[name=owner]")
    assert owner.input_value() == "mine"
    agenda = page.locator("#agenda")
    assert "緑電機株式会社" in agenda.inner_text() and "Blue Ocean" not in agenda.inner_text()
    screenshot(page, "scheduled-changes-owner-mine")

    page.evaluate("() => { window.__same_document = true; }")
    owner.select_option("all")
    page.wait_for_function("() => document.querySelector('#agenda').innerText.includes('Blue Ocean')")
    assert "Red Sun" in agenda.inner_text()
    assert page.evaluate("() => window.__same_document") is True  # htmx swapped the agenda only
    assert re.search(r"[?&]owner=all", page.url)
    page.goto("/scheduled/")  # remembered: a choice, not a wall
    assert page.locator("select[name=owner]").input_value() == "all"

    owner = page.locator("select[name=owner]")
    assert owner.locator(f"option[value='{ben.pk}']").inner_text() == "Account manager Persona (ben)"
    owner.select_option(str(ben.pk))
    page.wait_for_function("() => !document.querySelector('#agenda').innerText.includes('Red Sun')")
    assert "Blue Ocean" in page.locator("#agenda").inner_text()

    with page.expect_navigation():
        in_japanese(page)
    owner = page.locator("select[name=owner]")
    assert page.locator("label[for=id_owner]").inner_text() == "担当者"
    owner.select_option("mine")
    page.wait_for_function("() => !document.querySelector('#agenda').innerText.includes('Blue Ocean')")
    assert "緑電機株式会社" in page.locator("#agenda").inner_text()
    assert [o.strip() for o in owner.locator("option").all_inner_texts()[:3]] == [
        "全員",
        "自分の担当",
        "未割り当て",
    ]
    screenshot(page, "scheduled-changes-owner-mine-ja")
