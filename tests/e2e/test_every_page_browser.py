"""Every page of the portal, in English and in Japanese, as an Admin, in one sweep at 1366 px (a common laptop):

- it passes axe-core (WCAG 2.1 A/AA): no serious or critical violation (the `page` fixture fails on any);
- the page does not scroll sideways, and the customer list's table fits without its own scroll bar (its columns
  were chosen for that; the rest is on the customer page);
- a screenshot of each page is kept under var/screenshots/layout-* to look at.

The pages are those the HTML check finds by following links (tests/core/test_valid_html.py), so a new page is
covered as soon as something links to it. States no link reaches are driven by hand in
test_accessibility_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portal.core.access import Role
from tests.core.test_hostile_input import world  # noqa: F401 - the fixture is used below
from tests.core.test_valid_html import crawl_urls
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: Lists whose table must fit the width, not scroll inside its frame.
TABLES_THAT_FIT = ("/customers/",)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_page_passes_axe_and_fits_1366_px(page, world, axe_violations, language):  # noqa: F811
    # The widest row the list can show: the longest product and plan labels, every badge, a long name and domain.
    make_customer(
        company_name="Kita-Nihon Regional Logistics Holdings Co., Ltd.",
        domain="kita-nihon-regional-logistics.example.co.jp",
        customer_code="KNRL-2026-000123",
        product_id="ADV",
        plan="ANNUAL_PREPAY_LICENSE",
        usage_status="SUSPENDED_WITHDRAWAL",
        has_scheduled_changes=True,
        max_member_unlimited=True,
        trial_ends_on=dt.date(2026, 12, 31),
        synced_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    admin = make_persona(Role.ADMIN)
    urls = crawl_urls(admin, language)

    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    too_wide = []
    for url in urls:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        page.evaluate("() => window.__portalAxe.check()")  # waits for axe on this page state
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            too_wide.append(f"{url}: the page is {width[0]} px wide")
        if url.split("?")[0] in TABLES_THAT_FIT:
            table = page.evaluate(
                "() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth]; }"
            )
            if table[0] > table[1]:
                too_wide.append(f"{url}: the table is {table[0]} px in a {table[1]} px frame")
        slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
        screenshot(page, f"layout-{language}-{slug}"[:120])
    assert too_wide == []
    assert axe_violations == [], "\n".join(dict.fromkeys(axe_violations))
