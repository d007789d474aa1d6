"""Finance's month without typing, walked in headless Chromium at 1366 px as one person would (issue 57's
"done when"): from a portal holding only what the worker fetched from LINE WORKS (a sandbox of 135 customers
over real HTTP: customers, and the closed month's invoice and details) and the partner's own billing details,
Finance

1. accepts the costs the month's LINE WORKS invoice teaches into the price book;
2. sets the prices to the customers from the price book's own download, changed in a spreadsheet (a formula
   over the cost column, as openpyxl writes it) and uploaded: a dry run, then applied;
3. sets up every customer's billing details from the billing details' download, filled from the partner's
   customer register (a workbook of names, addresses and e-mails by Domain ID): a dry run, then applied;
4. issues the month (a real Celery worker renders the PDFs);
5. imports the bank's Zengin statement, confirms every certain match in one click, matches a part payment by
   its proposal and explains the bank fee, leaving the statement with every payment matched or explained;
6. asks for one customer's quarter for a tax officer and downloads the ZIP.

No price, address or name is typed into the portal: the only text typed is the tax officer's selection. The
steps are counted (`Walk`) and printed; the figure goes in the issue's note."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from billing import rules as billing_rules
from billing.models import PriceEntry
from billing.rules import INVOICE_DETAILS, INVOICES
from customers.models import Customer
from invoicing.models import BankLine, CustomerBilling, InvoicePayment, IssuedInvoice
from portal.core import sync
from portal.core.access import Role
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today, quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.invoicing.bank_files import zengin_file
from tests.invoicing.conftest import make_issuer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.long,
    pytest.mark.django_db(transaction=True),
]

own_sandbox = sandbox_of_its_own(seed_customers=135, seed=57)

#: The partner's margin over LINE WORKS' cost, as the spreadsheet's formula has it.
MARGIN = 1.25


@dataclass
class Walk:
    """What Finance does, one entry per click, upload or download (waiting for a page is not a step)."""

    steps: list[str] = field(default_factory=list)

    def __call__(self, what: str) -> None:
        self.steps.append(what)


def _register(customers: list[Customer]) -> dict[int, tuple[str, str, str]]:
    """The partner's own customer register (its CRM's export): the name to bill, the address and the e-mail of
    each customer, by Domain ID."""
    return {
        c.domain_id: (f"{c.company_name} 経理部", f"東京都千代田区丸の内{i}-1", f"ap{c.domain_id}@example.jp")
        for i, c in enumerate(customers, start=1)
    }


def test_finance_closes_a_month_of_135_customers_without_typing_a_price_or_an_address(
    page, own_sandbox, portal_api, monkeypatch, celery_worker_process, tmp_path
):
    quick_retries(monkeypatch)
    own_sandbox.configure(resetRateLimits=True)
    portal_api(own_sandbox)
    today = dt.date.fromisoformat(own_sandbox.clock()["today"])
    pin_business_today(monkeypatch, today)
    year, month = billing_rules.last_closed_month(today)
    # What the worker fetched from LINE WORKS, and the partner's own details (set once, at the start).
    assert sync.resync_full().status == "succeeded"
    assert sync.resync_partner_wide(name=INVOICES, params={"year": year}).status == "succeeded"
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params={"year": year, "month": month}).status == (
        "succeeded"
    )
    make_issuer()
    customers = list(Customer.objects.filter(removed_at=None).order_by("domain_id"))
    assert len(customers) == 135
    assert not PriceEntry.objects.exists() and not CustomerBilling.objects.exists()
    register = _register(customers)
    walk = Walk()
    page.set_viewport_size({"width": 1366, "height": 900})
    finance = make_persona(Role.FINANCE)

    # 1. Costs from the month's LINE WORKS invoice, all accepted.
    login(page, finance, f"/billing/{year}/{month}/costs/")
    walk("open the month's costs from LINE WORKS")
    page.wait_for_selector('[data-testid="costs"]')
    page.click('[data-testid="accept-all"]')
    walk("accept all")
    page.click('[data-testid="confirm-accept"]')
    walk("confirm")
    page.wait_for_selector('[data-testid="costs-all-in-book"]')
    costs = PriceEntry.objects.count()
    assert costs >= 3 and not PriceEntry.objects.exclude(price=None).exists()

    # 2. The prices to the customers: the book's download, a formula over its cost column, uploaded.
    page.goto("/billing/prices/")
    walk("open the price book")
    page.click('[data-testid="prices-import"]')
    walk("import from a file")
    page.wait_for_selector('[data-testid="import-form"]')
    with page.expect_download() as download:
        page.click('[data-testid="import-download-xlsx"]')
    walk("download the book")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    heading = [cell.value for cell in sheet[1]]
    cost_col, price_col = (
        heading.index("Cost a month per unit"),
        heading.index("Price to the customer a month per unit"),
    )
    for cells in sheet.iter_rows(min_row=2):
        if cells[cost_col].value is not None and cells[price_col].value is None:
            cells[price_col].value = round(int(cells[cost_col].value) * MARGIN)
    prices_file = tmp_path / "price-book.xlsx"
    book.save(prices_file)
    page.set_input_files('input[name="file"]', str(prices_file))
    walk("choose the changed book")
    page.click('[data-testid="dry-run-button"]')
    walk("dry run")
    page.wait_for_selector('[data-testid="dry-run"]')
    assert page.locator('[data-testid="dry-run-rows"] [data-status="changed"]').count() == costs
    screenshot(page, "walk-prices-dry-run-en")
    page.click('[data-testid="apply"]')
    walk("apply")
    page.wait_for_selector('[data-testid="prices"]')
    # The book is append-only: each price is a second entry of its cost's day, which takes over from it.
    assert PriceEntry.objects.exclude(price=None).count() == costs

    # 3. Every customer's billing details from the register, through the billing details' own download.
    page.goto("/invoicing/")
    walk("open Customer invoices")
    page.click('[data-testid="billing-details-import"]')
    walk("billing details from a file")
    page.wait_for_selector('[data-testid="import-form"]')
    with page.expect_download() as download:
        page.click('[data-testid="import-download-xlsx"]')
    walk("download the customers")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    heading = [cell.value for cell in sheet[1]]
    at = {
        name: heading.index(name)
        for name in ("Domain ID", "Name to bill", "Address to bill", "E-mail for invoices")
    }
    for cells in sheet.iter_rows(min_row=2):
        name, address, email = register[int(cells[at["Domain ID"]].value)]
        cells[at["Name to bill"]].value = name
        cells[at["Address to bill"]].value = address
        cells[at["E-mail for invoices"]].value = email
    details_file = tmp_path / "billing-details.xlsx"
    book.save(details_file)
    page.set_input_files('input[name="file"]', str(details_file))
    walk("choose the filled file")
    page.click('[data-testid="dry-run-button"]')
    walk("dry run")
    page.wait_for_selector('[data-testid="dry-run"]')
    assert page.locator('[data-testid="dry-run-rows"] [data-status="added"]').count() == 135
    screenshot(page, "walk-billing-details-dry-run-en")
    page.click('[data-testid="apply"]')
    walk("apply")
    page.wait_for_load_state()
    assert CustomerBilling.objects.exclude(bill_to_address="").count() == 135

    # 4. The month issued, by the worker.
    page.goto(f"/invoicing/{year}/{month}/")
    walk("open the month's drafts")
    page.wait_for_selector('[data-testid="issue-month"]')
    billed = int("".join(ch for ch in page.inner_text('[data-testid="issue-month"]') if ch.isdigit()))
    # Every customer LINE WORKS billed for the month (not all 135: some began after it), none blocked.
    assert billed == _billed_in(year, month) >= 80
    screenshot(page, "walk-drafts-en")
    page.click('[data-testid="issue-month"]')
    walk("issue the month")
    page.click('[data-testid="confirm-issue"]')
    walk("confirm")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"issue-month\"]') && "
        "/invoices? issued of/.test(document.querySelector('[data-testid=\"issue-run\"]')?.innerText || '')"
        " && !/Issuing/.test(document.querySelector('[data-testid=\"issue-run\"] h2')?.innerText || '')",
        timeout=300_000,
    )
    invoices = list(IssuedInvoice.objects.filter(year=year, month=month).order_by("number"))
    assert len(invoices) == billed
    numbers = [invoice.number for invoice in invoices]
    assert numbers == list(range(numbers[0], numbers[0] + billed))  # gap-free
    assert all(invoice.total > 0 for invoice in invoices)

    # 5. The bank's statement: most pay with the number in the memo, one pays part, one is left unpaid, and the
    # bank's fee for the statement.
    paid_day = today
    part, unpaid, *in_full = invoices
    lines = [
        {
            "day": paid_day,
            "amount": invoice.total,
            "payer": _payer(invoice.domain_id),
            "memo": str(invoice.number),
        }
        for invoice in in_full
    ]
    lines.append({"day": paid_day, "amount": part.total // 2, "payer": "ｶ)ﾌﾞﾌﾞﾝ", "memo": str(part.number)})
    lines.append({"day": paid_day, "amount": 440, "payer": "ﾃｽｳﾘﾖｳ"})
    statement = tmp_path / "nyushukkin.txt"
    statement.write_bytes(zengin_file(lines, newline=b"\r\n"))
    page.goto(f"/invoicing/{year}/{month}/")
    page.click('[data-testid="bank-statements"]')
    walk("open Bank statements")
    page.set_input_files("input[name=file]", str(statement))
    walk("choose the bank's file")
    page.click('[data-testid="bank-import"]')
    walk("import")
    page.wait_for_selector('[data-testid="bank-lines"]')
    screenshot(page, "walk-bank-statement-en")
    page.click('[data-testid="bank-confirm-certain"]')
    walk("confirm all certain")
    assert f"{len(in_full)} payments recorded." in page.inner_text("body")
    row = page.locator('[data-testid="bank-line"]', has_text="ﾌﾞﾌﾞﾝ")
    row.locator('[data-testid="bank-confirm"]').click()
    walk("confirm the part payment's proposal")
    fee = page.locator('[data-testid="bank-line"]', has_text="ﾃｽｳﾘﾖｳ")
    fee.locator("summary").click()
    walk("open the fee's explanation")
    fee.locator("select[name=explanation]").select_option("bank_fee")
    walk("choose: bank fee")
    fee.locator('[data-testid="bank-explain"]').click()
    walk("explain")
    assert "Every payment of this statement is matched or explained." in page.inner_text("main")
    assert not BankLine.objects.filter(state="open").exists()
    assert InvoicePayment.objects.filter(invoice__in=in_full).count() == len(in_full)
    assert InvoicePayment.objects.get(invoice=part).amount == part.total // 2
    assert not InvoicePayment.objects.filter(invoice=unpaid).exists()
    screenshot(page, "walk-bank-closed-en")

    # 6. One customer's quarter for a tax officer.
    page.goto("/invoicing/records/")
    walk("open Records")
    quarter_start = dt.date(invoices[0].issue_date.year, (invoices[0].issue_date.month - 1) // 3 * 3 + 1, 1)
    quarter_end = (quarter_start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
    form = page.locator('[data-testid="export-form"]')
    form.locator("input[name=q]").fill(str(part.domain_id))
    form.locator("input[name=issued_from]").fill(quarter_start.isoformat())
    form.locator("input[name=issued_to]").fill(quarter_end.isoformat())
    walk("type the customer and the quarter")
    page.click('[data-testid="export-start"]')
    walk("export")
    page.wait_for_selector('[data-testid="download"]', timeout=120_000)
    shown = page.inner_text('[data-testid="zip-sha256"]').strip()
    with page.expect_download() as download:
        page.click('[data-testid="download"]')
    walk("download the ZIP")
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown
    archive = zipfile.ZipFile(io.BytesIO(data))
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [int(row[1]) for row in index[1:]] == [part.number]
    assert hashlib.sha256(archive.read(index[1][-3])).hexdigest() == index[1][-2]

    print(
        f"\nFinance's month, {len(walk.steps)} steps:\n"
        + "\n".join(f"  {i}. {s}" for i, s in enumerate(walk.steps, 1))
    )
    assert len(walk.steps) <= 30


def _billed_in(year: int, month: int) -> int:
    from billing.models import InvoiceItem

    return InvoiceItem.objects.filter(year=year, month=month).values("domain_id").distinct().count()


def _payer(domain_id: int) -> str:
    """A payer's name as a bank writes it (half-width kana, no digits: a digit in the payer's field may be read
    as an invoice number), one per customer."""
    return "ｶ)ｺｷﾔｸ" + "".join("ｱｲｳｴｵｶｷｸｹｺ"[int(d)] for d in str(domain_id % 100_000))
