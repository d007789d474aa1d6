"""Notices in headless Chromium at 1366 px (issue 56): a person chooses LINE WORKS for failed changes on their
Notices page (English and Japanese), sends themselves a test and reads that it was delivered; an Admin adds a team
room by its Webhook URL, which the page never shows again. And the issue's "done when": with a real Celery worker,
an Account manager's bulk change fails, the portal's bot tells them in LINE WORKS, and the message's button opens
the bulk change's page, which says what failed."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from portal.core import sync
from portal.core.access import Role
from portal.core.models import Batch, Notice, NoticeRoom
from portal.core.notices.delivery import deliver_due
from sandbox.directory import USERS, WEBHOOKS
from subscriptions.models import Subscription
from tests.customers.factories import make_owner
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import point_worker_at
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.fixtures.services import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

own_sandbox = sandbox_of_its_own(seed_customers=24, seed=56)


def _language(page, language: str) -> None:
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])


def _manager(email: str = USERS[1][1]):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    manager.email = email
    manager.save(update_fields=["email"])
    return manager


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_person_chooses_line_works_and_a_test_reaches_them(page, portal_api, own_sandbox, language):
    line_works = portal_api(own_sandbox)
    line_works.clear_messages()
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, _manager())
    _language(page, language)
    page.goto("/")
    page.click("details.usermenu summary")
    page.click("details.usermenu a[href='/notices/']")
    failed = page.locator("[data-kind='change.failed']")
    expect(failed).to_be_visible()
    failed.locator("input[value=line_works]").check()
    page.click("[data-testid=notice-choices] button[type=submit]")
    expect(page.locator(".toast").first).to_contain_text("保存" if language == "ja" else "Saved")
    expect(page.locator("[data-kind='change.failed'] input[value=line_works]")).to_be_checked()
    page.click("[data-testid=test-line-works]")
    deliver_due()  # the worker's minute
    page.reload()
    row = page.locator("[data-testid=notices-sent] tr[data-state=sent]")
    expect(row).to_have_count(1)
    screenshot(page, f"notices-page-{language}")
    (posted,) = line_works.messages(kind="user")
    assert posted["addressedAs"] == USERS[1][1] and posted["content"]["type"] == "flex"
    assert posted["content"]["altText"].startswith(
        "パートナーポータルからのテスト通知" if language == "ja" else "A test notice from the Partner Portal"
    )


def test_an_admin_adds_a_team_room_whose_url_is_not_shown_again(page, own_sandbox, settings):
    page.set_viewport_size({"width": 1366, "height": 860})
    token = WEBHOOKS[1][0]
    login(page, make_persona(Role.ADMIN))
    page.goto("/notices/rooms/")
    form = page.get_by_test_id("room-add")
    form.get_by_label("Name").fill("Billing team")
    form.get_by_label("Incoming Webhook URL").fill(f"{settings.LINE_WORKS_WEBHOOK_URL_PREFIX}{token}")
    form.get_by_label("An invoice to a customer is overdue").check()
    form.get_by_label("A change failed or its outcome is unknown").check()
    form.get_by_role("button", name="Add the room").click()
    rooms = page.get_by_test_id("notice-rooms")
    expect(rooms.locator("tr[data-room='Billing team']")).to_contain_text(
        "An invoice to a customer is overdue"
    )
    assert token not in page.content() and f"…{token[-4:]}" in page.content()
    screenshot(page, "notice-rooms")
    page.click("tr[data-room='Billing team'] a")
    page.get_by_test_id("room-remove").click()
    page.get_by_test_id("room-remove-yes").click()
    expect(page.get_by_test_id("notice-rooms")).to_contain_text("No team room yet")
    assert not NoticeRoom.objects.exists()


@pytest.mark.long
def test_an_account_manager_is_told_of_a_failed_bulk_change_in_line_works_and_opens_it(
    page, own_sandbox, portal_api, monkeypatch, live_server, request
):
    point_worker_at(own_sandbox, portal_api, monkeypatch)
    monkeypatch.setenv("PORTAL_BASE_URL", live_server.url)
    own_sandbox.clear_faults()
    own_sandbox.clear_messages()
    run = sync.resync_full()
    assert run.status == run.Status.SUCCEEDED, run.errors
    manager = _manager()
    subs = list(
        Subscription.objects.filter(
            customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"), renewal_type="STAY"
        ).select_related("customer")[:2]
    )
    assert len(subs) == 2, "the seed has too few paid subscriptions renewing unchanged"
    for sub in subs:
        make_owner(sub.customer, manager)
    # LINE WORKS refuses every renewal for now (503: not applied).
    own_sandbox.set_fault("updateSubscriptionRenewal", errorRate=1, errorStatus=503)
    request.getfixturevalue(
        "celery_worker_process"
    )  # started now: it reads the sandbox's and portal's address

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, manager, "/notices/")
    page.locator("[data-kind='change.failed'] input[value=line_works]").check()
    page.click("[data-testid=notice-choices] button[type=submit]")
    page.goto("/subscriptions/?owner=mine&renewal_type=STAY")
    for sub in subs:
        page.check(f"[data-subscription-id='{sub.pk}'] [data-testid=bulk-tick]")
    page.click("[data-testid=bulk-start]")
    page.wait_for_url("**/bulk/?*")
    page.check("input[name=type][value=CANCEL]")
    page.click("[data-testid=dry-run]")
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=batch-counts]")

    posted = _first_message(own_sandbox, timeout=90)
    assert posted["addressedAs"] == USERS[1][1]
    bubble = posted["content"]["contents"]
    assert "2 rows not applied" in bubble["header"]["contents"][0]["text"]
    (button,) = bubble["footer"]["contents"]
    assert button["action"]["label"] == "Open the bulk change"
    batch = Batch.objects.get()
    assert batch.state == Batch.State.FINISHED and batch.failed == 2
    # The worker records the notice sent once the API answered, a moment after the sandbox holds the message.
    notice = Notice.objects.get(user=manager)
    wait_until(lambda: notice.refresh_from_db() or notice.state != Notice.State.SENDING, seconds=30)
    assert notice.state == Notice.State.SENT
    page.goto("/")
    page.goto(button["action"]["uri"])  # the message's button
    expect(page.get_by_test_id("batch-counts")).to_be_visible()
    assert page.url.rstrip("/").endswith(f"/bulk/{batch.pk}")
    expect(page.locator("[data-count=failed]")).to_have_text("2")
    screenshot(page, "notice-opened-failed-batch")


def _first_message(sandbox, *, timeout: float) -> dict:
    """The first message the bot sent a person, once the worker delivered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sandbox.messages(kind="user")
        if found:
            return found[0]
        time.sleep(0.5)
    raise AssertionError(f"no message in LINE WORKS within {timeout} s: {list(Notice.objects.values())}")
