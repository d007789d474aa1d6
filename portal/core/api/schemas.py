"""The shapes the API answers with that every area shares (a page of a list, an error, a change's operation),
and the shapes made from the portal's own forms: a list's query from its filter form, a change's body from its
change form, so that the form stays the one place a value's rules are written."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from django import forms
from django.urls import reverse
from ninja import Schema
from pydantic import ConfigDict, Field, create_model

from portal.core.models import Operation
from portal.core.operations import operation_label

#: A path's id (a domainId, a subscriptionId): a whole number the databases' keys can hold, so that a longer one
#: is a 422 in words, never an overflow.
ApiId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ErrorBody(Schema):
    code: str = Field(description="What went wrong, for programs: invalid, refused, forbidden, not_found...")
    message: str = Field(description="What went wrong, for people, in the request's language.")
    fields: dict[str, list[str]] | None = Field(None, description="The refused fields, each with its words.")


class ErrorOut(Schema):
    error: ErrorBody


class OperationOut(Schema):
    """A change sent through the change pipeline, and what became of it."""

    id: uuid.UUID
    kind: str = Field(description="The Partner API operation (operationId) the change sends.")
    kind_label: str
    status: str = Field(
        description="queued, running, succeeded, failed, unknown (being read back), superseded, stopped, held"
    )
    status_label: str
    finished: bool
    domain_id: int | None
    requested_at: dt.datetime
    finished_at: dt.datetime | None
    message: str = Field(description="Why it failed, or what the portal is checking, in words.")
    url: str = Field(description="Where to poll it.")
    page: str = Field(description="Its page in the portal.")


def operation_out(operation: Operation) -> dict[str, Any]:
    return {
        "id": operation.pk,
        "kind": operation.kind,
        "kind_label": operation_label(operation.kind),
        "status": operation.status,
        "status_label": str(operation.get_status_display()),
        "finished": operation.is_finished,
        "domain_id": operation.domain_id,
        "requested_at": operation.requested_at,
        "finished_at": operation.finished_at,
        "message": operation.error_words,
        "url": reverse("api:operation", args=[operation.pk]),
        "page": reverse("core:operation", kwargs={"operation_id": operation.pk}),
    }


def paged(row: type[Schema], name: str) -> type[Schema]:
    """The answer of a list endpoint: one page of `row`s and the list's count (to the lists' cap)."""
    return create_model(
        name,
        __base__=Schema,
        count=(
            int,
            Field(
                description="Rows that match, counted up to the lists' cap, a smaller one when searched (see `capped`)."
            ),
        ),
        capped=(bool, Field(description="More rows match than the count says: the pages stop at the cap.")),
        page=(int, ...),
        pages=(int, ...),
        per_page=(int, ...),
        results=(list[row], ...),  # type: ignore[valid-type]
    )


# --- Shapes from forms -------------------------------------------------------------------------------------------


def _python_type(field: forms.Field) -> Any:
    if isinstance(field, forms.MultipleChoiceField):
        return list[str]
    if isinstance(field, forms.BooleanField):
        return bool
    if isinstance(field, forms.IntegerField):
        return int
    if isinstance(field, forms.DateField):
        return dt.date
    if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.TypedChoiceField):
        values = tuple(_values(field.choices))
        if values:
            return Literal[values]
    return str


def _values(choices: Any) -> Iterator[str]:
    """A choice field's values, those of its groups' too (a grouped `<select>`: Products, Options)."""
    for value, label in choices:
        if isinstance(label, list | tuple):
            yield from _values(label)
        elif value not in ("", None):
            yield str(value)


def _described(field: forms.Field) -> dict[str, Any]:
    words = " ".join(str(w) for w in (field.label, field.help_text) if w)
    extra: dict[str, Any] = {"description": words} if words else {}
    longest = getattr(field, "max_length", None)
    if longest:
        extra["max_length"] = longest
    return extra


def schema_from_form(
    form_class: type[forms.Form],
    name: str,
    *,
    leave_out: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
    required: bool = True,
) -> type[Schema]:
    """A schema of the form's declared fields (their types, and their words as descriptions), for the OpenAPI
    document and the first parse of a body or a query; the form itself then checks every rule. `extra`: more
    fields, as `create_model` takes them. Unknown fields are refused."""
    fields: dict[str, Any] = {}
    for field_name, field in form_class.base_fields.items():
        if field_name in leave_out:
            continue
        kind = _python_type(field)
        if required and field.required and not isinstance(field, forms.BooleanField):
            fields[field_name] = (kind, Field(..., **_described(field)))
        else:
            fields[field_name] = (kind | None, Field(None, **_described(field)))
    fields.update(extra or {})
    return create_model(name, __base__=Strict, **fields)


class Strict(Schema):
    """A body or query that refuses fields it does not know (a misspelt field is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")
