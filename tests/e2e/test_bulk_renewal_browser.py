"""In headless Chromium, with a real Celery worker and a sandbox of its own: an Account manager chooses "all 30
matching this filter" on the Subscriptions list (their own customers renewing unchanged), asks that none renew,
reads the dry run, unticks one row, confirms, watches the batch page count the rows as the worker sends them
(each answer is slow), and stops the batch part way. Then, as the sandbox has it: every row the page calls
applied was sent once and is set not to renew; every stopped row and the unticked one was never sent and still
renews."""

from __future__ import annotations

from collections import Counter

import pytest

from customers.models import CustomerOwner
from portal.core import sync
from portal.core.access import Role
from portal.core.models import Batch, Operation
from subscriptions.models import Subscription
from tests.customers.factories import make_owner
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import point_worker_at
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROWS = 30


own_sandbox = sandbox_of_its_own(seed_customers=90, seed=33)


@pytest.fixture
def thirty(own_sandbox, portal_api, monkeypatch):
    """The cache filled from the sandbox; the Account manager looks after exactly 30 customers whose paid
    subscription renews unchanged (the others belong to a colleague)."""
    point_worker_at(own_sandbox, portal_api, monkeypatch)
    own_sandbox.clear_faults()
    run = sync.resync_full()
    assert run.status == run.Status.SUCCEEDED, run.errors
    manager = make_persona(Role.ACCOUNT_MANAGER)
    colleague = make_persona(Role.ACCOUNT_MANAGER, username="colleague")
    renewing = list(
        Subscription.objects.filter(
            customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"), renewal_type="STAY"
        )
        .select_related("customer")
        .order_by("pk")
    )
    mine = {s.customer_id for s in renewing[:ROWS]}
    assert len(mine) == ROWS, "the seed has too few paid subscriptions renewing unchanged"
    for customer in {s.customer for s in Subscription.objects.select_related("customer")}:
        make_owner(customer, manager if customer.domain_id in mine else colleague)
    return manager, [s for s in renewing if s.customer_id in mine]


def _sandbox_renewal(sandbox, sub: Subscription) -> str:
    client = sandbox.client("partner.read", validate=False)
    answer = client.get(f"/partners/customers/{sub.customer_id}/subscriptions/{sub.pk}/renewal")
    assert answer.status_code == 200, answer.text
    return answer.json()["type"]


@pytest.mark.long
def test_a_bulk_renewal_of_30_is_checked_sent_and_stopped(page, thirty, own_sandbox, request):
    manager, subs = thirty
    assert CustomerOwner.objects.filter(account_manager=manager).count() == ROWS
    # Each renewal answer takes a while, so the batch is still sending when it is stopped.
    own_sandbox.set_fault("updateSubscriptionRenewal", latencyMs=1500)
    own_sandbox.clear_requests()
    request.getfixturevalue("celery_worker_process")  # started now: it reads the sandbox's address

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, manager, "/subscriptions/?owner=mine&renewal_type=STAY")
    page.check("[data-testid=bulk-all]")
    assert f"{ROWS}" in page.locator("label:has([data-testid=bulk-all])").inner_text()
    page.click("[data-testid=bulk-start]")
    page.wait_for_url("**/bulk/?*")
    page.check("input[name=type][value=CANCEL]")
    page.click("[data-testid=dry-run]")
    page.wait_for_selector("table[data-testid=dry-run]")
    ticks = page.locator("[data-testid=tick]")
    assert ticks.count() == ROWS  # every row can be sent: paid, renewing unchanged
    unticked = subs[7]
    page.uncheck(f"[data-row='subscriptions:{unticked.pk}'] [data-testid=tick]")
    screenshot(page, "bulk-renewal-30-dry-run")
    page.click("[data-testid=confirm]")
    page.wait_for_selector("[data-testid=batch-counts]")
    assert page.locator("[data-count=sent]").inner_text().endswith(f"/ {ROWS - 1}")

    # The page counts the rows as the worker applies them (it asks again every 2 s, nothing reloads it).
    page.wait_for_function(
        "() => Number(document.querySelector('[data-count=applied]').textContent) >= 3", timeout=90_000
    )
    screenshot(page, "bulk-renewal-30-sending")
    page.click("[data-testid=stop] summary")
    page.click("[data-testid=stop-yes]")
    page.wait_for_selector("[data-count=stopped]")
    stopped = int(page.locator("[data-count=stopped]").inner_text())
    assert 0 < stopped < ROWS - 4, "the batch was stopped part way"
    screenshot(page, "bulk-renewal-30-stopped")

    batch = Batch.objects.get()
    assert batch.state == Batch.State.STOPPED
    ops = {
        int(row.key.removeprefix("subscriptions:")): row.operation
        for row in batch.rows.exclude(operation=None).select_related("operation")
    }
    # The row the worker held when the batch was stopped settles as usual, and the page, still asking, says so.
    page.wait_for_function(
        "() => Number(document.querySelector('[data-count=applied]').textContent) + "
        f"Number(document.querySelector('[data-count=stopped]').textContent) === {ROWS - 1}",
        timeout=30_000,
    )
    assert "Running" not in page.locator("[data-testid=batch-rows]").inner_text()
    screenshot(page, "bulk-renewal-30-settled")
    for op in ops.values():
        op.refresh_from_db()
    statuses = Counter(op.status for op in ops.values())
    assert statuses[Operation.Status.STOPPED] == stopped
    assert statuses[Operation.Status.SUCCEEDED] == ROWS - 1 - stopped

    sent = Counter(
        r["path"].partition("/partners/")[2]
        for r in own_sandbox.requests("updateSubscriptionRenewal", limit=5000)
    )
    for sub in subs:
        path = f"customers/{sub.customer_id}/subscriptions/{sub.pk}/renewal"
        op = ops.get(sub.pk)
        if op is not None and op.status == Operation.Status.SUCCEEDED:
            assert sent[path] == 1, sub.pk  # applied, and sent once
            assert _sandbox_renewal(own_sandbox, sub) == "CANCEL"
        else:  # stopped before sending, or unticked: never sent, renews as before
            assert sent[path] == 0, sub.pk
            assert _sandbox_renewal(own_sandbox, sub) == "STAY"
    assert unticked.pk not in ops
