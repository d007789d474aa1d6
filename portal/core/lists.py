"""The one list machinery (Django admin's ChangeList idea): every list page is a spec, a selector and a row template.

A list declares a `ListSpec`: its filter form, its `Sorts`, its columns, its CSV columns, its page sizes, the
page template and the id of the element htmx swaps (`#results`). The view then does three things::

    state = ListState.from_request(request, SPEC)              # filters, sort, page, per page
    page = lists.paginate(entity_list(user=..., filters=state.filters), page=state.page, per_page=state.per_page)
    return lists.respond(request, state, page, context, full_context=...)

and the export is `lists.export(request, state, entity_list(...), name=...)`: exactly the filtered, sorted list,
as the workbook or CSV the request asks for (portal/core/downloads.py).

What is one thing here:

* **List state**: the filter form's valid values; an invalid parameter is ignored rather than failing the page
  (`valid_data`). The `sort` and `per_page` fields are added to the form from the spec.
* **Sort rule** (`Sorts.order`): the key's columns, empty values (NULL, and "" in text columns) last in both
  directions, on every database.
* **Pager** (`paginate`): one query (the rows with a window count of the total), clamped page numbers; a page
  past the end shows the last page (then a count and a second read). A large list whose order an index serves
  pages another way, so that the database stops after one page instead of reading and sorting every matching
  row: `paginate`'s `separate_count`, `count` and `keys_first`, and `paginate_in_groups` (each says when).
* **Header cells** (`ListState.header_cells`): `<th>` cells whose sort links keep the other query parameters.
* **Fragment answer** (`respond`): an htmx request aimed at the spec's target gets the page template's
  partial of that name, rendered with `render()` (context processors run, as for the page); anything else
  (a history restore, a reload, a boosted link) gets the whole page.

Rows are rendered by a row template (`components/_list.html` includes `spec.row_template` once per row), or,
for a list whose benchmark shows the template loop costing more than its query, by a presenter the spec
declares (`ListSpec.rows`: the page's rows as escaped HTML, formatted in Python with `rendering.markup`). The
customer list (`customers/presenters.py`, `bench.customers list`) and the Options list (`options/presenters.py`,
`bench.options list`) have one; another list earns one only with a benchmark.

Core never imports an app: specs live with their app, this module only holds the plumbing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Page, Paginator
from django.db import connection, models
from django.db.models import Count, ExpressionWrapper, F, Func, Lookup, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import NullIf
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.functional import Promise, lazy
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.core import constant_urls
from portal.core.contrib import contributions
from portal.core.downloads import Table, downloads_markup, table_response
from portal.core.htmx import partial_for
from portal.core.rendering import QuickSelect, markup
from portal.core.vocabulary import code_column, names, translated

#: Far beyond any real list (a million pages), small enough for any database's OFFSET.
MAX_PAGE_NUMBER = 1_000_000

#: The name of the window count the pager adds to each row.
TOTAL = "list_total_count"


# --- Sort ----------------------------------------------------------------------------------------------------


def _column(model: type[models.Model], path: str) -> models.Field:
    """The model field at `path` ("customer__company_name")."""
    *relations, name = path.split("__")
    # A sort path follows forward relations (each has a model) and ends at a concrete column.
    for relation in relations:
        model = cast(type[models.Model], model._meta.get_field(relation).related_model)
    return cast(models.Field, model._meta.get_field(name))


def _order_term(model: type[models.Model], path: str, *, descending: bool):
    """One column of an ORDER BY with empty values last. Only a column that can be empty gets the rule's
    wrapping: NULL placed last for a nullable column, "" made NULL for a text column that may be blank. A column
    that can be neither (a NOT NULL key, a required name, a date) is ordered plainly, so that an index on it can
    serve the order and a page stops reading after its rows (`python -m bench.options list`)."""
    column = _column(model, path)
    expression: F | NullIf = F(path)
    can_be_blank = column.blank and isinstance(column, (models.CharField, models.TextField))
    if can_be_blank:
        expression = NullIf(expression, Value(""))
    if column.null or can_be_blank:
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return expression.desc() if descending else expression.asc()


def _descending_label(label: str | Promise) -> str:
    return gettext("%(label)s (descending)") % {"label": label}


#: A sort key's label descending, read when drawn.
_descending = lazy(_descending_label, str)


@dataclass(frozen=True)
class Sorts:
    """The sort keys a list offers (the URL value → the columns it orders by) and the default key.

    A key with a leading "-" is the same columns descending. Unknown keys fall back to the default.
    """

    columns: Mapping[str, tuple[str, ...]]
    default: str

    def clean(self, sort: str | None) -> str:
        """`sort` if it is one of the keys (either direction), else the default."""
        return sort if sort and sort.lstrip("-") in self.columns else self.default

    def choices(self, labels: Mapping[str, str | Promise]) -> list[tuple[str, str | Promise]]:
        """Each key and its label, then the key descending: labels read when drawn (a list whose headers choose
        the order carries its sort in a hidden field, and never reads them)."""
        out: list[tuple[str, str | Promise]] = []
        for key in self.columns:
            label = labels.get(key, key)
            out.append((key, label))
            out.append((f"-{key}", _descending(label)))
        return out

    def order(self, qs: QuerySet, sort: str | None) -> QuerySet:
        """`qs` ordered by the key's columns. Empty values come last in both directions, on every database:
        NULL, and the empty string of a text column that may be blank (made NULL for the ordering only)."""
        sort = self.clean(sort)
        descending = sort.startswith("-")
        terms = [_order_term(qs.model, c, descending=descending) for c in self.columns[sort.lstrip("-")]]
        return qs.order_by(*terms)


# --- Spec ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the table: its label, the sort key its header links to ("" = not sortable)."""

    label: str | Promise
    sort: str = ""
    numeric: bool = False


@dataclass(frozen=True)
class ListSpec:
    """What a list is. `form` is a `forms.Form` with a `to_filters(data)` method building the selector's
    filters from the valid values (`data["sort"]` is always a valid key)."""

    form: type[forms.Form]
    sorts: Sorts
    columns: tuple[Column, ...]
    template: str
    row_template: str = ""
    #: The columns of its export (every file: the CSVs and the workbook), (field, header label); a field of the
    #: API's codes as `coded(field, header, vocabulary)` (its names, then its codes).
    csv_columns: Sequence[tuple] = ()
    page_sizes: tuple[int, ...] = (25, 50, 100)
    target: str = "results"
    #: The sort field of the form: hidden (the headers choose the order) or a visible select.
    sort_in_form: bool = False
    #: A presenter of the page's rows (`rows(page.object_list) -> SafeString`), instead of `row_template`; on a
    #: list with bulk actions it takes `tick=True` and starts each row with its checkbox.
    rows: Callable[[Iterable], SafeString] | None = None
    #: Filters the list remembers (in the session): a request without one opens on the value last chosen, or
    #: on the default its view gives (`ListState.from_request(..., defaults=...)`).
    remembered: tuple[str, ...] = ()
    #: The list's rows belong to customers: its form gets the contributed `CustomerFilter`s' fields (after its
    #: first field), remembered, opening on their defaults; its `to_filters` finds their values in `data`.
    customer_filters: bool = False
    #: The list's name for bulk actions (`portal.core.changes.bulk.BulkAction.list_name`): when the reader may
    #: start one, each row gets a checkbox (the row template includes components/_bulk_tick.html) and the
    #: results' head a choice of action for the ticked rows or every row matching the filter.
    bulk: str = ""

    @property
    def default_page_size(self) -> int:
        return self.page_sizes[0]


@dataclass(frozen=True)
class CustomerFilter:
    """A filter by customer that an app contributes (kind "customer_filters") to every list that declares
    `ListSpec(customer_filters=True)`, whichever app or room keeps it: the customers app's Owner filter. Core
    and the rooms import no domain app, so their lists (Activity) get it only this way, and the apps' lists
    the same way, so it is one definition.

    `field()` makes the form field (its choices read when the form is made); `rows(qs, value, user=, key=,
    apart=False)` narrows rows keyed by a customer's domainId at `key` to the customers `value` chooses for
    `user`, in the same query (`apart`: its subquery `planned_apart`); `default(user)` is where a list opens for `user` before they choose (the value is then
    remembered in the session, `ListSpec.remembered`)."""

    name: str
    field: Callable[[], forms.Field]
    rows: Callable[..., QuerySet]
    default: Callable[[Any], str]
    #: The value that narrows nothing (everyone's): a list showing it is not "filtered" (`ListState.filtered`).
    everyone: str = ""
    #: Whether `user` is offered the filter: not when `rows` gives them one choice whatever the value (an
    #: Account manager who reads only their own customers, `PORTFOLIO_ONLY`).
    offered: Callable[[Any], bool] = lambda user: True
    #: The few values a page offers `user` that name nobody, with their words ([(value, label)]): the home
    #: page's choice of whose work they see (home/worklist.py). Empty: the home page offers them no choice.
    views: Callable[[Any], Sequence[tuple[str, Any]]] = lambda user: ()


def customer_filters(*, user=None) -> tuple[CustomerFilter, ...]:
    """The contributed customer filters; with `user`, those offered to them."""
    found = contributions("customer_filters")
    return found if user is None else tuple(f for f in found if f.offered(user))


def by_customer_filters(
    qs: QuerySet, values: Mapping[str, Any], *, user, key: str = "customer_id", apart: bool = False
) -> QuerySet:
    """`qs` narrowed by every contributed customer filter's value in `values` (a list's valid form data);
    `apart`: each filter's subquery `planned_apart` (the worklist's sections)."""
    for found in customer_filters():
        qs = found.rows(qs, values.get(found.name) or "", user=user, key=key, apart=apart)
    return qs


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


def valid_data(form: forms.Form) -> dict:
    """The cleaned values of a filter form; invalid parameters are ignored rather than failing the page."""
    if form.is_valid():
        return dict(form.cleaned_data)
    return {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}


CUSTOMER = _("Customer")
#: The bulk actions' column of ticks.
CHOOSE = _("Choose")
#: The fields every list's form gets (declared once, so their labels are read once per language: `translated`).
SORT_BY = _("Sort by")
PER_PAGE = _("Per page")


def customer_search_field(label=CUSTOMER) -> forms.CharField:
    """The search box of every list that finds rows by customer (company, domain, customer code, domainId);
    its value goes to `customers.selectors.customer_search`."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Company, domain, customer code or domain ID"),
                "autocomplete": "off",
            }
        ),
    )


class DateInput(forms.DateInput):
    """A browser date picker (`<input type="date">`), its value as YYYY-MM-DD."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


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

    @classmethod
    def from_request(
        cls, request: HttpRequest, spec: ListSpec, *, defaults: Mapping[str, str] | None = None, **form_kwargs
    ) -> ListState:
        """The list's state from the query string, its remembered filters (`ListSpec.remembered`) filled in
        from the session, or from `defaults`, when the query has none of them."""
        user = getattr(request, "user", None)
        if spec.customer_filters:
            found = customer_filters(user=user)
            spec = replace(spec, remembered=(*spec.remembered, *(f.name for f in found)))
            defaults = {**{f.name: f.default(user) for f in found}, **(defaults or {})}
        query = remembered_query(request, spec, defaults or {})
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
        """The `<th>` cells; a sortable column links to ascending first, descending when already ascending.
        The link keeps every other query parameter and goes back to the first page."""
        cells = []
        params = self.query.copy()  # each link: the other parameters, its own sort, the first page
        params.pop("page", None)
        text = translated()  # the columns' labels: declared once, read once per language
        if self.bulk_actions:
            cells.append(markup('<th scope="col"><span class="visually-hidden">{}</span></th>', text(CHOOSE)))
        for column in self.spec.columns:
            css = SafeString(' class="num"') if column.numeric else ""
            key = column.sort
            label = text(column.label)
            if not label:
                # A column without a heading (row actions): an empty data cell, not a header with no name.
                cells.append(SafeString("<td></td>"))
                continue
            if not key:
                cells.append(markup('<th scope="col"{}>{}</th>', css, label))
                continue
            params["sort"] = f"-{key}" if self.sort == key else key
            href = "?" + params.urlencode()
            arrow, order = "", ""
            if self.sort == key:
                arrow, order = " ↑", SafeString(' aria-sort="ascending"')
            elif self.sort == f"-{key}":
                arrow, order = " ↓", SafeString(' aria-sort="descending"')
            # data-focus-id: after the htmx swap the focus returns to this header's link (static/js/portal.js).
            cells.append(
                markup(
                    '<th scope="col"{}{}><a href="{}" data-hx-get="{}" data-hx-target="{}" data-hx-push-url="true" '
                    'data-focus-id="sort-{}">{}<span aria-hidden="true">{}</span></a></th>',
                    css,
                    order,
                    href,
                    href,
                    self.hx_target,
                    key,
                    label,
                    arrow,
                )
            )
        return SafeString("".join(cells))


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
        if given is not None and len(given) <= LONGEST_REMEMBERED_VALUE:
            if session is not None and session.get(key) != given:
                session[key] = given
        elif given is None:
            chosen = session.get(key) if session is not None else None
            value = chosen if isinstance(chosen, str) else defaults.get(name)
            if value:
                query[name] = value
    return query


def clamp_page(value: str | int | None, per_page: int | None = None) -> int:
    """A page number from the query string: 1 when missing or not a number, at most MAX_PAGE_NUMBER (a page
    past any real list is "past the end", never an SQL offset too large for the database's integers), and with
    `per_page`, at most the last page within the count's cap (`count_cap`)."""
    try:
        number = min(max(1, int(value or 1)), MAX_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1
    return number if per_page is None else min(number, _pages(count_cap(), per_page))


def count_cap() -> int:
    """How far a list counts its rows (the setting LIST_COUNT_CAP). A count of every row that matches costs as
    much as there are: a searched or filtered list of 50,000 customers' rows would read thousands of them for
    one figure. Past the cap the list says "more than N" (`Page.capped`) and pages within its first N rows."""
    return settings.LIST_COUNT_CAP


def capped_count(qs: QuerySet, *, along: str = "") -> int:
    """How many rows `qs` has, counted up to one past the cap (`count_cap`): the database stops after that many
    keys (`SELECT COUNT(*) FROM (SELECT key ... LIMIT cap + 1)`), so the count costs the same however many
    rows match.

    `along`: a column whose order the count's first rows are taken in. A searched list counts the rows of the
    customers found along their customer key (`customers.selectors.page_by_customer`): PostgreSQL then merges
    the rows' customer index with the search table's keys, both in order, and stops one past the cap, where
    unordered it may probe the rows' index once for each customer found."""
    return qs.order_by(*([along] if along else [])).values("pk")[: count_cap() + 1].count()


def merged_count(qs: QuerySet, *, key: str, among: QuerySet, merge_from: QuerySet | None = None) -> int:
    """How many rows of `qs` have their `key` among the values of `among` (a query of one column in that
    column's order, such as the gram table's customers of a word by its domainId index), counted up to one past
    the cap as `capped_count` counts, in one query whose shape the number of values decides:

    * many values (at least `merge_from`'s one value, a query of one row and column; without it, or when it
      finds no row, more than the cap): `qs`'s keys in their order, read as a subquery the database plans apart
      (`OFFSET 0`, which it neither merges into the outer query nor probes by a value from it), merged with
      `among` along the key. Both sides are walks of an index in key order, each page read once, and the walk
      stops one past the cap, or at the last value. Given `key IN (among)`, PostgreSQL probed `qs`'s key index
      once per value until the cap, two index pages each (the Options list searched by a common word:
      `python -m bench scale`);
    * fewer: `capped_count(qs.filter(key IN among), along=key)`, which the planner shapes. Probes then cost two
      pages per value at most, where a merge would walk `qs`'s key index from its start to the last value,
      however few the values and however long the index.

    The caller picks `merge_from` so that values that many are a fair share of the keys: the merge then reaches
    the cap, or the last value, after a share of the index that does not grow with it. PostgreSQL runs only the
    branch the first count chooses (each branch is a subplan run when first needed)."""
    cap = count_cap() + 1
    inner = qs.order_by(key).annotate(_merged_key=F(key)).values("_merged_key")
    inner_sql, inner_params = inner.query.sql_with_params()
    among_sql, among_params = among.query.sql_with_params()
    probed = qs.filter(**{f"{key}__in": among}).order_by(key).values("pk")[:cap]
    probed_sql, probed_params = probed.query.sql_with_params()
    threshold, threshold_params = "%s", [cap]
    if merge_from is not None:
        from_sql, from_params = merge_from.query.sql_with_params()
        threshold, threshold_params = f"COALESCE(({from_sql}), %s)", [*from_params, cap]
    # SQLite takes no OFFSET without a LIMIT.
    apart = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN (SELECT COUNT(*) FROM ({among_sql} LIMIT %s) values_) < {threshold} "
            f"THEN (SELECT COUNT(*) FROM ({probed_sql}) probed) "
            f"ELSE (SELECT COUNT(*) FROM (SELECT 1 FROM ({inner_sql} {apart}) merged "
            f'WHERE merged."_merged_key" IN ({among_sql}) ORDER BY merged."_merged_key" LIMIT %s) capped) END',
            (*among_params, cap, *threshold_params, *probed_params, *inner_params, *among_params, cap),
        )
        return int(cursor.fetchone()[0])


class CappedCount(Subquery):
    """`capped_count` as a column of another query: how many rows `qs` (which may refer to the outer query's
    row with `OuterRef`) has, counted up to one past the cap, in the same query. The Invoices page counts each
    month's findings to explain so (`billing.selectors.invoice_list`): a count per row of a short list that
    costs the same however many rows match."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"

    def __init__(self, qs: QuerySet):
        super().__init__(qs.order_by().values("pk")[: count_cap() + 1], output_field=models.IntegerField())


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_number(page: str | int | None, per_page: int, total: int) -> int:
    """The page a list of `total` rows (counted up to the cap) shows for the asked `page`: within its pages."""
    return min(clamp_page(page, per_page), _pages(min(total, count_cap()), per_page))


# --- Keys computed first ---------------------------------------------------------------------------------------


class _InArray(Lookup):
    """`key = ANY(ARRAY(subquery))`: PostgreSQL computes the subquery once, before the query, then reads the rows
    of those keys."""

    lookup_name = "in_array"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def computed_first(key: str, found: QuerySet) -> Q | _InArray:
    """A condition: rows whose `key` is among the values of `found` (a query of one column, a short list), in
    the shape each database plans well; a query's shape is chosen by `connection.vendor` here, in one named
    function. PostgreSQL, given `IN (subquery)`, may read the whole table to join it to the subquery's few
    keys (its estimate of them is a guess); given the keys computed first as an array, it reads those rows by
    their index. SQLite plans `IN (subquery)` that way by itself. The customer search
    (`customers.selectors._among`) and the calendar's first items of each day
    (`schedule.sources.first_of_each_day`) read so."""
    if connection.vendor == "postgresql":
        return _InArray(F(key), Subquery(found))
    return Q(**{f"{key}__in": found})


class _PlannedApart(Subquery):
    template = "(%(subquery)s OFFSET 0)"


def planned_apart(found: QuerySet) -> QuerySet | Subquery:
    """`found` (a query of one column: the keys of an Account manager's customers) as the right side of `IN`,
    in the shape each database plans well; a query's shape is chosen by `connection.vendor` here, in one named
    function. PostgreSQL turns `key IN (subquery)` into a join and, for rows read in their own index's order,
    may probe the subquery's index once per row read (two pages each: an Account manager's worklist section
    read every trial in its dates to keep theirs); planned apart (`OFFSET 0`, which it does not merge into the
    outer query) it reads the keys once, into a hash, and each row is a lookup in it. SQLite plans
    `IN (subquery)` that way by itself. The worklist's sections narrow so (`by_customer_filters(apart=True)`);
    the lists keep the join, which the Options and Subscriptions lists plan better (`python -m bench scale`)."""
    if connection.vendor == "postgresql":
        return _PlannedApart(found)
    return found


def count_read_first(qs: QuerySet, narrow: Callable[..., QuerySet], *, key: str) -> int:
    """How many rows of `qs` (a few: today's, say) `narrow(qs, key=)` keeps (the worklist's choice of whose
    customers), in the shape each database plans well; a query's shape is chosen by `connection.vendor` here, in
    one named function. PostgreSQL, given `qs` narrowed by a subquery of an Account manager's customers, walked
    those customers and probed `qs`'s table once for each (a home figure as an Account manager read today's
    changes of each of their customers, more as they have more customers); here `qs`'s
    rows are read first (a materialized CTE, named as their table so that the narrowing's query reads them, not
    the table), then narrowed by a hash of the customers. SQLite plans `IN (subquery)` so by itself."""
    narrowed = narrow(qs.model._default_manager.all(), key=key)
    if connection.vendor != "postgresql" or not narrowed.query.where:
        return narrow(qs, key=key).count()
    pk = qs.model._meta.pk.attname
    first_sql, first_params = qs.order_by().values(pk, key).query.sql_with_params()
    narrowed_sql, narrowed_params = narrowed.order_by().values(pk).query.sql_with_params()
    with connection.cursor() as cursor:
        # Without RECURSIVE, the CTE's own query reads the table; the outer query reads the CTE.
        cursor.execute(
            f'WITH "{qs.model._meta.db_table}" AS MATERIALIZED ({first_sql}) '
            f"SELECT COUNT(*) FROM ({narrowed_sql}) narrowed",
            (*first_params, *narrowed_params),
        )
        return int(cursor.fetchone()[0])


class _IsTrue(Func):
    template = "(%(expressions)s) IS TRUE"
    output_field = models.BooleanField()


def kept_while_walked(key: str, found: QuerySet) -> Q | Func:
    """The rows whose `key` is among `found` (a query of one column: an Account manager's customers' keys), as
    a filter a list read in its own index's order applies to each row as it walks and stops after its page: the
    keys read once into a hash, each row a lookup in it. PostgreSQL turns `key IN (subquery)` into a join: for
    the Customers list as "Mine" it walked the names and probed the owners' index once per customer walked (many
    customers walked for each one on the page), and planned apart (`planned_apart`) it joins every
    customer before sorting them; the comparison `(key IN (subquery)) IS TRUE` it keeps as a filter (a hashed
    SubPlan). SQLite plans `IN (subquery)` that way by itself. A count keeps the join, which reads from the
    keys (`customers.selectors.customer_page`)."""
    if connection.vendor == "postgresql":
        return _IsTrue(ExpressionWrapper(Q(**{f"{key}__in": found}), output_field=models.BooleanField()))
    return Q(**{f"{key}__in": found})


# --- Pager ---------------------------------------------------------------------------------------------------


def paginate(
    qs: QuerySet,
    *,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    separate_count: bool = False,
    keys_first: bool = False,
    count: Callable[[], int] | None = None,
) -> Page:
    """Page `page` (clamped, see `clamp_page`) of `qs` in one query: the rows with the total as a window count,
    whatever the page size. A page past the end shows the last page (then a count and a second read).

    With `fields`, rows are light namespaces of those columns only (`row(**values)` if given) instead of model
    instances.

    The window count is right while the rows it must read are few (a searched list, whose customers found are
    computed first) or the table is small. For the rest:

    `separate_count=True` counts in a query of its own, then reads only the page: for a large table whose
    order an index serves (a month of invoice items, `billing.selectors.item_page`; the Customers list as it
    opens, `customers.selectors.customer_page`), where the window count would make the database read and sort
    every matching row, all columns, before it can return the first page. The order's columns must then be ones
    an index can serve: a NOT NULL, non-blank column is ordered plainly for that (`Sorts.order`).

    `count`: what counts the rows of `qs` when the caller has a cheaper way than `qs.count()` (see
    `customers.selectors.count_live_and_found`: all rows less those of the removed customers, each count an
    index read alone); a count given is a count apart, as with `separate_count`.

    Every count stops at the cap (`count_cap`, `capped_count`): past it the page is `capped` (the list says
    "more than N"), its paginator counts N and the pager offers the pages within them. A `count` given must
    count so too (or count exactly, when that costs little: the pager caps what it returns).

    `keys_first=True` reads the page's primary keys first (the filters and the order only), then those rows'
    `fields`: the columns of related rows (a customer's name) are joined for the page's rows alone, so the
    database can walk an index in the list's order and stop after one page (the Options list,
    `options.selectors.option_page`, with `count`).

    A searched list of customers' rows in customer order pages by customer instead (`paginate_in_groups`,
    through `customers.selectors.page_by_customer`).
    """
    separate_count = separate_count or count is not None
    if keys_first:
        return _paginate_keys_first(
            qs,
            page=page,
            per_page=per_page,
            fields=fields,
            row=row,
            separate_count=separate_count,
            count=count,
        )
    if separate_count:
        return _paginate_counted_apart(qs, page=page, per_page=per_page, fields=fields, row=row, count=count)
    counted = qs.annotate(**{TOTAL: Window(Count("pk"))})
    columns = (*fields, TOTAL) if fields else ()

    def read(number: int) -> list:
        return _read(counted[(number - 1) * per_page : number * per_page], columns, row)

    number = clamp_page(page, per_page)
    rows = read(number)
    if rows:
        total = getattr(rows[0], TOTAL)
    else:
        total = capped_count(qs) if number > 1 else 0
        last = _pages(min(total, count_cap()), per_page)
        if number > last:
            number = last
            rows = read(number)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def counted_page(rows: Sequence, *, number: int, per_page: int, total: int) -> Page:
    """Page `number` holding `rows`, read already (a page of a worklist section's full list, which its reader
    reads: `home.worklist.section_page`), its paginator counting `total`, or the cap and `capped` when `total`
    is past it: the pager and the results' head of every list, without a query."""
    cap = count_cap()
    paginator = Paginator(rows, per_page)
    paginator.__dict__["count"] = min(total, cap)  # Paginator.count is a cached property: no COUNT query
    page = Page(rows, number, paginator)
    page.capped = total > cap  # type: ignore[attr-defined]
    return page


def _paginate_counted_apart(
    qs: QuerySet, *, page, per_page: int, fields: Sequence[str], row, count: Callable[[], int] | None
) -> Page:
    total = count() if count else capped_count(qs)
    number = page_number(page, per_page, total)
    rows = _read(qs[(number - 1) * per_page : number * per_page], fields, row)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def _read(sliced: QuerySet, fields: Sequence[str], row) -> list:
    """The rows of a page: light namespaces of `fields` (`row(**values)` if given), else model instances."""
    if fields:
        make = row or SimpleNamespace
        return [make(**r) for r in sliced.values(*fields)]
    return list(sliced)


def paginate_in_groups(
    groups: Iterable[tuple[Any, int]] | Callable[[int], Iterable[tuple[Any, int]]],
    rows_of: Callable[[list], QuerySet],
    *,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    total: int | None = None,
) -> Page:
    """Page `page` of a list whose rows come in groups, a group's rows together in the list's order (the options
    of each customer found, customers in name order): `groups` are each group's key and its number of rows, in
    the list's order; `rows_of(keys)` is the list's rows of those groups, in the list's order. Only the groups
    the page covers are read, so the database never sorts every matching row to return one page. A page past
    the end shows the last page.

    Without `total`, `groups` are every group (read by one query, which counts the rows too). With `total` (the
    rows counted apart, up to the cap: `capped_count`), `groups(limit)` is a callable giving the first `limit`
    groups, each of one row or more: the page reads only the groups up to its own, so a list whose groups are
    many (a common word's customers) stops after one page; this is how a searched list pages (docs/lists.md).

    `customers.selectors.page_by_customer` pages this way: the customers a search found, in name order from
    the narrow search table, are the groups, so no row is sorted by a name read from the customers' wide rows."""
    if total is None:
        counts = [(key, n) for key, n in cast(Iterable[tuple[Any, int]], groups) if n]
        total = sum(n for _key, n in counts)
        number = page_number(page, per_page, total)
    else:
        number = page_number(page, per_page, total)
        # Each group has a row or more: the page's last row is within the first number * per_page groups.
        counts = [(key, n) for key, n in cast(Callable, groups)(number * per_page) if n] if total else []
    start = (number - 1) * per_page
    keys: list[Any] = []
    before, covered = 0, 0  # rows of the groups before the page's first; rows of the page's groups
    for key, n in counts:
        if not keys and before + n <= start:
            before += n
            continue
        keys.append(key)
        covered += n
        if before + covered >= start + per_page:
            break
    rows = _read(rows_of(keys)[start - before : start - before + per_page], fields, row)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def _paginate_keys_first(
    qs: QuerySet, *, page, per_page: int, fields: Sequence[str], row, separate_count: bool, count
) -> Page:
    """The page's keys, paged as any list is (window count or counted apart, a page past the end the last),
    then the rows of those keys, in the keys' order."""
    pk = qs.model._meta.pk.attname
    paged = paginate(
        qs, page=page, per_page=per_page, fields=(pk,), separate_count=separate_count, count=count
    )
    keys = [getattr(r, pk) for r in paged.object_list]
    if not keys:
        return paged
    by_key = qs.model._default_manager.filter(pk__in=keys).order_by()
    if not fields:  # model instances as `qs` would make them: its joined relations, its deferred columns
        by_key.query.select_related = qs.query.select_related
        by_key.query.deferred_loading = qs.query.deferred_loading
    if fields:
        make = row or SimpleNamespace
        found = {r[pk]: make(**{f: r[f] for f in fields}) for r in by_key.values(pk, *fields)}
    else:
        found = {r.pk: r for r in by_key}
    paged.object_list = [found[k] for k in keys if k in found]
    return paged


# --- The components around the table ---------------------------------------------------------------------------
# Drawn in Python, as the rows of the busiest lists are: every list page draws them, and through Django's
# templates (a tag, a translation and a with-block each) they cost more than the page's rows
# (`python -m bench frame`). The templates components/_results_head.html, _bulk_bar.html and _pagination.html
# are only where the pages place them.


def replaced_query(query: QueryDict, **changes) -> str:
    """`query` as a page's links carry it on (`carried_query`), with some parameters replaced (None or ""
    removes one), as a query string: the pager's links, the downloads' and the `query_replace` tag's."""
    query = carried_query(query)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


def results_head_markup(page: Page, count_text: Any, query: QueryDict, *, export_url: str = "") -> SafeString:
    """Above a list's table (components/_results_head.html): how many rows match (`count_text`, read out after
    each search; past the count's cap "More than N match") and, when the list has an export at `export_url`, its
    files (`downloads_markup`) with the list's current query but its page."""
    if getattr(page, "capped", False):
        count_text = gettext("More than %(shown)s match") % {"shown": intcomma(page.paginator.count)}
    head = markup(
        '<div class="page-head">\n  <p class="muted" data-testid="result-count" data-live-summary>{}</p>\n  ',
        count_text,
    )
    if not export_url:
        return SafeString(f"{head}\n</div>")
    files = downloads_markup(export_url, replaced_query(query, page=None), label=gettext("Download the list"))
    return SafeString(f"{head}\n  {files}\n</div>")


def pagination_markup(page: Page, query: QueryDict, *, hx_target: str = "") -> SafeString:
    """The pager under a list's table (components/_pagination.html): previous, "Page n of N", next; each link
    keeps the list's query and, with `hx_target`, swaps that element (its focus given back after the swap:
    `data-focus-id`)."""
    if page.paginator.num_pages <= 1:
        return SafeString("")

    def link(number: int, focus: str, text: SafeString) -> str:
        href = "?" + replaced_query(query, page=number)
        swap = (
            markup(' data-hx-get="{}" data-hx-target="{}" data-hx-push-url="true"', href, hx_target)
            if hx_target
            else ""
        )
        return markup(
            '<a class="btn btn-small" href="{}"{} data-focus-id="{}">{}</a>', href, swap, focus, text
        )

    previous, following = "", ""
    if page.has_previous():
        previous = link(
            page.previous_page_number(), "page-previous", markup("&larr; {}", gettext("Previous"))
        )
    if page.has_next():
        following = link(page.next_page_number(), "page-next", markup("{} &rarr;", gettext("Next")))
    info = gettext("Page %(n)s of %(total)s") % {"n": page.number, "total": page.paginator.num_pages}
    return markup(
        '\n<nav class="pagination" aria-label="{}">\n  {}\n  <span class="page-info">{}</span>\n  {}\n</nav>\n',
        gettext("Pages"),
        SafeString(previous),
        info,
        SafeString(following),
    )


def bulk_bar_markup(state: ListState, page: Page, *, source: str = "") -> SafeString:
    """The bulk actions of a list (`ListSpec.bulk`) above its table (components/_bulk_bar.html): an action for
    the ticked rows or for every row matching the filter. The form carries the list form's own fields (a value
    the reader is not offered, such as the Owner filter under PORTFOLIO_ONLY, stays behind), so "every row" is
    exactly what the list shows; the next page asks for the action's values. `source`: on a page that is not
    the list itself (a worklist section's full list), its `portal.core.changes.bulk.BulkSource`."""
    shown = intcomma(page.paginator.count)
    if getattr(page, "capped", False):
        every = gettext("All rows matching this filter (more than %(shown)s)") % {"shown": shown}
    else:
        every = ngettext(
            "The %(shown)s row matching this filter",
            "All %(shown)s rows matching this filter",
            page.paginator.count,
        ) % {"shown": shown}
    carried = "".join(
        markup('<input type="hidden" name="{}" value="{}">', key, value)
        for key, values in state.query.lists()
        if key != "page" and key in state.form.fields
        for value in values
    )
    actions = "".join(
        markup('<option value="{}">{}</option>', action.key, action.label) for action in state.bulk_actions
    )
    return markup(
        '\n<form id="bulk" class="filters" method="get" action="{}" data-hx-boost="false" data-testid="bulk-bar">\n'
        "  {}\n"
        "  {}\n"
        '  <div class="field"><label for="bulk-action">{}</label>\n'
        '    <select name="action" id="bulk-action" data-testid="bulk-action">{}</select></div>\n'
        '  <fieldset class="field"><legend>{}</legend>\n'
        '    <label><input type="radio" name="all" value="" checked data-testid="bulk-ticked"> {}</label>\n'
        '    <label><input type="radio" name="all" value="1" data-testid="bulk-all"> {}</label>\n'
        "  </fieldset>\n"
        '  <div class="field"><button class="btn" type="submit" data-testid="bulk-start">{}</button></div>\n'
        "</form>\n",
        constant_urls.url("core:bulk_new"),
        markup('<input type="hidden" name="source" value="{}">', source) if source else "",
        SafeString(carried),
        gettext("Bulk change"),
        SafeString(actions),
        gettext("Rows"),
        gettext("The ticked rows"),
        every,
        gettext("Choose the values"),
    )


# --- Answers -------------------------------------------------------------------------------------------------


def respond(
    request: HttpRequest,
    state: ListState,
    page: Page,
    context: dict | None = None,
    *,
    full_context: Callable[[], dict] | None = None,
) -> HttpResponse:
    """The list page, or only its `#target` partial for an htmx swap of that target.

    Both are rendered with `render()`, so context processors run for the fragment too. `full_context` adds
    what only the whole page shows (filter controls, last sync...), computed only for the whole page.
    """
    if state.spec.bulk:
        from portal.core.changes.bulk import bulk_actions_for

        state.bulk_actions = bulk_actions_for(state.spec.bulk, user=request.user)
    context = {"list": state, "form": state.form, "page_obj": page, **(context or {})}
    if state.spec.rows is not None:
        # A presenter of a list with bulk actions draws each row's checkbox (components/_bulk_tick.html's).
        ticks = {"tick": True} if state.bulk_actions else {}
        context["rows"] = state.spec.rows(page.object_list, **ticks)
    if partial_for(request, state.spec.target):
        return render(request, f"{state.spec.template}#{state.spec.target}", context)
    if full_context:
        context |= full_context()
    return render(request, state.spec.template, context)


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
