"""The one list machinery (Django admin's ChangeList idea): every list page is a spec and a selector.

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
* **Header cells** (`markup.draw_header`): `<th>` cells whose sort links keep the other query parameters.
* **Fragment answer** (`respond`): an htmx request aimed at the spec's target gets the page template's
  partial of that name, rendered with `render()` (context processors run, as for the page); anything else
  (a history restore, a reload, a boosted link) gets the whole page.

Rows are drawn by one renderer (`markup.draw_rows`, the idea of the admin's `items_for_result`) from the spec's
columns: each `Column` declares its cell (`value`, `link`, `numeric`, `css`; parts such as `Link`, `Badge`,
`Muted`, `Code`), the spec its rows' attributes (`row_attrs`), checkbox (`tick`) and what a page's cells share
(`page`). A list whose rows come in groups under a heading each is a `GroupedList`, drawn by
`markup.draw_groups` (the Scheduled changes agenda, by day); a month calendar's days are a `MonthGrid`, drawn
by `markup.draw_month`. No app writes a row's HTML. The results head,
bulk bar, pager and downloads are the component templates' (templates/components/).

The package, by job: `spec` (what a list is: sorts, columns and cells, the spec, the customer filters), `state`
(one request's list: the bound form, its filters, the query its links carry), `paging` (pages and counts to
the cap), `shapes` (query shapes each database plans well), `markup` (the rows and the answer), `exports` (the
list as a file).

Core never imports an app: specs live with their app, this module only holds the plumbing.
"""

from portal.core.lists.exports import coded, export, export_table
from portal.core.lists.markup import (
    DrawnOnce,
    MonthGrid,
    draw_cell,
    draw_groups,
    draw_month,
    draw_rows,
    replaced_query,
    respond,
    shown_columns,
)
from portal.core.lists.paging import (
    MAX_PAGE_NUMBER,
    TOTAL,
    CappedCount,
    asked_once,
    capped_count,
    clamp_page,
    count_cap,
    counted_page,
    one_search,
    page_number,
    paginate,
    paginate_in_groups,
    searched_counts,
)
from portal.core.lists.shapes import (
    FEW_FOUND,
    among_found,
    computed_first,
    count_read_first,
    few_found,
    kept_while_walked,
    merged_count,
    planned_apart,
    read_in_one_pass,
)
from portal.core.lists.spec import (
    CHOOSE,
    CUSTOMER,
    PER_PAGE,
    SORT_BY,
    Badge,
    Below,
    Button,
    CellValue,
    Code,
    Column,
    CustomerFilter,
    DateInput,
    GroupedList,
    Items,
    Link,
    ListSpec,
    Muted,
    Sorts,
    Strong,
    Tick,
    Time,
    by_customer_filters,
    customer_filters,
    customer_search_field,
)
from portal.core.lists.state import (
    LONGEST_CARRIED_VALUE,
    LONGEST_REMEMBERED_VALUE,
    ListState,
    add_customer_filter_fields,
    address_from,
    address_token,
    carried_query,
    customer_filter_query,
    remembered_query,
    valid_data,
)

__all__ = [
    "address_from",
    "address_token",
    "Badge",
    "Below",
    "Button",
    "CHOOSE",
    "CUSTOMER",
    "CappedCount",
    "CellValue",
    "Code",
    "Column",
    "CustomerFilter",
    "DateInput",
    "DrawnOnce",
    "FEW_FOUND",
    "GroupedList",
    "Items",
    "LONGEST_CARRIED_VALUE",
    "LONGEST_REMEMBERED_VALUE",
    "Link",
    "ListSpec",
    "ListState",
    "MAX_PAGE_NUMBER",
    "Muted",
    "PER_PAGE",
    "SORT_BY",
    "Sorts",
    "Strong",
    "TOTAL",
    "Tick",
    "Time",
    "add_customer_filter_fields",
    "among_found",
    "by_customer_filters",
    "capped_count",
    "carried_query",
    "clamp_page",
    "coded",
    "computed_first",
    "count_cap",
    "count_read_first",
    "counted_page",
    "customer_filter_query",
    "customer_filters",
    "customer_search_field",
    "draw_cell",
    "draw_groups",
    "draw_month",
    "MonthGrid",
    "draw_rows",
    "export",
    "export_table",
    "few_found",
    "kept_while_walked",
    "merged_count",
    "page_number",
    "paginate",
    "paginate_in_groups",
    "planned_apart",
    "read_in_one_pass",
    "remembered_query",
    "replaced_query",
    "respond",
    "searched_counts",
    "asked_once",
    "one_search",
    "shown_columns",
    "valid_data",
]
