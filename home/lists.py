"""The full list of a worklist section (`home:work_list`): every item of one section, behind its "N in all" on
the home page, on the house's list machinery (the Owner filter, sort, paging, the downloads). One spec and one
page for every section: the section's reader gives the items (home/worklist.py `section_all`), so a new section
has its full list without a line here. A section whose items are rows of a list with bulk actions
(`WorkSection.bulk`) offers them there too: its spec carries that list's name (`work_list_spec`), and the
"all N" of its bar is the section's items (`bulk_keys`, contributed as a `BulkSource`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from home.worklist import WorkItem, WorkSection
from portal.core.downloads import Table
from portal.core.formbase import PortalForm
from portal.core.lists import Column, ListSpec, Sorts, customer_filters

#: The sort keys (the items' own fields: sorted in Python, after the section's reader put them in its order).
SORTS = Sorts(columns={"customer": ("customer",), "day": ("day",)}, default="")


class WorkListForm(PortalForm):
    """A section's full list has no filter of its own: the list machinery adds the Owner filter (a customer
    filter), the sort and the page size."""

    def to_filters(self, data: dict) -> dict[str, str]:
        """The customer filters' values: whose customers' items the list holds."""
        return {f.name: data.get(f.name) or "" for f in customer_filters()}


WORK_LIST = ListSpec(
    form=WorkListForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer"),
        Column(_("What")),
        Column(_("Date"), sort="day"),
        Column(""),
    ),
    template="home/work_list.html",
    row_template="home/_work_row.html",
    page_sizes=(25, 50, 100),
    customer_filters=True,
)


def work_list_spec(section: WorkSection) -> ListSpec:
    """The list of one section: its dates under the section's own heading ("Decide by"), sortable; a section
    whose items have no date (day_label unset) has no date column; a section whose items are rows of a list
    with bulk actions (`WorkSection.bulk`) gets that list's selection bar."""
    if not section.day_label:
        columns = tuple(c for c in WORK_LIST.columns if c.sort != "day")
    else:
        columns = tuple(
            replace(c, label=section.day_label) if c.sort == "day" else c for c in WORK_LIST.columns
        )
    return replace(WORK_LIST, columns=columns, bulk=section.bulk)


def sorted_items(items: list[WorkItem], sort: str) -> list[WorkItem]:
    """`items` in the list's order: the section's own (no sort), or by customer or date, empty dates last in
    both directions."""
    key = sort.lstrip("-")
    if key == "customer":
        return sorted(items, key=lambda item: item.customer.casefold(), reverse=sort.startswith("-"))
    if key == "day":
        dated = sorted((i for i in items if i.day), key=lambda i: i.day or dt.date.min)
        if sort.startswith("-"):
            dated.reverse()
        return dated + [i for i in items if not i.day]
    return items


def export_table(section: WorkSection, items: Sequence[WorkItem], *, absolute: Callable[[str], str]) -> Table:
    """The section's items as a file: customer, what, status, figure, date (a dated section's) and the page of
    each (absolute)."""
    dated = bool(section.day_label)
    return Table(
        header=[
            _("Customer"),
            _("What"),
            _("Status"),
            _("Figure"),
            *([section.day_label] if dated else []),
            _("Page"),
        ],
        rows=(
            (
                item.customer,
                item.text,
                item.badge,
                item.figure,
                *([item.day] if dated else []),
                absolute(item.url) if item.url else "",
            )
            for item in items
        ),
    )


def bulk_keys(request, key: str, action) -> list[str]:
    """Every item of section `key` as the request's query filters it (the full list's "all N"), as the keys of
    `action`'s list: none when the section's items are not that list's rows."""
    from home import worklist
    from portal.core.lists import ListState

    section = worklist.section_for(request.user, key)
    if section.bulk != action.list_name:
        return []
    state = ListState.from_request(request, work_list_spec(section), defaults=worklist.list_defaults(request))
    found = worklist.section_all(section, request.user, customers=state.filters)
    return [item.bulk_key for item in sorted_items(found.items, state.sort) if item.bulk_key]
