"""A customer's statement of account (取引明細・残高): the balance brought forward, each invoice, credit note and
payment of the period with the balance after it, and the balance at its end; on its page, as the workbook and the
CSV read back by openpyxl and the csv module, and as a PDF read back by pypdf; a period the form refuses."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from invoicing import selectors
from invoicing.models import CustomerBilling, DocumentKind, InvoicePayment, IssuedInvoice
from portal.core.access import Role
from tests.fixtures.downloads import cells_of, csv_of
from tests.fixtures.personas import make_persona

ALPHA = 90_100_001
PERIOD = {"start": "2026-09-01", "end": "2026-10-31"}


def _document(number: int, day: dt.date, total: int, *, kind=DocumentKind.INVOICE, original=None):
    tax = total // 11
    return IssuedInvoice.objects.create(
        number=number,
        year=day.year,
        month=day.month,
        domain_id=ALPHA,
        customer_name="Alpha K.K.",
        language="ja",
        issue_date=day,
        due_date=day + dt.timedelta(days=30),
        issuer={"registered_name": "パートナー株式会社"},
        recipient={"bill_to_name": "Alpha K.K. 経理部"},
        per_rate=[{"rate": 10, "amount": total - tax, "tax": tax}],
        subtotal=total - tax,
        tax=tax,
        total=total,
        issued_at=timezone.now(),
        pdf_sha256="0" * 64,
        kind=kind,
        original=original,
    )


def _paid(invoice, amount: int, day: dt.date):
    InvoicePayment.objects.create(invoice=invoice, amount=amount, paid_on=day, recorded_at=timezone.now())


@pytest.fixture
def history(month):
    """Alpha's year: August's invoice part paid before the period (6,000 brought forward); in it September's
    invoice, a credit note on it, a payment, and October's invoice; a payment after it."""
    CustomerBilling.objects.filter(domain_id=ALPHA).update(bill_to_address="東京都港区1-1")
    august = _document(101, dt.date(2026, 8, 1), 11_000)
    _paid(august, 5_000, dt.date(2026, 8, 20))
    september = _document(102, dt.date(2026, 9, 1), 22_000)
    _document(103, dt.date(2026, 9, 10), -2_200, kind=DocumentKind.CREDIT_NOTE, original=september)
    _paid(september, 10_000, dt.date(2026, 9, 30))
    _document(104, dt.date(2026, 10, 1), 5_500)
    _paid(september, 9_800, dt.date(2026, 11, 15))


def test_the_statement_carries_the_balance_forward_and_after_each_line(history):
    statement = selectors.customer_statement(
        user=make_persona(Role.FINANCE), domain_id=ALPHA, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 31)
    )
    assert statement.opening == 6_000
    lines = [(line.date.isoformat(), line.kind, line.number, line.balance) for line in statement.lines]
    assert lines == [
        ("2026-09-01", "invoice", 102, 28_000),
        ("2026-09-10", "credit_note", 103, 25_800),
        ("2026-09-30", "payment", 102, 15_800),
        ("2026-10-01", "invoice", 104, 21_300),
    ]
    assert (statement.charged, statement.credited, statement.received, statement.closing) == (
        27_500,
        2_200,
        10_000,
        21_300,
    )


def test_the_page_shows_the_period_s_lines_and_offers_the_pdf_and_the_workbook(client_as, history):
    client = client_as(Role.FINANCE)
    html = client.get(reverse("invoicing:statement", args=[ALPHA]), PERIOD).content.decode()
    assert "Statement of account of Alpha K.K." in html
    assert 'data-testid="statement-opening"><td class="date">2026-09-01</td>' in html and "¥6,000" in html
    assert "¥28,000" in html and "¥25,800" in html and "for No. " in html and "¥21,300" in html
    query = "start=2026-09-01&amp;end=2026-10-31"
    assert f'href="/invoicing/customers/{ALPHA}/statement.pdf?{query}"' in html
    assert f'href="/invoicing/customers/{ALPHA}/statement/export/?{query}&amp;format=xlsx"' in html
    ja = client.get(
        reverse("invoicing:statement", args=[ALPHA]), PERIOD, HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "Alpha K.K. の取引明細書" in ja and "前期繰越残高" in ja and "21,300円" in ja and "入金" in ja
    # The customer's billing page links to it.
    billing = client.get(reverse("invoicing:customer", args=[ALPHA])).content.decode()
    assert f'href="/invoicing/customers/{ALPHA}/statement/" data-testid="customer-statement"' in billing


def test_without_a_period_the_page_shows_the_twelve_months_to_today(client_as, history):
    response = client_as(Role.FINANCE).get(reverse("invoicing:statement", args=[ALPHA]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="2025-12-01"' in html and 'value="2026-11-02"' in html  # today is 2026-11-02 (the fixture)
    assert "¥11,000" in html  # August's invoice is in it


def test_a_period_that_ends_before_it_starts_is_refused_on_the_page(client_as, history):
    client = client_as(Role.FINANCE)
    backwards = {"start": "2026-10-31", "end": "2026-09-01"}
    response = client.get(reverse("invoicing:statement", args=[ALPHA]), backwards)
    assert (
        response.status_code == 400
        and "The end of the period is before its start." in response.content.decode()
    )
    for name in ("invoicing:statement_pdf", "invoicing:statement_export"):
        answer = client.get(reverse(name, args=[ALPHA]), backwards)
        assert answer.status_code == 302 and answer["Location"].startswith(
            f"/invoicing/customers/{ALPHA}/statement/?"
        )


def test_the_workbook_and_the_csv_read_back_with_the_balances(client_as, history):
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:statement_export", args=[ALPHA])
    rows = cells_of(client.get(url, {**PERIOD, "format": "xlsx"}))
    assert rows[0] == [
        "Date",
        "Document",
        "Number",
        "Invoiced (JPY)",
        "Credited (JPY)",
        "Received (JPY)",
        "Balance (JPY)",
    ]
    assert rows[1] == [dt.datetime(2026, 9, 1), "Balance brought forward", None, None, None, None, 6_000]
    assert rows[2][1:] == ["Invoice", "102", 22_000, None, None, 28_000]
    assert rows[3][1:] == ["Credit note", "103", None, 2_200, None, 25_800]
    assert rows[4][1:] == ["Payment", "102", None, None, 10_000, 15_800]
    assert rows[-1] == [
        dt.datetime(2026, 10, 31),
        "Balance at the end of the period",
        None,
        27_500,
        2_200,
        10_000,
        21_300,
    ]
    sjis = client.get(url, {**PERIOD, "encoding": "cp932"}, HTTP_ACCEPT_LANGUAGE="ja")
    lines = csv_of(sjis, "cp932")
    assert lines[0][0] == "日付" and lines[1][1] == "前期繰越残高" and lines[4][1] == "入金"
    assert lines[-1][-1] == "21300"


def test_the_pdf_states_the_balances_in_the_customer_s_language(client_as, history):
    response = client_as(Role.FINANCE).get(reverse("invoicing:statement_pdf", args=[ALPHA]), PERIOD)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'attachment; filename="statement-{ALPHA}-20260901-20261031.pdf"'
    )
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for words in (
        "取引明細書",
        "Alpha K.K. 経理部 御中",
        "東京都港区1-1",
        "パートナー株式会社",
        "前期繰越残高",
        "6,000円",
        "21,300円",
        "入金",
    ):
        assert words in text, words
