"""The bank statement pages: Finance imports a Zengin statement or a bank CSV (with the layout it keeps per
bank), sees each incoming payment with the invoice proposed and why, confirms one or all the certain ones (a
second click records nothing more), explains the rest; a bad file is refused on the page, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import BankCsvMapping, BankLine, BankStatement, InvoicePayment
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.invoicing.bank_files import bank_csv, zengin_file
from tests.invoicing.bank_seed import customer, invoice

DAY = dt.date(2026, 11, 25)
LINES = [
    {"day": DAY, "amount": 22_000, "payer": "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ"},
    {"day": DAY, "amount": 11_000, "payer": "ﾀﾅｶ", "memo": "1002"},
    {"day": DAY, "amount": 11_000, "payer": "ﾌﾒｲ"},
    {"day": DAY, "amount": 440, "payer": "ﾃｽｳﾘﾖｳ"},
]


@pytest.fixture
def finance(client_as):
    customer(1, "株式会社ヤマダ商事", transfer_name="ヤマダシヨウジ")
    customer(2, "タナカ株式会社")
    invoice(1001, 1, 22_000, name="ヤマダ商事")
    invoice(1002, 2, 11_000, name="タナカ")
    invoice(1003, 1, 11_000, month=9, name="ヤマダ商事")
    return client_as(Role.FINANCE)


def _upload(client, content: bytes, *, layout: str = "zengin", name: str = "statement.txt", **extra):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(reverse("invoicing:bank_import"), {"file": file, "layout": layout}, **extra)


def test_import_then_confirm_the_certain_ones_once(finance):
    assert (
        "No statement is imported yet." in finance.get(reverse("invoicing:bank_statements")).content.decode()
    )
    response = _upload(finance, zengin_file(LINES))
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "invoicing:bank_statement", kwargs={"statement_id": statement.pk}
    )
    page = finance.get(response["Location"]).content.decode()
    assert "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ" in page and "Payer&#x27;s name and amount · Certain" in page
    assert "Invoice number and amount · Certain" in page
    assert "Amount only: 2 candidates" in page and "No invoice fits" in page
    assert "Confirm the 2 certain matches" in page
    url = reverse("invoicing:bank_confirm_certain", kwargs={"statement_id": statement.pk})
    assert finance.post(url).status_code == 302
    assert finance.post(url).status_code == 302  # clicked twice
    assert sorted(InvoicePayment.objects.values_list("invoice__number", "amount")) == [
        (1001, 22_000),
        (1002, 11_000),
    ]
    listed = finance.get(reverse("invoicing:bank_statements")).content.decode()
    assert "¥11,440" in listed  # what is left to match
    matched = finance.get(response["Location"] + "?state=matched").content.decode()
    assert "Matched: ¥22,000 recorded" in matched


def test_one_line_confirmed_by_hand_twice_and_one_explained(finance):
    _upload(finance, zengin_file(LINES))
    unknown, fee = BankLine.objects.order_by("position")[2:4]
    url = reverse("invoicing:bank_line_confirm", kwargs={"line_id": unknown.pk})
    assert finance.post(url, {"number": "1003"}).status_code == 302
    again = finance.post(url, {"number": "1003"}, follow=True).content.decode()
    assert "already dealt with" in again
    assert InvoicePayment.objects.filter(invoice__number=1003).count() == 1
    explained = finance.post(
        reverse("invoicing:bank_line_explain", kwargs={"line_id": fee.pk}),
        {"explanation": "bank_fee", "note": "振込手数料"},
        follow=True,
    ).content.decode()
    assert "The line is explained." in explained
    fee.refresh_from_db()
    assert fee.state == "explained" and fee.note == "振込手数料"
    assert AuditEntry.objects.filter(operation_id="portal.explainBankLine").count() == 1


def test_a_second_import_of_the_same_file_opens_the_first(finance):
    _upload(finance, zengin_file(LINES))
    again = _upload(finance, zengin_file(LINES), follow=True)
    assert "Every line of this statement was imported before." in again.content.decode()
    assert BankStatement.objects.count() == 1 and BankLine.objects.count() == 4


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (zengin_file(LINES)[:-3], "not a whole number of 200-byte records"),
        (b"\x00\x01\x02junk" * 100, "not a text file"),
        (zengin_file([{**x, "credit": False} for x in LINES]), "only payments out"),
        (zengin_file(LINES).decode("cp932").encode("utf-8"), "The file is in UTF-8"),
    ],
)
def test_a_bad_file_is_refused_on_the_page(finance, content, said):
    response = _upload(finance, content)
    assert response.status_code == 200
    assert said in response.content.decode()
    assert not BankStatement.objects.exists()


def test_a_file_over_the_request_limit_is_refused_before_it_is_read(finance, settings):
    settings.PORTAL_MAX_REQUEST_BYTES = 10_000
    response = _upload(finance, b"1" * 20_000)
    assert response.status_code == 413
    assert not BankStatement.objects.exists()


def test_a_bank_csv_layout_kept_then_used(finance):
    saved = finance.post(
        reverse("invoicing:bank_mappings"),
        {
            "name": "みずほ銀行",
            "skip_rows": "1",
            "date_column": "1",
            "credit_column": "2",
            "debit_column": "3",
            "payer_column": "4",
            "memo_columns": "5",
            "delimiter": ",",
        },
    )
    assert saved.status_code == 302
    mapping = BankCsvMapping.objects.get()
    assert mapping.memo_list == (5,)
    form = finance.get(reverse("invoicing:bank_statements")).content.decode()
    assert "CSV of みずほ銀行" in form
    content = bank_csv(
        [("2026/11/25", "22,000", "", "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ", ""), ("2026/11/25", "", "1,000", "ATM", "")]
    )
    response = _upload(finance, content, layout=str(mapping.pk), name="meisai.csv")
    assert response.status_code == 302
    line = BankLine.objects.get()
    assert (line.amount, line.proposed, line.confidence) == (22_000, 1001, 3)
    edit = reverse("invoicing:bank_mapping", kwargs={"mapping_id": mapping.pk})
    assert "みずほ銀行" in finance.get(edit).content.decode()
    bad = finance.post(edit, {"name": "x", "date_column": "0", "credit_column": "2", "payer_column": "4"})
    assert bad.status_code == 200 and "date_column" in bad.context["form"].errors
    refused = _upload(finance, b"a,b\r\nnot a date,1,2,3,4\r\n", layout=str(mapping.pk), name="x.csv")
    assert "Row 2, column 1: a date expected" in refused.content.decode()


def test_the_statement_page_reads_the_same_queries_however_many_lines(finance):
    many = [{"day": DAY, "amount": 1_000 + i, "payer": "ﾌﾒｲ", "memo": str(1001 + i % 3)} for i in range(60)]
    _upload(finance, zengin_file(LINES))
    _upload(finance, zengin_file(many, start=DAY, end=DAY, account="7654321"))
    small, big = BankStatement.objects.order_by("pk")
    counts = []
    finance.get(reverse("invoicing:bank_statements"))  # the session's first reads done
    for statement in (small, big):
        with CaptureQueriesContext(connection) as queries:
            response = finance.get(reverse("invoicing:bank_statement", kwargs={"statement_id": statement.pk}))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_statements_list_says_what_each_has_left_to_match_reading_only_the_lines_left(finance):
    """Each statement's lines still to match and their total, on its own row; the list reads the open lines of
    its page's statements alone, never every line ever imported joined to its statement (a year of statements
    is thousands of lines matched long ago)."""
    _upload(finance, zengin_file(LINES))
    _upload(finance, zengin_file(LINES[:2], start=DAY, end=DAY, account="7654321"))
    first, second = BankStatement.objects.order_by("pk")
    finance.post(reverse("invoicing:bank_confirm_certain", kwargs={"statement_id": first.pk}))
    with CaptureQueriesContext(connection) as read:
        listed = finance.get(reverse("invoicing:bank_statements")).content.decode()
    rows = {
        statement.pk: listed[listed.index(reverse("invoicing:bank_statement", args=[statement.pk])) :].split(
            "</tr>"
        )[0]
        for statement in (first, second)
    }
    assert "¥11,440" in rows[first.pk] and "¥33,000" in rows[second.pk]
    lines = [q["sql"] for q in read.captured_queries if "invoicing_bankline" in q["sql"]]
    assert len(lines) == 1 and "'open'" in lines[0] and "invoicing_bankstatement" not in lines[0]


def test_the_pages_in_japanese(finance):
    _upload(finance, zengin_file(LINES))
    statement = BankStatement.objects.get()
    page = finance.get(
        reverse("invoicing:bank_statement", kwargs={"statement_id": statement.pk}), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "入金明細" in page and "振込名義と金額" in page
    listed = finance.get(reverse("invoicing:bank_statements"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "入金明細" in listed
    assert reverse("invoicing:bank_statements") in finance.get(reverse("invoicing:start")).content.decode()


def test_the_customer_page_shows_its_transfer_names_and_its_credit(finance):
    over = [{"day": DAY, "amount": 12_000, "payer": "ﾀﾅｶ(ｶ", "memo": "1002"}]
    _upload(finance, zengin_file(over))
    line = BankLine.objects.get()
    finance.post(reverse("invoicing:bank_line_confirm", kwargs={"line_id": line.pk}), {"number": "1002"})
    make_customer(company_name="Tanaka", domain_id=2)
    page = finance.get(reverse("invoicing:customer", kwargs={"domain_id": 2})).content.decode()
    assert "タナカ" in page and "¥1,000" in page
