"""In headless Chromium at 1366 px, with a real Celery worker: Finance opens Records, reads what is kept and why,
asks for one customer's quarter for a tax officer without typing a price or an address, watches the worker make
it, downloads the ZIP whose SHA-256 the page shows, and reads the same pages (and a document's history) in
Japanese."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from invoicing import services
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _issued(month) -> None:
    """October's invoice of Alpha (No. 1) and a credit note of part of it (No. 2), issued by Finance."""
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    services.credit_note_issue(
        user=finance, number=1, credits={0: 1_000}, return_date=None, reason="", key="c" * 32
    )


def test_finance_hands_a_tax_officer_one_customers_quarter(page, month, celery_worker_process):
    _issued(month)
    alpha = month["alpha"]
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.FINANCE), "/invoicing/records/")
    rules = page.inner_text('[data-testid="records-rules"]')
    assert "7 years from two months after the end of the tax period" in rules
    assert "LINE WORKS's invoices to the partner" in rules
    screenshot(page, "invoicing-records-en")

    form = page.locator('[data-testid="export-form"]')
    form.locator("input[name=q]").fill(str(alpha.domain_id))
    form.locator("input[name=issued_from]").fill("2026-10-01")
    form.locator("input[name=issued_to]").fill("2026-12-31")
    page.click('[data-testid="export-start"]')
    page.wait_for_selector('[data-testid="download"]', timeout=60_000)  # made by the worker, the page polling
    shown = page.inner_text('[data-testid="zip-sha256"]').strip()
    assert "2 documents written of 2" in page.inner_text('[data-testid="export-run"]')
    assert f"Customer: {alpha.domain_id}" in page.inner_text('[data-testid="selection"]')
    screenshot(page, "invoicing-records-export-en")

    with page.expect_download() as download:
        page.click('[data-testid="download"]')
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown
    archive = zipfile.ZipFile(io.BytesIO(data))
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    # In the order of issue: by date, then number. (The Celery worker may issue the month before this test's own
    # call does, on the real date rather than the pinned one, so the credit note may come first.)
    issued = [(row[0], int(row[1])) for row in index[1:]]
    assert sorted(issued) == issued and {number for _day, number in issued} == {1, 2}
    for row in index[1:]:
        assert hashlib.sha256(archive.read(row[-3])).hexdigest() == row[-2]
    assert "パートナー株式会社" in archive.read("rules-ja.txt").decode("utf-8")

    with page.expect_navigation():
        in_japanese(page)
    assert "ZIPのSHA-256" in page.inner_text("main")
    screenshot(page, "invoicing-records-export-ja")
    page.goto(page.url.split("/invoicing/")[0] + "/invoicing/records/")
    assert "訂正・削除を防ぐ仕組み" in page.inner_text("main")
    screenshot(page, "invoicing-records-ja")
    page.goto(page.url.split("/invoicing/")[0] + "/invoicing/issued/1/")
    history = page.inner_text('[data-testid="history"]')
    assert "書類を発行" in history and "返還請求書 No. 2で返還" in history
    screenshot(page, "invoicing-issued-history-ja")
