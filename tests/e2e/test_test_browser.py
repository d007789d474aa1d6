"""The tests' own Chromium (tests/fixtures/browser.py): Playwright's switches kept, and no page of the browser's
own interface (the address bar's popups) opened beside each test's page."""

from __future__ import annotations

from tests.fixtures.browser import DISABLED_FEATURES, launch_switches, switch_values


def test_the_browser_keeps_playwrights_switches_and_opens_no_address_bar_popup(page, browser):
    page.goto("/accounts/login/")
    off = set(switch_values(browser, "--disable-features"))
    assert set(DISABLED_FEATURES) <= off
    assert set(launch_switches(browser.browser_type, "--disable-features")) <= off
    targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
    assert [t["url"] for t in targets if t["type"] != "page"] == []
