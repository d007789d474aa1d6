"""The browser tests run under the portal's Content-Security-Policy, and the `page` fixture notices when the
policy blocks something (otherwise every browser test would pass with a broken page)."""

from __future__ import annotations

from portal.core.access import Role
from tests.fixtures.browser import login
from tests.fixtures.personas import make_persona


def test_an_inline_script_or_style_is_blocked_and_reported(page, csp_violations):
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
          document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<p id="styled" style="color: rgb(255, 0, 0)">x</p>');
          const s = document.createElement("script");
          s.textContent = "window.injected = true;";
          document.body.appendChild(s);
        }"""
    )
    page.wait_for_function("() => true")
    page.wait_for_timeout(300)  # violation events are dispatched asynchronously
    assert page.evaluate("() => window.injected") is None, "an inline script ran"
    assert page.locator("#styled").evaluate("el => getComputedStyle(el).color") != "rgb(255, 0, 0)"
    reported = list(csp_violations)
    csp_violations.clear()  # expected here; any other test fails on them
    assert any("script-src" in v for v in reported), reported
    assert any("style-src" in v for v in reported), reported


def test_the_pages_htmx_and_the_sync_progress_run_without_violations(page):
    login(page, make_persona(Role.ADMIN), "/sync/")
    page.click("[data-testid=sync-now]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Sync"
    assert page.evaluate("() => htmx.config.includeIndicatorStyles") is False
