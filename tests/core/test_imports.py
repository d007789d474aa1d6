"""The import machinery (portal/core/imports, issue 57): every file a person may upload is read or refused with
a sentence naming what and where (row, column, line), never a 500; encodings are found (UTF-8 with or without
a BOM, Shift_JIS), a workbook is read by openpyxl only once it is known to be one, and size and row limits hold
before anything is parsed."""

from __future__ import annotations

import codecs
import io
import random
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.models import CustomerBilling
from portal.core.access import Role
from portal.core.imports import boolean, date, integer, text
from portal.core.imports.columns import letter
from portal.core.imports.files import FileRefused, sheet_read
from portal.core.imports.spec import CellError
from tests.customers.factories import make_customer

URL = reverse("invoicing:billing_details_import")
HEADER = "Domain ID,Company,Domain,Bill this customer,Name to bill,Address to bill,E-mail for invoices,Language of the invoice,Language of the invoice (code)"
LIMITS = {"max_bytes": 1_000_000, "max_rows": 100}


def read(data: bytes, name: str = "file.csv", **limits):
    return sheet_read(data, name=name, **{**LIMITS, **limits})


def refused(data: bytes, name: str = "file.csv", **limits) -> str:
    with pytest.raises(FileRefused) as caught:
        read(data, name, **limits)
    return str(caught.value)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Name\n請求先株式会社\n".encode(), "UTF-8"),
        (codecs.BOM_UTF8 + "Name\n請求先株式会社\n".encode(), "UTF-8"),
        ("Name\n請求先株式会社\n".encode("cp932"), "Shift_JIS"),
        ("Name\n①髙橋\n".encode("cp932"), "Shift_JIS"),  # Windows' own characters of cp932
    ],
)
def test_utf8_with_or_without_a_bom_and_shift_jis_are_read(data, encoding):
    sheet = read(data)
    assert sheet.encoding == encoding
    assert sheet.header == ["Name"]
    assert sheet.rows[0][1][0] in {"請求先株式会社", "①髙橋"}


def test_a_file_neither_utf8_nor_shift_jis_is_refused_naming_its_line():
    data = "Name\nok\nCafé crème\n".encode("latin-1") + b"\xff\xfe\x80\n"
    assert "neither in UTF-8 nor in Shift_JIS: line 3" in refused(data) or "line 4" in refused(data)


def test_utf16_and_nul_bytes_are_named():
    assert "UTF-16" in refused("Name\nx\n".encode("utf-16"))
    assert "line 2 holds a NUL byte" in refused(b"Name\nab\x00c\n")


def test_size_rows_and_empty_files_are_refused_before_parsing():
    assert "an import reads files of at most" in refused(b"x" * 2_000_001)
    assert "more than 100 rows" in refused(b"Name\n" + b"a\n" * 101)
    assert "more than 100 rows" in refused(b"Name\n" + b"a\n" * 101, "file.csv", max_rows=100)
    assert read(b"Name\n" + b"a\n" * 100).rows[-1][0] == 101
    assert "empty" in refused(b"")
    assert "empty" in refused(b"\n\n  \n")
    assert "first row is empty" in refused(b",,\nx,y\n")


def test_a_quote_left_open_names_its_line():
    assert "from line 2" in refused(b'Name,Other\n"open,x\ny,z\n')


def test_a_cell_of_several_lines_is_one_row_and_a_protected_formula_reads_back_as_stored():
    sheet = read(b'Name,Address\n"A","1-2\r\n3F"\n\'=1+1,\'-5\n')
    assert sheet.rows == [(2, ["A", "1-2\r\n3F"]), (3, ["=1+1", "-5"])]


def test_semicolons_and_tabs_separate_as_the_header_does():
    assert read(b"A;B\n1;2\n").rows == [(2, ["1", "2"])]
    assert read(b"A\tB\n1\t2\n").rows == [(2, ["1", "2"])]


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_what_is_not_a_workbook_is_refused_and_a_zip_bomb_unread():
    assert "not an Excel workbook" in refused(b"\x00\x01junk" * 10, "prices.xlsx")
    assert "not an Excel workbook" in refused(b"PK\x03\x04" + b"junk" * 100, "prices.csv")
    assert "not an Excel workbook" in refused(_zip({"word/document.xml": b"<x/>"}), "a.xlsx")
    assert "not an Excel workbook" in refused(_zip({"xl/workbook.xml": b"<not xml"}), "a.xlsx")
    bomb = _zip({"xl/workbook.xml": b"<x/>", "xl/worksheets/sheet1.xml": b" " * 50_000_000})
    assert "unpacks to far more than its size" in refused(bomb, "a.xlsx")


def test_a_workbook_is_read_from_its_first_sheet_with_typed_cells():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Count", None])
    sheet.append(["A_x000D_", 3, None])
    book.create_sheet("Other").append(["ignored"])
    out = io.BytesIO()
    book.save(out)
    read_back = read(out.getvalue(), "a.xlsx")
    assert read_back.kind == "xlsx" and read_back.header == ["Name", "Count"]
    assert read_back.rows[0] == (2, ["A\r", 3, None])


def test_cells_are_read_as_people_and_spreadsheets_write_them():
    assert integer("1,200") == 1200 and integer("¥1,200") == 1200 and integer("１２００") == 1200
    assert integer(1200.0) == 1200 and integer("") is None
    with pytest.raises(CellError):
        integer("12.5")
    assert boolean("TRUE") is True and boolean("いいえ") is False and boolean("") is None
    assert str(date("2026/12/1")) == "2026-12-01" and str(date("2026年12月1日")) == "2026-12-01"
    with pytest.raises(CellError):
        date("2026-02-30")
    assert text(" a\r\nb ") == "a\nb" and text(3.0) == "3"
    assert [letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


# --- Through the page: no file makes a 500 ------------------------------------------------------------------


@pytest.fixture
def finance_client(db, client_as):
    make_customer(company_name="Alpha K.K.", domain_id=90_400_001)
    return client_as(Role.FINANCE)


def _post(client, data: bytes, name: str = "file.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def test_ten_megabytes_of_junk_are_refused_before_they_are_read(finance_client):
    answer = _post(finance_client, random.Random(1).randbytes(10 * 1_048_576))
    assert answer.status_code == 413
    assert not CustomerBilling.objects.exists()


def test_a_file_over_the_imports_limit_is_refused_unread_with_its_size(finance_client, settings):
    settings.PORTAL_MAX_REQUEST_BYTES = 200_000
    answer = _post(finance_client, b"x" * 190_000)
    assert answer.status_code == 200
    assert "an import reads files of at most" in answer.content.decode()


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"Domain ID,Notes\n1,x\n", "column B “Notes”"),
        (b"Domain ID,Company\n1,x\n", "lacks the columns “Bill this customer”"),
        (b"Domain ID,Domain ID\n1,1\n", "is there twice: columns A and B"),
        (
            ("ドメインID," + HEADER.split(",", 1)[1] + "\n90400001,,,,,,,,\n").encode("cp932"),
            "changes nothing",
        ),
        ((HEADER + "\n90400001,,,TRUE,A,B,,,,extra\n").encode(), "Row 2: column J holds a value"),
        (
            (HEADER + "\n90400001,,,TRUE,A,B,,Japanese,en\n").encode(),
            "The name “Japanese” and the code “en” disagree",
        ),
        ((HEADER + "\n,,,TRUE,A,B,,,\n").encode(), "Row 2, column A “Domain ID”: This cell is empty."),
        ((HEADER + "\nabc,,,TRUE,A,B,,,\n").encode(), "“abc” is not a whole number."),
        ((HEADER + '\n90400001,,,TRUE,"A\u202eB",x,,,\n').encode(), "Remove the invisible character"),
    ],
)
def test_bad_columns_and_cells_are_named(finance_client, data, said):
    answer = _post(finance_client, data)
    assert answer.status_code == 200
    assert said in answer.content.decode()
    assert not CustomerBilling.objects.exists()


def test_the_headers_are_read_in_japanese_too(finance_client):
    japanese = "ドメインID,会社,ドメイン,この顧客に請求する,請求先の名称,請求先の住所,請求書の送付先メールアドレス,請求書の言語,請求書の言語（コード）"
    answer = _post(
        finance_client, (japanese + "\n90400001,,,はい,アルファ,大阪,,日本語,ja\n").encode("cp932")
    )
    assert answer.context["result"].rows[0].status == "added"


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_and_damaged_workbooks_never_make_a_500(finance_client, seed):
    rng = random.Random(seed)
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append([90400001, "", "", True, "A", "B", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    workbook = bytearray(out.getvalue())
    for _ in range(rng.randint(1, 20)):
        workbook[rng.randrange(len(workbook))] = rng.randrange(256)
    for data, name in (
        (rng.randbytes(rng.randint(1, 50_000)), "junk.csv"),
        (bytes(workbook), "damaged.xlsx"),
        (bytes(workbook[: rng.randint(10, len(workbook))]), "cut.xlsx"),
    ):
        answer = _post(finance_client, data, name)
        assert answer.status_code == 200, name


def test_empty_rows_are_skipped_and_do_not_count_towards_the_limit():
    sheet = read(b"Name\n" + b",\n" * 500 + b"a\n", max_rows=10)
    assert sheet.rows == [(502, ["a"])]
    book = openpyxl.Workbook()
    book.active.append(["Name"])
    for number in range(2, 400):
        book.active.cell(row=number, column=1).number_format = "@"  # formatted, empty
    book.active.cell(row=400, column=1, value="a")
    out = io.BytesIO()
    book.save(out)
    assert read(out.getvalue(), "a.xlsx", max_rows=10).rows == [(400, ["a"])]
