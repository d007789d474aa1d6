"""What every list draws around its table, and the answer: the whole page or its htmx partial."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from operator import attrgetter
from typing import Any, NamedTuple

from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from portal.core.htmx import counting, partial_for
from portal.core.lists.spec import (
    CHOOSE,
    Badge,
    Below,
    Button,
    CellValue,
    Code,
    Column,
    GroupedList,
    Items,
    Link,
    ListSpec,
    Muted,
    Strong,
    Tick,
    Time,
)
from portal.core.lists.state import ListState, carried_query
from portal.core.rendering import escaped_text, markup
from portal.core.vocabulary import translated

# --- Links --------------------------------------------------------------------------------------------------
# What is around the table (the results head and its downloads, the bulk bar, the pager) is drawn by its
# template in templates/components/; their links carry the list's query on (`query_replace`).


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


# --- Rows ----------------------------------------------------------------------------------------------------
# Every list's rows, drawn by one renderer from its columns' declarations (`Column.value`, `link`, `numeric`,
# `css`; `ListSpec.row_key`, `tick`), as Django admin's `items_for_result` draws `list_display`: no app writes
# a row's HTML. Each spec's columns are compiled once into a drawer per cell, so a page of rows costs what a
# row formatted by hand in Python cost (`python -m bench scale --only '^customers:list'`).


#: The parts' classes and test ids, escaped: a few names a list's rows repeat (`_name`).
_NAMES: dict[str, str] = {}


def _name(value: str) -> str:
    """A part's class, kind or test id, escaped once: declared names, the same on every row."""
    found = _NAMES.get(value)
    if found is None:
        if len(_NAMES) > 500:  # names made from data (a status): kept for a while only
            _NAMES.clear()
        found = _NAMES[value] = escaped_text(value)
    return found


def _draw_link(part: Link, page: Mapping[str, Any]) -> str:
    text = _content(part.text, page)
    if not part.href:
        return text
    testid = f' data-testid="{_name(part.testid)}"' if part.testid else ""
    css = f'class="{_name(part.css)}" ' if part.css else ""
    title = f' title="{escaped_text(part.title)}"' if part.title else ""
    return f'<a {css}href="{escaped_text(part.href)}"{testid}{title}>{text}</a>'


def _draw_badge(part: Badge, page: Mapping[str, Any]) -> str:
    kind = f" badge-{_name(part.kind)}" if part.kind else ""
    title = f' title="{escaped_text(part.title)}"' if part.title else ""
    testid = f' data-testid="{_name(part.testid)}"' if part.testid else ""
    if part.href:
        return f'<a class="badge{kind}" href="{escaped_text(part.href)}"{testid}{title}>{_content(part.text, page)}</a>'
    return f'<span class="badge{kind}"{testid}{title}>{_content(part.text, page)}</span>'


def _draw_strong(part: Strong, page: Mapping[str, Any]) -> str:
    css = f' class="{escaped_text(part.css)}"' if part.css else ""
    return f"<strong{css}>{_content(part.text, page)}</strong>"


def _draw_muted(part: Muted, page: Mapping[str, Any]) -> str:
    testid = f' data-testid="{escaped_text(part.testid)}"' if part.testid else ""
    return f'<span class="muted"{testid}>{_content(part.text, page)}</span>'


def _draw_items(part: Items, page: Mapping[str, Any]) -> str:
    testid = f' data-testid="{escaped_text(part.testid)}"' if part.testid else ""
    items = "".join(f"<li>{_content(item, page)}</li>" for item in part.items)
    return f'<ul class="reasons"{testid}>{items}</ul>'


def _draw_button(part: Button, page: Mapping[str, Any]) -> str:
    from django.middleware.csrf import get_token

    fields = "".join(
        f'<input type="hidden" name="{escaped_text(name)}" value="{escaped_text(value)}">'
        for name, value in part.fields
    )
    testid = f' data-testid="{escaped_text(part.testid)}"' if part.testid else ""
    return (
        f'<form method="post" action="{escaped_text(part.action)}">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escaped_text(get_token(page["request"]))}">'
        f'{fields}<button class="{escaped_text(part.css)}" type="submit"{testid}>{_content(part.text, page)}</button></form>'
    )


def _draw_time(part: Time, page: Mapping[str, Any]) -> str:
    day = part.day.strftime("%Y-%m-%d")
    return f'<time datetime="{day}">{day}</time>'


_PARTS: dict[type, Callable[[Any, Mapping[str, Any]], str]] = {
    Link: _draw_link,
    Badge: _draw_badge,
    Muted: _draw_muted,
    Code: lambda part, page: f"<code>{_content(part.text, page)}</code>",
    Below: lambda part, page: f"<br>{_content(part.text, page)}",
    Strong: _draw_strong,
    Time: _draw_time,
    Items: _draw_items,
    Button: _draw_button,
}


def _content(value: Any, page: Mapping[str, Any]) -> str:
    """A cell's value as escaped markup: a text or number, None (nothing), markup, a part, or a tuple of them."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int:
        return str(value)
    if kind is SafeString:
        return value
    if value is None:
        return ""
    draw = _PARTS.get(kind)
    if draw is not None:
        return draw(value, page)
    if kind is tuple:
        return " ".join(drawn for drawn in (_content(each, page) for each in value) if drawn)
    if kind is bool:
        return ""
    return escaped_text(value)


def draw_cell(value: Any, page: Mapping[str, Any] | None = None) -> SafeString:
    """A cell's value (a part, or a tuple of them) drawn alone: where a page shows what a list's cell shows (the
    invoice page's sending and payment states, as the month's issued list has them)."""
    return SafeString(_content(value, page or {}))


class DrawnOnce(dict):
    """Cells a page repeats (a kind's badge, a summary, a link), each drawn once per page: `drawn[key]` is
    `make(key)` drawn as `draw_cell` draws it, kept for the next row that asks (`make` the identity: the text
    escaped once). A list's `page` makes one; its cells read it, and the renderer draws the markup as it is."""

    def __init__(self, make: Callable[[Any], Any] | None = None):
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> SafeString:
        value = self[key] = SafeString(_content(self.make(key) if self.make else key, {}))
        return value


def _getter(value: CellValue) -> Callable[[Any, Mapping[str, Any]], Any]:
    """A cell's value as a function of the row and the page: `value` itself, or its attribute (a row of
    `values()`: its key)."""
    if callable(value):
        return value
    if not value:
        return lambda row, page: None
    get = attrgetter(value)
    return lambda row, page: row[value] if type(row) is dict else get(row)


def _cell(column: Column) -> Callable[[Any, Mapping[str, Any]], str]:
    """One column's drawer: the row and the page to its `<td>`."""
    css = " ".join(c for c in ("num" if column.numeric else "", column.css) if c)
    opening = f'<td class="{css}">' if css else "<td>"
    value = _getter(column.value)
    link, testid = column.link, column.testid
    if link is None:
        return lambda row, page: f"{opening}{_content(value(row, page), page)}</td>"
    return lambda row, page: (
        f"{opening}{_content(Link(value(row, page), link(row, page), testid), page)}</td>"
    )


def _tick(tick: Tick) -> Callable[[Any, Mapping[str, Any]], str]:
    key, name = _getter(tick.key), _getter(tick.name)

    def cell(row: Any, page: Mapping[str, Any]) -> str:
        value = key(row, page)
        if value in (None, ""):
            return "<td></td>"
        value = escaped_text(value)
        said = escaped_text(page["_choose"] % {"name": name(row, page)})
        return (
            f'<td><input type="checkbox" form="bulk" name="keys" value="{value}" id="tick-{value}" '
            f'data-testid="bulk-tick"><label class="visually-hidden" for="tick-{value}">{said}</label></td>'
        )

    return cell


#: Each spec's compiled columns, by the identity of its columns' tuple (a spec the state copies keeps it).
_COMPILED: dict[int, tuple[tuple[Column, ...], list]] = {}


def _compiled(columns: tuple[Column, ...]) -> list:
    found = _COMPILED.get(id(columns))
    if found is None or found[0] is not columns:
        if len(_COMPILED) > 200:  # columns made per request (a worklist section's): kept for a while only
            _COMPILED.clear()
        found = _COMPILED[id(columns)] = (columns, [(column.when, _cell(column)) for column in columns])
    return found[1]


def shown_columns(spec: ListSpec, page: Mapping[str, Any]) -> tuple[Column, ...]:
    """The spec's columns the page shows (a column's `when`)."""
    return tuple(c for c in spec.columns if c.when is None or c.when(page))


def draw_rows(state: ListState, rows: Iterable, context: Mapping[str, Any]) -> SafeString:
    """The `<tr>` rows of one page of `state`'s list, from its columns' declarations; `context` is the page's
    (the view's, with the request), to which the spec's `page` adds what its cells share."""
    spec = state.spec
    page: dict[str, Any] = {**context, **(spec.page(context) if spec.page else {})}
    cells = [cell for when, cell in _compiled(spec.columns) if when is None or when(page)]
    if spec.tick is not None and state.bulk_actions:
        page["_choose"] = gettext("Choose %(name)s")
        cells.insert(0, _tick(spec.tick))
    return SafeString("\n".join(map(_row_drawer(cells, spec.row_attrs, page), rows)))


def _attributes(declared: tuple[tuple[str, CellValue], ...]) -> Callable[[Any, Mapping[str, Any]], str]:
    """An element's declared attributes ((name, `CellValue`), ...) as a function of its row (or group key) and
    the page, each value escaped."""
    attrs = [(f' {name}="', _getter(value)) for name, value in declared]
    return lambda row, page: "".join([f'{name}{escaped_text(value(row, page))}"' for name, value in attrs])


def _row_drawer(cells: list, row_attrs: tuple, page: Mapping[str, Any]) -> Callable[[Any], str]:
    """One row's `<tr>`, its attributes and its cells."""
    named = _attributes(row_attrs)
    return lambda row: f"<tr{named(row, page)}>{''.join([cell(row, page) for cell in cells])}</tr>"


class MonthGrid(NamedTuple):
    """How a month calendar's days show their items (`draw_month`): an item's content (`CellValue`: parts) and
    its `<li>` attributes ((name, `CellValue`), ...); each day's "+N more" link (`more_href(day, page)`, a query
    string; `more` the words with "%(n)s") and the element its htmx answer replaces (`target`)."""

    item: CellValue
    item_attrs: tuple[tuple[str, CellValue], ...]
    more_href: Callable[[Any, Mapping[str, Any]], str]
    more: str
    target: str


def _day_css(day: Any) -> str:
    css = "cal-day cal-outside" if not day.in_month else "cal-day cal-past" if day.is_past else "cal-day"
    return css + " cal-today" if day.is_today else css


def draw_month(grid: MonthGrid, weeks: Iterable[Iterable[Any]], context: Mapping[str, Any]) -> SafeString:
    """A month calendar's `<tr>` per week, a `<td>` per day (its date, "Today", its items as `grid` declares
    them, and its "+N more" link): the days have `date`, `in_month`, `is_past`, `is_today`, `items` and `more`
    (how many items are not shown). A grid, not a list, drawn here as the lists' rows are, so that no app writes
    its HTML and the month's cells cost one formatting each."""
    page = context
    item, named = _getter(grid.item), _attributes(grid.item_attrs)
    today = f' <span class="badge badge-info">{escaped_text(gettext("Today"))}</span>'
    more, target = escaped_text(grid.more), escaped_text(grid.target)
    out: list[str] = []
    for week in weeks:
        out.append("<tr>")
        for day in week:
            current = ' aria-current="date"' if day.is_today else ""
            out.append(
                f'<td class="{_day_css(day)}" data-day="{day.date.isoformat()}"{current}><div class="cal-date">'
                f"{day.date.day}{today if day.is_today else ''}</div>"
            )
            if day.items:
                items = "".join(
                    [f"<li{named(i, page)}>{_content(item(i, page), page)}</li>" for i in day.items]
                )
                out.append(f"<ul>{items}</ul>")
            if day.more:
                href = escaped_text("?" + grid.more_href(day, page))
                out.append(
                    f'<a class="cal-more" href="{href}" data-hx-get="{href}" data-hx-target="{target}"'
                    f' data-hx-push-url="true" data-testid="calendar-more">{more.replace("%(n)s", str(day.more))}</a>'
                )
            out.append("</td>")
        out.append("</tr>")
    return SafeString("".join(out))


def draw_groups(
    spec: GroupedList, groups: Iterable[tuple[Any, Iterable]], context: Mapping[str, Any]
) -> SafeString:
    """A grouped list's table inside (its `<table>` and caption are the page template's): the columns' header
    once, then a `<tbody>` per group of `groups` ((key, rows), ...), opened by a heading row (`spec.heading`
    of the key, a `<th scope="rowgroup">` across the columns) and followed by its rows, drawn as `draw_rows`
    draws a list's. `context` is the page's, to which `spec.page` adds what the cells share."""
    page: dict[str, Any] = {**context, **(spec.page(context) if spec.page else {})}
    shown = [
        (column, cell)
        for column, (when, cell) in zip(spec.columns, _compiled(spec.columns), strict=True)
        if when is None or when(page)
    ]
    text = translated()
    head = "".join(
        markup('<th scope="col">{}</th>', text(column.label)) if column.label else "<td></td>"
        for column, _ in shown
    )
    heading, named = _getter(spec.heading), _attributes(spec.group_attrs)
    opening = f'<tbody class="{escaped_text(spec.group_css)}"' if spec.group_css else "<tbody"
    row_markup = _row_drawer([cell for _, cell in shown], spec.row_attrs, page)
    out = [f"<thead><tr>{head}</tr></thead>"]
    for key, rows in groups:
        out.append(
            f'{opening}{named(key, page)}><tr class="group-head"><th scope="rowgroup" colspan="{len(shown)}">'
            f"{_content(heading(key, page), page)}</th></tr>"
        )
        out.extend(map(row_markup, rows))
        out.append("</tbody>")
    return SafeString("\n".join(out))


def draw_header(state: ListState) -> SafeString:
    """The `<th>` cells of a list's head; a sortable column links to ascending first, descending when already ascending.
    The link keeps every other query parameter and goes back to the first page."""
    cells = []
    params = state.query.copy()  # each link: the other parameters, its own sort, the first page
    params.pop("page", None)
    text = translated()  # the columns' labels: declared once, read once per language
    if state.bulk_actions:
        cells.append(markup('<th scope="col"><span class="visually-hidden">{}</span></th>', text(CHOOSE)))
    for column in state.columns or state.spec.columns:
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
        params["sort"] = f"-{key}" if state.sort == key else key
        href = "?" + params.urlencode()
        arrow, order = "", ""
        if state.sort == key:
            arrow, order = " ↑", SafeString(' aria-sort="ascending"')
        elif state.sort == f"-{key}":
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
                state.hx_target,
                key,
                label,
                arrow,
            )
        )
    return SafeString("".join(cells))


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
    if counting(request):
        capped = getattr(page, "capped", False)
        return render(request, "components/_count.html", {"count": page.paginator.count, "capped": capped})
    if state.spec.bulk:
        from portal.core.changes.bulk import bulk_actions_for

        state.bulk_actions = bulk_actions_for(state.spec.bulk, user=request.user)
    context = {"list": state, "form": state.form, "page_obj": page, **(context or {})}
    shown = {"request": request, **context}
    state.columns = shown_columns(state.spec, shown)
    context["rows"] = draw_rows(state, page.object_list, shown)
    if partial_for(request, state.spec.target):
        return render(request, f"{state.spec.template}#{state.spec.target}", context)
    if full_context:
        context |= full_context()
    return render(request, state.spec.template, context)
