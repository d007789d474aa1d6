"""Customers' billing details from a file (issue 57): the download read back by the libraries its users use
(csv in cp932, openpyxl), edited and uploaded again: the dry run shows exactly the edited rows, refuses with the
form's words naming row and column, and "Apply" writes all or nothing, audited."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from invoicing.models import CustomerBilling
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer

URL = reverse("invoicing:billing_details_import")
EXPORT = reverse("invoicing:billing_details_export")


@pytest.fixture
def customers(db):
    alpha = make_customer(company_name="Alpha K.K.", domain_id=90_200_001)
    beta = make_customer(company_name="ベータ株式会社", domain_id=90_200_002)
    gamma = make_customer(company_name="Gamma K.K.", domain_id=90_200_003)
    CustomerBilling.objects.create(
        domain_id=alpha.domain_id,
        bill_to_name="Alpha K.K. 経理部",
        bill_to_address="大阪市北区1-2\r\n梅田ビル3F",
        invoice_email="bill@alpha.example",
        language="ja",
    )
    CustomerBilling.objects.create(domain_id=gamma.domain_id, billed=False, language="en")
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


def _sjis_rows(client) -> list[list[str]]:
    answer = client.get(EXPORT, {"encoding": "cp932"})
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.content.decode("cp932"), newline="")))


def _csv_bytes(rows: list[list], encoding: str = "cp932") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(client, data: bytes, name: str = "billing.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def _apply(client, answer):
    return client.post(URL, {"token": answer.context["token"], "confirmed": "1"})


def test_the_shift_jis_download_edited_comes_back_as_exactly_its_edited_rows(client_as, customers):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    header = rows[0]
    assert header[:4] == ["Domain ID", "Company", "Domain", "Bill this customer"]
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id["90200001"][5] == "大阪市北区1-2\r\n梅田ビル3F"
    # Finance fills in Beta (no details yet) and changes Alpha's e-mail; Gamma stays as it was.
    beta = by_id["90200002"]
    beta[4], beta[5], beta[6] = "ベータ株式会社 御中", "名古屋市中区1-1", "keiri@beta.example"
    by_id["90200001"][6] = "invoices@alpha.example"
    answer = _upload(client, _csv_bytes(rows))
    assert answer.status_code == 200
    result = answer.context["result"]
    assert result.encoding == "Shift_JIS"
    outcome = {row.named.split(" (")[0]: row for row in result.rows}
    assert outcome["Alpha K.K."].status == "changed"
    assert outcome["Alpha K.K."].changes == [
        ("E-mail for invoices", "bill@alpha.example", "invoices@alpha.example")
    ]
    assert outcome["ベータ株式会社"].status == "added"
    assert outcome["Gamma K.K."].status == "unchanged"
    assert "Apply 2 rows" in answer.content.decode()
    # Nothing is written by the dry run.
    assert not CustomerBilling.objects.filter(domain_id=90_200_002).exists()

    applied = _apply(client, answer)
    assert applied.status_code == 302
    beta_row = CustomerBilling.objects.get(domain_id=90_200_002)
    assert (beta_row.bill_to_name, beta_row.billed, beta_row.language) == ("ベータ株式会社 御中", True, "ja")
    assert CustomerBilling.objects.get(domain_id=90_200_001).invoice_email == "invoices@alpha.example"
    assert AuditEntry.objects.filter(operation_id="portal.setCustomerBilling").count() == 2
    imported = AuditEntry.objects.get(operation_id="portal.importBillingDetails")
    assert imported.request_summary["changed"] == 1 and imported.request_summary["added"] == 1
    # The same token applies once.
    assert _apply(client, answer).status_code == 409
    activity = client_as(Role.ADMIN).get(reverse("core:activity")).content.decode()
    assert "Import customers&#x27; billing details from a file" in activity


def test_the_workbook_download_read_by_openpyxl_comes_back_unchanged_and_edited(client_as, customers):
    client = client_as(Role.FINANCE)
    answer = client.get(EXPORT, {"format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
    sheet = book.worksheets[0]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][-2:] == ["Language of the invoice", "Language of the invoice (code)"]
    gamma = next(row for row in values if row[0] == 90_200_003)
    assert gamma[3] is False and gamma[-1] == "en"
    out = io.BytesIO()
    book.save(out)
    same = _upload(client, out.getvalue(), "billing.xlsx")
    assert same.context["result"].to_apply == 0
    assert "The file changes nothing." in same.content.decode()
    # Gamma billed again, in English by name only (the code column emptied).
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == 90_200_003)
    book2 = openpyxl.load_workbook(
        io.BytesIO(b"".join(client.get(EXPORT, {"format": "xlsx"}).streaming_content))
    )
    sheet2 = book2.worksheets[0]
    for cells in sheet2.iter_rows(min_row=2):
        if cells[0].value == 90_200_003:
            cells[3].value, cells[4].value, cells[5].value = True, "Gamma K.K.", "Tokyo"
            cells[-1].value = None
    out = io.BytesIO()
    book2.save(out)
    answer = _upload(client, out.getvalue(), "billing.xlsx")
    changed = [r for r in answer.context["result"].rows if r.status != "unchanged"]
    assert [r.number for r in changed] == [row[0].row]
    assert ("Bill this customer", "No", "Yes") in changed[0].changes


def test_refused_rows_name_row_and_column_and_nothing_is_applied(client_as, customers):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    rows[1][6] = "not-an-address"
    rows[2][3] = "perhaps"
    rows.append(["99999999", "", "", "TRUE", "X", "Y", "", "", ""])
    rows.append([rows[3][0], "", "", "TRUE", "Again", "Z", "", "", ""])
    answer = _upload(client, _csv_bytes(rows))
    text = answer.content.decode()
    assert "Row 2, column G “E-mail for invoices”: Enter a valid email address." in text
    assert "Row 3, column D “Bill this customer”: “perhaps” is neither yes nor no" in text
    assert "Row 5, column A “Domain ID”: No customer still in LINE WORKS has the Domain ID 99999999." in text
    assert "Row 6: the same record as row 4" in text
    assert 'data-testid="apply"' not in text
    # A forged apply of a dry run with refused rows writes nothing.
    assert _apply(client, answer).status_code == 200
    assert CustomerBilling.objects.count() == 2


def test_a_billed_customer_needs_a_name_and_address_as_on_its_form(client_as, customers):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    beta = next(row for row in rows if row[0] == "90200002")
    beta[6] = "keiri@beta.example"
    text = _upload(client, _csv_bytes(rows)).content.decode()
    assert "column E “Name to bill”: A billed customer needs this on its invoice." in text


def test_a_row_changed_since_the_dry_run_refuses_the_whole_apply(client_as, customers):
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    for row in rows[1:]:
        row[4] = row[4] or "Someone"
        row[5] = row[5] or "Somewhere"
    answer = _upload(client, _csv_bytes(rows))
    assert answer.context["result"].to_apply == 2
    # Someone else changes Gamma meanwhile.
    CustomerBilling.objects.filter(domain_id=90_200_003).update(bill_to_address="Kyoto")
    again = _apply(client, answer)
    assert again.status_code == 200
    assert again.context["moved"]
    assert not CustomerBilling.objects.filter(domain_id=90_200_002).exists()
    assert not AuditEntry.objects.filter(operation_id="portal.importBillingDetails").exists()
    # The dry run again is kept too, and applies as it now says.
    assert _apply(client, again).status_code == 302
    assert CustomerBilling.objects.get(domain_id=90_200_003).bill_to_address == "Somewhere"


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SUPPORT])
def test_only_finance_imports(client_as, customers, role):
    client = client_as(role)
    assert client.get(URL).status_code == 403
    assert _upload(client, b"Domain ID\n1\n").status_code == 403


def test_another_persons_token_is_refused(client_as, customers):
    rows = _sjis_rows(client_as(Role.FINANCE))
    rows[1][6] = "x@alpha.example"
    answer = _upload(client_as(Role.FINANCE), _csv_bytes(rows))
    assert _apply(client_as(Role.ADMIN), answer).status_code == 409


def test_the_import_is_reached_from_the_billing_details_pages(client_as, customers):
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:customer", kwargs={"domain_id": 90_200_001})).content.decode()
    assert URL in page
    form = client.get(URL).content.decode()
    assert f"{EXPORT}?format=xlsx" in form and f"{EXPORT}?encoding=cp932" in form
    assert 'enctype="multipart/form-data"' in form


def test_135_customers_are_set_up_from_one_file_in_a_dry_run_of_a_few_queries(
    client_as, db, django_assert_max_num_queries
):
    for number in range(135):
        make_customer(company_name=f"顧客{number:03d}株式会社", domain_id=90_210_000 + number)
    client = client_as(Role.FINANCE)
    rows = _sjis_rows(client)
    assert len(rows) == 136
    for row in rows[1:]:
        row[4], row[5], row[6] = f"{row[1]} 御中", "東京都港区1-1", f"ap{row[0]}@example.com"
    data = _csv_bytes(rows)
    # The dry run reads the records of every row at once: its queries do not grow with the rows.
    with django_assert_max_num_queries(20):
        answer = _upload(client, data)
    assert answer.context["result"].count("added") == 135
    assert _apply(client, answer).status_code == 302
    assert CustomerBilling.objects.count() == 135
    assert AuditEntry.objects.filter(operation_id="portal.setCustomerBilling").count() == 135


def test_the_download_reads_the_customers_a_batch_at_a_time_in_name_order_with_their_own_details(
    client_as, customers, monkeypatch
):
    """A large partner's download holds a batch of customers, not all of them: with batches of two, the three
    customers still come in company-name order, each with its own details (none for a customer without)."""
    from invoicing.selectors import details

    whole = [row[:7] for row in _sjis_rows(client_as(Role.FINANCE))]
    monkeypatch.setattr(details, "DETAILS_BATCH", 2)
    batched = [row[:7] for row in _sjis_rows(client_as(Role.FINANCE))]
    assert batched == whole
    names = [row[1] for row in batched[1:]]
    assert names == ["Alpha K.K.", "Gamma K.K.", "ベータ株式会社"]
    assert batched[1][4:7] == ["Alpha K.K. 経理部", "大阪市北区1-2\r\n梅田ビル3F", "bill@alpha.example"]
    assert batched[3][4:7] == ["", "", ""]  # ベータ: no details yet
