"""The tests' own Chromium (tests/fixtures/browser.py): Playwright's switches kept, and no page of the browser's
own interface (the address bar's popups) opened beside each test's page."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.browser import DISABLED_FEATURES, launch_switches


def _switched_off(browser) -> set[str]:
    """The features `browser` runs with switched off: its last `--disable-features` (Chromium reads the last)."""
    processes = browser.new_browser_cdp_session().send("SystemInfo.getProcessInfo")["processInfo"]
    pid = next(process["id"] for process in processes if process["type"] == "browser")
    args = Path(f"/proc/{pid}/cmdline").read_text(encoding="utf-8").split("\0")
    return set([arg for arg in args if arg.startswith("--disable-features=")][-1].split("=", 1)[1].split(","))


def test_the_browser_keeps_playwrights_switches_and_opens_no_address_bar_popup(page, browser):
    page.goto("/accounts/login/")
    off = _switched_off(browser)
    assert set(DISABLED_FEATURES) <= off
    assert set(launch_switches(browser.browser_type, "--disable-features")) <= off
    targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
    assert [t["url"] for t in targets if t["type"] != "page"] == []
