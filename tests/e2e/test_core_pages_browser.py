"""In headless Chromium: the Activity, Sync, Scheduled changes and Connect partner account pages."""

import datetime as dt
import re

import pytest

from portal.core import clock, services
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_pre_order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_support_filters_activity_without_reloading_the_page(page):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    services.audit_record(actor=manager, operation_id="patchCustomer", outcome="succeeded", domain_id=1001)
    services.audit_record(
        actor=manager, operation_id="deleteCustomer", outcome=AuditEntry.Outcome.REFUSED, domain_id=2002
    )
    login(page, make_persona(Role.SUPPORT))
    page.click("nav.mainnav a[data-nav=activity]")
    page.wait_for_url("**/activity/**")
    assert page.locator("#results tbody tr").count() == 2

    page.evaluate("() => { window.__same_document = true; }")
    page.select_option("select[name=outcome]", "refused")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert page.evaluate("() => window.__same_document") is True  # htmx swapped the results only
    assert page.locator("[id=results]").count() == 1  # replaced, not nested inside the old results
    # The change in words; its operationId only for machines, not on hover.
    assert "Delete a customer" in page.locator("#results").inner_text()
    assert page.locator("#results .operation").get_attribute("data-operation") == "deleteCustomer"
    assert page.locator("#results .operation").get_attribute("title") is None
    assert re.search(r"[?&]outcome=refused", page.url)  # the filter is in the URL, to share or reload

    page.reload()
    assert page.locator("#results tbody tr").count() == 1
    screenshot(page, "activity-filtered")


def test_account_manager_sees_sync_now_and_finance_gets_a_friendly_403(page, browser, live_server):
    from django.core.cache import cache
    from django.utils import timezone

    from portal.core.sync import refresh
    from tests.subscriptions.factories import make_subscription

    due = make_customer(synced_at=timezone.now() - dt.timedelta(minutes=42))
    make_subscription(due, plan_end_date=clock.today() + dt.timedelta(days=3))
    cache.delete(refresh.LOOKED_AT_KEY)
    login(page, make_persona(Role.ACCOUNT_MANAGER))
    page.set_viewport_size({"width": 1366, "height": 860})
    page.click("nav.mainnav a[data-nav=sync]")
    assert page.locator("h1").inner_text() == "Sync"
    assert page.locator("[data-testid=sync-now]").is_visible()
    assert "oldest copy was read 42" in page.locator("[data-testid=looked-at-copy]").inner_text()
    screenshot(page, "sync-page")
    page.context.add_cookies([{"name": "django_language", "value": "ja", "url": page.url}])
    page.reload()
    assert "42分前" in page.locator("[data-testid=looked-at-copy]").inner_text()
    screenshot(page, "sync-page-ja")

    other = browser.new_context(base_url=live_server.url)
    finance_page = other.new_page()
    login(finance_page, make_persona(Role.FINANCE))
    response = finance_page.goto("/sync/")
    assert response.status == 403
    assert finance_page.locator("h1").inner_text() == "You cannot open this page"
    other.close()


def test_scheduled_changes_show_a_pre_order_under_its_date_with_its_deadline(page):
    customer = make_customer(company_name="緑電機株式会社")
    today = clock.today()
    apply_date = today + dt.timedelta(days=3)
    make_pre_order(customer, apply_date=apply_date, license_count=None)
    # Two more in next month, for the calendar.
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    later = next_month + dt.timedelta(days=9)
    make_pre_order(make_customer(company_name="Blue Ocean"), apply_date=later)
    make_pre_order(make_customer(company_name="Red Sun"), apply_date=later)
    login(page, make_persona(Role.SUPPORT))
    page.click("nav.mainnav a[data-nav=scheduled]")
    agenda = page.locator("#agenda")
    assert apply_date.isoformat() in agenda.inner_text()
    assert "緑電機株式会社" in agenda.inner_text()
    assert page.locator("[data-testid=deadline-soon]").count() == 1
    assert page.locator("[data-testid=change-link]").count() == 0  # Support: read-only
    screenshot(page, "scheduled-changes")

    # The calendar of this month, then next month and back, without reloading the page.
    page.evaluate("() => { window.__same_document = true; }")
    page.click("[data-testid=view-calendar]")
    page.wait_for_selector(f"table.calendar[data-month='{today:%Y-%m}']")
    assert page.locator("td[aria-current=date]").get_attribute("data-day") == today.isoformat()
    if apply_date.month == today.month:
        assert "緑電機株式会社" in page.locator(f"td[data-day='{apply_date}']").inner_text()
    page.click("[data-testid=calendar-next]")
    page.wait_for_selector(f"table.calendar[data-month='{next_month:%Y-%m}']")
    assert re.search(rf"[?&]month={next_month:%Y-%m}", page.url) and "view=calendar" in page.url
    cell = page.locator(f"td[data-day='{later}']")
    assert "Blue Ocean" in cell.inner_text() and "Red Sun" in cell.inner_text()
    screenshot(page, "scheduled-changes-calendar")

    # Filtering keeps the calendar on the month shown.
    page.fill("#main input[name=q]", "blue")
    page.wait_for_function(
        f"() => !document.querySelector(\"td[data-day='{later}']\").innerText.includes('Red Sun')"
    )
    assert "Blue Ocean" in cell.inner_text()
    assert page.locator(f"table.calendar[data-month='{next_month:%Y-%m}']").count() == 1
    page.click("[data-testid=calendar-previous]")
    page.wait_for_selector(f"table.calendar[data-month='{today:%Y-%m}']")
    assert "q=blue" in page.url
    assert page.locator("[id=agenda]").count() == 1  # replaced, not nested
    assert page.evaluate("() => window.__same_document") is True  # htmx swapped the results only

    # The agenda from the switch, with the filter kept.
    page.click("[data-testid=view-agenda]")
    page.wait_for_selector("#agenda[data-view=agenda]")
    assert "Blue Ocean" in page.locator("#agenda").inner_text()
    assert "緑電機株式会社" not in page.locator("#agenda").inner_text()


def test_admin_reaches_connect_partner_account_from_the_user_menu(page):
    login(page, make_persona(Role.ADMIN))
    page.click(".usermenu summary")
    page.click("[data-testid=partner-account-link]")
    assert page.locator("h1").inner_text() == "Connect partner account"
    screenshot(page, "partner-account")


def test_deleting_a_scheduled_change_asks_first_and_states_the_consequence(page, live_server):
    customer = make_customer(
        renewal_apply_date=clock.today() + dt.timedelta(days=10), renewal_max_member_count=80
    )
    login(page, make_persona(Role.ACCOUNT_MANAGER), f"/customers/{customer.domain_id}/usage/")
    requests_sent = []
    page.on("request", lambda r: requests_sent.append(r.url) if r.method == "POST" else None)

    yes = page.locator("[data-testid=renewal-delete-yes]")
    assert not yes.is_visible()
    page.click("[data-testid=renewal-delete] summary")
    assert yes.is_visible()
    assert "the current maximum stays" in page.locator("[data-testid=renewal-delete]").inner_text()
    assert requests_sent == []  # the first click only opens the confirmation
    screenshot(page, "usage-confirm-delete")
    assert yes.evaluate("b => b.form.action").endswith(
        f"/customers/{customer.domain_id}/usage/renewal/delete/"
    )


def test_the_refusal_page_is_accessible_too(page):
    """A page refused for the role (403) is a page people read: the `page` fixture checks it with axe-core
    like any other (its big status code once had too little contrast)."""
    login(page, make_persona(Role.FINANCE))
    response = page.goto("/sync/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "You cannot open this page"
    page.evaluate("() => window.__portalAxe.check()")


def test_a_busy_day_of_the_agenda_goes_on_on_its_next_page_in_japanese(page):
    """More changes on one day than a page holds: the agenda shows a page of them, says how many follow, and its
    link goes on with the same day's other customers."""
    from schedule.sources import AGENDA_PAGE_ITEMS

    day = clock.today() + dt.timedelta(days=2)
    for n in range(AGENDA_PAGE_ITEMS + 5):
        make_pre_order(make_customer(company_name=f"多忙商事{n:02d}"), apply_date=day)
    login(page, make_persona(Role.SUPPORT))
    page.context.add_cookies([{"name": "django_language", "value": "ja", "url": page.url}])
    page.set_viewport_size({"width": 1366, "height": 860})
    page.goto("/scheduled/")
    assert page.locator("#agenda [data-kind]").count() == AGENDA_PAGE_ITEMS
    later = page.locator("[data-testid=agenda-later]")
    assert f"以降の変更 5 件（{day.isoformat()} から）" in later.inner_text()
    screenshot(page, "scheduled-changes-busy-day-ja")
    later.click()
    page.wait_for_url("**after=*")
    assert page.locator("#agenda [data-kind]").count() == 5
    assert page.locator("[data-testid=agenda-later]").count() == 0
    assert "多忙商事29" in page.locator("#agenda").inner_text()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_calendar_s_filter_keeps_clear_beside_show_at_every_width(page, language):
    """The filter's two buttons go together: where the fields wrap, Clear never ends up alone on a row."""
    login(page, make_persona(Role.ADMIN))  # the Owner filter too: the most fields
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/scheduled/?view=calendar")
    where = """() => [...document.querySelectorAll("#schedule-filters .btn")].map(b => {
                 const box = b.getBoundingClientRect(); return [Math.round(box.top), Math.round(box.bottom)]; })"""
    alone = []
    for width in range(640, 1400, 10):
        page.set_viewport_size({"width": width, "height": 800})
        (show_top, show_bottom), (clear_top, clear_bottom) = page.evaluate(where)
        if not (clear_top < show_bottom and show_top < clear_bottom):
            alone.append(width)
    assert alone == []
    page.set_viewport_size({"width": 670, "height": 800})
    # The page judges a frame that scrolls at the new width (focusable, named) when the resize is observed.
    page.wait_for_function(
        """() => [...document.querySelectorAll(".table-wrap")].every(b => b.hasAttribute("tabindex")
               || (b.scrollWidth <= b.clientWidth + 1 && b.scrollHeight <= b.clientHeight + 1))"""
    )
    screenshot(page, f"scheduled-calendar-filter-670-{language}")
