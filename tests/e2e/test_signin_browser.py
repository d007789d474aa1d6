"""In headless Chromium: an Admin sets up two-step sign-in and signs in with a code; wrong passwords lock the
sign-in with a translated message; an Admin unlocks it on the Sign-ins page."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot, sign_in
from tests.fixtures.personas import PASSWORD, make_persona, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _password_step(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def test_admin_sets_up_two_step_sign_in_then_signs_in_with_a_code(page):
    admin = make_persona(Role.ADMIN)
    _password_step(page, admin.username)
    page.wait_for_url("**/accounts/two-factor/setup/**")
    assert page.locator("h1").inner_text() == "Set up two-step sign-in"
    assert page.locator("img.qr").evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "two-factor-setup")
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    page.fill("input[name=code]", totp_code(device))
    page.click("main button[type=submit]")
    page.locator("[data-testid=recovery-codes] li").first.wait_for()
    codes = page.locator("[data-testid=recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "two-factor-recovery-codes")
    page.get_by_role("link", name="I have saved them, continue").click()
    assert page.locator(".badge-role").inner_text() == "Admin"

    # Next time: the code step, in Japanese; a wrong code is refused with a clear message.
    page.context.clear_cookies()
    _password_step(page, admin.username)
    page.wait_for_url("**/accounts/two-factor/**")
    with page.expect_navigation():
        in_japanese(page)
    assert page.locator("h1").inner_text() == "ログイン用コードの入力"
    page.fill("input[name=code]", "000000")
    page.click("main button[type=submit]")
    assert "コードが正しくないか" in page.locator(".error-summary").inner_text()
    screenshot(page, "two-factor-code-ja")
    assert page.locator("nav.mainnav a").count() == 0


def test_wrong_passwords_lock_sign_in_and_an_admin_unlocks(page, settings):
    # Behind a proxy: each browser session "comes from" the address the proxy header names.
    settings.SIGNIN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    user = make_persona(Role.SUPPORT)
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.1"})
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(page, user.username, "not-the-password")
    assert page.locator("h1").inner_text() == "Sign-in locked"
    locked = page.locator("[data-testid=lockout]").inner_text()
    assert "Sign-in from your address is locked after too many wrong passwords." in locked
    assert "(in 15 minutes)" in locked
    screenshot(page, "signin-locked")
    # From there, the right password does not help now.
    _password_step(page, user.username)
    assert page.locator("h1").inner_text() == "Sign-in locked"

    # From the user's own address, the guesses elsewhere do not stop them.
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.2"})
    sign_in(page, user)
    page.context.clear_cookies()

    page.set_extra_http_headers({"X-Forwarded-For": "203.0.113.9"})
    admin = make_persona(Role.ADMIN)
    login(page, admin, "/activity/sign-ins/")
    locks = page.locator("[data-testid=lockouts]").inner_text()
    assert user.username in locks and "198.51.100.1" in locks
    screenshot(page, "signins-page")
    page.get_by_role("button", name=f"Unlock {user.username}").click()
    assert f"{user.username} can sign in again." in page.locator("#toasts").inner_text()
    assert "No user name or address is locked out." in page.locator(".lockouts").inner_text()

    page.context.clear_cookies()
    page.set_extra_http_headers({"X-Forwarded-For": "198.51.100.1"})
    sign_in(page, user)
    assert page.locator(".badge-role").inner_text() == "Support"
