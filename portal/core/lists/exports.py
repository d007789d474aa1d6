"""A list's export: exactly the filtered, sorted list, in the spec's export columns."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import Promise

from portal.core.downloads import Table, table_response
from portal.core.lists.spec import ListSpec
from portal.core.lists.state import ListState
from portal.core.vocabulary import code_column, names


def coded(name: str, header: str | Promise, *vocabularies: type[models.TextChoices]) -> tuple[tuple, tuple]:
    """Two export columns for a field that holds the API's codes: the values by name in the reader's language
    (read from `vocabularies`, portal/core/vocabulary.py), then the codes themselves for machines, under
    `vocabulary.code_column(header)`: ``csv_columns=(..., *coded("plan", _("Plan"), Plan), ...)``."""
    return (name, header, vocabularies), (name, code_column(header))


def export_table(spec: ListSpec, qs: QuerySet) -> Table:
    """The rows of `qs` (the selector's list for the filters: every page, in the list's order) in the spec's
    export columns (`csv_columns`: (field, header label), or `coded(...)`'s pair for a field of codes), read in
    chunks as the file is written. Names are read now, in the requester's language."""
    columns = spec.csv_columns
    fields = list(dict.fromkeys(column[0] for column in columns))
    positions = [fields.index(column[0]) for column in columns]
    words = [names(*column[2]) if len(column) > 2 else None for column in columns]

    def row(values: tuple) -> tuple:
        return tuple(
            named.get(values[i], values[i]) if named is not None and values[i] else values[i]
            for i, named in zip(positions, words, strict=True)
        )

    rows = map(row, qs.values_list(*fields).iterator(chunk_size=2000))
    return Table(header=[column[1] for column in columns], rows=rows)


def export(request: HttpRequest, state: ListState, qs: QuerySet, *, name: str) -> HttpResponseBase:
    """The filtered list as the file the request asks for: the CSV in UTF-8 (the default) or Shift_JIS
    (`?encoding=cp932`), or the Excel workbook (`?format=xlsx`); see portal/core/downloads.py. Headers are
    translated in the requester's language."""
    return table_response(request, export_table(state.spec, qs), name=name)
