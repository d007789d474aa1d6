"""In headless Chromium, at 1366 px, in English and Japanese: each role's home page is its worklist, and an
item's link opens the form that resolves it (Account managers) or only its page (Support)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.core import clock
from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_pre_order, make_subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = dt.timedelta(days=1)


@pytest.fixture
def world():
    from billing.models import Finding

    today = clock.today()
    renewal = make_subscription(
        make_customer(company_name="株式会社さくら商事"), plan="MONTHLY", plan_end_date=today + 5 * DAY
    )
    make_subscription(
        make_customer(company_name="Blue Ocean Trading Co., Ltd.", plan="TRIAL"),
        product_id="STD_T",
        plan="TRIAL",
        plan_end_date=today + 3 * DAY,
        license_count=None,
        renewal_type="",
    )
    make_subscription(
        make_customer(company_name="みどり電機株式会社", plan="TRIAL"),
        product_id="ADV_T",
        plan="TRIAL",
        plan_end_date=today - 5 * DAY,
        license_count=None,
        renewal_type="",
    )
    make_pre_order(make_customer(company_name="合同会社ひかり"), apply_date=today + 2 * DAY)
    full = make_customer(company_name="東京ソフト株式会社", member_count=49, max_member_count=50)
    make_subscription(
        make_customer(company_name="Yamato Logistics K.K.", member_count=12, max_member_count=None),
        plan="ANNUAL_LICENSE",
        license_count=120,
    )
    make_customer(company_name="大阪商会", synced_at=timezone.now() - dt.timedelta(days=1))
    Operation.objects.create(
        idempotency_key="browser-unknown", kind="patchUsageStatus", domain_id=full.domain_id, status="unknown"
    )
    AuditEntry.objects.create(
        operation_id="patchUsageStatus", domain_id=full.domain_id, outcome="succeeded", actor_name="manager"
    )
    Finding.objects.create(
        year=2026,
        month=10,
        domain_id=full.domain_id,
        customer_name="東京ソフト株式会社",
        kind="licences",
        checked_at=timezone.now(),
    )
    # Every customer is the Account manager persona's: their home page holds every kind of work.
    from customers.models import Customer, CustomerOwner

    manager = make_persona(Role.ACCOUNT_MANAGER)
    CustomerOwner.objects.bulk_create(
        [
            CustomerOwner(customer_id=pk, account_manager=manager)
            for pk in Customer.objects.values_list("pk", flat=True)
        ]
    )
    return {"renewal": renewal}


SECTIONS = {
    Role.ACCOUNT_MANAGER: [
        "renewal-decisions",
        "trials-ending",
        "trials-grace",
        "scheduled",
        "operations",
        "max-users",
        "unused-licences",
        "stale",
        "approvals",  # nothing to do: after the others
        "held-changes",
        "option-trials",
    ],
    Role.SUPPORT: [
        "renewal-decisions",
        "trials-ending",
        "trials-grace",
        "scheduled",
        "operations",
        "max-users",
        "unused-licences",
        "stale",
        "activity",
        "option-trials",
    ],
    Role.FINANCE: ["last-invoice", "findings", "billing-details", "invoices-overdue"],
}


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize("role", list(SECTIONS), ids=[r.value for r in SECTIONS])
def test_each_role_s_home_page_is_its_worklist(page, world, role, language):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, make_persona(role))
    if language == "ja":
        in_japanese(page)
    page.goto("/")
    shown = page.eval_on_selector_all("[data-work]", "els => els.map(e => e.dataset.work)")
    assert shown == SECTIONS[role]
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    body = page.inner_text("main")
    assert ("日本時間" if language == "ja" else "Japan time") in body
    if role != Role.FINANCE:
        assert "株式会社さくら商事" in page.inner_text("[data-work=renewal-decisions]")
        assert "Yamato Logistics" in page.inner_text("[data-work=unused-licences]")
    buttons = page.locator("[data-work] .work-when a.btn")
    if role == Role.SUPPORT:
        assert buttons.count() == 0  # read-only
    screenshot(page, f"worklist-{role.value}-{language}")


def test_an_account_manager_goes_from_a_decision_to_its_form(page, world):
    login(page, make_persona(Role.ACCOUNT_MANAGER))
    renewal = page.locator("[data-work=renewal-decisions] li").first
    renewal.get_by_role("link", name="Change the renewal").click()
    page.wait_for_url(f"**/subscriptions/{world['renewal'].subscription_id}/renewal/")
    assert page.locator("h1").count() == 1 and page.locator("form").count() >= 1


def test_support_opens_an_item_s_page_read_only(page, world):
    login(page, make_persona(Role.SUPPORT))
    page.locator("[data-work=renewal-decisions] li a").first.click()
    page.wait_for_url(f"**/subscriptions/{world['renewal'].subscription_id}/")


def test_a_user_makes_and_revokes_their_calendar_feed(page, world):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, make_persona(Role.ACCOUNT_MANAGER), "/scheduled/")
    page.get_by_role("link", name="Subscribe in your calendar").click()
    page.get_by_role("button", name="Make my feed URL").click()
    url = page.locator("[data-testid=feed-url]").input_value()
    assert "/scheduled/feed/" in url and url.endswith(".ics")
    screenshot(page, "calendar-feed-made")
    feed = page.request.get(url)
    assert feed.status == 200 and "BEGIN:VCALENDAR" in feed.text()
    page.get_by_role("button", name="Revoke the feed").click()
    assert "You have no feed" in page.inner_text("main")
    assert page.request.get(url).status == 404
