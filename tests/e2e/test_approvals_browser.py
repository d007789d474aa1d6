"""Four eyes in headless Chromium, in English and Japanese at 1366 px (issue 55, deliverable 3): with an Admin's
rule, an Account manager's bulk renewal asks for approval on confirming and sends nothing; a second Account
manager finds it under "Approvals waiting" on home, reads the same dry run and approves it, and the rows are
queued, each once (the tests' broker keeps them: nothing reaches the API)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.core.access import Role
from portal.core.models import ApprovalRule, Batch, Operation
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _language(page, language: str) -> None:
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_bulk_renewal_over_the_rule_is_approved_by_a_second_person(page, language):
    page.set_viewport_size({"width": 1366, "height": 860})
    ApprovalRule.objects.create(action="subscriptions.renewal", over_rows=1)
    subs = [
        make_subscription(make_customer(company_name=name), renewal_type="STAY")
        for name in ("Minato Seiki K.K.", "株式会社やまと商事")
    ]
    login(page, make_persona(Role.ACCOUNT_MANAGER))
    _language(page, language)
    page.goto("/subscriptions/?owner=all")
    for s in subs:
        page.check(f"[data-subscription-id='{s.pk}'] [data-testid=bulk-tick]")
    page.click("[data-testid=bulk-start]")
    page.wait_for_url("**/bulk/?*")
    page.check("input[name=type][value=CANCEL]")
    page.click("[data-testid=dry-run]")
    expect(page.get_by_test_id("approval-rule")).to_be_visible()
    page.click("[data-testid=confirm]")
    expect(page.get_by_test_id("approval-waiting")).to_be_visible()
    screenshot(page, f"approval-asked-{language}")
    batch = Batch.objects.get()
    assert batch.approval == Batch.Approval.WAITING and not Operation.objects.exists()

    page.context.clear_cookies()
    login(page, make_persona(Role.ACCOUNT_MANAGER, username=f"approver-{language}"))
    _language(page, language)
    page.goto("/")
    item = page.locator(f"[data-work-item='approval-{batch.pk}']")
    expect(item).to_be_visible()
    item.get_by_role("link").click()
    expect(page.get_by_test_id("approval-forms")).to_be_visible()
    assert page.locator("[data-testid=tick]:checked").count() == 2
    screenshot(page, f"approval-review-{language}")
    page.fill("#approve-note", "Checked with both customers")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=batch-counts]")
    assert page.locator("[data-testid=batch-state]").inner_text() in ("Sending", "送信中")
    batch.refresh_from_db()
    assert batch.approval == Batch.Approval.APPROVED and batch.approval_note == "Checked with both customers"
    assert Operation.objects.filter(status=Operation.Status.QUEUED).count() == 2


def test_an_account_manager_renews_a_saved_group_with_a_dry_run_a_second_person_approves(page):
    """Issue 55's Done-when: a customer search saved as a group, its customers' subscriptions renewed from the
    Views page with a dry run, approved by a second Account manager; the customer outside the group untouched."""
    page.set_viewport_size({"width": 1366, "height": 860})
    ApprovalRule.objects.create(action="subscriptions.renewal", over_rows=0)
    inside = [
        make_subscription(make_customer(company_name=n), renewal_type="STAY")
        for n in ("さくら運輸", "サクラ商事")
    ]
    outside = make_subscription(make_customer(company_name="富士物産"), renewal_type="STAY")
    login(page, make_persona(Role.ACCOUNT_MANAGER))
    page.goto("/customers/?q=さくら&owner=")
    expect(page.get_by_test_id("result-count")).to_contain_text("2")
    page.get_by_test_id("save-view").click()
    page.get_by_label("Name of the view").fill("Sakura group")
    page.get_by_role("button", name="Save the view").click()
    page.goto("/views/")
    row = page.locator("[data-testid=saved-views] tbody tr").filter(has_text="Sakura group")
    row.locator("select[name=action]").select_option("subscriptions.renewal")
    screenshot(page, "saved-group-bulk-en")
    row.get_by_test_id("group-bulk-start").click()
    page.wait_for_url("**/bulk/?*")
    page.check("input[name=type][value=CANCEL]")
    page.click("[data-testid=dry-run]")
    expect(page.locator("[data-testid=tick]")).to_have_count(2)
    page.click("[data-testid=confirm]")
    expect(page.get_by_test_id("approval-waiting")).to_be_visible()
    batch = Batch.objects.get()
    assert {r.key for r in batch.rows.all()} == {f"subscriptions:{s.pk}" for s in inside}

    page.context.clear_cookies()
    login(page, make_persona(Role.ACCOUNT_MANAGER, username="group-approver"), f"/bulk/{batch.pk}/")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=batch-counts]")
    assert Operation.objects.filter(status=Operation.Status.QUEUED).count() == 2
    assert not Operation.objects.filter(domain_id=outside.customer_id).exists()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_admin_sets_which_bulk_changes_need_approval(page, language):
    """The Approvals page (user menu): a number per bulk action, blank for none; a bad number is refused on its
    field and nothing is saved; a good one is kept and shown again."""
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.ADMIN))
    _language(page, language)
    page.goto("/")
    page.click(".usermenu summary")
    page.get_by_test_id("approvals-link").click()
    renewal = page.locator("input[name='subscriptions.renewal']")
    renewal.fill("-3")
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert not ApprovalRule.objects.exists()
    page.locator("input[name='subscriptions.renewal']").fill("20")
    page.locator("input[name='customers.owner']").fill("0")
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator("input[name='subscriptions.renewal']")).to_have_value("20")
    screenshot(page, f"approval-rules-{language}")
    assert dict(ApprovalRule.objects.values_list("action", "over_rows")) == {
        "subscriptions.renewal": 20,
        "customers.owner": 0,
    }


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_licence_reduction_over_the_rule_waits_for_a_second_person(page, language):
    """An Admin asks for approval of a renewal taking away more than 5 licences; an Account manager's renewal from
    20 to 12 says so before it is asked, is held (nothing queued), and a second Account manager approves it from
    the operation page, with what the asker saw (before -> after) in front of them; it is then queued once."""
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.ADMIN, username=f"rules-admin-{language}"), "/approvals/")
    _language(page, language)
    page.reload()
    page.locator("input[name='change:reduction']").fill("5")
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator("input[name='change:reduction']")).to_have_value("5")
    screenshot(page, f"approval-rules-reduction-{language}")
    sub = make_subscription(make_customer(company_name="Minato Seiki K.K."), license_count=20)

    page.context.clear_cookies()
    login(page, make_persona(Role.ACCOUNT_MANAGER), f"/subscriptions/{sub.pk}/renewal/")
    _language(page, language)
    page.reload()
    page.check("input[name=type][value=CHANGE]")
    page.fill("input[name=license_count]", "12")
    page.locator("[data-testid=change-form] button[type=submit]").first.click()
    expect(page.get_by_test_id("held-note")).to_be_visible()
    screenshot(page, f"approval-held-note-{language}")
    page.click("[data-testid=confirm]")
    expect(page.get_by_test_id("operation-held")).to_be_visible()
    operation = Operation.objects.get()
    assert operation.status == Operation.Status.HELD

    page.context.clear_cookies()
    login(page, make_persona(Role.ACCOUNT_MANAGER, username=f"licence-approver-{language}"))
    _language(page, language)
    page.goto("/")
    page.locator(f"[data-work-item='held-{operation.pk}']").get_by_role("link").click()
    expect(page.get_by_test_id("held-preview")).to_contain_text("12")
    # A renewal removes nothing: its approval is the page's main action, not a red one (a cancellation's is).
    expect(page.get_by_test_id("approve")).to_have_class(re.compile(r"\bbtn-primary\b"))
    screenshot(page, f"approval-held-review-{language}")
    page.click("[data-testid=approve]")
    expect(page.get_by_test_id("operation-held")).to_have_count(0)
    operation.refresh_from_db()
    assert operation.status == Operation.Status.QUEUED
