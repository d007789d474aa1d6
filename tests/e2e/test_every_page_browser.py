"""Every page of the portal, in English and in Japanese, as an Admin, in one sweep: each page at 1366 px (a common
laptop), then at 640 px (a 1280 px screen at 200 % zoom, WCAG 1.4.4 and 1.4.10; narrower than the 1366 px laptop's
683):

- it passes every rule axe-core runs (WCAG 2.1 A/AA, landmarks) at both widths: at 640 px tables scroll in their
  frames, which then become focusable and named (portal.js), so a state there is not the wide one's; no violation
  but a minor one (the `page` fixture fails on any);
- the page does not scroll sideways at either width, and at 1366 px the customer list's and the invoices' tables
  fit without their own scroll bar (their columns were chosen for that; the rest is on the customer page and a
  month's details); at 640 px every link of the main navigation shows;
- a screenshot of each page at each width is kept under var/screenshots/layout-* to look at.

The pages are those the HTML check finds by following links (tests/core/test_valid_html.py), one of each shape
(the HTML check takes two: the second shows the same template with other rows), so a new page is covered as soon
as something links to it. States no link reaches are driven by hand in
test_accessibility_browser.py.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib

import pytest
from django.urls import reverse

from portal.core.access import Role
from tests.billing.factories import make_invoice
from tests.core.test_hostile_input import world  # noqa: F401 - the fixture is used below
from tests.core.test_valid_html import crawl_urls, invoices  # noqa: F401 - the fixture is used below
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: Lists whose table must fit the width at 1366 px, not scroll inside its frame.
TABLES_THAT_FIT = ("/customers/", "/billing/")
#: The widths of the sweep: a common laptop, and a 1280 px screen at 200 % zoom.
WIDTHS = (1366, 640)
#: The sweep of a language is cut in this many tests so that parallel test workers share it instead of one of
#: them running it all at the end of the suite. A page's shard is found from its URL with the numbers left out,
#: so that each test's world (its own ids) puts a page in the same shard.
SHARDS = 2


def shard_of(url: str) -> int:
    return zlib.crc32(re.sub(r"\d+", "#", url).encode()) % SHARDS


#: The main navigation's links that are outside the viewport or hidden by an overflow (none may be).
HIDDEN_NAV_LINKS = """() => [...document.querySelectorAll("nav.mainnav a")].filter(a => {
  const box = a.getBoundingClientRect(), nav = a.closest("nav").getBoundingClientRect();
  return box.width === 0 || box.right > window.innerWidth || box.left < 0
    || box.right > nav.right + 1 || box.bottom > nav.bottom + 1;
}).map(a => a.textContent.trim())"""


@pytest.mark.long
@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("language", ["en", "ja"])
def test_every_page_passes_axe_and_fits_1366_and_640_px(
    page,
    world,  # noqa: F811
    invoices,  # noqa: F811
    axe_violations,
    language,
    shard,
):
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
    # The widest invoices the table shows: a large partner's eight-digit amounts, unpaid, one that does not
    # add up.
    for month in (9, 10):
        make_invoice(
            month=month,
            invoice_no=20260000 + month,
            used_amount=48_765_432,
            used_tax_amount=4_876_543,
            option_plus_amount=12_345_678,
            option_plus_tax_amount=1_234_567,
            penalty_amount=1_234_567,
            total_amount=68_456_787 + month,
            payment_status="UNPAID",
        )
    admin = make_persona(Role.ADMIN)
    urls = crawl_urls(admin, language, per_shape=1)
    # A worklist section's full list is reached by its "N in all" only when the section has more than five
    # items: one is visited whatever the world holds.
    full_list = reverse("work_list", args=["stale"])
    if full_list not in urls:
        urls.append(full_list)
    # The customer invoices' pages a crawl of one or two URLs a shape leaves out (a credit note's, a corrected
    # invoice's, a changed draft's).
    urls += [url for url in invoices["pages"] if url not in urls]
    urls = [url for url in urls if shard_of(url) == shard]
    assert len(urls) > 10, "a shard of the sweep holds a fair part of the pages"

    page.set_viewport_size({"width": WIDTHS[0], "height": 768})
    login(page, admin)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    too_wide = []
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 768})
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == language
        slug = re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"
        for width in WIDTHS:
            # The same page at each width: the layout answers the resize as it would a zoom.
            page.set_viewport_size({"width": width, "height": 768})
            # Waits for axe on this page state, every rule at each width.
            page.evaluate("() => window.__portalAxe.check()")
            shown = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if shown[0] > shown[1]:
                too_wide.append(f"{url} at {width} px: the page is {shown[0]} px wide")
            if width == WIDTHS[0] and url.split("?")[0] in TABLES_THAT_FIT:
                table = page.evaluate(
                    "() => { const w = document.querySelector('.table-wrap'); "
                    "return w ? [w.scrollWidth, w.clientWidth] : [0, 0]; }"
                )
                if table[0] > table[1]:
                    too_wide.append(f"{url}: the table is {table[0]} px in a {table[1]} px frame")
            hidden = page.evaluate(HIDDEN_NAV_LINKS)
            if hidden:
                too_wide.append(f"{url} at {width} px: the navigation hides {hidden}")
            screenshot(page, f"layout-{language}-{width}-{slug}"[:120])
    assert too_wide == []
    assert axe_violations == [], "\n".join(dict.fromkeys(axe_violations))
