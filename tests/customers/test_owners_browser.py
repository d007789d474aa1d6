"""In headless Chromium, in English and Japanese at 1366 px: an Admin gives a customer an owner from its page; the
Account manager's customer list opens on "Mine", shows everyone's when they choose, and remembers the choice."""

from __future__ import annotations

import re

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _language(page, language: str) -> None:
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])


@pytest.mark.long
def test_an_admin_assigns_owners_and_the_account_manager_filters_by_mine(page):
    page.set_viewport_size({"width": 1366, "height": 860})
    customers = {
        "en": make_customer(company_name="Minato Seiki K.K."),
        "ja": make_customer(company_name="株式会社やまと商事"),
    }
    make_customer(company_name="Blue Ocean KK")
    make_customer(company_name="合同会社あおぞら")
    manager = make_persona(Role.ACCOUNT_MANAGER, username="aiko")
    manager.first_name, manager.last_name = "愛子", "佐藤"
    manager.save()
    make_persona(Role.SUPPORT, username="sam")

    login(page, make_persona(Role.ADMIN))
    for language, customer in customers.items():
        _language(page, language)
        page.goto("/")
        unassigned = page.locator("[data-work=unassigned]")
        assert customer.company_name in unassigned.inner_text()
        unassigned.scroll_into_view_if_needed()
        screenshot(page, f"home-unassigned-{language}")
        page.goto(f"/customers/{customer.domain_id}/")
        assert page.locator("[data-testid=owner-account-manager] .muted").count() == 1  # unassigned
        page.click("[data-testid=owner-link]")
        page.wait_for_url(f"**/customers/{customer.domain_id}/owner/")
        page.select_option("select[name=account_manager]", str(manager.pk))
        screenshot(page, f"customers-owner-form-{language}")
        page.click("[data-testid=owner-save]")
        page.wait_for_url(f"**/customers/{customer.domain_id}/")
        assert "(aiko)" in page.locator("[data-testid=owner-account-manager]").inner_text()
        page.locator("#section-owner").scroll_into_view_if_needed()
        screenshot(page, f"customers-owner-assigned-{language}")

    page.context.clear_cookies()
    login(page, manager)
    rows = page.locator("#results tbody tr")
    # English: the list opens on Mine; Everyone shows every customer.
    _language(page, "en")
    page.goto("/customers/")
    assert page.locator("select[name=owner]").input_value() == "mine"
    assert rows.count() == 2
    assert {"Minato Seiki K.K.", "株式会社やまと商事"} <= set(
        page.locator("#results tbody tr a").all_inner_texts()
    )
    screenshot(page, "customers-list-mine-en")
    page.select_option("select[name=owner]", "all")
    page.wait_for_url(re.compile(r".*/customers/\?.*owner=all.*"))
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 4")
    screenshot(page, "customers-list-everyone-en")

    # Japanese: the choice was remembered (not a wall, not reset); Mine again.
    _language(page, "ja")
    page.goto("/customers/")
    assert page.locator("select[name=owner]").input_value() == "all"
    assert rows.count() == 4
    page.select_option("select[name=owner]", "mine")
    page.wait_for_url(re.compile(r".*/customers/\?.*owner=mine.*"))
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 2")
    assert "自分の担当" in page.locator("select[name=owner]").inner_text()
    screenshot(page, "customers-list-mine-ja")

    # The same filter on the other lists, opening on Mine (each list remembers its own choice).
    for language in ("en", "ja"):
        _language(page, language)
        for path, name in (
            ("/subscriptions/", "subscriptions"),
            ("/options/", "options"),
            ("/activity/", "activity"),
        ):
            page.goto(path)
            assert page.locator("select[name=owner]").input_value() == "mine"
            screenshot(page, f"{name}-owner-filter-{language}")
