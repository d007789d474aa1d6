"""In headless Chromium: a person makes an API token (shown once), sees it listed and revokes it; an Admin sees
everyone's and revokes one; the API's documentation draws the OpenAPI document with Swagger UI from the
portal's own static files, under its Content-Security-Policy."""

from __future__ import annotations

import pytest

from portal.core.access import Role
from portal.core.models import ApiToken
from tests.api.conftest import make_token
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_person_makes_a_token_sees_it_once_and_revokes_it(page):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    login(page, manager)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click(".usermenu summary")
    page.click("[data-testid=api-tokens-link]")
    page.wait_for_url("**/api-tokens/")
    page.fill("#id_description", "Renewal script")
    page.select_option("#id_level_subscriptions", "write")
    page.select_option("#id_level_customers", "read")
    page.click("[data-testid=make-token]")
    secret = page.locator("[data-testid=token-secret]").input_value()
    assert secret.startswith("ppat_")
    token = ApiToken.objects.get()
    row = page.locator(f"tr[data-token='{token.prefix}']")
    assert "Renewal script" in row.inner_text() and "Subscriptions: Read and write" in row.inner_text()
    screenshot(page, "api-tokens-made")
    page.goto("/api-tokens/")  # the secret is on the answer that made it, never again
    assert page.locator("[data-testid=token-secret]").count() == 0
    page.click(f"[data-testid=revoke-{token.prefix}]")
    page.wait_for_url("**/api-tokens/")
    assert "Revoked" in page.locator(f"tr[data-token='{token.prefix}']").inner_text()
    token.refresh_from_db()
    assert not token.enabled


def test_an_admin_sees_everyones_tokens_and_revokes_one(page):
    finance = make_persona(Role.FINANCE)
    theirs, _secret = make_token(finance)
    login(page, make_persona(Role.ADMIN), "/api-tokens/all/")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert "Finance Persona" in page.locator(f"tr[data-token='{theirs.prefix}']").inner_text()
    screenshot(page, "api-tokens-all")
    page.click(f"[data-testid=revoke-{theirs.prefix}]")
    page.wait_for_url("**/api-tokens/all/")
    theirs.refresh_from_db()
    assert not theirs.enabled


def test_the_docs_page_draws_the_openapi_document(page):
    login(page, make_persona(Role.SUPPORT), "/api/v1/docs")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_selector("#swagger-ui .opblock-tag", timeout=20_000)
    text = page.locator("#swagger-ui").inner_text()
    assert "subscriptions" in text and "/api/v1/subscriptions/{subscription_id}/renewal" in text
    screenshot(page, "api-docs")


def test_the_docs_page_tries_an_endpoint_with_a_token_under_the_csp(browser, live_server, csp_violations):
    """Swagger UI's Authorize and "Try it out" call the API from the page, under the portal's CSP. (Its open
    panels are Swagger UI's own markup, whose buttons and code blocks axe finds wanting: the page as it opens is
    checked above; these panels are for developers trying a call.)"""
    from django.conf import settings

    from tests.fixtures.browser import CSP_LISTENER
    from tests.fixtures.personas import sign_in_backend, signed_in_session

    support = make_persona(Role.SUPPORT)
    _token, secret = make_token(support)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    context.add_init_script(CSP_LISTENER)
    session = signed_in_session(support, sign_in_backend())
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}]
    )
    page = context.new_page()
    page.on("console", lambda msg: csp_violations.append(msg.text) if "CSP violation" in msg.text else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector("#swagger-ui .opblock-tag", timeout=20_000)
    page.click("#swagger-ui .btn.authorize")
    page.fill(".auth-container input", secret)
    page.click(".auth-btn-wrapper .btn.authorize")
    page.click(".btn-done")
    sections = "#operations-worklists-home_api_worklist_sections"
    page.click(f"{sections} .opblock-summary-control")
    page.click(f"{sections} .try-out__btn")
    page.click(f"{sections} .execute")
    status = page.locator(f"{sections} .live-responses-table tbody .response-col_status")
    status.first.wait_for()
    assert status.first.inner_text().strip() == "200"
    context.close()
    assert csp_violations == []
