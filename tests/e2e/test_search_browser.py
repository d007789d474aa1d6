"""The search box in the top bar by keyboard, in headless Chromium (issue 55, deliverable 1): "/" comes to it,
typing a company name shows the results grouped by kind with their count read out, Down and Enter open the
customer; Escape closes the results; Enter without choosing opens the results page. In English and Japanese,
each state checked by axe-core (the `page` fixture)."""

from __future__ import annotations

import re

import pytest

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACTIVE = "() => document.activeElement && document.activeElement.id"


def _customers():
    first = make_customer(company_name="サクラ商事株式会社", domain="sakura-shoji.example.com")
    make_customer(company_name="さくら運輸", domain="sakura-unyu.example.com")
    make_customer(company_name="富士物産", domain="fuji.example.com")
    make_subscription(first)
    return first


def test_find_a_customer_by_keyboard(page):
    first = _customers()
    login(page, make_persona(Role.SUPPORT), "/")

    # "/" anywhere but in a field comes to the box.
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate(ACTIVE) == "find-q"
    assert page.locator("#find-q").get_attribute("aria-keyshortcuts") == "/"

    # Typing shows the results under the box, grouped by kind, and their count is read out.
    page.keyboard.type("さくら")
    panel = page.locator("#find-panel")
    panel.locator("[data-testid=find-group-customers] a").first.wait_for()
    page.wait_for_function("() => document.getElementById('live').textContent.includes('2 results')")
    assert panel.locator("[data-testid=find-group-customers] a").count() == 2
    assert page.evaluate(ACTIVE) == "find-q"  # typing was not interrupted
    screenshot(page, "search-panel-en")

    # Escape closes them and leaves the focus in the box; typing again opens them.
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate(ACTIVE) == "find-q"
    page.keyboard.type(" ")
    page.keyboard.press("Backspace")
    page.keyboard.press("End")
    page.keyboard.type("商事")
    page.wait_for_function("() => document.querySelectorAll('#find-panel [data-find-result]').length === 2")

    # Down goes to the first result (in name order); Enter opens it.
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.textContent").startswith("サクラ商事株式会社")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/customers/{first.domain_id}/$"))


def test_the_results_page_and_a_jump_in_japanese(page):
    first = _customers()
    login(page, make_persona(Role.ACCOUNT_MANAGER), "/")
    in_japanese(page)

    # Enter without choosing: the results page, at an address a ticket can link to.
    page.fill("#find-q", "さくら")
    page.locator("#find-panel [data-find-result]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/search/\?q=.*"))
    assert page.locator("[data-testid=results-customers] li").count() == 2
    assert "“さくら”の検索結果：2 件" in page.inner_text("[data-testid=result-count]")
    screenshot(page, "search-results-ja")

    # The panel in Japanese.
    page.fill("#find-q", "富士")
    page.locator("#find-panel [data-testid=find-group-customers] a").first.wait_for()
    page.wait_for_function("() => document.getElementById('live').textContent.includes('1 件')")
    screenshot(page, "search-panel-ja")

    # An exact domain jumps straight to its customer.
    page.fill("#find-q", "sakura-shoji.example.com")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/customers/{first.domain_id}/$"))
