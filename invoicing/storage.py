"""Where the issued documents' PDFs are kept: Django's storage "documents" (`settings.STORAGES`), the file system
under var/documents by default, or any S3-compatible store (DOCUMENTS_STORAGE=s3, django-storages) that every web
and worker host shares. The database keeps each PDF's name and SHA-256 (`IssuedInvoice.pdf`, `pdf_sha256`).

A PDF is written once, under a name that holds its document's number and its SHA-256 (`name_for`), so two
renderers of one invoice write the same name with the same bytes and nothing written is ever replaced by other
bytes. Every read is checked against the SHA-256 stored when it was issued (`read`): a changed, missing or
unreachable file is said as such (`DocumentUnavailable`), never served or mailed in its place.
"""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty

from invoicing.document import sha256

#: The alias in `settings.STORAGES`.
ALIAS = "documents"


class _DocumentStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages[ALIAS]


documents = _DocumentStorage()


def documents_storage():
    """The storage of `IssuedInvoice.pdf` (a callable, so that migrations name it rather than a backend, and a
    change of `settings.STORAGES`, a test's for one, is read again)."""
    return documents


@receiver(setting_changed)
def _storages_changed(*, setting, **kwargs) -> None:
    if setting == "STORAGES":
        documents._wrapped = empty


class DocumentUnavailable(Exception):
    """A stored PDF could not be given as issued: `reason` is "damaged" (its bytes are not those whose SHA-256
    was stored), "missing" (no file of that name) or "unreachable" (the store did not answer)."""

    def __init__(self, name: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{name}: {reason}{': ' + detail if detail else ''}")
        self.name, self.reason, self.detail = name, reason, detail


def name_for(*, year: int, month: int, number: int, digest: str) -> str:
    """The PDF's name in the store: by the month it bills, its number and its SHA-256."""
    return f"invoices/{year:04d}/{month:02d}/{number}-{digest}.pdf"


def put(name: str, data: bytes) -> str:
    """Write `data` under `name` unless the same bytes are there already (the name holds their SHA-256; a file
    left cut short by a writer that died is written again). Returns `name`."""
    if documents.exists(name):
        try:
            read(name, sha256(data))
            return name
        except DocumentUnavailable as exc:
            if exc.reason != "damaged":
                raise
            documents.delete(name)
    saved = documents.save(name, ContentFile(data))
    if saved != name:
        # Another writer stored the name between the check and the write (the file system keeps both): its file
        # holds the same bytes, this copy goes.
        documents.delete(saved)
    return name


def read(name: str, digest: str) -> bytes:
    """The bytes stored under `name`, checked against `digest` (the SHA-256 stored with the document)."""
    if not name:
        raise DocumentUnavailable(name, "missing")
    try:
        with documents.open(name, "rb") as file:
            data = file.read()
    except FileNotFoundError as exc:
        raise DocumentUnavailable(name, "missing", str(exc)) from exc
    except Exception as exc:  # any failure of the store (network, credentials, refused) reads the same
        raise DocumentUnavailable(name, "unreachable", f"{type(exc).__name__}: {exc}") from exc
    if sha256(data) != digest:
        raise DocumentUnavailable(name, "damaged", f"SHA-256 {sha256(data)}, issued {digest}")
    return data


def put_checked(name: str, data: bytes, digest: str) -> str:
    """Write `data` (whose SHA-256 must be `digest`) under `name` and read it back from the store, checked: the
    move of a PDF kept elsewhere (the database, before) into the store."""
    if sha256(data) != digest:
        raise DocumentUnavailable(name, "damaged", f"SHA-256 {sha256(data)} before the move, issued {digest}")
    put(name, data)
    read(name, digest)
    return name
