"""In headless Chromium, in English and Japanese: an Admin reaches the Data kept page from the Sync page, reads each
rule with why it is kept, and sees when the oldest issued invoice may first be removed (the legal minimum) and
what the last nightly housekeeping removed; below, the size of each table as that housekeeping measured it, its
rows added per month and whether it reaches the watched size."""

from __future__ import annotations

import datetime as dt
import re

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


#: The sign-ins' rule as each language names what it keeps.
SIGNINS = {"en": "Sign-ins: who signed in", "ja": "ログイン履歴：だれが"}


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
        if language == "ja":  # every table named in Japanese (a rule without `table` shows its model's name)
            names = page.locator('[data-testid="retention-rules"] tbody tr td:first-child').all_inner_texts()
            assert names and all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", name) for name in names), names
        # The accounts app's rules beside core's: the sign-ins a year, by their setting.
        signins = page.locator('[data-testid="retention-rules"] tbody tr', has_text=SIGNINS[language])
        assert "RETENTION_SIGNIN_DAYS" in signins.first.inner_text()
        # The customer invoices' table: one row, measured, its months counted (none in the last three), and at
        # that growth it never reaches the watched size.
        sizes = page.locator(
            '[data-testid="table-sizes"] tr[data-table="invoicing_issuedinvoice"]'
        ).inner_text()
        assert "\t1\t" in sizes and "2026-10" in sizes and levels_off in sizes
        screenshot(page, f"retention-{language}")


def test_an_admin_reads_last_months_runs_and_an_older_month_s_option_usage_summed(page):
    """The runs and the daily option usage the housekeeping removed are still told: the Sync page's "Earlier runs
    by month" and the usage page of a month whose days are gone, in English and Japanese."""
    from options.models import OptionUsage
    from portal.core.models import SyncRun
    from tests.options.factories import make_usage

    page.set_viewport_size({"width": 1366, "height": 900})
    customer = make_customer(company_name="北商事株式会社")
    for day, status in ((dt.date(2026, 5, 3), "succeeded"), (dt.date(2026, 5, 20), "failed")):
        with time_machine.travel(dt.datetime.combine(day, dt.time(1), tzinfo=dt.UTC), tick=False):
            SyncRun.objects.create(
                kind="full",
                status=status,
                done=1_200,
                calls={"getCustomer": 1_200},
                finished_at=dt.datetime.combine(day, dt.time(2), tzinfo=dt.UTC),
            )
    for n in range(1, 6):
        make_usage(customer, dt.date(2025, 9, n), usage_count=None, quantity=n, license_count=40)
    with time_machine.travel(dt.datetime(2026, 11, 20, 18, tzinfo=dt.UTC), tick=False):
        housekeep()
    assert not SyncRun.objects.filter(kind="full").exists() and not OptionUsage.objects.exists()
    login(page, make_persona(Role.ADMIN))
    words = {
        "en": ("Earlier runs by month", "Full resyncs", "Usage of the month"),
        "ja": ("以前の実行（月ごと）", "全件同期", "この月の使用量"),
    }
    for language, (history, full, usage) in words.items():
        _language(page, language)
        page.goto("/sync/")
        section = page.locator('[data-testid="sync-history"]')
        assert history in section.locator("h2").inner_text()
        line = section.locator("tbody tr", has_text="2026-05").inner_text()
        assert full in line and "2,400" in line and "\t2\t1\t" in line  # 2 runs, 1 failed
        screenshot(page, f"sync-history-{language}")
        page.goto(f"/options/customers/{customer.domain_id}/usage/?month=2025-09")
        summary = page.locator('[data-testid="usage-summary"]')
        assert usage in summary.locator("h2").inner_text()
        assert "\t5\t—\t5\t40\t" in summary.locator("tbody tr").inner_text()  # 5 days, highest quantity 5
        screenshot(page, f"usage-summary-{language}")
