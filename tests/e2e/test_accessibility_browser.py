"""Page states the sweep of every page (test_every_page_browser.py) cannot reach by links pass axe-core (WCAG 2.1
A/AA) in English and in Japanese: the Users page's forms in error, a password shown once, refusals. And the guard
itself: the `page` fixture, which fails every browser test on a serious or critical violation, does report one."""

from __future__ import annotations

import pytest

from portal.core.access import Role
from tests.fixtures.browser import login
from tests.fixtures.personas import make_persona, totp_device_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_users_pages_states_pass_axe(page, axe_violations, language):
    """The Users page's states a crawl does not reach by links: a filter answered in place (htmx), a form in
    error, a made-up password shown once, a reset form offering the two-step reset, refusals."""
    admin = make_persona(Role.ADMIN)
    manager = make_persona(Role.ACCOUNT_MANAGER)
    totp_device_for(manager)
    login(page, admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])

    def checked():
        assert page.locator("html").get_attribute("lang") == language
        page.evaluate("() => window.__portalAxe.check()")

    page.goto("/users/")
    page.fill("input[name=q]", "persona")
    page.wait_for_url("**/users/?*q=persona*")
    page.select_option("select[name=status]", "inactive")
    page.wait_for_url("**/users/?*status=inactive*")
    page.locator("#results .empty-state").wait_for()
    checked()
    page.goto("/users/add/")
    page.locator("[data-testid=save]").click()
    page.locator(".error-summary").wait_for()
    checked()
    page.fill("input[name=username]", "new.user")
    page.fill("input[name=last_name]", "Sato")
    page.fill("input[name=first_name]", "Hana")
    page.locator("input[name=role][value=finance]").check()
    page.locator("[data-testid=save]").click()
    page.locator("[data-testid=password]").wait_for()
    checked()
    for url in (
        f"/users/{manager.pk}/password/",  # with the two-step reset offered
        f"/users/{admin.pk}/password/",  # refused: their own
        f"/users/{admin.pk}/deactivate/",  # refused: themselves
        f"/users/{manager.pk}/deactivate/",
    ):
        page.goto(url)
        checked()
    page.goto(f"/users/{admin.pk}/")
    page.locator("input[name=role][value=support]").check()
    page.locator("[data-testid=role-form] button[type=submit]").click()
    page.locator(".error-summary").wait_for()  # the last active Admin stays one
    checked()
    assert axe_violations == [], "\n".join(dict.fromkeys(axe_violations))


def test_the_guard_reports_a_violation_planted_in_a_page(page, axe_violations):
    """The check that every browser test runs would pass a broken page if it never looked: plant an image
    without a text alternative and a button without a name, and it reports both."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
             "beforeend", '<img src="/static/missing.png"><button type="button"></button>')"""
    )
    page.evaluate("() => window.__portalAxe.check()")
    page.wait_for_timeout(300)  # the reports arrive as console messages, asynchronously
    page.evaluate(
        "() => document.querySelectorAll('main img, main button[type=button]').forEach(e => e.remove())"
    )
    reported = list(axe_violations)
    axe_violations.clear()  # expected here; any other test fails on them
    assert any(v.startswith("image-alt (critical)") for v in reported), reported
    assert any(v.startswith("button-name (critical)") for v in reported), reported
