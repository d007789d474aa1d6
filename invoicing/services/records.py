"""Records as the law asks: the export of issued documents for a tax officer's request (ダウンロードの求め), which,
with no filter, is also the way out of the portal.

`records_export_request` records what was asked (the issued-invoice search's filters and the last number issued
then), audits it (`portal.exportRecords`) and queues the task `invoicing.export_records`; `records_export` makes
the ZIP in the worker, a `RecordsExport` (a `portal.core.runs.Run`: the page polls its progress, and the reaper
queues it again when its worker dies). A ZIP is written to a temporary file of the worker's and stored whole
once it is complete, so a run taken up again starts over from its first document: nothing half written is ever
kept or served. The ZIP holds:

- `pdf/<YYYY-MM>/<number>.pdf`: each document's PDF as issued, read back checked against its SHA-256 (one that
  cannot be is listed in the index with why, never replaced);
- `index.csv` (UTF-8 with a BOM: every character, for any spreadsheet program and for machines) and
  `index-shift_jis.csv` (Shift_JIS as Windows writes it, for Japanese accounting packages; left out, and said
  so, when a name holds a character Shift_JIS has no code for: never a "?");
- `rules-ja.txt`: the written rules for preventing corrections (事務処理規程), the template
  `invoicing/records_rules_ja.txt` filled with the partner's registered name and the day of the export.

The ZIP is kept in the documents' store with its SHA-256 (`RETENTION_RECORDS_EXPORT_DAYS`), and read back checked
when it is downloaded (`records_export_open`, audited `portal.downloadRecordsExport`)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import shutil
import tempfile
import zipfile
from dataclasses import asdict
from typing import IO, Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from invoicing import selectors, storage
from invoicing.models import DocumentKind, IssuedInvoice, IssuerDetails, RecordsExport
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors import IssuedFilters
from portal.core import clock
from portal.core.access import check
from portal.core.csv_export import STAND_INS, neutralise
from portal.core.models import AuditEntry
from portal.core.runs import working_on
from portal.core.services import audit_record

logger = logging.getLogger(__name__)

#: The files of the ZIP beside the PDFs.
INDEX_UTF8, INDEX_SHIFT_JIS, RULES = "index.csv", "index-shift_jis.csv", "rules-ja.txt"
#: The rates a column pair of their own is written for (Japan's standard and reduced rates); any other rate
#: goes in the "other rates" column.
RATES = (10, 8)
#: Documents written between two updates of the run's progress.
PROGRESS_EVERY = 25
#: The filters of the search the export keeps (a search's order and kind are not the selection's).
KEPT = ("q", "issued_from", "issued_to", "total_min", "total_max")

INDEX_HEADER = (
    _("Date of issue"),
    _("Invoice number"),
    _("Number on the document"),
    _("Kind"),
    _("Customer"),
    _("Bill to"),
    _("Domain ID"),
    _("Transaction period"),
    _("Original invoice"),
    _("Amount before tax"),
    _("Consumption tax"),
    _("Total (tax included)"),
    _("Amount at 10%"),
    _("Consumption tax at 10%"),
    _("Amount at 8%"),
    _("Consumption tax at 8%"),
    _("Other tax rates"),
    _("File"),
    _("PDF SHA-256"),
    _("PDF"),
)

#: Why a document's PDF is not in the ZIP, by `storage.DocumentUnavailable.reason` (and "preparing").
PDF_LEFT_OUT = {
    "preparing": _("Not in the ZIP: its PDF was still being prepared"),
    "missing": _("Not in the ZIP: its stored PDF is missing"),
    "damaged": _("Not in the ZIP: its stored PDF is not as issued"),
    "unreachable": _("Not in the ZIP: the documents' store did not answer"),
}


def filters_kept(filters: IssuedFilters) -> dict[str, Any]:
    """The selection as the export keeps it (JSON): the search's filters, dates as ISO text, empty ones left out."""
    kept = {}
    for key, value in asdict(filters).items():
        if key in KEPT and value not in (None, ""):
            kept[key] = value.isoformat() if isinstance(value, dt.date) else value
    return kept


def filters_of(export: RecordsExport) -> IssuedFilters:
    """The search's filters an export keeps, in the order of issue (date, then number)."""
    kept = export.filters or {}
    dates = {k: dt.date.fromisoformat(kept[k]) for k in ("issued_from", "issued_to") if kept.get(k)}
    return IssuedFilters(
        q=kept.get("q", ""),
        total_min=kept.get("total_min"),
        total_max=kept.get("total_max"),
        sort="date",
        **dates,
    )


def records_export_request(*, user, filters: IssuedFilters, language: str) -> RecordsExport:
    """Export the issued documents `filters` selects (none: every one) in the background; audited with the
    selection. A person's export still being made is returned (and queued again) instead of another."""
    check(user, VIEW_INVOICING)
    export = RecordsExport.objects.filter(requested_by=user, finished_at=None).first()
    if export is None:
        last = IssuedInvoice.objects.order_by("-number").values_list("number", flat=True).first() or 0
        try:
            with transaction.atomic():
                export = RecordsExport.objects.create(
                    requested_by=user, filters=filters_kept(filters), up_to_number=last, language=language
                )
                audit_record(
                    actor=user,
                    operation_id="portal.exportRecords",
                    outcome=AuditEntry.Outcome.SUCCEEDED,
                    sent={"export": export.pk, "up_to_number": last, **export.filters},
                )
        except IntegrityError:
            export = RecordsExport.objects.get(requested_by=user, finished_at=None)
    export_id = export.pk
    transaction.on_commit(lambda: records_export_task.delay(export_id))
    return export


def records_selected(export: RecordsExport) -> QuerySet[IssuedInvoice]:
    """The documents an export holds: the search's selection among those issued when it was asked."""
    user = export.requested_by or get_user_model()(username="system")
    # In the order of issue on every database (the search's own order may follow its relevance when searched).
    return (
        selectors.issued_list(user=user, filters=filters_of(export))
        .filter(number__lte=export.up_to_number)
        .order_by("issue_date", "number")
    )


def records_export(*, export_id: int) -> RecordsExport:
    """The work of an export: the ZIP written and stored, the run finished. Run again under the same id (a
    redelivered task, a dead worker's run queued again) it starts over, or does nothing once finished."""
    export = RecordsExport.objects.select_related("requested_by").get(pk=export_id)
    if export.finished_at is not None:
        return export
    with working_on(export):
        try:
            _export_made(export)
        except Exception as error:  # the run says it stopped, never a run left open for ever
            logger.exception("records export %s failed", export.pk)
            RecordsExport.objects.filter(pk=export.pk).update(
                finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"[:500]
            )
    export.refresh_from_db()
    return export


@shared_task(name="invoicing.export_records", ignore_result=True, acks_late=True)
def records_export_task(export_id: int) -> None:
    records_export(export_id=export_id)


def _export_made(export: RecordsExport) -> None:
    documents = records_selected(export)
    runs = RecordsExport.objects.filter(pk=export.pk)
    runs.update(total=documents.count(), done=0, failed=0)
    with tempfile.TemporaryFile() as zipped:
        with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            shift_jis = _documents_written(export, documents, archive)
            asked = _local(export.requested_at)
            archive.writestr(_entry(RULES, export), rules_text(day=asked.date()).encode("utf-8"))
        digest, size = _digest(zipped)
        zipped.seek(0)
        name = f"exports/records/{export.requested_at:%Y/%m}/{export.pk}-{digest}.zip"
        stored = _zip_stored(name, zipped, digest)
    runs.update(
        zip_name=stored, zip_sha256=digest, zip_size=size, shift_jis=shift_jis, finished_at=timezone.now()
    )


def _zip_stored(name: str, zipped: IO[bytes], digest: str) -> str:
    """The ZIP written under `name` (its export's id and its SHA-256): a file of that name holding those bytes
    already (a run that stored it, then died before finishing) is kept as it is."""
    if storage.documents.exists(name):
        with storage.documents.open(name, "rb") as there:
            if _digest(there)[0] == digest:
                return name
        storage.documents.delete(name)
    zipped.seek(0)
    return storage.documents.save(name, File(zipped, name=name))


def _documents_written(export: RecordsExport, documents: QuerySet, archive: zipfile.ZipFile) -> bool:
    """Each document's PDF and its line of both indexes into `archive`; whether the Shift_JIS index is whole."""
    runs = RecordsExport.objects.filter(pk=export.pk)
    with (
        tempfile.TemporaryFile("w+", encoding="utf-8-sig", newline="") as utf8,
        tempfile.TemporaryFile() as sjis,
    ):
        index = IndexWriter(utf8, sjis)
        with translation.override(export.language):
            index.row([str(label) for label in INDEX_HEADER])  # type: ignore[arg-type]
            done = failed = 0
            for document in documents.defer("lines").iterator(chunk_size=200):
                path, left_out = _pdf_written(document, archive)
                index.row(index_row(document, path=path, left_out=left_out))
                done, failed = done + (not left_out), failed + bool(left_out)
                if (done + failed) % PROGRESS_EVERY == 0:
                    runs.update(done=done, failed=failed)
            runs.update(done=done, failed=failed)
        utf8.flush()
        utf8.seek(0)
        _copied(utf8.buffer, archive, _entry(INDEX_UTF8, export))
        if index.shift_jis_whole:
            sjis.seek(0)
            _copied(sjis, archive, _entry(INDEX_SHIFT_JIS, export))
    return index.shift_jis_whole


def _local(moment: dt.datetime) -> dt.datetime:
    """`moment` in the business time zone."""
    return timezone.localtime(moment, clock.midnight(clock.today()).tzinfo)


def _entry(name: str, export: RecordsExport) -> zipfile.ZipInfo:
    """A file of the ZIP beside the PDFs, dated when the export was asked: the same export writes the same bytes
    however often it starts over."""
    asked = _local(export.requested_at)
    entry = zipfile.ZipInfo(
        name, date_time=(asked.year, asked.month, asked.day, asked.hour, asked.minute, asked.second)
    )
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def _copied(source: IO[bytes], archive: zipfile.ZipFile, name: zipfile.ZipInfo) -> None:
    """A file into `archive` a chunk at a time (an index of every document ever issued is large)."""
    with archive.open(name, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, 1 << 20)


class IndexWriter:
    """The index written twice as it goes: in UTF-8 (with a BOM, every character) and in Shift_JIS (cp932, with
    the house's stand-ins), whose writing stops at the first character it has no code for (`shift_jis_whole`)."""

    def __init__(self, utf8: IO[str], sjis: IO[bytes]) -> None:
        self.utf8 = csv.writer(utf8)
        self.sjis = sjis
        self.line = io.StringIO()
        self.line_writer = csv.writer(self.line)
        self.shift_jis_whole = True

    def row(self, values: list[str | int | None]) -> None:
        # Numbers as numbers (a credit note's total is negative); text never read as a formula.
        cells = ["" if v is None else str(v) if isinstance(v, int) else neutralise(v) for v in values]
        self.utf8.writerow(cells)
        if not self.shift_jis_whole:
            return
        self.line.seek(0)
        self.line.truncate()
        self.line_writer.writerow([cell.translate(STAND_INS["cp932"]) for cell in cells])
        try:
            self.sjis.write(self.line.getvalue().encode("cp932"))
        except UnicodeEncodeError:
            self.shift_jis_whole = False


def _pdf_written(document: IssuedInvoice, archive: zipfile.ZipFile) -> tuple[str, str]:
    """The document's PDF as issued into `archive`: (its path there, "") or ("", why it is left out)."""
    if not document.pdf_sha256:
        return "", "preparing"
    try:
        data = document.pdf_bytes()
    except storage.DocumentUnavailable as unavailable:
        logger.warning("records export: %s", unavailable)
        return "", unavailable.reason
    path = f"pdf/{document.year:04d}-{document.month:02d}/{document.number}.pdf"
    # A PDF is compressed already: stored as it is, so its bytes in the ZIP are the bytes of its SHA-256.
    archive.writestr(zipfile.ZipInfo(path, date_time=_zip_time(document)), data, zipfile.ZIP_STORED)
    return path, ""


def _zip_time(document: IssuedInvoice) -> tuple[int, int, int, int, int, int]:
    issued = _local(document.issued_at)
    return (max(issued.year, 1980), issued.month, issued.day, issued.hour, issued.minute, issued.second)


def index_row(document: IssuedInvoice, *, path: str, left_out: str) -> list[str | int | None]:
    """One document's line of the index, in the language active now (kind, what is left out): amounts as
    numbers, text as text."""
    per_rate = {int(r.get("rate", 0)): r for r in document.per_rate or []}
    at_rates: list[int | None] = []
    for rate in RATES:
        found = per_rate.get(rate)
        at_rates += [None, None] if found is None else [int(found.get("amount", 0)), int(found.get("tax", 0))]
    others = " / ".join(
        f"{rate}%: {r.get('amount', 0)} ({r.get('tax', 0)})"
        for rate, r in sorted(per_rate.items())
        if rate not in RATES
    )
    return [
        document.issue_date.isoformat(),
        document.number,
        document.number_written,
        str(DocumentKind(document.kind).label),
        document.customer_name,
        (document.recipient or {}).get("bill_to_name", ""),
        document.domain_id,
        f"{document.year:04d}-{document.month:02d}",
        document.original_number,
        document.subtotal,
        document.tax,
        document.total,
        *at_rates,
        others,
        path,
        document.pdf_sha256,
        str(PDF_LEFT_OUT[left_out]) if left_out else "",
    ]


def rules_text(*, day: dt.date) -> str:
    """The written rules for preventing corrections (事務処理規程), filled with the partner's registered name and
    registration number (its billing details) and `day`, in Japanese: they are written for Japan's tax office."""
    issuer = IssuerDetails.objects.filter(pk=1).first()
    with translation.override("ja"):
        return render_to_string(
            "invoicing/records_rules_ja.txt",
            {
                "name": issuer.registered_name if issuer else "（事業者名）",
                "registration_number": issuer.registration_number if issuer else "",
                "date": f"{day.year}年{day.month}月{day.day}日",
            },
        )


def _digest(file: IO[bytes]) -> tuple[str, int]:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class ExportUnavailable(Exception):
    """An export's ZIP cannot be given as it was made: not made yet, gone by its rule, or not its bytes."""


def records_export_open(*, user, export_id: int) -> tuple[RecordsExport, IO[bytes]]:
    """An export and its ZIP opened for download, read through first and checked against its SHA-256 (a changed
    or missing file is said, never served); audited (`portal.downloadRecordsExport`)."""
    check(user, VIEW_INVOICING)
    export = RecordsExport.objects.filter(pk=export_id).first()
    if export is None or not export.ready:
        raise ExportUnavailable(export_id)
    try:
        with storage.documents.open(export.zip_name, "rb") as file:
            digest, _size = _digest(file)
        opened = storage.documents.open(export.zip_name, "rb")
    except Exception as error:  # missing, or any failure of the store (network, credentials), reads the same
        raise ExportUnavailable(export.pk) from error
    if digest != export.zip_sha256:
        opened.close()
        raise ExportUnavailable(export.pk)
    audit_record(
        actor=user,
        operation_id="portal.downloadRecordsExport",
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"export": export.pk, "sha256": export.zip_sha256, **export.filters},
    )
    return export, opened
