"""Saved views in headless Chromium (issue 55, deliverable 2): an Account manager filters the customers list,
saves it as a view shared with the team; a Support colleague finds it on the Views page and on home with the
count the list shows, opens it and sees the same rows. In English and Japanese, each state checked by axe-core
(the `page` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "save": "Save this view",
        "name": "Name of the view",
        "share": "Share with the team",
        "submit": "Save the view",
        "saved": "Saved as “Sakura, shared”, shared with the team.",
    },
    "ja": {
        "save": "このビューを保存",
        "name": "ビューの名前",
        "share": "チームと共有する",
        "submit": "ビューを保存する",
        "saved": "“Sakura, shared”として保存し、チームと共有しました。",
    },
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_view_saved_and_shared_shows_a_colleague_the_same_rows(page, language):
    for name in ("サクラ商事株式会社", "さくら運輸", "富士物産"):
        make_customer(company_name=name)
    words = WORDS[language]
    login(page, make_persona(Role.ACCOUNT_MANAGER), "/")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/customers/?q=さくら&owner=")
    expect(page.get_by_test_id("result-count")).to_contain_text("2")
    page.get_by_role("link", name=words["save"]).click()
    page.get_by_label(words["name"]).fill("Sakura, shared")
    page.get_by_label(words["share"]).check()
    screenshot(page, f"saved-view-form-{language}")
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.locator("#toasts, .messages").first).to_contain_text(words["saved"])
    expect(page.locator("#results tbody tr")).to_have_count(2)

    colleague = make_persona(Role.SUPPORT, username=f"support-colleague-{language}")
    page.context.clear_cookies()
    login(page, colleague, "/")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/views/")
    row = page.locator("[data-testid=saved-views] tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("view-count")).to_have_text("2")
    screenshot(page, f"saved-views-page-{language}")

    page.goto("/")
    panel = page.get_by_test_id("saved-panel")
    expect(panel).to_contain_text("Sakura, shared")
    expect(panel.get_by_test_id("view-count")).to_have_text("2")
    screenshot(page, f"saved-views-home-{language}")
    panel.get_by_role("link", name="Sakura, shared").click()
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(page.locator("#results")).to_contain_text("サクラ商事株式会社")
