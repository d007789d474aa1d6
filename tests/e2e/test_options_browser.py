"""In headless Chromium, against the sandbox: an Account manager adds an option, upgrades it, schedules a
CHANGE_QUANTITY, finds it on the Scheduled changes agenda, opens it from there, deletes it, schedules and moves a
cancellation, and cancels the option now; Support sees the customer's options without any change link.

The portal's business date is pinned to the sandbox's, so the date pickers' windows are the sandbox's. Screenshots
(EN and JA, 1366 px wide) of the options pages go to var/screenshots/options-*.png.
"""

from __future__ import annotations

import datetime as dt

import pytest

from options.models import Option, OptionOrder
from portal.core.access import Role
from portal.core.sync import resync_customer
from tests.customers.factories import hand_every_customer_to
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.sandbox.commerce import add_option, orders_path, paid_customer

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DAY = dt.timedelta(days=1)


own_sandbox = sandbox_of_its_own()


@pytest.fixture
def customer(portal_api, own_sandbox, monkeypatch):
    """A Standard annual customer with Drive (for Standard) in use, read into the portal's cache."""
    portal_api(own_sandbox)
    pin_business_today(monkeypatch, own_sandbox.today())
    api = own_sandbox.client("partner")
    domain_id, _sub = paid_customer(api, "STD")
    add_option(api, domain_id, "DRV", "DRV01")
    assert resync_customer(domain_id=domain_id).status == "succeeded"
    return domain_id


def _review_and_confirm(page, review_label: str = "Review the change", *, shot: str = "") -> None:
    page.click(f"[data-testid=review]:has-text('{review_label}')")
    page.locator("[data-testid=preview]").wait_for()
    if shot:
        screenshot(page, shot)
    page.click("[data-testid=confirm]")


def _section(page) -> str:
    return page.locator("[data-section=options]").inner_text()


@pytest.mark.long
def test_account_manager_runs_an_option_through_its_life(page, customer, own_sandbox):
    domain_id = customer
    today = own_sandbox.today()
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    page.set_viewport_size({"width": 1366, "height": 900})
    manager = make_persona(Role.ACCOUNT_MANAGER)
    hand_every_customer_to(manager)  # the agenda opens on the manager's own customers
    login(page, manager)
    detail = f"/customers/{domain_id}/"

    # --- Add Shared Storage 5 TB × 2 ---
    page.goto(detail)
    page.click("[data-testid=option-add]")
    page.wait_for_url(f"**/options/customers/{domain_id}/**")
    offered = page.locator("select[name=sub_option_id] option").all_inner_texts()
    assert "Shared Storage 5 TB" in offered and "Drive Plus (for Advanced)" not in offered
    assert "Drive (for Standard)" not in offered  # already in use
    page.select_option("select[name=sub_option_id]", "SSTG202")
    page.fill("input[name=quantity]", "2")
    _review_and_confirm(page, "Review the option", shot="options-add-confirm-en")
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert "Shared Storage 5 TB" in _section(page)

    # --- Upgrade it to 25 TB: only higher tiers are offered ---
    page.click("[data-option-id=SSTG2] a:has-text('Upgrade')")
    page.wait_for_url(f"**/options/customers/{domain_id}/SSTG2/upgrade/")
    assert page.locator("select[name=sub_option_id] option").all_inner_texts()[0] == "Shared Storage 10 TB"
    page.select_option("select[name=sub_option_id]", "SSTG204")
    _review_and_confirm(page)
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert "Shared Storage 25 TB" in _section(page)

    # --- Schedule more units on the 1st of next month (the only date a quantity change may take) ---
    page.click("[data-option-id=SSTG2] a:has-text('Schedule more units')")
    date_input = page.locator("input[name=apply_date]")
    assert date_input.get_attribute("min") == date_input.get_attribute("max") == first.isoformat()
    page.fill("input[name=quantity]", "5")
    date_input.fill(first.isoformat())
    _review_and_confirm(page)
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert "Change the quantity" in _section(page) and first.isoformat() in _section(page)
    screenshot(page, "options-customer-section-en")

    # --- On the agenda, linking to its form ---
    page.goto(f"/scheduled/?date_from={first.isoformat()}&date_to={first.isoformat()}")
    agenda = page.locator("#agenda")
    assert "Shared Storage 25 TB" in agenda.inner_text()
    agenda.locator(f"a[href='/options/customers/{domain_id}/orders/SSTG2/']").first.click()
    page.wait_for_url(f"**/options/customers/{domain_id}/orders/SSTG2/")
    # A quantity change cannot move: its window is the one day.
    date_input = page.locator("input[name=apply_date]")
    assert date_input.get_attribute("min") == date_input.get_attribute("max") == first.isoformat()
    page.click("[data-testid=delete] summary")
    page.click("[data-testid=delete-yes]")
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert not OptionOrder.objects.filter(customer_id=domain_id).exists()
    assert own_sandbox.client("partner").get(orders_path(domain_id)).json()["optionProductOrders"] == []

    # --- Schedule a cancellation in 10 days, move it to 20 days ---
    page.click("[data-option-id=SSTG2] a:has-text('Schedule a cancellation')")
    page.locator("input[name=apply_date]").fill((today + 10 * DAY).isoformat())
    _review_and_confirm(page)
    page.wait_for_url(f"**/customers/{domain_id}/*")
    page.click("[data-option-id=SSTG2] [data-testid=order-link]")
    page.fill("input[name=apply_date]", (today + 20 * DAY).isoformat())
    _review_and_confirm(page, "Review the new date", shot="options-move-confirm-en")
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert OptionOrder.objects.get(customer_id=domain_id).apply_date == today + 20 * DAY
    day20 = (today + 20 * DAY).isoformat()
    page.goto(f"/scheduled/?date_from={day20}&date_to={day20}")
    assert "Shared Storage 25 TB" in page.locator("#agenda").inner_text()

    # --- Cancel the option now: the penalty and the date it may come back are stated ---
    page.goto(detail)
    page.click("[data-option-id=SSTG2] a:has-text('Cancel')")
    page.click("[data-testid=review]")
    page.locator("[data-testid=preview]").wait_for()
    consequences = page.locator("main").inner_text()
    assert "cancellation penalty" in consequences and first.isoformat() in consequences
    screenshot(page, "options-cancel-confirm-en")
    page.click("[data-testid=confirm]")
    page.wait_for_url(f"**/customers/{domain_id}/*")
    assert "Shared Storage" not in _section(page)
    assert not Option.objects.filter(customer_id=domain_id, option_product_id="SSTG2").exists()

    # --- The other pages, for the eye (EN, then JA) ---
    for language in ("en", "ja"):
        origin = page.evaluate("location.origin") + "/"  # the cookie for every path, not the current one
        page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])
        page.goto("/options/")
        assert page.locator("[data-testid=result-count]").inner_text()
        screenshot(page, f"options-list-{language}")
        page.goto("/options/catalogue/")
        screenshot(page, f"options-catalogue-{language}")
        page.goto(f"/options/customers/{domain_id}/usage/")
        screenshot(page, f"options-usage-{language}")
        page.goto(detail + "#section-options")
        screenshot(page, f"options-customer-{language}")
        page.goto(f"/options/customers/{domain_id}/add/")
        page.select_option("select[name=sub_option_id]", "ACV201")
        page.click("[data-testid=review]")
        page.locator("[data-testid=preview]").wait_for()
        screenshot(page, f"options-add-confirm-{language}")


def test_support_sees_the_options_without_change_links(page, customer):
    login(page, make_persona(Role.SUPPORT), f"/customers/{customer}/")
    section = page.locator("[data-section=options]")
    assert "Drive (for Standard)" in section.inner_text()
    assert (
        section.locator("[data-testid=option-add], [data-testid=order-link], a:has-text('Upgrade')").count()
        == 0
    )
    # The options list and the usage page are open to Support too (the refused change pages: test_access.py).
    page.goto(f"/options/?q={customer}")
    assert "Drive (for Standard)" in page.locator("#results").inner_text()
