"""In headless Chromium: Support searches, filters and sorts the subscriptions list; the URL and CSV link follow."""

import contextlib
import datetime as dt

import pytest
from playwright.sync_api import Error as PlaywrightError

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

    page.fill("#main input[name=q]", "midori")
    page.wait_for_url("**/subscriptions/?*q=midori*")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "Add licences" in rows.first.inner_text() and "2030-01-10" in rows.first.inner_text()
    # Each row opens its subscription's own page (its terms, renewal and scheduled change): clicked once the
    # search's swap has settled (a link clicked in a row being swapped out goes nowhere).
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    rows.first.locator("[data-testid=subscription-link]").click()
    page.wait_for_url(f"**/subscriptions/{midori.subscription_id}/")
    assert "Midori Denki" in page.inner_text("main") and "2030-01-10" in page.inner_text("main")
    page.go_back()
    page.wait_for_url("**/subscriptions/?*q=midori*")

    page.fill("#main input[name=q]", "")
    page.select_option("select[name=plan]", "TRIAL")
    page.wait_for_url("**plan=TRIAL*")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert "Red Sun" in rows.first.inner_text()
    assert "plan=TRIAL" in page.locator("[data-testid=export-csv]").get_attribute("href")

    page.goto("/subscriptions/?sort=-licences")
    names = page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert names[0] == "Midori Denki"
    page.click("#results th a:has-text('Customer')")
    page.wait_for_url("**sort=customer*")
    page.wait_for_function(
        "() => document.querySelector('#results tbody tr td a').textContent.trim() === 'Blue Ocean'"
    )
    screenshot(page, "subscriptions-list")


def test_the_latest_click_wins_over_a_slower_search(page):
    """A search still in flight when the user clicks a sort link must not come back and undo the click."""
    make_subscription(make_customer(company_name="Midori Denki"), license_count=30)
    make_subscription(make_customer(company_name="Blue Ocean"), license_count=5)
    make_subscription(make_customer(company_name="Asahi Foods"), license_count=12)
    login(page, make_persona(Role.SUPPORT), "/subscriptions/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 3

    held = []  # the search's request, held back until after the click
    page.route("**/subscriptions/?*q=midori*", lambda route: held.append(route))
    page.fill("#main input[name=q]", "midori")
    for _ in range(250):  # the 250 ms debounce sends the search, which the route holds
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1, "the search was sent"

    page.click("#results th a:has-text('Licences')")
    page.wait_for_function(
        "() => document.querySelector('#results tbody tr td a').textContent.trim() === 'Blue Ocean'"
    )
    # Now let the older search answer arrive: the page must keep what the click asked for.
    with contextlib.suppress(PlaywrightError):  # the browser already cancelled it, which is the point
        held[0].continue_()
    page.wait_for_timeout(800)
    assert rows.count() == 3
    assert rows.first.inner_text().startswith("Blue Ocean")
    assert "sort=licences" in page.url and "q=midori" not in page.url


def test_back_through_searches_reloads_each_page_and_browser_storage_keeps_no_copy(page):
    """No copy of a page is kept in browser storage (it would outlive logging out); Back shows each state."""
    make_subscription(make_customer(company_name="Midori Denki"), license_count=30)
    make_subscription(make_customer(company_name="Blue Ocean"), license_count=5)
    login(page, make_persona(Role.SUPPORT), "/subscriptions/")
    rows = page.locator("#results tbody tr")
    page.fill("#main input[name=q]", "midori")
    page.wait_for_url("**/subscriptions/?*q=midori*")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    page.click("#results th a:has-text('Licences')")
    page.wait_for_url("**sort=licences*")
    stored = page.evaluate(
        "() => [window.localStorage, window.sessionStorage].map(s => Object.keys(s).map(k => s.getItem(k)).join())"
    )
    assert not any("Midori" in kept for kept in stored), "a copy of the page was kept in browser storage"

    page.go_back()
    page.wait_for_url("**/subscriptions/?*q=midori*")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert page.locator("#main input[name=q]").input_value() == "midori"  # the whole page, not a fragment
    page.go_back()
    page.wait_for_url(lambda url: url.endswith("/subscriptions/"))
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 2")
    assert rows.count() == 2
