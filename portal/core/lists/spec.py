"""What a list is: its `Sorts`, its `Column`s, its `ListSpec`, the contributed `CustomerFilter`s, and the
fields every list form gets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from django import forms
from django.db import models
from django.db.models import F, QuerySet, Value
from django.db.models.functions import NullIf
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.contrib import contributions

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


# --- Cells --------------------------------------------------------------------------------------------------
# What a column's cell holds, declared; the one renderer (`markup.draw_rows`) draws each part with the house's
# markup and escapes every text. A value is a text or a number (escaped), None (nothing), markup already
# (`SafeString`), one of these parts, or a tuple of them (drawn one after another, a space between).


class Link(NamedTuple):
    """`text` linking to `href` (nothing links when `href` is empty); `css` its class ("btn btn-small": a row's
    action), `title` its tooltip (what a cut text leaves out)."""

    text: Any
    href: str
    testid: str = ""
    css: str = ""
    title: Any = ""


class Badge(NamedTuple):
    """A badge: `kind` its colour ("trial", "warn", "ok", "danger", "info", "removed" or a status), `title` its
    tooltip, `testid` its data-testid; with `href`, the badge is a link."""

    text: Any
    kind: str = ""
    title: Any = ""
    href: str = ""
    testid: str = ""


class Muted(NamedTuple):
    """A muted text (a dash for no value, a word for none)."""

    text: Any
    testid: str = ""


class Code(NamedTuple):
    """An identifier, set as code."""

    text: Any


class Below(NamedTuple):
    """A second line under the cell's first."""

    text: Any


class Strong(NamedTuple):
    """A text in bold (a month's total; `css` "work-figure": a worklist row's count)."""

    text: Any
    css: str = ""


class Time(NamedTuple):
    """A date as a `<time>` (YYYY-MM-DD)."""

    day: Any


class Items(NamedTuple):
    """A bulleted list of short texts (the reasons a draft is blocked)."""

    items: tuple
    testid: str = ""


class Button(NamedTuple):
    """A POST button: `action` its URL, `fields` its hidden fields ((name, value), ...), with the request's CSRF
    token (the page's `csrf_token`); `css` its class ("btn btn-small btn-danger": it removes something)."""

    text: Any
    action: str
    fields: tuple = ()
    testid: str = ""
    css: str = "btn btn-small"


#: A cell's value: an attribute of the row (a dotted path: "customer.company_name"), or a function of the row
#: and the page (`page`: the view's context, and what the spec's `page` adds once per page).
CellValue = str | Callable[[Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """One column of the table: its label, the sort key its header links to ("" = not sortable), and its cell.

    `value` what the cell shows (`CellValue`: see the parts above); `link` a function of the row and the page giving
    the URL the value links to ("" for none), `testid` that link's data-testid; `numeric` right-aligns the
    column (class "num"), `css` is another class of its cells ("date", "muted"). A column without a label and
    without a value is an empty cell (row actions of a list whose reader may take none)."""

    label: str | Promise
    sort: str = ""
    numeric: bool = False
    value: CellValue = ""
    link: Callable[[Any, Mapping[str, Any]], str] | None = None
    testid: str = ""
    css: str = ""
    #: Shown only when `when(page)` (a column the page shows for some readers or sections).
    when: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Tick:
    """The checkbox that starts each row of a list with bulk actions: `key` the row's key, `name` how the row is
    read out ("Choose <name>"); a row whose key is empty gets an empty cell."""

    key: CellValue
    name: CellValue


@dataclass(frozen=True)
class ListSpec:
    """What a list is. `form` is a `forms.Form` with a `to_filters(data)` method building the selector's
    filters from the valid values (`data["sort"]` is always a valid key)."""

    form: type[forms.Form]
    sorts: Sorts
    columns: tuple[Column, ...]
    template: str
    #: The columns of its export (every file: the CSVs and the workbook), (field, header label); a field of the
    #: API's codes as `coded(field, header, vocabulary)` (its names, then its codes).
    csv_columns: Sequence[tuple] = ()
    page_sizes: tuple[int, ...] = (25, 50, 100)
    target: str = "results"
    #: The sort field of the form: hidden (the headers choose the order) or a visible select.
    sort_in_form: bool = False
    #: Each row's `<tr>` attributes naming it, ((name, `CellValue`), ...): (("data-domain-id", "domain_id"),).
    row_attrs: tuple[tuple[str, CellValue], ...] = ()
    #: What the cells of one page share, made once per page from the view's context (`page(context) -> dict`,
    #: added to it): the business date, a URL pattern.
    page: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: The rows' checkbox, on a list with bulk actions (`bulk`).
    tick: Tick | None = None
    #: Filters the list remembers (in the session): a request without one opens on the value last chosen, or
    #: on the default its view gives (`ListState.from_request(..., defaults=...)`).
    remembered: tuple[str, ...] = ()
    #: The list's rows belong to customers: its form gets the contributed `CustomerFilter`s' fields (after its
    #: first field), remembered, opening on their defaults; its `to_filters` finds their values in `data`.
    customer_filters: bool = False
    #: The list's name for bulk actions (`portal.core.changes.bulk.BulkAction.list_name`): when the reader may
    #: start one, each row gets a checkbox (`tick`) and the
    #: results' head a choice of action for the ticked rows or every row matching the filter.
    bulk: str = ""

    @property
    def default_page_size(self) -> int:
        return self.page_sizes[0]


@dataclass(frozen=True)
class GroupedList:
    """A list whose rows come in groups under a heading each (the Scheduled changes agenda: its changes by day),
    drawn by `markup.draw_groups` in one table: the columns' header once, a `<tbody>` per group opened by its
    heading row. A page, not a `ListSpec`'s filtered and sorted list: its view gives the groups, in order.

    `columns` and `row_attrs` as a `ListSpec`'s; `heading` the group heading's cell (`CellValue` of the group's
    key and the page), `group_attrs` the `<tbody>`'s attributes ((name, `CellValue` of the key), ...),
    `group_css` its class; `page` what the cells of one page share, as a `ListSpec`'s."""

    columns: tuple[Column, ...]
    heading: CellValue
    row_attrs: tuple[tuple[str, CellValue], ...] = ()
    group_attrs: tuple[tuple[str, CellValue], ...] = ()
    group_css: str = ""
    page: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


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
