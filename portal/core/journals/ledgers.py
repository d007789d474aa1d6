"""The ledgers a journal is written for, and the one answer of a journal's download: `?ledger=` chooses the
ledger (Yayoi Kaikei by default), `?encoding=cp932` the Shift_JIS file of a ledger that reads UTF-8 too."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.core.downloads import Table, shift_jis_response, table_response
from portal.core.journals import freee, moneyforward, yayoi
from portal.core.journals.model import Entry


@dataclass(frozen=True)
class Ledger:
    """An accounting package's import: its layout's `header`, whether the file starts with it, the writer of
    one entry, and whether the file can only be Shift_JIS (Yayoi's)."""

    key: str
    label: Promise
    header: tuple[str, ...]
    header_row: bool
    row: Callable[[Entry], list]
    shift_jis_only: bool = False


YAYOI = Ledger("yayoi", _("Yayoi Kaikei"), yayoi.HEADER, False, yayoi.row, shift_jis_only=True)
MONEYFORWARD = Ledger(
    "moneyforward", _("Money Forward Cloud Accounting"), moneyforward.HEADER, True, moneyforward.row
)
FREEE = Ledger("freee", _("freee Accounting"), freee.HEADER, True, freee.row)
LEDGERS = {ledger.key: ledger for ledger in (YAYOI, MONEYFORWARD, FREEE)}


def requested_ledger(request: HttpRequest) -> Ledger:
    """The ledger the request asks for (`?ledger=`): Yayoi Kaikei by default or for an unknown key."""
    return LEDGERS.get(request.GET.get("ledger", ""), YAYOI)


def journal_table(ledger: Ledger, entries: Iterable[Entry]) -> Table:
    """`entries` in `ledger`'s layout, written as the rows are read."""
    return Table(
        header=ledger.header, rows=(ledger.row(entry) for entry in entries), header_row=ledger.header_row
    )


def journal_response(request: HttpRequest, entries: Iterable[Entry], *, name: str) -> HttpResponseBase:
    """The journal of `entries` for the requested ledger, named `<ledger>-<name>-<stamp>`: Yayoi's in Shift_JIS
    only; Money Forward's and freee's as UTF-8 (with a BOM) or, with `?encoding=cp932`, Shift_JIS (a character
    Shift_JIS cannot hold is named on a page, never written as "?")."""
    ledger = requested_ledger(request)
    table = journal_table(ledger, entries)
    if ledger.shift_jis_only:
        return shift_jis_response(request, table, name=f"{ledger.key}-{name}")
    return table_response(request, table, name=f"{ledger.key}-{name}")
