"""One request's view of a list (`ListState`): the bound form, the filters, sort, page and page size, and the
query its links carry on, with the filters the session remembers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django import forms
from django.core import signing
from django.http import HttpRequest, QueryDict
from django.utils.safestring import SafeString

from portal.core.htmx import counting
from portal.core.lists.paging import clamp_page
from portal.core.lists.spec import PER_PAGE, SORT_BY, ListSpec, customer_filters
from portal.core.rendering import QuickSelect


def add_customer_filter_fields(form: forms.Form, *, user=None) -> None:
    """The contributed customer filters' fields, after the form's first field (the customer search). A list
    declaring `ListSpec(customer_filters=True)` gets them from the machinery; another page's form calls this."""
    added = {found.name: found.field() for found in customer_filters(user=user)}
    if not added:
        return
    for bound in added.values():
        _make_quick(bound)
    fields = list(form.fields.items())
    form.fields = dict([*fields[:1], *added.items(), *fields[1:]])


def _make_quick(field: forms.Field) -> None:
    """A plain select drawn in Python (`QuickSelect`, the same markup)."""
    if type(field.widget) is forms.Select:
        quick = QuickSelect(attrs=field.widget.attrs, choices=field.widget.choices)
        quick.is_required = field.widget.is_required
        field.widget = quick


#: The list forms whose declared selects are QuickSelects already (`_quick_selects`).
_QUICK: set[type[forms.Form]] = set()


def _quick_selects(form_class: type[forms.Form]) -> None:
    """The plain selects a list's form class declares made QuickSelects once, on the class's fields (which each
    form copies), rather than on every form made."""
    if form_class not in _QUICK:
        for declared in form_class.base_fields.values():
            _make_quick(declared)
        _QUICK.add(form_class)


def _add_list_fields(form: forms.Form, spec: ListSpec, *, user=None) -> None:
    if spec.customer_filters:
        add_customer_filter_fields(form, user=user)
    for bound in form.fields.values():  # the fields the form made itself
        _make_quick(bound)
    labels = {c.sort: c.label for c in spec.columns if c.sort}
    form.fields["sort"] = forms.ChoiceField(
        label=SORT_BY,
        required=False,
        choices=spec.sorts.choices(labels),
        widget=QuickSelect if spec.sort_in_form else forms.HiddenInput,
    )
    if len(spec.page_sizes) > 1:
        form.fields["per_page"] = forms.TypedChoiceField(
            label=PER_PAGE,
            required=False,
            coerce=int,
            # Django gives an empty field's value as is; django-stubs allows only text.
            empty_value=spec.default_page_size,  # type: ignore[arg-type]
            choices=[(n, str(n)) for n in spec.page_sizes],
            widget=QuickSelect,
        )


def valid_data(form: forms.Form) -> dict:
    """The cleaned values of a filter form; invalid parameters are ignored rather than failing the page."""
    if form.is_valid():
        return dict(form.cleaned_data)
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}


# --- State ---------------------------------------------------------------------------------------------------

#: The longest query value a page's own links carry on. Every field a page reads from its query is bounded far
#: below it (tests/core/test_hostile_input.py checks the bounds), so a longer value is junk; carried on, it was
#: repeated in every sort, page and download link of the page (a 100,000-character value made pages of tens
#: of megabytes).
LONGEST_CARRIED_VALUE = 1000


def carried_query(query: QueryDict) -> QueryDict:
    """`query` as a page's links carry it on: without values (or keys) longer than LONGEST_CARRIED_VALUE."""
    kept = QueryDict(mutable=True)
    for key, values in query.lists():
        short = [value for value in values if len(value) <= LONGEST_CARRIED_VALUE]
        if short and len(key) <= LONGEST_CARRIED_VALUE:
            kept.setlist(key, short)
    return kept


@dataclass
class ListState:
    """One request's view of a list: the bound form, the selector's filters, sort, page and page size."""

    spec: ListSpec
    form: forms.Form
    filters: Any
    sort: str
    page: int
    per_page: int
    query: QueryDict = field(default_factory=QueryDict)
    #: The bulk actions the reader may start on this list (filled in by `respond`).
    bulk_actions: list = field(default_factory=list)
    #: The columns the page shows (filled in by `respond`: a column's `when`).
    columns: tuple = ()

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        spec: ListSpec,
        *,
        defaults: Mapping[str, str] | None = None,
        remember: bool = True,
        **form_kwargs,
    ) -> ListState:
        """The list's state from the query string, its remembered filters (`ListSpec.remembered`) filled in
        from the session, or from `defaults`, when the query has none of them. `remember=False` (the API): the
        query as it is, nothing remembered or filled in."""
        user = getattr(request, "user", None)
        if spec.customer_filters and remember:
            found = customer_filters(user=user)
            spec = replace(spec, remembered=(*spec.remembered, *(f.name for f in found)))
            defaults = {**{f.name: f.default(user) for f in found}, **(defaults or {})}
        query = remembered_query(request, spec, defaults or {}) if remember else request.GET
        _quick_selects(spec.form)
        form = spec.form(query, **form_kwargs)
        _add_list_fields(form, spec, user=user)
        data = valid_data(form)
        data["sort"] = spec.sorts.clean(data.get("sort"))
        return cls(
            spec=spec,
            form=form,
            # `ListSpec.form` is a form class with a `to_filters(data)` method (see ListSpec).
            filters=form.to_filters(data),  # type: ignore[attr-defined]
            sort=data["sort"],
            page=clamp_page(request.GET.get("page")),
            per_page=data.get("per_page") or spec.default_page_size,
            query=carried_query(query),
        )

    @property
    def carried_fields(self) -> list[tuple[str, str]]:
        """The query's values of the list form's own fields, but its page: what the bulk bar carries to the bulk
        change (components/_bulk_bar.html), so "every row" is exactly what the list shows."""
        return [
            (key, value)
            for key, values in self.query.lists()
            if key != "page" and key in self.form.fields
            for value in values
        ]

    @property
    def refused(self) -> list[str]:
        """The labels of the query's filters the form refused, a choice no longer offered say (a deactivated
        owner, a removed option: a bookmark's or a saved view's): the list is shown without them, and says so
        (components/_results_head.html) rather than silently showing other rows."""
        errors = self.form.errors
        return [
            str(self.form.fields[name].label or name)
            for name in errors
            if name in self.form.fields and name in self.query and name != "page"
        ]

    @property
    def hx_target(self) -> str:
        return f"#{self.spec.target}"

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the list (sort, page and page size do not), so that an empty list can say
        "nothing matches these filters" only when there are some."""
        everyone = {f.name: f.everyone for f in customer_filters()} if self.spec.customer_filters else {}
        return any(
            value.strip() and value != everyone.get(key, "")
            for key, values in self.query.lists()
            if key not in ("sort", "page", "per_page")
            for value in values
        )

    def header_cells(self) -> SafeString:
        """The `<th>` cells of the table's head (`markup.draw_header`)."""
        from portal.core.lists.markup import draw_header

        return draw_header(self)


#: The longest remembered filter value kept in the session (a person's id, a keyword): longer ones are junk.
LONGEST_REMEMBERED_VALUE = 40


def remembered_query(request: HttpRequest, spec: ListSpec, defaults: Mapping[str, str]) -> QueryDict:
    """The request's query with the spec's remembered filters: a value the query gives is remembered in the
    session (per list and filter) for the next visit; a filter the query lacks takes the remembered value, or
    its default. Remembered, not imposed: any value the form accepts can be chosen, and is then remembered.
    The filled-in value is in the query the page's links carry on, so sorting and paging keep it."""
    return _remembered(request, spec.remembered, page=spec.template, defaults=defaults)


def customer_filter_query(request: HttpRequest, *, page: str) -> QueryDict:
    """The request's query with the contributed customer filters remembered and defaulted as a
    `ListSpec(customer_filters=True)` list has them, for a page of customers' rows that is not such a list (the
    Scheduled changes page: its form calls `add_customer_filter_fields`); `page` names it in the session."""
    user = getattr(request, "user", None)
    found = customer_filters(user=user)
    defaults = {f.name: f.default(user) for f in found}
    return _remembered(request, tuple(f.name for f in found), page=page, defaults=defaults)


def _remembered(
    request: HttpRequest, names: Sequence[str], *, page: str, defaults: Mapping[str, str]
) -> QueryDict:
    if not names:
        return request.GET
    query = request.GET.copy()
    session = getattr(request, "session", None)
    for name in names:
        key = f"list:{page}:{name}"
        given = request.GET.get(name)
        if given is not None and len(given) <= LONGEST_REMEMBERED_VALUE and not counting(request):
            if session is not None and session.get(key) != given:
                session[key] = given
        elif given is None:
            chosen = session.get(key) if session is not None else None
            value = chosen if isinstance(chosen, str) else defaults.get(name)
            if value:
                query[name] = value
    return query


#: A list page's address as its save link carries it (`address_token`): signed, so that what is saved is a list
#: page the reader was shown, not any path a form was given.
ADDRESS_SALT = "portal.lists.address"


def address_token(*, path: str, query: QueryDict, title: str, export: str = "") -> str:
    """The list at `path` with `query`'s filters and sort (its page left out), the list's title and the address
    of its export (its files take the same query; "" when it has none), signed."""
    kept = query.copy()
    kept.pop("page", None)
    return signing.dumps([path, kept.urlencode(), str(title), export], salt=ADDRESS_SALT, compress=True)


def address_from(token: str) -> tuple[str, str, str, str] | None:
    """(path, query, title, export) of an `address_token`, or None for a token not made here or changed."""
    try:
        path, query, title, *export = signing.loads(token, salt=ADDRESS_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return str(path), str(query), str(title), str(export[0]) if export else ""
