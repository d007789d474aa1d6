"""An uploaded bank file's bytes checked once, before any layout reads them: not empty, not over the size limit,
not binary, and in a text encoding a bank writes (Shift_JIS, that is cp932 with JIS X 0201 half-width kana, or
UTF-8, read as every import reads a file: `portal.core.imports.files`). The one place a bank file's bytes are
read."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from invoicing.bank.statement import BankFileRefused
from portal.core.imports import files


def max_bytes_allowed() -> int:
    """The largest bank file read, in bytes: the portal's request limit (`PORTAL_MAX_REQUEST_BYTES`, 1 MB by
    default: about 5,000 Zengin records, a month of an account with thousands of transfers)."""
    return settings.PORTAL_MAX_REQUEST_BYTES


def size_checked(size: int, *, max_bytes: int | None = None) -> None:
    """Refuse a file over `max_bytes` (the request limit) before reading it."""
    max_bytes = max_bytes or max_bytes_allowed()
    if size > max_bytes:
        raise BankFileRefused(
            _("The file is larger than %(limit)s MB: a bank statement is much smaller.")
            % {"limit": f"{max_bytes / 1_048_576:g}"}
        )


def checked_bytes(data: bytes, *, max_bytes: int | None = None) -> bytes:
    """`data` if it can be a bank file: not empty, at most `max_bytes`, no NUL byte (a binary file)."""
    if not data:
        raise BankFileRefused(_("The file is empty."))
    size_checked(len(data), max_bytes=max_bytes)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise BankFileRefused(
            _(
                "The file is in UTF-16: save it from the spreadsheet as CSV (UTF-8 or Shift_JIS) and upload it again."
            )
        )
    if b"\x00" in data:
        raise BankFileRefused(_("The file is not a text file (it holds binary data)."))
    return data


def decoded(data: bytes) -> tuple[str, str]:
    """The text of `data` and the encoding it was read in, as every import reads a file (UTF-8 with or without a
    BOM, else Shift_JIS: `portal.core.imports.files.decoded`); refused when neither reads it whole, or when it
    holds control characters."""
    try:
        text, encoding = files.decoded(data)
    except files.FileRefused as refused:
        raise BankFileRefused(str(refused)) from None
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        raise BankFileRefused(_("The file holds control characters: it is not a bank statement."))
    return text, encoding
