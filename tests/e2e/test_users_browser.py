"""In headless Chromium at 1366 px: an Admin adds a user on the Users page (a made-up password, shown once), the
user signs in with it, and the Admin deactivates them, which signs them out; in English and in Japanese."""

import pytest
from django.contrib.auth import get_user_model

from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1366, "height": 900}


def test_admin_adds_a_user_who_signs_in_and_is_then_deactivated(page, browser, live_server):
    page.set_viewport_size(WIDE)
    admin = make_persona(Role.ADMIN)
    make_persona(Role.ACCOUNT_MANAGER, username="kenji.am")
    login(page, admin)
    page.locator("nav.mainnav").get_by_role("link", name="Users").click()
    page.wait_for_url("**/users/")
    assert page.locator("h1").inner_text() == "Users"
    assert "/admin/" not in page.content()

    # Add a user: a weak password is refused with the rules, then an empty one is made up and shown once.
    page.get_by_test_id("add-user").click()
    page.fill("input[name=username]", "hana.sato")
    page.fill("input[name=last_name]", "Sato")
    page.fill("input[name=first_name]", "Hana")
    page.fill("input[name=email]", "hana@partner.example")
    page.get_by_label("Support: reads customers").check()
    page.fill("input[name=password]", "12345678")
    page.get_by_test_id("save").click()
    summary = page.locator(".error-summary")
    assert "This password is entirely numeric." in summary.inner_text()
    screenshot(page, "users-add-error")
    page.get_by_label("Support: reads customers").check()
    page.fill("input[name=password]", "")
    page.get_by_test_id("save").click()
    password = page.get_by_test_id("password").inner_text()
    assert len(password) == 19
    assert "hana.sato was added as Support." in page.locator("#toasts").inner_text()
    screenshot(page, "users-password-shown")
    page.get_by_test_id("done").click()
    assert page.get_by_test_id("role").inner_text() == "Support"

    # The list finds them by name; the filter answers in place (htmx) and keeps its state in the URL.
    page.goto("/users/")
    page.fill("#main input[name=q]", "Hana")
    page.wait_for_url("**/users/?*q=Hana*")
    assert page.get_by_test_id("result-count").inner_text() == "1 user"
    page.goto("/users/")
    screenshot(page, "users-list")

    # The new user signs in with the password, in a browser of their own.
    theirs = browser.new_context(base_url=live_server.url, locale="en-US")
    user_page = theirs.new_page()
    hana = get_user_model().objects.get(username="hana.sato")
    user_page.goto("/accounts/login/")
    user_page.fill("input[name=username]", "hana.sato")
    user_page.fill("input[name=password]", password)
    user_page.click("main button[type=submit]")
    user_page.wait_for_url(lambda url: "/accounts/login" not in url)
    assert user_page.locator(".badge-role").inner_text() == "Support"

    # The Admin deactivates them: a confirmation page first, then they are signed out at once.
    page.goto(f"/users/{hana.pk}/")
    page.get_by_test_id("deactivate").click()
    assert "their sessions end" in page.get_by_test_id("consequences").inner_text()
    screenshot(page, "users-deactivate-confirm")
    page.get_by_test_id("confirm-deactivate").click()
    assert "hana.sato is deactivated and was signed out everywhere." in page.locator("#toasts").inner_text()
    assert page.get_by_test_id("status").inner_text() == "Deactivated"
    screenshot(page, "users-detail-deactivated")
    user_page.goto("/")
    assert "/accounts/login/" in user_page.url
    theirs.close()

    # The same pages in Japanese.
    with page.expect_navigation():
        in_japanese(page)
    assert page.get_by_test_id("status").inner_text() == "無効"
    assert page.get_by_test_id("reactivate").inner_text() == "再び有効にする"
    screenshot(page, "users-detail-deactivated-ja")
    page.goto("/users/")
    assert page.locator("h1").inner_text() == "ユーザー"
    screenshot(page, "users-list-ja")
    page.goto("/users/add/")
    page.get_by_test_id("save").click()
    assert "このフィールドは必須です。" in page.locator(".error-summary").inner_text()
    screenshot(page, "users-add-error-ja")
    kenji = get_user_model().objects.get(username="kenji.am")
    page.goto(f"/users/{kenji.pk}/deactivate/")
    assert page.locator("h1").inner_text() == "kenji.am を無効にする"
    screenshot(page, "users-deactivate-confirm-ja")
    page.goto(f"/users/{kenji.pk}/password/")
    screenshot(page, "users-password-reset-ja")
    page.get_by_test_id("save").click()
    assert len(page.get_by_test_id("password").inner_text()) == 19
    screenshot(page, "users-password-shown-ja")
