"""In headless Chromium: each role logs in through the real form and sees its own navigation, in both languages."""

import pytest

from portal.core.access import Role
from tests.core.test_navigation import EXPECTED_NAV
from tests.fixtures.browser import in_japanese, screenshot, sign_in
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

JAPANESE_LABELS = {
    "customers": "顧客",
    "subscriptions": "契約",
    "options": "オプション",
    "scheduled": "予定されている変更",
    "billing": "請求",
    "invoicing": "顧客への請求書",
    "activity": "アクティビティ",
    "sync": "同期",
    "users": "ユーザー",
}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_role_logs_in_and_sees_its_navigation(page, role):
    user = make_persona(role)
    sign_in(page, user)
    keys = page.locator("nav.mainnav a").evaluate_all("els => els.map(e => e.dataset.nav)")
    assert keys == EXPECTED_NAV[role]
    assert page.locator(".badge-role").inner_text() == role.label

    # The switch is one button naming the other language in that language.
    with page.expect_navigation():
        in_japanese(page)
    assert page.locator("html").get_attribute("lang") == "ja"
    labels = page.locator("nav.mainnav a").all_inner_texts()
    assert labels == [JAPANESE_LABELS[k] for k in EXPECTED_NAV[role]]
    screenshot(page, f"home-{role.value}-ja")


def test_wrong_password_shows_a_clear_error(page):
    user = make_persona(Role.SUPPORT)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("main button[type=submit]")
    assert page.locator(".alert-error").inner_text().startswith("The username or password is not right")
