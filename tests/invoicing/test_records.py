"""Records as the law asks (issue 57, deliverable 4): the Records page states each record's rule, a document's
page its history, and the tax officer's export hands one customer's quarter as one ZIP (the PDFs as issued, an
index whose SHA-256s are theirs, the written rules filled with the partner's name), made as a run that starts
over when its worker dies, downloaded checked, audited, and kept by its own rule."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing import services, storage
from invoicing.models import CustomerBilling, IssuedInvoice, RecordsExport
from invoicing.selectors import IssuedFilters
from portal.core import clock as clock_module
from portal.core import runs
from portal.core.access import Role
from portal.core.models import AuditEntry
from portal.core.retention import housekeep
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.conftest import M
from tests.invoicing.test_run_liveness import WorkerKilled, _reaped_after_two_looks, clock, dies, workers

__all__ = ["clock", "workers"]  # the liveness tests' fixtures, used here too

FIN = Role.FINANCE
RECORDS = reverse("invoicing:records")
QUARTER = {"issued_from": "2026-10-01", "issued_to": "2026-12-31"}


@pytest.fixture
def issued(month, monkeypatch):
    """No. 1 Alpha and No. 2 Beta issued on 2026-11-02 for October; credit note No. 3 of No. 1 (-¥1,100) on
    2026-11-20, the business date after. Beta's bill-to name has 𠮷, a character Shift_JIS has no code for."""
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="𠮷田商事", bill_to_address="Kobe", language="en"
    )
    finance = make_persona(FIN)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    pin_business_today(monkeypatch, dt.date(2026, 11, 20))
    services.credit_note_issue(
        user=finance, number=1, credits={0: 1_000}, return_date=None, reason="", key="a" * 32
    )
    return month


def _asked(client, **data) -> RecordsExport:
    response = client.post(RECORDS, {"language": "ja", **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    export = RecordsExport.objects.latest("pk")
    assert response["Location"] == reverse("invoicing:records_export", kwargs={"export_id": export.pk})
    return export


def _zip_of(client, export: RecordsExport) -> zipfile.ZipFile:
    response = client.get(reverse("invoicing:records_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{export.download_name}"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    export.refresh_from_db()
    assert hashlib.sha256(data).hexdigest() == export.zip_sha256 and len(data) == export.zip_size
    return zipfile.ZipFile(io.BytesIO(data))


def _index(archive: zipfile.ZipFile, name: str = "index.csv", encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode(encoding))))


def test_one_customers_quarter_is_one_zip_of_its_pdfs_their_index_and_the_rules(client_as, issued):
    client = client_as(FIN)
    alpha = issued["alpha"]
    export = _asked(client, q=str(alpha.domain_id), **QUARTER)
    # Asked: audited with who and the selection, before a byte is written.
    entry = AuditEntry.objects.get(operation_id="portal.exportRecords")
    assert entry.actor.username == "finance-persona"
    assert entry.request_summary == {
        "export": export.pk,
        "up_to_number": 3,
        "q": str(alpha.domain_id),
        **QUARTER,
    }
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert 'data-hx-trigger="every 2s"' in page  # polled while it is made
    assert f"Customer: {alpha.domain_id}" in page and "Issued 2026-10-01 to 2026-12-31" in page

    services.records_export(export_id=export.pk)
    export.refresh_from_db()
    assert (export.total, export.done, export.failed, export.error) == (2, 2, 0, "")
    assert export.finished_at is not None and export.shift_jis

    archive = _zip_of(client, export)
    assert sorted(archive.namelist()) == [
        "index-shift_jis.csv",
        "index.csv",
        "pdf/2026-10/1.pdf",
        "pdf/2026-10/3.pdf",
        "rules-ja.txt",
    ]
    rows = _index(archive)
    header, lines = rows[0], rows[1:]
    assert header[:5] == ["発行日", "請求書番号", "書類に記載の番号", "種類", "顧客"]
    column = {name: i for i, name in enumerate(header)}
    # Alpha's documents of the quarter, in the order of issue: its invoice and the credit note of it.
    assert [line[column["請求書番号"]] for line in lines] == ["1", "3"]
    for line in lines:
        document = IssuedInvoice.objects.get(number=int(line[column["請求書番号"]]))
        pdf = archive.read(line[column["ファイル"]])
        assert hashlib.sha256(pdf).hexdigest() == line[column["PDFのSHA-256"]] == document.pdf_sha256
        assert pdf == document.pdf_bytes()
        assert line[column["発行日"]] == document.issue_date.isoformat()
        assert line[column["顧客"]] == "Alpha K.K."
        assert int(line[column["合計（税込）"]]) == document.total
        [at_ten] = document.per_rate
        assert int(line[column["10%対象額"]]) == at_ten["amount"]
        assert int(line[column["10%の消費税"]]) == at_ten["tax"]
    invoice, note = lines
    assert invoice[column["種類"]] == "請求書" and note[column["種類"]] == "返還請求書"
    assert note[column["元の請求書"]] == "1" and note[column["合計（税込）"]] == "-1100"
    # The same index in Shift_JIS, for Japanese accounting packages.
    assert _index(archive, "index-shift_jis.csv", "cp932") == rows
    rules = archive.read("rules-ja.txt").decode("utf-8")
    assert rules.startswith("電子取引データの訂正及び削除の防止に関する事務処理規程")
    asked = timezone.localtime(export.requested_at, clock_module.midnight(clock_module.today()).tzinfo).date()
    assert "パートナー株式会社" in rules and "T7000012050002" in rules
    assert f"作成日　{asked.year}年{asked.month}月{asked.day}日" in rules
    assert "{{" not in rules and "{%" not in rules

    # The page gives the ZIP's SHA-256 and its link; downloading it is audited.
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert export.zip_sha256 in page and 'data-hx-trigger="every 2s"' not in page
    assert reverse("invoicing:records_download", kwargs={"export_id": export.pk}) in page
    download = AuditEntry.objects.get(operation_id="portal.downloadRecordsExport")
    assert download.request_summary["sha256"] == export.zip_sha256


def test_with_no_filter_every_document_issued_is_exported_the_way_out(client_as, issued):
    client = client_as(FIN)
    export = _asked(client)
    assert export.filters == {}
    services.records_export(export_id=export.pk)
    archive = _zip_of(client, export)
    lines = _index(archive)[1:]
    assert [line[1] for line in lines] == ["1", "2", "3"]
    # Beta's bill-to name has 𠮷: the UTF-8 index holds it, no Shift_JIS index is written with a "?" instead.
    assert any("𠮷田商事" in line for line in lines)
    assert "index-shift_jis.csv" not in archive.namelist()
    export.refresh_from_db()
    assert not export.shift_jis
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert 'data-testid="no-shift-jis"' in page


def test_the_period_and_the_totals_select_and_a_document_issued_after_the_request_is_not_in_it(
    client_as, issued
):
    client = client_as(FIN)
    export = _asked(client, issued_to="2026-11-10", total_min="0", language="en")
    services.credit_note_issue(
        user=export.requested_by, number=2, credits={0: 500}, return_date=None, reason="", key="b" * 32
    )
    services.records_export(export_id=export.pk)
    rows = _index(_zip_of(client, export))
    assert rows[0][:3] == [
        "Date of issue",
        "Invoice number",
        "Number on the document",
    ]  # the index in English
    assert [line[1] for line in rows[1:]] == ["1", "2"]  # not the credit note of 2026-11-20, nor No. 4


def test_a_pdf_not_as_issued_is_left_out_and_said_never_replaced(client_as, issued):
    client = client_as(FIN)
    note = IssuedInvoice.objects.get(number=3)
    storage.documents.delete(note.pdf.name)
    storage.documents.save(note.pdf.name, io.BytesIO(b"%PDF-1.4 changed"))
    export = _asked(client, q="Alpha")
    services.records_export(export_id=export.pk)
    export.refresh_from_db()
    assert (export.done, export.failed) == (1, 1) and export.ready
    archive = _zip_of(client, export)
    assert "pdf/2026-10/3.pdf" not in archive.namelist()
    [_, line] = _index(archive)[1:]
    assert line[1] == "3" and line[-1] == "ZIPに含めていません：保管されたPDFが発行時と異なります"
    assert line[-2] == note.pdf_sha256  # the SHA-256 it was issued with, for the record
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert 'data-testid="left-out"' in page


def test_an_export_whose_worker_died_starts_over_by_itself(
    client_as, issued, clock, workers, monkeypatch, django_capture_on_commit_callbacks
):
    from invoicing.services import records

    queued: list[int] = []
    monkeypatch.setattr(services.records_export_task, "delay", queued.append)
    client = client_as(FIN)
    with django_capture_on_commit_callbacks(execute=True):
        export = _asked(client, q="Alpha")
    assert queued == [export.pk]  # queued when asked
    first = workers()
    written = records._pdf_written
    calls = []

    def dies_on_the_second(document, archive):
        calls.append(document.number)
        if len(calls) == 2:
            raise WorkerKilled
        return written(document, archive)

    monkeypatch.setattr(records, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(records, "_pdf_written", dies_on_the_second)
    with pytest.raises(WorkerKilled):
        services.records_export(export_id=export.pk)
    export.refresh_from_db()
    assert (export.done, export.total, export.finished_at, export.worker) == (1, 2, None, first.id)
    assert not RecordsExport.objects.exclude(zip_name="").exists()  # nothing half made is kept

    dies(first)
    _reaped_after_two_looks(clock)
    assert queued == [export.pk, export.pk]
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert 'data-testid="run-stopped"' in page and "It starts over by itself" in page

    monkeypatch.setattr(records, "_pdf_written", written)
    workers()
    services.records_export(export_id=export.pk)
    export.refresh_from_db()
    assert (export.done, export.failed, export.total) == (2, 0, 2) and export.ready
    assert export.resumed_at is not None
    assert [line[1] for line in _index(_zip_of(client, export))[1:]] == ["1", "3"]
    assert runs.runs_reap_stale() == 0
    page = client.get(reverse("invoicing:records_export", kwargs={"export_id": export.pk})).content.decode()
    assert "started over by itself" in page


def test_a_zip_changed_in_the_store_is_not_served(client_as, issued):
    client = client_as(FIN)
    export = _asked(client, q="Alpha")
    services.records_export(export_id=export.pk)
    export.refresh_from_db()
    storage.documents.delete(export.zip_name)
    storage.documents.save(export.zip_name, io.BytesIO(b"PK other bytes"))
    response = client.get(reverse("invoicing:records_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 409
    assert 'data-testid="export-unavailable"' in response.content.decode()
    assert not AuditEntry.objects.filter(operation_id="portal.downloadRecordsExport").exists()


def test_one_export_open_per_person_a_double_click_finds_it(client_as, issued):
    client = client_as(FIN)
    first = _asked(client, q="Alpha")
    assert _asked(client, q="Beta").pk == first.pk
    assert RecordsExport.objects.count() == 1
    assert AuditEntry.objects.filter(operation_id="portal.exportRecords").count() == 1


def test_exports_leave_by_their_rule_with_their_zip(
    client_as, issued, settings, django_capture_on_commit_callbacks
):
    client = client_as(FIN)
    export = _asked(client, q="Alpha")
    services.records_export(export_id=export.pk)
    export.refresh_from_db()
    assert storage.documents.exists(export.zip_name)
    today = export.requested_at.astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()  # its business day
    housekeep(today=today + dt.timedelta(days=settings.RETENTION_RECORDS_EXPORT_DAYS - 1))
    assert RecordsExport.objects.filter(pk=export.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        housekeep(today=today + dt.timedelta(days=settings.RETENTION_RECORDS_EXPORT_DAYS + 1))
    assert not RecordsExport.objects.filter(pk=export.pk).exists()
    assert not storage.documents.exists(export.zip_name)
    # Who exported what stays, as long as the documents.
    assert AuditEntry.objects.filter(operation_id="portal.exportRecords").exists()
    assert IssuedInvoice.objects.count() == 3


def test_the_records_page_states_each_rule_how_corrections_are_prevented_and_the_search(client_as, issued):
    body = client_as(FIN).get(RECORDS).content.decode()
    table = body[body.index('data-testid="records-rules"') :]
    table = table[: table.index("</table>")]
    for record in (
        "Issued invoices and their PDFs, with their payments, sendings and payment reminders",
        "Credit notes and their PDFs",
        "Corrected invoices and their PDFs",
        "LINE WORKS&#x27;s invoices to the partner",
        "Audit entries of issuing invoices, corrected invoices and credit notes",
        "Audit entries of sending customer invoices, recording their payments and exporting them",
        "Audit entries: who sent which change",
        "ZIP files of issued documents exported",
    ):
        assert record in table, record
    assert table.count("7 years from two months after the end of the tax period") == 6
    assert table.count("As above") == 2  # the same law for the three kinds of document, said once
    assert "RETENTION_RECORDS_EXPORT_DAYS" in table and "RETENTION_AUDIT_DAYS" in table
    assert "2026-11-02" in table  # the oldest issued invoice
    assert 'data-testid="prevented"' in body and reverse("invoicing:search") in body
    assert 'data-testid="export-form"' in body


def test_the_search_carries_its_filters_into_the_export_form(client_as, issued):
    client = client_as(FIN)
    search = client.get(reverse("invoicing:search"), {"q": "Alpha", "total_min": "100"}).content.decode()
    link = (
        re.search(r'href="([^"]*)" data-testid="export-for-officer"', search).group(1).replace("&amp;", "&")
    )
    form = client.get(link).content.decode()
    assert re.search(r'name="q"[^>]*value="Alpha"', form) and re.search(
        r'name="total_min"[^>]*value="100"', form
    )


def test_a_documents_history_says_what_happened_to_it_and_who_did_it(client_as, issued):
    finance = IssuedInvoice.objects.get(number=1).issued_by
    services.payment_record(actor=finance, number=1, amount=1_000, paid_on=dt.date(2026, 11, 25))
    body = client_as(FIN).get(reverse("invoicing:issued", kwargs={"number": 1})).content.decode()
    history = body[body.index('data-testid="history"') :]
    history = history[: history.index("</table>")]
    events = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", history)
    assert [re.sub(r"<[^>]+>", "", what) for _, what, _ in events] == [
        "Document issued",
        "Credited by credit note No. 3 (-¥1,100)",
        "Payment of ¥1,000 received on 2026-11-25 recorded",
    ]
    assert all("Finance Persona" in by for _, _, by in events)
    assert reverse("invoicing:issued", kwargs={"number": 3}) in history
    note = client_as(FIN).get(reverse("invoicing:issued", kwargs={"number": 3})).content.decode()
    assert "Issued as a credit note of No. 1" in note


def test_a_period_or_range_the_wrong_way_round_is_refused(client_as, issued):
    client = client_as(FIN)
    response = client.post(
        RECORDS, {"issued_from": "2026-12-31", "issued_to": "2026-10-01", "total_min": "5", "total_max": "1"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end of the period is before its start." in body
    assert "The highest total is below the lowest." in body
    assert not RecordsExport.objects.exists()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_get_an_answer_not_an_error(client_as, issued, value):
    client = client_as(FIN)
    fields = ("q", "issued_from", "issued_to", "total_min", "total_max", "language")
    assert client.post(RECORDS, {name: value for name in fields}).status_code < 500
    assert client.get(RECORDS, {name: value for name in fields}).status_code == 200
    assert not RecordsExport.objects.exists()
    for url in (
        reverse("invoicing:records_export", kwargs={"export_id": 10**9}),
        reverse("invoicing:records_download", kwargs={"export_id": 10**9}),
    ):
        assert client.get(url).status_code == 404


def test_an_export_not_made_yet_is_not_downloaded(client_as, issued):
    export = services.records_export_request(user=make_persona(FIN), filters=IssuedFilters(), language="ja")
    client = client_as(FIN)
    response = client.get(reverse("invoicing:records_download", kwargs={"export_id": export.pk}))
    assert response.status_code == 409
    assert "still being made" in response.content.decode()
