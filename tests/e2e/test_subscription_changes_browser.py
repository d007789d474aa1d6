"""In headless Chromium, against the sandbox: an Account manager creates, moves and deletes a pre-order and a
reservation, changes a renewal, and sees each on the Scheduled changes agenda.

The portal's business date is pinned to the sandbox's own date, so the date pickers' windows are the
sandbox's.
"""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core import sync
from portal.core.access import Role
from portal.core.models import Operation
from subscriptions.models import PreOrder, Reservation, Subscription
from tests.customers.factories import hand_every_customer_to
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


own_sandbox = sandbox_of_its_own(seed_customers=24, seed=21)


@pytest.fixture
def today(portal_api, own_sandbox, monkeypatch):
    portal_api(own_sandbox)
    day = own_sandbox.today()
    pin_business_today(monkeypatch, day)
    sync.resync_full()
    return day


def _review_and_confirm(page, review_label: str) -> None:
    page.click(f"[data-testid=review]:has-text('{review_label}')")
    page.locator("[data-testid=preview]").wait_for()
    page.click("[data-testid=confirm]")


def _agenda_items(page, query: str = "") -> str:
    page.goto(f"/scheduled/{query}")
    return page.locator("#agenda").inner_text()


@pytest.mark.long
def test_account_manager_schedules_moves_and_deletes(page, today):
    free = (
        Subscription.objects.filter(
            plan__in=("FREE", "TRIAL"), status="ACTIVE", customer__subscription_pre_orders=None
        )
        .select_related("customer")
        .order_by("subscription_id")
        .first()
    )
    annual = (
        Subscription.objects.filter(plan="ANNUAL_LICENSE", reservation=None)
        .select_related("customer")
        .order_by("subscription_id")
        .first()
    )
    assert free is not None and annual is not None
    manager = make_persona(Role.ACCOUNT_MANAGER)
    hand_every_customer_to(manager)  # the agenda opens on the manager's own customers
    login(page, manager)
    in_10, in_20 = today + dt.timedelta(days=10), today + dt.timedelta(days=20)

    # --- Pre-order: create from the customer page ---
    page.goto(f"/customers/{free.customer_id}/")
    page.click("[data-testid=pre-order-add]")
    date_input = page.locator("input[name=apply_date]")
    assert date_input.get_attribute("min") == (today + dt.timedelta(days=1)).isoformat()
    assert date_input.get_attribute("max") == (today + dt.timedelta(days=31)).isoformat()
    date_input.fill(in_10.isoformat())
    page.select_option("select[name=product_id]", "STD")
    page.select_option("select[name=plan]", "ANNUAL_LICENSE")
    page.click("[data-testid=review]")
    assert "Enter the number of licences" in page.locator("form[data-testid=change-form]").inner_text()
    page.fill("input[name=license_count]", "12")
    page.click("[data-testid=review]")
    page.locator("[data-testid=preview]").wait_for()
    assert "12 licences" in page.locator("[data-testid=preview]").inner_text()
    screenshot(page, "pre-order-confirm")
    page.click("[data-testid=confirm]")
    page.wait_for_url(f"**/customers/{free.customer_id}/*")
    assert "The pre-order was created." in page.locator(".toasts, .messages, body").first.inner_text()
    pre = PreOrder.objects.get(customer_id=free.customer_id)
    # The change's own page (where a double submit or an unanswered request leads) says what became of it.
    operation = Operation.objects.get(kind="createSubscriptionPreOrder", domain_id=free.customer_id)
    page.goto(f"/operations/{operation.pk}/")
    assert page.locator("[data-testid=operation-status]").inner_text() == "Succeeded"
    assert "LINE WORKS applied the change." in page.locator("#operation").inner_text()
    page.click("#operation a.btn-primary")
    page.wait_for_url(f"**/customers/{free.customer_id}/*")
    agenda = _agenda_items(page)
    assert free.customer.company_name in agenda and "New subscription" in agenda

    # --- Pre-order: move, then delete ---
    page.goto(f"/customers/{free.customer_id}/")
    page.click(f"[data-pre-order-id='{pre.pre_order_id}'] a")
    page.fill("input[name=apply_date]", in_20.isoformat())
    _review_and_confirm(page, "Review the new date")
    page.wait_for_url(f"**/customers/{free.customer_id}/*")
    page.goto(f"/scheduled/?date_from={in_20.isoformat()}&date_to={in_20.isoformat()}")
    assert free.customer.company_name in page.locator("#agenda").inner_text()
    page.goto(f"/subscriptions/customers/{free.customer_id}/pre-orders/{pre.pre_order_id}/")
    page.click("[data-testid=delete] summary")
    page.click("[data-testid=delete-yes]")
    page.wait_for_url(f"**/customers/{free.customer_id}/*")
    assert not PreOrder.objects.filter(pre_order_id=pre.pre_order_id).exists()
    assert "No pre-order is pending." in page.locator("[data-section=subscriptions]").inner_text()

    # --- Reservation: add licences on a date, move it, delete it ---
    page.goto(f"/subscriptions/{annual.subscription_id}/")
    page.click("text=Schedule a change")
    page.check("input[name=type][value=ADD_LICENSE]")
    page.fill("input[name=apply_date]", in_10.isoformat())
    page.fill("input[name=license_count]", "5")
    _review_and_confirm(page, "Review the change")
    page.wait_for_url(f"**/subscriptions/{annual.subscription_id}/")
    assert "Add licences" in page.locator("[data-testid=reservation]").inner_text()
    agenda = _agenda_items(page)
    assert annual.customer.company_name in agenda and "Add licences" in agenda

    page.goto(f"/subscriptions/{annual.subscription_id}/")
    page.click("text=Move or delete the scheduled change")
    page.fill("input[name=apply_date]", in_20.isoformat())
    _review_and_confirm(page, "Review the new date")
    page.wait_for_url(f"**/subscriptions/{annual.subscription_id}/")
    assert in_20.isoformat() in page.locator("[data-testid=reservation]").inner_text()
    assert Reservation.objects.get(subscription_id=annual.subscription_id).apply_date == in_20

    page.goto(f"/subscriptions/{annual.subscription_id}/reservation/")
    page.click("[data-testid=delete] summary")
    page.click("[data-testid=delete-yes]")
    page.wait_for_url(f"**/subscriptions/{annual.subscription_id}/")
    assert "No change is scheduled" in page.locator("body").inner_text()

    # --- Renewal: do not renew; the agenda shows it on the day after the term ---
    page.click("text=Change the renewal")
    page.check("input[name=type][value=CANCEL]")
    _review_and_confirm(page, "Review the renewal")
    page.wait_for_url(f"**/subscriptions/{annual.subscription_id}/")
    assert "Do not renew" in page.locator("[data-testid=renewal]").inner_text()
    renewal_day = (annual.plan_end_date + dt.timedelta(days=1)).isoformat()
    agenda = _agenda_items(page, f"?date_from={renewal_day}&date_to={renewal_day}")
    assert annual.customer.company_name in agenda and "is not renewed" in agenda
    screenshot(page, "agenda-after-changes")
