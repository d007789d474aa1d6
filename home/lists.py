"""The full list of a worklist section (`home:work_list`): every item of one section, behind its "N in all" on
the home page, on the house's list machinery (the Owner filter, sort, paging, the downloads). One spec and one
page for every section: the section's reader gives the page's items, ordered, offset and limited in the
database, and counts them up to the lists' cap (home/worklist.py `section_page`), so a new section has its
full list without a line here and a page reads one page whatever the section holds. A section whose items are rows of a list with bulk actions
(`WorkSection.bulk`) offers them there too: its spec carries that list's name (`work_list_spec`), and the
"all N" of its bar is the section's items (`bulk_keys`, contributed as a `BulkSource`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from django.utils.translation import gettext_lazy as _

from home.worklist import WorkItem, WorkSection
from portal.core.downloads import Table
from portal.core.formbase import PortalForm
from portal.core.lists import Column, ListSpec, Sorts, customer_filters

#: The sort keys: each section's reader orders by its own columns of them in the database
#: (`WorkContext.first_and_count(sorts=)`), the keys a section offers being `WorkSection.sorts`.
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
    whose items have no date (day_label unset) has no date column; a column whose key the section does not
    sort by (`WorkSection.sorts`) is not a link; a section whose items are rows of a list with bulk actions
    (`WorkSection.bulk`) gets that list's selection bar."""
    columns = tuple(
        c if not c.sort or c.sort in section.sorts else replace(c, sort="")
        for c in WORK_LIST.columns
        if c.sort != "day" or section.day_label
    )
    if section.day_label:
        columns = tuple(replace(c, label=section.day_label) if c.sort == "day" else c for c in columns)
    return replace(WORK_LIST, columns=columns, bulk=section.bulk)


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
    """The items of section `key` as the request's query filters and sorts it (the full list's "all N"), as
    the keys of `action`'s list, at most one more than a bulk change takes (`BULK_MAX_ROWS`: enough to refuse
    too many, or to take the first ones): none when the section's items are not that list's rows."""
    from django.conf import settings

    from home import worklist
    from portal.core.lists import ListState

    section = worklist.section_for(request.user, key)
    if section.bulk != action.list_name:
        return []
    state = ListState.from_request(request, work_list_spec(section), defaults=worklist.list_defaults(request))
    found = worklist.section_all(
        section, request.user, customers=state.filters, sort=state.sort, limit=settings.BULK_MAX_ROWS + 1
    )
    return [item.bulk_key for item in found.items if item.bulk_key]
