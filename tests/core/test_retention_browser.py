"""In headless Chromium, in English and Japanese: an Admin reaches the Data kept page from the Sync page, reads each
rule with why it is kept, and sees when the oldest issued invoice may first be removed (the legal minimum) and
what the last nightly housekeeping removed; below, the size of each table as that housekeeping measured it, its
rows added per month and whether it reaches the watched size."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from portal.core.access import Role
from portal.core.retention import housekeep
from tests.core.test_retention import _invoice, documents  # noqa: F401 - the documents' store of each test
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _language(page, language: str) -> None:
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])


def test_an_admin_reads_the_rules_from_the_sync_page(page, documents):  # noqa: F811
    page.set_viewport_size({"width": 1366, "height": 900})
    customer = make_customer(company_name="北商事株式会社")
    _invoice(1000, dt.date(2025, 12, 15), customer, pdf=b"%PDF dec\n")
    with time_machine.travel(dt.datetime(2026, 11, 26, 3, 30, tzinfo=dt.UTC), tick=False):
        housekeep()
    login(page, make_persona(Role.ADMIN))
    words = {
        "en": (
            "Data kept",
            "Issued invoices and their PDFs",
            "removed 0 rows",
            "Never: its rows leave by rule",
        ),
        "ja": (
            "データの保存期間",
            "発行した請求書とその PDF",
            "0 行を削除しました",
            "達しません：行は規則どおり削除され",
        ),
    }
    for language, (title, invoices, last_run, levels_off) in words.items():
        _language(page, language)
        page.goto("/sync/")
        page.locator('[data-testid="retention-link"]').click()
        page.wait_for_url("**/sync/retention/")
        assert page.locator("h1").inner_text() == title
        row = page.locator('[data-testid="retention-rules"] tbody tr', has_text=invoices)
        assert "2025-12-15" in row.inner_text() and "2033-03-01" in row.inner_text()
        assert last_run in page.inner_text('[data-testid="last-housekeeping"]')
        # The customer invoices' table: one row, measured, its months counted (none in the last three), and at
        # that growth it never reaches the watched size.
        sizes = page.locator(
            '[data-testid="table-sizes"] tr[data-table="invoicing_issuedinvoice"]'
        ).inner_text()
        assert "\t1\t" in sizes and "2026-10" in sizes and levels_off in sizes
        screenshot(page, f"retention-{language}")
