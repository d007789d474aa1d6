"""In headless Chromium, at 1366 px, in English and Japanese: an Account manager opens a worklist section's
"N in all" from the home page and meets the section's full list, their own customers' items each with its form."""

from __future__ import annotations

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona


@pytest.fixture
def crowd(db):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    other = make_persona(Role.ACCOUNT_MANAGER, "other-manager")
    for i in range(32):
        customer = make_customer(
            company_name=f"株式会社みなと{i:02d}" if i % 2 else f"Harbour Trading {i:02d} K.K.",
            member_count=45 + i % 6,
            max_member_count=50,
        )
        make_owner(customer, manager if i < 30 else other)
    return manager


@pytest.mark.parametrize("language", ["en", "ja"])
def test_n_in_all_opens_the_section_s_full_list(page, crowd, language):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, crowd)
    if language == "ja":
        in_japanese(page)
    page.goto("/")
    more = page.locator("[data-work=max-users] [data-work-all]")
    assert more.inner_text() == ("全30件" if language == "ja" else "30 in all")
    more.click()
    page.wait_for_url("**/work/max-users/")
    assert page.locator("h1").inner_text() == (
        "最大利用人数に達している・近い顧客" if language == "ja" else "At or near maximum users"
    )
    assert page.locator("[data-testid=result-count]").inner_text() == (
        "全30件" if language == "ja" else "30 in all"
    )
    rows = page.locator("tbody tr")
    assert rows.count() == 25
    action = "最大利用人数を変更" if language == "ja" else "Change maximum users"
    assert rows.first.get_by_role("link", name=action).count() == 1
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"work-list-max-users-{language}")
    page.locator("[data-focus-id=page-next]").click()
    page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 5")
    screenshot(page, f"work-list-max-users-page-2-{language}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_admin_chooses_whose_work_the_home_page_shows(page, crowd, language):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, make_persona(Role.ADMIN))
    if language == "ja":
        in_japanese(page)
    page.goto("/")
    choice = page.locator("[data-testid=whose-owner]")
    assert choice.locator("[aria-current=page]").inner_text() == (
        "全員の担当" if language == "ja" else "Everyone's"
    )
    assert page.locator("[data-work=max-users] [data-work-count]").inner_text() == "32"
    choice.locator("[data-whose=none]").click()
    page.wait_for_url("**/?owner=none")
    assert page.locator("[data-work=max-users] [data-work-count]").inner_text() == "0"
    screenshot(page, f"worklist-admin-unassigned-{language}")
