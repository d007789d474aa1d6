"""Every people-facing export as its users open it: an Excel workbook read back by openpyxl (codes stay text with
their leading zeros, numbers are numbers, dates dates, headers in the reader's language, no formula), and the CSV
in UTF-8 or Shift_JIS; a character Shift_JIS cannot hold is never replaced by "?": the download says which rows
would lose what and offers the files that keep it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from billing.models import Finding
from portal.core.access import Role
from tests.billing.factories import make_invoice, make_item
from tests.core.test_valid_html import vnu_errors
from tests.customers.factories import make_customer
from tests.fixtures.downloads import body, cells_of, csv_of, sheet_of
from tests.options.factories import make_option
from tests.subscriptions.factories import make_pre_order, make_subscription

pytestmark = pytest.mark.django_db

OCT = {"year": 2026, "month": 10}
#: Business date 2026-11-21 (Tokyo): the pre-order below is upcoming.
NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
#: Not in Shift_JIS: 𠮷 (U+20BB7, the 吉 of 𠮷野家) and an emoji.
NOT_IN_SHIFT_JIS = "株式会社𠮷田商店🍣"

#: Each people-facing export: its URL, who reads it, and the header of its company column.
EXPORTS = {
    "customers": (reverse("customers:export"), Role.SUPPORT),
    "subscriptions": (reverse("subscriptions:export"), Role.SUPPORT),
    "options": (reverse("options:export"), Role.SUPPORT),
    "scheduled changes": (reverse("schedule:export"), Role.SUPPORT),
    "invoice details": (reverse("billing:details_export", kwargs=OCT), Role.FINANCE),
    "re-billing statement": (reverse("billing:statement_export", kwargs=OCT), Role.FINANCE),
}


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        make_invoice()
        yield


def _customer(name: str, code: str = "0042"):
    """A customer in every export: a subscription, an option, a pre-order to come and a billed item."""
    customer = make_customer(company_name=name, customer_code=code)
    make_subscription(customer)
    make_option(customer)
    make_pre_order(customer, apply_date=dt.date(2026, 11, 30))
    make_item(customer, amount=4_500)
    return customer


def _company_column(rows: list[list]) -> int:
    return next(i for i, label in enumerate(rows[0]) if label in ("Company", "会社"))


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_every_export_is_also_a_workbook_whose_names_and_codes_read_back_as_typed(client_as, export):
    customer = _customer("さくら商事株式会社")
    url, role = EXPORTS[export]
    rows = cells_of(client_as(role).get(url, {"format": "xlsx"}))
    company = _company_column(rows)
    (row,) = [r for r in rows[1:] if r[company] == "さくら商事株式会社"][:1]
    assert customer.domain_id in row  # a number, not the text "90000001"
    if "Customer code" in rows[0]:
        assert row[rows[0].index("Customer code")] == "0042"  # text: the leading zeros stay


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_every_csv_is_offered_in_shift_jis_with_its_japanese_intact(client_as, export):
    _customer("株式会社髙島屋～サービス①")  # 髙, ～ and ①: Windows' Shift_JIS holds them
    url, role = EXPORTS[export]
    response = client_as(role).get(url, {"encoding": "cp932"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert not body(response).startswith(b"\xef\xbb\xbf")
    rows = csv_of(response, "cp932")
    assert "株式会社髙島屋～サービス①" in [row[_company_column(rows)] for row in rows[1:]]


@pytest.mark.parametrize("export", EXPORTS, ids=list(EXPORTS))
def test_no_shift_jis_file_loses_a_character_without_saying_so(client_as, export):
    _customer("Plain K.K.")
    _customer(NOT_IN_SHIFT_JIS)
    url, role = EXPORTS[export]
    response = client_as(role).get(url, {"encoding": "cp932"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/html") and "Content-Disposition" not in response
    html = response.content.decode()
    assert "Shift_JIS cannot hold some characters" in html
    cells = re.findall(
        r'<tr><td class="num">(\d+)</td><td>([^<]+)</td><td>(.*?)</td><td>(.*?)</td></tr>', html
    )
    assert cells
    for line, column, text, lost in cells:  # the company's rows (the statement has four), each named
        assert column == "Company" and int(line) >= 2
        assert text == "株式会社<mark>𠮷</mark>田商店<mark>🍣</mark>"
        assert lost == "𠮷 (U+20BB7), 🍣 (U+1F363)"
    # The files that keep every character.
    workbook = re.search(r'href="([^"]+)" data-testid="lost-workbook"', html).group(1).replace("&amp;", "&")
    utf8 = re.search(r'href="([^"]+)" data-testid="lost-utf8"', html).group(1).replace("&amp;", "&")
    assert workbook.startswith(url) and "format=xlsx" in workbook and "encoding" not in workbook
    assert utf8 == url
    client = client_as(role)
    rows = cells_of(client.get(workbook))
    assert NOT_IN_SHIFT_JIS in [row[_company_column(rows)] for row in rows[1:]]
    assert NOT_IN_SHIFT_JIS in body(client.get(utf8)).decode("utf-8")


def test_the_lost_characters_page_in_japanese_names_the_row_and_column(client_as):
    _customer(NOT_IN_SHIFT_JIS)
    response = client_as(Role.SUPPORT).get(
        reverse("customers:export"), {"encoding": "cp932"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Shift_JIS で表せない文字があります" in html
    assert '<td class="num">2</td><td>会社</td>' in html
    assert "Excel ブックをダウンロード" in html and "CSV（UTF-8）をダウンロード" in html


def test_a_workbook_types_each_cell_as_its_value_and_keeps_formulas_as_plain_text(client_as):
    customer = make_customer(
        company_name='=HYPERLINK("http://evil.example","click")',
        customer_code="00123",
        member_count=7,
        trial_ends_on=dt.date(2026, 12, 1),
    )
    response = client_as(Role.SUPPORT).get(reverse("customers:export"), {"format": "xlsx"})
    sheet = sheet_of(response)
    header = [cell.value for cell in sheet[1]]
    row = {label: cell for label, cell in zip(header, sheet[2], strict=True)}
    assert row["Domain ID"].value == customer.domain_id and row["Domain ID"].data_type == "n"
    assert (
        row["Product"].value == "Standard" and row["Product (code)"].value == "STD"
    )  # the name, then the code
    assert row["Customer code"].value == "00123" and row["Customer code"].data_type == "s"
    assert row["Customer code"].number_format == "@"  # stays text when edited
    assert row["Members"].value == 7
    assert row["Trial ends"].is_date and row["Trial ends"].value == dt.datetime(2026, 12, 1)
    assert row["Last synced (UTC)"].is_date and row["Last synced (UTC)"].value == NOW.replace(tzinfo=None)
    # Text, never a formula, and shown as typed: the CSV's protective apostrophe has nothing to guard here.
    assert row["Company"].data_type == "s" and row["Company"].value == customer.company_name
    assert row["Cancellation date"].value is None
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(header)).column_letter}2"


def test_the_portal_s_own_middle_dot_reaches_a_shift_jis_file_as_windows_writes_it(client_as):
    """The findings worklist writes "2026-10 · Licences" in every row, and Shift_JIS has no U+00B7: its file
    could never be downloaded. It is written as ・ (U+30FB), the middle dot Windows' own best fit gives it."""
    Finding.objects.create(
        year=2026,
        month=10,
        domain_id=90000042,
        customer_name="さくら商事株式会社",
        kind=Finding.Kind.LICENCES,
        subject="1",
        checked_at=NOW,
    )
    client = client_as(Role.FINANCE)
    for language in ("en", "ja"):
        response = client.get(
            reverse("work_export", args=["findings"]), {"encoding": "cp932"}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200, language
        (row,) = csv_of(response, "cp932")[1:]
        assert row[0] == "さくら商事株式会社" and row[1].startswith("2026-10 \u30fb "), row


def test_a_download_s_three_files_have_three_names(client_as):
    _customer("さくら商事株式会社")
    client = client_as(Role.SUPPORT)
    url = reverse("customers:export")
    names = {
        re.search(r'filename="([^"]+)"', client.get(url, query)["Content-Disposition"]).group(1)
        for query in ({}, {"encoding": "cp932"}, {"format": "xlsx"})
    }
    assert len(names) == 3, names
    assert any("shift_jis" in name.lower() for name in names), names


def test_a_workbook_s_headers_are_in_the_reader_s_language_and_filters_hold(client_as):
    make_customer(company_name="みなと精機株式会社", product_id="ADV")
    make_customer(company_name="Other K.K.", product_id="STD")
    response = client_as(Role.SUPPORT).get(
        reverse("customers:export"), {"format": "xlsx", "product": "ADV"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    rows = cells_of(response)
    assert rows[0][:6] == ["ドメインID", "ドメイン", "会社", "顧客コード", "商品", "商品（コード）"]
    assert [row[2] for row in rows[1:]] == ["みなと精機株式会社"]
    assert [row[4:6] for row in rows[1:]] == [["アドバンスト", "ADV"]]


def test_the_statement_workbook_keeps_codes_as_text_and_amounts_as_numbers(client_as):
    _customer("さくら商事株式会社", code="000123")
    rows = cells_of(
        client_as(Role.FINANCE).get(reverse("billing:statement_export", kwargs=OCT), {"format": "xlsx"})
    )
    lines = [r for r in rows[1:] if r[1] == "さくら商事株式会社"]
    assert {r[2] for r in lines} == {"000123"}
    item, subtotal, tax, total = lines
    assert item[3:8] == [
        "Plan",
        "Standard",
        "STD",
        "Annual (licence)",
        "ANNUAL_LICENSE",
    ]  # names, and the codes
    assert item[8] == dt.datetime(2026, 10, 1) and item[12] == 4_500
    assert (subtotal[12], tax[12], total[12]) == (4_500, 450, 4_950)


def test_every_list_page_and_the_billing_pages_link_their_three_files(client_as):
    _customer("さくら商事株式会社")
    pages = {
        reverse("customers:list"): Role.SUPPORT,
        reverse("subscriptions:list"): Role.SUPPORT,
        reverse("options:list"): Role.SUPPORT,
        reverse("schedule:agenda"): Role.SUPPORT,
        reverse("billing:details", kwargs=OCT): Role.FINANCE,
    }
    for url, role in pages.items():
        html = client_as(role).get(url, {"q": "さくら"}).content.decode()
        for testid, needle in (("export-xlsx", "format=xlsx"), ("export-csv-sjis", "encoding=cp932")):
            link = re.search(rf'href="([^"]+)" data-testid="{testid}"', html)
            assert link and needle in link.group(1) and "q=" in link.group(1), (url, testid)
    details = client_as(Role.FINANCE).get(reverse("billing:details", kwargs=OCT)).content.decode()
    assert 'data-testid="statement-xlsx"' in details and 'data-testid="statement-csv-sjis"' in details


def test_the_pages_given_instead_of_a_file_are_valid_html(client_as, tmp_path):
    """The lost-characters page (409) and the journal's page for a month without an invoice (404) are not
    reached by the link crawl of test_valid_html, which keeps to pages that answer 200."""
    _customer(NOT_IN_SHIFT_JIS)
    documents = {}
    for language in ("en", "ja"):
        lost = client_as(Role.SUPPORT).get(
            reverse("customers:export"), {"encoding": "cp932"}, HTTP_ACCEPT_LANGUAGE=language
        )
        missing = client_as(Role.FINANCE).get(
            reverse("billing:accounting_export", kwargs={"year": 2026, "month": 9}),
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert (lost.status_code, missing.status_code) == (409, 404)
        documents[f"lost characters ({language})"] = lost.content.decode()
        documents[f"no invoice ({language})"] = missing.content.decode()
    assert vnu_errors(documents, tmp_path) == []


@pytest.mark.django_db(transaction=True)
def test_a_download_read_in_batches_reads_one_state_of_the_database():
    """`one_state`: the batches of a download (a worklist section's) read the database as at the first, so a
    row added or removed meanwhile is neither repeated nor skipped: REPEATABLE READ on PostgreSQL. On SQLite no
    transaction: its transactions take the write lock at once (IMMEDIATE), which would hold the worker's writes
    for the whole download."""
    from django.db import connection

    from portal.core.downloads import one_state

    assert not connection.in_atomic_block
    with one_state():
        assert connection.in_atomic_block is (connection.vendor == "postgresql")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                assert cursor.fetchone()[0] == "repeatable read"
    assert not connection.in_atomic_block
