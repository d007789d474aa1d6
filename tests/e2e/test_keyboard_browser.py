"""By keyboard alone, in headless Chromium: the customer list (skip link, search, sort, page, with the focus kept
where it was and the result count announced) and a change form (an error takes the focus to a summary whose
links lead to the fields). Every state is also checked by axe-core (the `page` fixture)."""

from __future__ import annotations

import re

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FOCUSED = (
    "() => document.activeElement && (document.activeElement.dataset.focusId || document.activeElement.id)"
)


def _tab_to(page, predicate: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `predicate` (a JS function of the element)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate})(el); }}"):
            return
    raise AssertionError(f"never reached by Tab: {predicate}")


def test_the_customer_list_by_keyboard(page):
    for i in range(60):
        make_customer(company_name=f"{'Alpha' if i < 10 else 'Beta'} Keys {i:02d}", member_count=i)
    login(page, make_persona(Role.SUPPORT), "/customers/")

    # The first Tab reaches the skip link; Enter puts the focus on the main content, past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # Search: type in the box, the list narrows, and the count is announced in the live region.
    _tab_to(page, "el => el.name === 'q'")
    page.keyboard.type("Alpha")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 10")
    page.wait_for_function("() => document.getElementById('live').textContent.includes('10 customers')")
    assert page.evaluate("() => document.activeElement.name") == "q"  # typing was not interrupted

    # Sort by members with Enter on the header link: after the swap the focus is on that header again.
    _tab_to(page, "el => el.dataset.focusId === 'sort-members'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*sort=members.*"))
    page.wait_for_function("() => document.activeElement.dataset.focusId === 'sort-members'")
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Members")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*sort=-members.*"))
    page.wait_for_function("() => document.querySelector('th[aria-sort=descending]') !== null")
    page.wait_for_function("() => document.activeElement.dataset.focusId === 'sort-members'")

    # Clear the search, then the pager: "Next" keeps the focus on the pager, not on <body>.
    page.goto("/customers/?per_page=25")
    _tab_to(page, "el => el.dataset.focusId === 'page-next'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*page=2.*"))
    # Once the swap has settled the focus is back on the pager's "Next" (or on the swapped region).
    page.wait_for_function(f"() => ['page-next', 'results'].includes(({FOCUSED})())")
    page.wait_for_function("() => document.getElementById('live').textContent.includes('60 customers')")


def test_a_change_form_error_takes_the_focus_to_a_summary_that_leads_to_the_field(page):
    customer = make_customer(company_name="Keyboard Form KK", max_member_count=50, member_count=10)
    login(page, make_persona(Role.ACCOUNT_MANAGER), f"/customers/{customer.domain_id}/usage/")
    # The page holds two forms with fields of the same names; each label focuses its own form's field.
    page.locator("label[for=renewal_max_member_count]").click()
    assert page.evaluate("() => document.activeElement.id") == "renewal_max_member_count"
    page.locator("label[for=id_max_member_count]").click()
    assert page.evaluate("() => document.activeElement.id") == "id_max_member_count"

    field = page.locator("#id_max_member_count")
    field.focus()
    field.fill("0")
    page.keyboard.press("Enter")  # submits the form it is in
    page.wait_for_load_state()

    summary = page.locator("[data-error-summary]")
    page.wait_for_function(
        "() => !!document.activeElement && document.activeElement.hasAttribute('data-error-summary')"
    )
    assert page.title().startswith("Error: ") and page.title()[len("Error: ")] != " "
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby")
    assert "id_max_member_count_error" in described
    assert page.locator("#id_max_member_count_error").inner_text() in summary.inner_text()
    screenshot(page, "keyboard-error-summary")

    # Tab into the summary, Enter on its link: the focus lands on the field to correct.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('[data-error-summary]') !== null")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'id_max_member_count'")


def test_an_error_on_a_group_of_radios_leads_to_its_first_radio(page):
    """The error summary's link to a radio group (no control has the group's own id) moves the focus to the
    group's first radio, where the answer is chosen."""
    login(page, make_persona(Role.ADMIN), "/users/add/")
    page.fill("input[name=username]", "radio.keys")
    page.locator("[data-testid=save]").click()
    page.wait_for_function(
        "() => !!document.activeElement && document.activeElement.hasAttribute('data-error-summary')"
    )
    link = page.locator("[data-error-summary] a[href='#id_role_0']")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'id_role_0'")
    assert page.evaluate("() => document.activeElement.type") == "radio"


def test_a_confirmation_page_puts_the_focus_on_check_before_sending(page):
    customer = make_customer(company_name="Focus On Check KK", max_member_count=50, member_count=10)
    login(page, make_persona(Role.ACCOUNT_MANAGER), f"/customers/{customer.domain_id}/usage/")
    page.fill("#id_max_member_count", "60")
    page.locator("[data-testid=save-usage]").click()
    page.locator("[data-testid=confirm]").wait_for()
    page.wait_for_function("() => document.activeElement.id === 'check-before-sending'")
    assert page.evaluate("() => document.activeElement.textContent") == "Check before sending"
    # From there the next Tab stops are what will be sent, then the button that sends it.
    _tab_to(page, "el => el.dataset.testid === 'confirm'")


def test_the_user_menu_closes_with_escape(page):
    login(page, make_persona(Role.SUPPORT), "/customers/")
    menu = page.locator("details.usermenu")
    _tab_to(page, "el => el.matches('details.usermenu > summary')")
    page.keyboard.press("Enter")
    assert menu.get_attribute("open") is not None
    _tab_to(page, "el => el.closest('.usermenu-panel') !== null")
    page.keyboard.press("Escape")
    assert menu.get_attribute("open") is None
    assert page.evaluate("() => document.activeElement.matches('details.usermenu > summary')")


def test_the_option_usage_tables_scroll_by_keyboard(page):
    """A table taller than its box scrolls inside it: the box takes the focus, so arrow keys scroll it."""
    import datetime as dt

    from tests.options.factories import make_option, make_usage

    customer = make_customer(company_name="Scroll Box KK")
    make_option(customer)
    for day in range(1, 31):
        make_usage(customer, dt.date(2026, 11, day), usage_count=day)
    login(page, make_persona(Role.SUPPORT), f"/options/customers/{customer.domain_id}/usage/?month=2026-11")
    box = page.locator(".usage-grid .table-wrap").first
    assert box.evaluate("el => el.scrollHeight > el.clientHeight")  # it does scroll
    _tab_to(page, "el => el.matches('.usage-grid .table-wrap')")
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('.usage-grid .table-wrap').scrollTop > 0")
