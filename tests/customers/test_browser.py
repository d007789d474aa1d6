"""In headless Chromium: Support finds a customer by part of a Japanese name; an Account manager adds a customer
end to end (real Celery worker, real sandbox) and then edits its maximum users."""

from __future__ import annotations

import re
import uuid

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import add_customer, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_finds_a_customer_by_part_of_a_japanese_name_and_opens_it(page):
    target = make_customer(
        company_name="株式会社みなと精機", domain="minato.example.jp", customer_code="MN-77"
    )
    make_customer(company_name="株式会社やまと商事")
    make_customer(company_name="Blue Ocean KK")
    login(page, make_persona(Role.SUPPORT))

    page.goto("/customers/")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 3
    page.fill("#main input[name=q]", "みなと")
    page.wait_for_url(re.compile(r".*/customers/\?.*q=%E3%81%BF%E3%81%AA%E3%81%A8.*"))
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert "minato.example.jp" in rows.first.inner_text()
    assert "q=" in page.locator("[data-testid=export-csv]").get_attribute("href")
    screenshot(page, "customers-search-ja")

    # Leaving the box sends nothing again (that answer's pushed address would cancel the click on a result): after
    # a blur, Enter in the box is the one search sent.
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/customers/?" in r.url else None)
    page.locator("#main input[name=q]").blur()
    with page.expect_response(lambda r: "/customers/?" in r.url):
        page.press("#main input[name=q]", "Enter")
    assert len(sent) == 1, sent

    rows.first.locator("a").click()
    page.wait_for_url(f"**/customers/{target.domain_id}/")
    assert page.locator("h1").inner_text().startswith("株式会社みなと精機")
    assert "MN-77" in page.content()
    assert page.locator("a[href$='/edit/']").count() == 0  # Support reads only


def test_account_manager_adds_a_customer_end_to_end_then_edits_its_max_users(
    worker_on_sandbox, celery_worker_process, page
):
    login(page, make_persona(Role.ACCOUNT_MANAGER), "/customers/")
    page.click("[data-testid=add-customer]")
    page.wait_for_url("**/customers/add/")
    add_customer(
        page,
        group=f"e2e{uuid.uuid4().hex[:8]}",
        company_name="エンドツーエンド株式会社",
        fields={
            "phone_number": "03-1234-5678",
            "admin_last_name": "鈴木",
            "admin_first_name": "次郎",
            "admin_id": "admin",
            "admin_password": "Passw0rd1x",
            "admin_email": "jiro@example.net",
        },
        reason="E2E-1",
        shot="customers-add-check-en",
    )
    screenshot(page, "customers-add-done")
    page.click("text=Continue")
    page.wait_for_url(re.compile(r".*/customers/\d+/$"))
    assert "エンドツーエンド株式会社" in page.locator("h1").inner_text()

    page.click("[data-testid=usage-link]")
    page.fill("input[name=max_member_count]", "150")
    page.fill("#usage-title ~ form input[name=reason]", "E2E-2")
    page.click("[data-testid=save-usage]")
    # The confirmation states now → after before anything is sent.
    assert "150" in page.locator("[data-testid=preview]").inner_text()
    screenshot(page, "customers-usage-confirm")
    page.click("[data-testid=confirm]")
    page.wait_for_url(re.compile(r".*/customers/\d+/$"))
    assert page.locator("[data-testid=max-users]").inner_text() == "150"
    assert "Usage status updated." in page.content()
