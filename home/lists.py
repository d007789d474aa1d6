"""The full list of a worklist section (`home:work_list`): every item of one section, behind its "N in all" on
the home page, on the house's list machinery (the Owner filter, sort, paging, the downloads). One spec and one
page for every section: the section's reader gives the page's items, ordered, offset and limited in the
database, and counts them up to the lists' cap (home/worklist.py `section_page`), so a new section has its
full list without a line here and a page reads one page whatever the section holds. A section whose items are rows of a list with bulk actions
(`WorkSection.bulk`) offers them there too: its spec carries that list's name (`work_list_spec`), and the
"all N" of its bar is the section's items (`bulk_keys`, contributed as a `BulkSource`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from home.worklist import WorkItem, WorkSection
from portal.core.downloads import Table
from portal.core.formbase import PortalForm
from portal.core.lists import Badge, Column, Link, ListSpec, Sorts, Strong, Tick, Time, customer_filters

#: The sort keys: each section's reader orders by its own columns of them in the database
#: (`WorkContext.first_and_count(sorts=)`), the keys a section offers being `WorkSection.sorts`.
SORTS = Sorts(columns={"customer": ("customer",), "day": ("day",)}, default="")


class WorkListForm(PortalForm):
    """A section's full list has no filter of its own: the list machinery adds the Owner filter (a customer
    filter), the sort and the page size."""

    def to_filters(self, data: dict) -> dict[str, str]:
        """The customer filters' values: whose customers' items the list holds."""
        return {f.name: data.get(f.name) or "" for f in customer_filters()}


def _customer(item: WorkItem, page):
    if item.url:
        return Link(item.customer or gettext("(no customer)"), item.url)
    return item.customer


def _what(item: WorkItem, page):
    return (
        Badge(item.badge) if item.badge else None,
        item.text,
        Strong(item.figure, "work-figure") if item.figure else None,
    )


def _action(item: WorkItem, page):
    if not item.change_url:
        return None
    return Link(page["section"].action or gettext("Change"), item.change_url, css="btn btn-small")


WORK_LIST = ListSpec(
    form=WorkListForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer", value=_customer),
        Column(_("What"), value=_what),
        Column(_("Date"), sort="day", value=lambda item, page: Time(item.day) if item.day else None),
        Column("", value=_action),
    ),
    template="home/work_list.html",
    row_attrs=(("data-work-item", "uid"),),
    tick=Tick(key="bulk_key", name="customer"),
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


def export_table(section: WorkSection, items: Iterable[WorkItem], *, absolute: Callable[[str], str]) -> Table:
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


def _bulk_section(request, key: str, action):
    """Section `key` and the request's state of its full list (filters, sort), or None when the section's items
    are not the rows of `action`'s list."""
    from home import worklist
    from portal.core.lists import ListState

    section = worklist.section_for(request.user, key)
    if section.bulk != action.list_name:
        return None
    return section, ListState.from_request(
        request, work_list_spec(section), defaults=worklist.list_defaults(request)
    )


def bulk_keys(request, key: str, action) -> list[str]:
    """The items of section `key` as the request's query filters and sorts it (the full list's "all N"), as
    the keys of `action`'s list, at most one more than a bulk change takes (`BULK_MAX_ROWS`: enough to refuse
    too many, or to take the first ones), read as keys alone (`worklist.section_keys`): none when the section's
    items are not that list's rows."""
    from django.conf import settings

    from home import worklist

    chosen = _bulk_section(request, key, action)
    if chosen is None:
        return []
    section, state = chosen
    return worklist.section_keys(
        section, request.user, customers=state.filters, sort=state.sort, limit=settings.BULK_MAX_ROWS + 1
    )


def bulk_count(request, key: str, action) -> int:
    """How many items section `key` holds as the request's query filters it, counted up to one past the lists'
    cap (its first item and a bounded count, as a page of its full list reads): "all N" past what a bulk change
    takes is refused on it, without reading BULK_MAX_ROWS + 1 items. 0 when the section's items are not the
    action's list's rows."""
    from home import worklist

    chosen = _bulk_section(request, key, action)
    if chosen is None:
        return 0
    section, state = chosen
    first = worklist.section_page(
        section, request.user, customers=state.filters, sort=state.sort, page=1, per_page=1
    )
    return first.paginator.count + (1 if first.capped else 0)
