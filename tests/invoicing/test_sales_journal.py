"""The sales journal of the month's issued invoices for Yayoi Kaikei, read back as an accountant's import does:
decoded as Shift_JIS, 25 fields a line in Yayoi's layout, accounts receivable from each customer against sales,
and the totals per tax rate equal to the invoices' totals per rate."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing import services
from invoicing.models import CustomerBilling, DocumentKind, IssuedInvoice
from portal.core.access import Role
from portal.core.journals.yayoi import JOURNAL_LAYOUT, half_width_places
from tests.billing.test_journal import LAYOUT
from tests.fixtures.downloads import body
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

NAMES = [name for name, _places in JOURNAL_LAYOUT]


@pytest.fixture
def issued(month):
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta Clinic", bill_to_address="Kobe", language="en"
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    # A third, issued with lines at two rates (the reduced 8 % too), as the journal must split them.
    last = IssuedInvoice.objects.order_by("-number").first()
    IssuedInvoice(
        number=last.number + 1,
        domain_id=90_100_009,
        customer_name="ガンマ食品株式会社",
        language="ja",
        issue_date=last.issue_date,
        due_date=last.due_date,
        issuer=last.issuer,
        recipient={"bill_to_name": "ガンマ食品株式会社　経理部　東日本支社　売掛金管理課"},
        per_rate=[{"rate": 10, "amount": 10_000, "tax": 1_000}, {"rate": 8, "amount": 5_555, "tax": 444}],
        subtotal=15_555,
        tax=1_444,
        total=16_999,
        issued_at=timezone.now(),
        pdf_sha256="0" * 64,
        **M,
    ).save(force_insert=True)
    return list(IssuedInvoice.objects.order_by("number"))


def _journal(client) -> list[dict]:
    response = client.get(reverse("invoicing:sales_journal", kwargs=M))
    assert response.status_code == 200 and "shift_jis" in response["Content-Type"].lower().replace("-", "_")
    text = body(response).decode("cp932")  # fails on anything not Shift_JIS
    return [dict(zip(NAMES, line, strict=True)) for line in csv.reader(io.StringIO(text))]


def test_the_sales_journal_decodes_as_shift_jis_in_yayoi_s_layout_with_totals_per_rate(client_as, issued):
    entries = _journal(client_as(Role.FINANCE))
    assert len(entries) == 4  # Alpha, Beta at 10 %; Gamma at 10 % and at 8 %
    for entry in entries:
        assert len(entry) == 25
        for name, places, _kind in LAYOUT:
            if places is not None:
                assert half_width_places(entry[name]) <= places, (name, entry[name])
        assert (entry["識別フラグ"], entry["借方勘定科目"], entry["貸方勘定科目"]) == (
            "2000",
            "売掛金",
            "売上高",
        )
        assert entry["借方金額"] == entry["貸方金額"] and entry["借方税区分"] == "対象外"
        assert dt.datetime.strptime(entry["取引日付"], "%Y/%m/%d").date() == issued[0].issue_date
    alpha = entries[0]
    assert alpha["借方補助科目"] == "Alpha K.K. 経理部" and alpha["貸方金額"] == "7621"
    assert alpha["摘要"].startswith(f"請求書No.{issued[0].number} 2026年10月分")
    # A long Japanese name is cut by places (24), never splitting a character.
    gamma = entries[-1]["借方補助科目"]
    assert gamma == "ガンマ食品株式会社　経理" and half_width_places(gamma) == 24

    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        per_category[entry["貸方税区分"]][0] += int(entry["貸方金額"])
        per_category[entry["貸方税区分"]][1] += int(entry["貸方税金額"])
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for invoice in issued:
        for total in invoice.per_rate:
            category = {10: "課税売上内10%", 8: "課税売上内軽減8%"}[total["rate"]]
            expected[category][0] += total["amount"] + total["tax"]
            expected[category][1] += total["tax"]
    assert per_category == expected
    assert per_category["課税売上内軽減8%"] == [5_999, 444]
    assert sum(int(e["貸方金額"]) for e in entries) == sum(i.total for i in issued)


def test_a_month_without_an_issued_invoice_is_a_page_not_an_empty_file(client_as, month):
    response = client_as(Role.FINANCE).get(reverse("invoicing:sales_journal", kwargs=M))
    assert response.status_code == 404 and "Content-Disposition" not in response
    assert "No invoice issued for 2026-10" in response.content.decode()


def _ledger_rows(client, ledger: str, encoding: str) -> list[dict]:
    query = {"ledger": ledger, **({"encoding": "cp932"} if encoding == "cp932" else {})}
    response = client.get(reverse("invoicing:sales_journal", kwargs=M), query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="{ledger}-sales-journal-2026-10-'
    )
    header, *rows = csv.reader(io.StringIO(body(response).decode(encoding)))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_money_forward_s_sales_journal_books_each_invoice_as_one_transaction_with_totals_per_rate(
    client_as, issued
):
    entries = _ledger_rows(client_as(Role.FINANCE), "moneyforward", "cp932")
    assert len(entries) == 4
    assert [e["取引No"] for e in entries] == ["1", "2", "3", "3"]  # Gamma's two rates: one transaction
    for entry in entries:
        assert (entry["借方勘定科目"], entry["貸方勘定科目"], entry["借方税区分"]) == (
            "売掛金",
            "売上高",
            "対象外",
        )
        assert entry["借方取引先"] == entry["借方補助科目"] and entry["借方金額(円)"] == entry["貸方金額(円)"]
        assert entry["借方インボイス"] == entry["貸方インボイス"] == ""
        assert dt.datetime.strptime(entry["取引日"], "%Y/%m/%d").date() == issued[0].issue_date
    gamma = entries[-1]["借方取引先"]
    assert (
        gamma == "ガンマ食品株式会社　経理部　東日本支社　売掛金管理課"
    )  # not cut: Yayoi's widths are Yayoi's
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for entry in entries:
        per_category[entry["貸方税区分"]][0] += int(entry["貸方金額(円)"])
        per_category[entry["貸方税区分"]][1] += int(entry["貸方税額"])
    assert per_category["課税売上 (軽)8%"] == [5_999, 444]
    assert sum(total for total, _tax in per_category.values()) == sum(i.total for i in issued)


def test_freee_s_sales_are_unsettled_income_due_on_each_invoice_s_due_date(client_as, issued):
    deals = _ledger_rows(client_as(Role.FINANCE), "freee", "utf-8-sig")
    assert [d["管理番号"] for d in deals] == [str(i.number) for i in issued[:2]] + [str(issued[2].number)] * 2
    for deal, invoice in zip(deals, [*issued[:2], issued[2], issued[2]], strict=True):
        assert (deal["収支区分"], deal["勘定科目"], deal["税計算区分"]) == ("収入", "売上高", "内税")
        assert deal["発生日"] == invoice.issue_date.strftime("%Y/%m/%d")
        assert deal["決済期日"] == invoice.due_date.strftime("%Y/%m/%d")
        assert deal["決済日"] == deal["決済口座"] == deal["決済金額"] == ""
    assert [d["税区分"] for d in deals] == ["課税売上10%", "課税売上10%", "課税売上10%", "課税売上8%（軽）"]
    assert deals[0]["取引先"] == "Alpha K.K. 経理部"
    assert sum(int(d["金額"]) for d in deals) == sum(i.total for i in issued)
    assert deals == _ledger_rows(client_as(Role.FINANCE), "freee", "cp932")


def test_the_month_s_issued_invoices_page_offers_each_ledger_s_sales_journal(client_as, issued):
    html = client_as(Role.FINANCE).get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    url = reverse("invoicing:sales_journal", kwargs=M)
    for query, testid in [
        ("ledger=yayoi", "sales-journal-yayoi"),
        ("ledger=moneyforward&amp;encoding=cp932", "sales-journal-moneyforward-sjis"),
        ("ledger=freee", "sales-journal-freee"),
    ]:
        assert f'href="{url}?{query}" data-testid="{testid}"' in html


def test_a_credit_note_of_the_month_reverses_its_sale_in_every_ledger(client_as, issued):
    alpha = issued[0]
    IssuedInvoice(
        number=issued[-1].number + 1,
        domain_id=alpha.domain_id,
        customer_name=alpha.customer_name,
        language=alpha.language,
        issue_date=alpha.issue_date,
        due_date=alpha.due_date,
        issuer=alpha.issuer,
        recipient=alpha.recipient,
        per_rate=[{"rate": 10, "amount": -1_000, "tax": -100}],
        subtotal=-1_000,
        tax=-100,
        total=-1_100,
        issued_at=timezone.now(),
        pdf_sha256="0" * 64,
        kind=DocumentKind.CREDIT_NOTE,
        original=alpha,
        **M,
    ).save(force_insert=True)
    client = client_as(Role.FINANCE)
    note = _journal(client)[-1]
    assert (note["借方勘定科目"], note["借方税区分"], note["借方金額"], note["借方税金額"]) == (
        "売上高",
        "課税売上内10%",
        "1100",
        "100",
    )
    assert (note["貸方勘定科目"], note["貸方補助科目"], note["貸方金額"]) == (
        "売掛金",
        "Alpha K.K. 経理部",
        "1100",
    )
    mf = _ledger_rows(client, "moneyforward", "cp932")[-1]
    assert (mf["借方勘定科目"], mf["貸方勘定科目"], mf["借方金額(円)"], mf["取引No"]) == (
        "売上高",
        "売掛金",
        "1100",
        "4",
    )
    deal = _ledger_rows(client, "freee", "utf-8-sig")[-1]
    assert (deal["収支区分"], deal["金額"], deal["税額"], deal["取引先"]) == (
        "収入",
        "-1100",
        "-100",
        "Alpha K.K. 経理部",
    )


def test_a_month_s_journal_is_written_as_its_documents_are_read_without_their_lines(client_as, issued):
    """A large partner's month is tens of thousands of documents: the UTF-8 journal starts downloading at once
    and the journal reads of each document what an entry says, never its lines (the bulk of a document)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as reads:
        response = client.get(reverse("invoicing:sales_journal", kwargs=M), {"ledger": "freee"})
        assert response.streaming  # the file is written as the rows are read, not built whole first
        rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert len(rows) == 1 + 4  # the header, an entry per document and rate
    documents = [q["sql"] for q in reads.captured_queries if "invoicing_issuedinvoice" in q["sql"]]
    assert documents and not any('"lines"' in sql or '"issuer"' in sql for sql in documents)
