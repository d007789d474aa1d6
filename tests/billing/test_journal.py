"""The journal for Yayoi Kaikei as an accountant imports it: read back field by field against Yayoi's published
import layout (弥生インポート形式, https://support.yayoi-kk.co.jp/subcontents.html?page_id=18545), written out
here from that page rather than taken from the code under test; the supplier (LINE WORKS) as the accounts-payable
sub-account; the tax category with its qualified-invoice class; text cut in half-width places, as the layout
counts them; and a month without an invoice answered with a page, not an empty file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse

from billing.rules import INVOICES
from portal.core import sync
from portal.core.access import Role
from portal.core.models import SyncRun
from tests.billing.factories import make_invoice
from tests.fixtures.downloads import body

OCT = {"year": 2026, "month": 10}

#: Yayoi's layout: (field, half-width places at most, kind). Kinds: "flag" (2000: an entry that is not a slip),
#: "text", "date" (yyyy/mm/dd), "amount" (a whole number of yen, no sign), "type" (0: a journal entry),
#: "adjust" (no or yes), "blank".
LAYOUT = [
    ("識別フラグ", 4, "flag"),
    ("伝票No.", 6, "blank"),
    ("決算", 4, "blank"),
    ("取引日付", 10, "date"),
    ("借方勘定科目", 24, "text"),
    ("借方補助科目", 24, "text"),
    ("借方部門", 24, "text"),
    ("借方税区分", None, "text"),
    ("借方金額", 11, "amount"),
    ("借方税金額", 11, "amount"),
    ("貸方勘定科目", 24, "text"),
    ("貸方補助科目", 24, "text"),
    ("貸方部門", 24, "text"),
    ("貸方税区分", None, "text"),
    ("貸方金額", 11, "amount"),
    ("貸方税金額", 11, "amount"),
    ("摘要", 64, "text"),
    ("番号", 10, "blank"),
    ("期日", 10, "blank"),
    ("タイプ", 1, "type"),
    ("生成元", 4, "blank"),
    ("仕訳メモ", 180, "blank"),
    ("付箋1", 1, "blank"),
    ("付箋2", 1, "blank"),
    ("調整", 3, "adjust"),
]
KINDS = {
    "flag": re.compile(r"2000"),
    "date": re.compile(r"\d{4}/\d{2}/\d{2}"),
    "amount": re.compile(r"\d+"),
    "type": re.compile(r"0"),
    "adjust": re.compile(r"no|yes"),
    "blank": re.compile(r""),
    "text": re.compile(r"[^\r\n]*"),
}


@pytest.fixture
def november(db):
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def places(text: str) -> int:
    """Half-width places, as Yayoi counts them in its Shift_JIS file: a two-byte character takes two."""
    return len(text.encode("cp932"))


def journal(response) -> list[dict[str, str]]:
    """The journal read back as Yayoi reads it: Shift_JIS, one entry per CRLF line, no header, each field
    checked against the layout."""
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert response["Content-Disposition"].startswith('attachment; filename="yayoi-journal-')
    raw = body(response)
    assert raw.endswith(b"\r\n") and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    entries = []
    for line in csv.reader(io.StringIO(raw.decode("cp932"), newline="")):
        assert len(line) == len(LAYOUT), line
        for value, (name, width, kind) in zip(line, LAYOUT, strict=True):
            assert KINDS[kind].fullmatch(value), (name, value)
            assert width is None or places(value) <= width, (name, value)
        entries.append({name: value for value, (name, _w, _k) in zip(line, LAYOUT, strict=True)})
    return entries


def _journal(client_as, **month) -> list[dict[str, str]]:
    return journal(client_as(Role.FINANCE).get(reverse("billing:accounting_export", kwargs=month or OCT)))


def test_each_entry_matches_yayoi_s_layout_field_by_field(client_as, november):
    make_invoice(penalty_amount=3_000)
    usage, option_plus, penalty = _journal(client_as)
    for entry in (usage, option_plus, penalty):
        assert entry["識別フラグ"] == "2000" and entry["取引日付"] == "2026/11/01"
        assert entry["借方勘定科目"] == "仕入高" and entry["貸方勘定科目"] == "買掛金"
        assert entry["借方金額"] == entry["貸方金額"] and entry["貸方税金額"] == "0"
        assert entry["貸方税区分"] == "対象外" and entry["タイプ"] == "0" and entry["調整"] == "no"
    assert (usage["借方金額"], usage["借方税金額"]) == ("68640", "6240")
    assert (option_plus["借方金額"], option_plus["借方税金額"]) == ("11000", "1000")
    assert (penalty["借方金額"], penalty["借方税金額"], penalty["借方税区分"]) == ("3000", "0", "対象外")
    assert usage["摘要"] == "LINE WORKS 利用料 2026年10月分"
    assert option_plus["摘要"] == "LINE WORKS Option Plus 2026年10月分"


def test_purchases_carry_the_qualified_invoice_class_in_their_tax_category(client_as, november):
    make_invoice()
    entries = _journal(client_as)
    assert {entry["借方税区分"] for entry in entries} == {"課対仕入内10%適格"}


def test_the_accounts_payable_sub_account_is_the_supplier_not_the_partner_s_own_company(
    client_as, november, settings
):
    make_invoice(partner_name="Sandbox Partner K.K.")
    assert {entry["貸方補助科目"] for entry in _journal(client_as)} == {"LINE WORKS"}
    settings.YAYOI_SUPPLIER_NAME = "LINE WORKS株式会社"
    assert {entry["貸方補助科目"] for entry in _journal(client_as)} == {"LINE WORKS株式会社"}


def test_text_is_cut_by_half_width_places_never_splitting_a_full_width_character(
    client_as, november, settings
):
    """24 places hold twelve full-width characters (not 24 of them), or eleven after eleven and a half."""
    make_invoice()
    settings.YAYOI_SUPPLIER_NAME = "ラインワークス株式会社東京本社経理部支払課"  # 20 characters, 40 places
    (sub_account,) = {entry["貸方補助科目"] for entry in _journal(client_as)}
    assert sub_account == "ラインワークス株式会社東" and places(sub_account) == 24
    settings.YAYOI_SUPPLIER_NAME = "A" + "あ" * 20  # 1 + 40 places: the 12th full-width would need 25
    (sub_account,) = {entry["貸方補助科目"] for entry in _journal(client_as)}
    assert sub_account == "A" + "あ" * 11 and places(sub_account) == 23


def test_a_month_without_an_invoice_gets_a_page_that_says_so_not_an_empty_file(client_as, november):
    response = client_as(Role.FINANCE).get(
        reverse("billing:accounting_export", kwargs={"year": 2026, "month": 9})
    )
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    html = response.content.decode()
    assert "No invoice for 2026-09" in html and reverse("billing:invoices") in html
    ja = client_as(Role.FINANCE).get(
        reverse("billing:accounting_export", kwargs={"year": 2026, "month": 9}), HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "2026年9月分の請求書はありません" in ja.content.decode()


def test_a_supplier_name_shift_jis_cannot_hold_is_named_not_written_as_a_question_mark(
    client_as, november, settings
):
    make_invoice()
    settings.YAYOI_SUPPLIER_NAME = "𠮷田商事"
    response = client_as(Role.FINANCE).get(reverse("billing:accounting_export", kwargs=OCT))
    assert response.status_code == 409 and "Content-Disposition" not in response
    html = response.content.decode()
    assert '<td class="num">1</td><td>貸方補助科目</td><td><mark>𠮷</mark>田商事</td>' in html
    assert 'data-testid="lost-workbook"' not in html  # an import format has no other file to offer


@pytest.mark.django_db(transaction=True)
def test_the_journal_of_a_month_fetched_from_the_sandbox_imports_as_laid_out(
    billing_sandbox, closed_month, client_as
):
    run = sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]})
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    entries = _journal(client_as, **closed_month)
    assert entries and {entry["貸方補助科目"] for entry in entries} == {"LINE WORKS"}
    purchases = [entry for entry in entries if "違約金" not in entry["摘要"]]
    assert purchases and {entry["借方税区分"] for entry in purchases} == {"課対仕入内10%適格"}


# --- the same journal for Money Forward and freee (portal/core/journals/; layouts: tests/core/test_journals.py) --


def _ledger(client_as, ledger: str, encoding: str = "", **month):
    query = {"ledger": ledger, **({"encoding": encoding} if encoding else {})}
    response = client_as(Role.FINANCE).get(reverse("billing:accounting_export", kwargs=month or OCT), query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="{ledger}-journal-2026-')
    return response


def test_money_forward_s_journal_reads_back_in_shift_jis_as_one_transaction_of_three_lines(
    client_as, november
):
    make_invoice(penalty_amount=3_000)
    response = _ledger(client_as, "moneyforward", "cp932")
    assert response["Content-Type"] == "text/csv; charset=Shift_JIS"
    assert response["Content-Disposition"].endswith('-shift_jis.csv"')
    header, *rows = csv.reader(io.StringIO(body(response).decode("cp932"), newline=""))
    assert header[:3] == ["取引No", "取引日", "借方勘定科目"] and len(header) == 27
    entries = [dict(zip(header, row, strict=True)) for row in rows]
    usage, option_plus, penalty = entries
    assert {e["取引No"] for e in entries} == {"1"} and {e["取引日"] for e in entries} == {"2026/11/01"}
    assert {(e["借方勘定科目"], e["貸方勘定科目"], e["貸方補助科目"]) for e in entries} == {
        ("仕入高", "買掛金", "LINE WORKS")
    }
    assert (usage["借方金額(円)"], usage["借方税額"], usage["借方税区分"], usage["借方インボイス"]) == (
        "68640",
        "6240",
        "課税仕入 10%",
        "適格",
    )
    assert option_plus["借方インボイス"] == "適格"
    assert (penalty["借方税区分"], penalty["借方インボイス"], penalty["借方金額(円)"]) == (
        "対象外",
        "",
        "3000",
    )
    # The same file in UTF-8 (with the BOM spreadsheet programs write) holds the same rows.
    utf8 = _ledger(client_as, "moneyforward")
    assert utf8["Content-Type"] == "text/csv; charset=utf-8"
    text = body(utf8).decode("utf-8")
    assert text.startswith("\ufeff取引No,")
    assert list(csv.reader(io.StringIO(text.removeprefix("\ufeff")))) == [header, *rows]


def test_freee_s_transactions_read_back_in_utf8_unsettled_with_the_supplier(client_as, november):
    make_invoice(penalty_amount=3_000)
    response = _ledger(client_as, "freee")
    header, *rows = csv.reader(io.StringIO(body(response).decode("utf-8-sig")))
    assert header[0] == "収支区分" and len(header) == 21
    deals = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(d["収支区分"], d["勘定科目"], d["税区分"], d["金額"], d["税額"]) for d in deals] == [
        ("支出", "仕入高", "課対仕入10%", "68640", "6240"),
        ("支出", "仕入高", "課対仕入10%", "11000", "1000"),
        ("支出", "仕入高", "対象外", "3000", "0"),
    ]
    assert {(d["発生日"], d["取引先"], d["決済日"], d["決済口座"]) for d in deals} == {
        ("2026/11/01", "LINE WORKS", "", "")
    }
    sjis = _ledger(client_as, "freee", "cp932")
    assert list(csv.reader(io.StringIO(body(sjis).decode("cp932")))) == [header, *rows]


def test_an_unregistered_supplier_s_purchases_carry_the_transitional_class_of_their_date(
    client_as, november, settings
):
    settings.JOURNAL_SUPPLIER_QUALIFIED = False
    make_invoice()  # October's, dated 2026-11-01: past the 80 % years
    make_invoice(year=2026, month=8)  # dated 2026-09-01
    late = csv.reader(io.StringIO(body(_ledger(client_as, "moneyforward", "cp932")).decode("cp932")))
    early = csv.reader(
        io.StringIO(body(_ledger(client_as, "moneyforward", "cp932", year=2026, month=8)).decode("cp932"))
    )
    assert {row[7] for row in list(late)[1:]} == {"50%控除"}
    assert {row[7] for row in list(early)[1:]} == {"80%控除"}
    settings.MONEYFORWARD_NAMES = {**settings.MONEYFORWARD_NAMES, "invoice_transitional_late": "70%控除"}
    late = csv.reader(io.StringIO(body(_ledger(client_as, "moneyforward")).decode("utf-8-sig")))
    assert {row[7] for row in list(late)[1:]} == {"70%控除"}
    assert {entry["借方税区分"] for entry in _journal(client_as)} == {"課対仕入内10%区分50%"}


def test_a_supplier_name_shift_jis_cannot_hold_offers_money_forward_s_utf8_file(
    client_as, november, settings
):
    make_invoice()
    settings.YAYOI_SUPPLIER_NAME = "𠮷田商事"
    response = client_as(Role.FINANCE).get(
        reverse("billing:accounting_export", kwargs=OCT), {"ledger": "moneyforward", "encoding": "cp932"}
    )
    assert response.status_code == 409 and "Content-Disposition" not in response
    html = response.content.decode()
    assert "<td>貸方取引先</td><td><mark>𠮷</mark>田商事</td>" in html
    assert 'href="/billing/2026/10/journal/?ledger=moneyforward" data-testid="lost-utf8"' in html


def test_an_unknown_ledger_gets_yayoi_s_journal(client_as, november):
    make_invoice()
    response = client_as(Role.FINANCE).get(
        reverse("billing:accounting_export", kwargs=OCT), {"ledger": "nope"}
    )
    assert journal(response)  # Yayoi's layout, read back field by field


def test_the_invoice_details_page_offers_each_ledger_s_journal(client_as, november):
    make_invoice()
    html = client_as(Role.FINANCE).get(reverse("billing:details", kwargs=OCT)).content.decode()
    url = reverse("billing:accounting_export", kwargs=OCT)
    for query, testid in [
        ("ledger=yayoi", "journal-yayoi"),
        ("ledger=moneyforward&amp;encoding=cp932", "journal-moneyforward-sjis"),
        ("ledger=moneyforward", "journal-moneyforward"),
        ("ledger=freee", "journal-freee"),
        ("ledger=freee&amp;encoding=cp932", "journal-freee-sjis"),
    ]:
        assert f'href="{url}?{query}" data-testid="{testid}"' in html
    assert "Money Forward Cloud Accounting" in html and "freee Accounting" in html


def test_a_role_without_billing_gets_no_ledger_s_journal(client_as, november):
    make_invoice()
    for ledger in ("moneyforward", "freee"):
        response = client_as(Role.SUPPORT).get(
            reverse("billing:accounting_export", kwargs=OCT), {"ledger": ledger}
        )
        assert response.status_code == 403 and "Content-Disposition" not in response
