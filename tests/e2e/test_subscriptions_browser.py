"""In headless Chromium: Support searches, filters and sorts the subscriptions list; the URL and CSV link follow."""

import datetime as dt

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_reservation, make_subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_filters_and_sorts_the_subscriptions_list(page):
    midori = make_subscription(make_customer(company_name="Midori Denki"), license_count=30)
    make_reservation(midori, type="ADD_LICENSE", apply_date=dt.date(2030, 1, 10), license_count=6)
    make_subscription(make_customer(company_name="Blue Ocean"), plan="MONTHLY", license_count=None)
    make_subscription(
        make_customer(company_name="Red Sun"),
        product_id="ADV_T",
        plan="TRIAL",
        license_count=None,
        renewal_type="",
    )
    login(page, make_persona(Role.SUPPORT))

    page.goto("/subscriptions/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 3

    page.fill("input[name=q]", "midori")
    page.wait_for_url("**/subscriptions/?*q=midori*")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Add licences" in rows.first.inner_text() and "2030-01-10" in rows.first.inner_text()

    page.fill("input[name=q]", "")
    page.select_option("select[name=plan]", "TRIAL")
    page.wait_for_url("**plan=TRIAL*")
    page.wait_for_function("document.querySelectorAll('#results tbody tr').length === 1")
    assert "Red Sun" in rows.first.inner_text()
    assert "plan=TRIAL" in page.locator("[data-testid=export-csv]").get_attribute("href")

    page.goto("/subscriptions/?sort=-licences")
    names = page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert names[0] == "Midori Denki"
    page.click("#results th a:has-text('Customer')")
    page.wait_for_url("**sort=customer*")
    page.wait_for_function(
        "document.querySelector('#results tbody tr td a').textContent.trim() === 'Blue Ocean'"
    )
    screenshot(page, "subscriptions-list")
