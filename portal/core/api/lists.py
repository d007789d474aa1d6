"""A list of the portal as an API endpoint: the same filter form, the same selector and the same pager as its
page (`portal.core.lists`), so the endpoint reads exactly the rows the page shows and costs what it costs;
only the answer is JSON instead of HTML.

The API is stricter than a page: an unknown parameter or a refused value is a 422 in words, where a page
shows itself without it; and it remembers nothing, nor fills in a default (a filter not given is not applied:
the Owner filter, which opens on "Mine" on a page, is everyone's unless asked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.core.paginator import Page
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field

from portal.core.api.errors import ApiError
from portal.core.api.schemas import schema_from_form
from portal.core.lists import ListSpec, ListState
from portal.core.lists.paging import MAX_PAGE_NUMBER

#: The OpenAPI mark of an endpoint whose list takes the contributed filters by customer (the Owner filter):
#: their parameters are added to the document when it is made (`site.openapi_document`), as they are known then.
CUSTOMER_FILTERS = "x-customer-filters"


def query_schema(spec: ListSpec, name: str, *, leave_out: tuple[str, ...] = ()) -> type[Schema]:
    """The query of a list endpoint, from the list's own filter form: its filters, `sort` (each key, "-" for
    descending), `page` and `per_page` (the page's sizes)."""
    sorts = tuple(key for pair in ((k, f"-{k}") for k in spec.sorts.columns) for key in pair)
    extra: dict[str, Any] = {
        "sort": (
            Literal[sorts] | None,
            Field(
                None,
                description="A column; '-' before it: descending. Default: " + (spec.sorts.default or "-"),
            ),
        ),
        "page": (int | None, Field(None, ge=1, le=MAX_PAGE_NUMBER)),
        "per_page": (
            int | None,
            Field(
                None,
                description=f"One of {', '.join(map(str, spec.page_sizes))}; default {spec.default_page_size}",
                json_schema_extra={"enum": list(spec.page_sizes)},
            ),
        ),
    }
    return schema_from_form(spec.form, name, leave_out=leave_out, extra=extra, required=False)


def refuse_unless_valid(request: HttpRequest, form, *, also: tuple[str, ...] = ()) -> None:
    """Refuse in words (422) a query with a parameter the form does not know (nor `also`), or a value it
    refuses: a page would show itself without them, an API answers what was asked or says why not."""
    refused = {name: [str(w) for w in words] for name, words in form.errors.items()}
    for name in sorted(set(request.GET) - set(form.fields) - set(also)):
        refused[name] = [str(_("This parameter is not known here."))]
    if refused:
        raise ApiError(422, "invalid", _("Some values are not valid; see each field."), fields=refused)


def list_answer(
    request: HttpRequest,
    spec: ListSpec,
    read: Callable[[ListState], Page],
    *,
    row: Callable[[Any], Any] = lambda r: r,
    form_kwargs: dict | None = None,
) -> dict[str, Any]:
    """One page of the list as the query asks: `read(state)` is the page's own read (its selector's page)."""
    state = ListState.from_request(request, spec, remember=False, **(form_kwargs or {}))
    refuse_unless_valid(request, state.form, also=("page",))
    page = read(state)
    return {
        "count": page.paginator.count,
        "capped": bool(getattr(page, "capped", False)),
        "page": page.number,
        "pages": page.paginator.num_pages,
        "per_page": state.per_page,
        "results": [row(r) for r in page.object_list],
    }
