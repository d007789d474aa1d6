"""The one list machinery: sort with empty values last, the pager, header links, the fragment answer, the export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.selectors import CustomerFilters, customer_list
from portal.core.access import Role
from portal.core.lists import MAX_PAGE_NUMBER, ListState, Sorts, paginate, paginate_in_groups
from subscriptions.models import Subscription
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db

SORTS = Sorts(
    {
        "code": ("customer_code", "domain_id"),
        "trial": ("trial_ends_on", "domain_id"),
        "members": ("member_count", "domain_id"),
    },
    default="code",
)


@pytest.fixture
def with_gaps():
    """Customers whose customer code is empty ("") or whose trial end is unknown (NULL)."""
    return {
        "b": make_customer(customer_code="B", trial_ends_on=dt.date(2026, 12, 2)),
        "blank": make_customer(customer_code="", trial_ends_on=None),
        "a": make_customer(customer_code="A", trial_ends_on=None),
        "c": make_customer(customer_code="C", trial_ends_on=dt.date(2026, 12, 1)),
    }


def _codes(qs) -> list[str]:
    return [c.customer_code for c in qs]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("code", ["A", "B", "C", ""]),
        ("-code", ["C", "B", "A", ""]),
    ],
)
def test_an_empty_text_comes_last_in_both_directions(with_gaps, sort, expected):
    assert _codes(SORTS.order(Customer.objects.all(), sort)) == expected


@pytest.mark.parametrize(
    ("sort", "first_two"),
    [
        ("trial", ["C", "B"]),
        ("-trial", ["B", "C"]),
    ],
)
def test_an_unknown_date_comes_last_in_both_directions(with_gaps, sort, first_two):
    codes = _codes(SORTS.order(Customer.objects.all(), sort))
    assert codes[:2] == first_two
    assert sorted(codes[2:]) == ["", "A"]


@pytest.mark.parametrize("sort", ["code", "-code"])
def test_empty_values_last_through_a_relation(sort):
    """A text column of a related row that may be blank (customer__customer_code) follows the same rule."""
    make_subscription(make_customer(customer_code="Alpha"))
    make_subscription(make_customer(customer_code=""))
    make_subscription(make_customer(customer_code="Beta"))
    sorts = Sorts({"code": ("customer__customer_code", "subscription_id")}, default="code")
    qs = sorts.order(Subscription.objects.select_related("customer"), sort)
    codes = [s.customer.customer_code for s in qs]
    assert codes[-1] == ""
    assert codes[:2] == (["Alpha", "Beta"] if sort == "code" else ["Beta", "Alpha"])


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_a_column_that_cannot_be_empty_is_ordered_plainly_so_an_index_can_serve_it(sort):
    """A required name (the contract requires companyName) gets no empty-last wrapping: the ORDER BY names the
    column itself, which its index serves, and the order is the same."""
    for name in ("Beta", "Alpha", "Gamma"):
        make_customer(company_name=name)
    sorts = Sorts({"name": ("company_name", "domain_id")}, default="name")
    qs = sorts.order(Customer.objects.all(), sort)
    names = [c.company_name for c in qs]
    assert names == (["Alpha", "Beta", "Gamma"] if sort == "name" else ["Gamma", "Beta", "Alpha"])
    sql = str(qs.query).upper()
    assert "NULLIF" not in sql and "NULLS LAST" not in sql


def test_an_unknown_sort_key_is_the_default():
    assert SORTS.clean("bogus") == "code"
    assert SORTS.clean("-bogus") == "code"
    assert SORTS.clean("-members") == "-members"
    assert SORTS.clean(None) == "code"


def test_the_customer_list_puts_an_unknown_trial_end_last_both_ways(support, with_gaps):
    for sort in ("trial", "-trial"):
        codes = _codes(customer_list(user=support, filters=CustomerFilters(sort=sort)))
        assert sorted(codes[-2:]) == ["", "A"], sort


# --- Pager ---------------------------------------------------------------------------------------------------


@pytest.fixture
def twelve():
    return [make_customer(company_name=f"Firm {i:02}") for i in range(12)]


def _page(page, per_page=5):
    return paginate(SORTS.order(Customer.objects.all(), "members"), page=page, per_page=per_page)


def test_a_page_is_one_query(twelve, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = _page(2)
    assert page.number == 2 and page.paginator.count == 12 and page.paginator.num_pages == 3
    assert len(page.object_list) == 5


@pytest.mark.parametrize("asked", ["abc", "", None, "0", "-3", "1.5"])
def test_a_page_number_that_is_no_page_number_is_the_first_page(twelve, asked):
    page = _page(asked)
    assert page.number == 1 and len(page.object_list) == 5


@pytest.mark.parametrize("asked", ["4", "99", str(MAX_PAGE_NUMBER * 10), "9" * 40])
def test_a_page_past_the_end_is_the_last_page(twelve, asked):
    page = _page(asked)
    assert page.number == 3
    assert [c.company_name for c in page.object_list] == ["Firm 10", "Firm 11"]


def test_an_empty_list_is_one_empty_page(db):
    page = _page("7")
    assert page.number == 1 and page.paginator.count == 0 and list(page.object_list) == []


def test_rows_can_be_light_namespaces(twelve):
    page = paginate(
        SORTS.order(Customer.objects.all(), "members"),
        page=1,
        per_page=3,
        fields=("domain_id", "company_name"),
    )
    assert [r.company_name for r in page.object_list] == ["Firm 00", "Firm 01", "Firm 02"]
    assert page.paginator.count == 12


@pytest.mark.parametrize("asked", ["1", "2", "3", "99", "abc"])
def test_a_page_counted_apart_is_the_same_page_in_two_queries(twelve, asked, django_assert_num_queries):
    qs = SORTS.order(Customer.objects.all(), "members")
    with django_assert_num_queries(2):
        apart = paginate(qs, page=asked, per_page=5, separate_count=True)
    window = paginate(qs, page=asked, per_page=5)
    assert (apart.number, apart.paginator.count) == (window.number, window.paginator.count)
    assert [c.pk for c in apart.object_list] == [c.pk for c in window.object_list]


@pytest.mark.parametrize("separate_count", [False, True])
@pytest.mark.parametrize("asked", ["1", "2", "3", "99"])
def test_past_the_count_cap_a_list_says_more_than_the_cap_and_pages_within_it(
    twelve, settings, asked, separate_count
):
    settings.LIST_COUNT_CAP = 7
    qs = SORTS.order(Customer.objects.all(), "members")
    page = paginate(qs, page=asked, per_page=3, separate_count=separate_count)
    assert page.capped and page.paginator.count == 7 and page.paginator.num_pages == 3
    assert page.number == min(int(asked), 3)
    first = (page.number - 1) * 3
    assert [c.company_name for c in page.object_list] == [f"Firm {i:02}" for i in range(first, first + 3)]


@pytest.mark.parametrize("separate_count", [False, True])
def test_within_the_count_cap_a_list_counts_every_row(twelve, settings, separate_count):
    settings.LIST_COUNT_CAP = 12
    page = paginate(
        SORTS.order(Customer.objects.all(), "members"), page=9, per_page=5, separate_count=separate_count
    )
    assert not page.capped and page.paginator.count == 12 and page.number == 3


def test_a_list_past_the_count_cap_says_so_in_both_languages(client_as, settings):
    settings.LIST_COUNT_CAP = 2
    for i in range(4):
        make_customer(company_name=f"Firm {i}")
    client = client_as(Role.ADMIN)
    english = client.get(reverse("customers:list")).content.decode()
    assert "More than 2 match" in english and "4 customers" not in english
    japanese = client.get(reverse("customers:list"), headers={"Accept-Language": "ja"}).content.decode()
    assert "該当が2件を超えています" in japanese


@pytest.mark.parametrize("separate_count", [False, True])
@pytest.mark.parametrize("asked", ["1", "3", "99"])
def test_a_page_read_keys_first_is_the_same_page_with_the_related_columns(
    asked, separate_count, django_assert_num_queries
):
    """Keys first, then their rows (the customer's name joined for the page's rows alone): the same rows, in
    the same order, with the same total and page number as the one-query pager, past the end included."""
    for i in range(12):
        make_subscription(make_customer(company_name=f"Firm {(i * 7) % 12:02}"))
    sorts = Sorts({"customer": ("customer__sort_name", "subscription_id")}, default="customer")
    qs = sorts.order(Subscription.objects.all(), "-customer")
    fields = ("subscription_id", "customer__company_name")
    # The window count: keys and total, then rows (a page past the end: a count and the last page's keys too).
    # Counted apart: the count, the keys, the rows.
    with django_assert_num_queries(3 if separate_count else 2 if asked != "99" else 4):
        keyed = paginate(
            qs, page=asked, per_page=5, fields=fields, keys_first=True, separate_count=separate_count
        )
    plain = paginate(qs, page=asked, per_page=5, fields=fields)
    assert (keyed.number, keyed.paginator.count) == (plain.number, plain.paginator.count)
    assert [(r.subscription_id, r.customer__company_name) for r in keyed.object_list] == [
        (r.subscription_id, r.customer__company_name) for r in plain.object_list
    ]
    names = [r.customer__company_name for r in keyed.object_list]
    assert names == sorted(names, reverse=True) and names


def test_a_list_read_keys_first_can_be_empty(db):
    page = paginate(
        Subscription.objects.order_by("pk"), page=3, per_page=5, keys_first=True, separate_count=False
    )
    assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, [])


@pytest.mark.parametrize("per_page", [2, 3, 5])
def test_a_page_laid_out_from_its_groups_is_the_same_page(per_page, django_assert_num_queries):
    """Rows in groups (a customer's subscriptions, customers by name), paged from each group's number of rows:
    every page, and a page past the end, has the rows, total and number of the one-query pager, whichever groups
    it starts or ends inside, empty groups included; only the groups a page covers are read."""
    sizes = [3, 0, 1, 4, 2, 0, 5, 1]
    for i, size in enumerate(sizes):
        customer = make_customer(company_name=f"Firm {(i * 5) % len(sizes):02}")
        for _ in range(size):
            make_subscription(customer)
    sorts = Sorts({"customer": ("customer__sort_name", "customer_id", "subscription_id")}, default="customer")
    groups = [
        (c.domain_id, c.subscriptions.count()) for c in Customer.objects.order_by("sort_name", "domain_id")
    ]
    asked_for = []

    def rows_of(keys):
        asked_for.append(keys)
        return sorts.order(Subscription.objects.filter(customer_id__in=keys), "customer")

    plain_qs = sorts.order(Subscription.objects.all(), "customer")
    for asked in [*range(1, -(-sum(sizes) // per_page) + 1), 99]:
        with django_assert_num_queries(1):
            grouped = paginate_in_groups(groups, rows_of, page=asked, per_page=per_page)
        plain = paginate(plain_qs, page=asked, per_page=per_page)
        assert (
            (grouped.number, grouped.paginator.count)
            == (plain.number, plain.paginator.count)
            == (
                min(asked, -(-sum(sizes) // per_page)),
                sum(sizes),
            )
        )
        assert [r.pk for r in grouped.object_list] == [r.pk for r in plain.object_list]
        shown = {r.customer_id for r in grouped.object_list}
        assert shown <= set(asked_for[-1]) and len(asked_for[-1]) <= per_page


def test_a_list_laid_out_from_no_groups_is_one_empty_page(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        page = paginate_in_groups(
            [(1, 0)], lambda keys: Subscription.objects.filter(customer_id__in=keys), page=4, per_page=5
        )
    assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, [])


# --- State and header cells ----------------------------------------------------------------------------------


def _state(rf, params):
    from customers.lists import CUSTOMER_LIST

    return ListState.from_request(rf.get("/customers/", params), CUSTOMER_LIST)


def test_state_ignores_invalid_parameters_and_keeps_the_valid_ones(rf):
    state = _state(rf, {"q": "midori", "trial_within": "abc", "per_page": "7", "sort": "bogus", "page": "x"})
    assert state.filters.q == "midori" and state.filters.trial_within_days is None
    assert state.per_page == 25 and state.sort == "company" and state.filters.sort == "company"
    assert state.page == 1
    assert "trial_within" in state.form.errors


def test_state_reads_sort_page_and_page_size(rf):
    state = _state(rf, {"sort": "-members", "page": "3", "per_page": "100", "product": "ADV"})
    assert (state.sort, state.page, state.per_page, state.filters.product) == ("-members", 3, 100, "ADV")


def test_header_links_keep_the_filters_and_toggle_the_order(rf):
    cells = str(_state(rf, {"q": "midori", "product": "ADV", "sort": "company", "page": "4"}).header_cells())
    # The sorted column links to its other direction, another to its ascending order; both keep the filters
    # and go back to the first page.
    assert 'href="?q=midori&amp;product=ADV&amp;sort=-company"' in cells
    assert 'href="?q=midori&amp;product=ADV&amp;sort=domain"' in cells
    assert "page=" not in cells
    assert 'aria-sort="ascending"' in cells and 'Company<span aria-hidden="true"> ↑</span></a>' in cells
    assert 'data-hx-target="#results"' in cells
    assert '<th scope="col">Plan</th>' in cells  # not sortable: no link
    assert '<th scope="col" class="num"><a href="?q=midori&amp;product=ADV&amp;sort=members"' in cells
    # After the htmx swap, the focus goes back to the link that was used.
    assert 'data-focus-id="sort-members"' in cells


def test_a_descending_column_shows_its_arrow_and_links_to_ascending(rf):
    cells = str(_state(rf, {"sort": "-members"}).header_cells())
    assert 'href="?sort=members"' in cells and 'Members<span aria-hidden="true"> ↓</span></a>' in cells
    assert 'aria-sort="descending"' in cells


def test_the_list_fields_are_added_to_the_form(rf):
    from subscriptions.lists import SUBSCRIPTION_LIST

    customers = _state(rf, {}).form
    assert customers["sort"].is_hidden  # chosen with the column headers
    subscriptions = ListState.from_request(rf.get("/subscriptions/"), SUBSCRIPTION_LIST).form
    assert not subscriptions["sort"].is_hidden
    assert ("-licences", "Licences (descending)") in [
        (v, str(label)) for v, label in subscriptions["sort"].field.choices
    ]
    assert [v for v, _label in subscriptions["per_page"].field.choices] == [25, 50, 100]


# --- Answers -------------------------------------------------------------------------------------------------

LIST_PAGES = ["customers:list", "subscriptions:list", "core:activity"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_an_htmx_swap_of_the_results_gets_the_fragment_only(client_as, name):
    response = client_as(Role.ADMIN).get(
        reverse(name), headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body and "<form" not in body


@pytest.mark.parametrize("name", LIST_PAGES)
def test_any_other_request_gets_the_whole_page(client_as, name):
    client = client_as(Role.ADMIN)
    boosted = client.get(reverse(name), headers={"HX-Request": "true", "HX-Boosted": "true"})
    plain = client.get(reverse(name))
    for response in (boosted, plain):
        body = response.content.decode()
        assert "<html" in body and '<div id="results"' in body and "<form" in body


def test_the_export_is_the_filtered_list_in_the_list_order(client_as):
    make_customer(company_name="Alpha", product_id="ADV")
    make_customer(company_name="Gamma", product_id="ADV")
    make_customer(company_name="Beta", product_id="ADV")
    make_customer(company_name="Other", product_id="STD")
    response = client_as(Role.FINANCE).get(
        reverse("customers:export"), {"product": "ADV", "sort": "-company"}
    )
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 4
    assert [line.split(",")[2] for line in lines[1:]] == ["Gamma", "Beta", "Alpha"]


@pytest.mark.parametrize("value", [None, "", "b", "<x>", "missing"])
def test_a_quick_select_draws_what_djangos_select_draws(value):
    """Every plain select of a list's filter form is drawn in Python (`QuickSelect`): the same markup as Django's
    (whitespace and attribute order aside), the chosen option selected, labels and values escaped."""
    from django import forms
    from django.test.html import parse_html

    from portal.core.rendering import QuickSelect

    choices = [("", "Any"), ("a", "Apple & pear"), ("b", "Banana"), ("<x>", "<b>bold</b>")]
    attrs = {"id": "id_fruit", "aria-describedby": "id_fruit_helptext", "data-hx-get": "/x?a=1&b=2"}
    django_html = forms.Select(choices=choices).render("fruit", value, attrs=attrs)
    quick_html = QuickSelect(choices=choices).render("fruit", value, attrs=attrs)
    assert parse_html(quick_html) == parse_html(django_html)  # attributes in any order, whitespace aside
    if value == "b":
        assert '<option value="b" selected>Banana</option>' in quick_html


def test_every_plain_select_of_a_list_filter_form_is_quick(rf):
    from django import forms

    from options.lists import OPTION_LIST
    from portal.core.lists import ListState
    from portal.core.rendering import QuickSelect

    state = ListState.from_request(rf.get("/options/"), OPTION_LIST)
    selects = [f for f in state.form.fields.values() if isinstance(f.widget, forms.Select)]
    assert len(selects) >= 5 and all(isinstance(f.widget, QuickSelect) for f in selects)


@pytest.mark.parametrize(
    ("name", "args", "role"),
    [
        ("customers:list", [], Role.SUPPORT),
        ("subscriptions:list", [], Role.SUPPORT),
        ("options:list", [], Role.SUPPORT),
        # A worklist section's full list says it as the lists do (it said no full sync had ever finished).
        ("work_list", ["max-users"], Role.SUPPORT),
        ("work_list", ["findings"], Role.FINANCE),
    ],
    ids=["customers", "subscriptions", "options", "worklist max-users", "worklist findings"],
)
def test_each_list_says_when_the_last_full_resync_finished(client_as, name, args, role):
    """The lead of every list says how fresh the copy is: the last full resync that finished, not one still
    running, not a customer's own refresh that finished later, and not the first one that was started."""
    from django.utils import timezone

    from portal.core.models import SyncRun

    client = client_as(role)
    url = reverse(name, args=args)
    assert "No full sync has finished yet." in client.get(url).content.decode()

    def run(kind: str, finished: dt.datetime | None) -> None:
        SyncRun.objects.create(
            kind=kind, scope="all", status="succeeded" if finished else "running", finished_at=finished
        )

    utc = dt.UTC
    run("full", dt.datetime(2026, 11, 2, 1, 0, tzinfo=utc))
    run("full", dt.datetime(2026, 11, 2, 3, 4, tzinfo=utc))  # the last one to finish: 12:04 in Tokyo
    run("full", dt.datetime(2026, 11, 1, 23, 0, tzinfo=utc))  # started last, finished before the others
    run("full", None)
    run("customer", timezone.now())
    assert "Last full sync: 2026-11-02 12:04 JST." in client.get(url).content.decode()
    client.cookies["django_language"] = "ja"
    assert "最終の全件同期：2026-11-02 12:04（日本時間）" in client.get(url).content.decode()


def test_a_remembered_filter_opens_on_its_default_then_on_the_last_choice(rf):
    """`ListSpec.remembered`: a request without the filter takes the session's value or the view's default; a
    request with it is remembered; an over-long value is neither remembered nor used."""
    from dataclasses import replace

    from django import forms

    from customers.lists import CUSTOMER_LIST
    from portal.core.lists import remembered_query

    spec = replace(CUSTOMER_LIST, form=forms.Form, remembered=("owner",))

    def ask(query: dict, session: dict) -> dict:
        request = rf.get("/", query)
        request.session = session
        return remembered_query(request, spec, {"owner": "mine"}).dict()

    session: dict = {}
    assert ask({}, session) == {"owner": "mine"}
    assert session == {}  # a default is not a choice
    assert ask({"owner": "all", "q": "x"}, session) == {"owner": "all", "q": "x"}
    assert ask({"q": "y"}, session) == {"owner": "all", "q": "y"}
    assert ask({"owner": "9" * 100}, session)["owner"] == "9" * 100  # the form ignores it; not remembered
    assert ask({}, session) == {"owner": "all"}
    other = replace(spec, remembered=())
    request = rf.get("/", {})
    request.session = session
    assert remembered_query(request, other, {"owner": "mine"}).dict() == {}


@pytest.mark.django_db
@pytest.mark.parametrize("cap", [2, 4, 5, 9])
def test_a_merged_count_counts_the_rows_of_the_keys_given_up_to_one_past_the_cap(settings, cap):
    """`lists.merged_count` (a searched list's count by a merge, on both databases): the rows whose key is among
    the keys given, however many rows each key has, the rows of the other keys between them left out."""
    from portal.core.lists import merged_count

    settings.LIST_COUNT_CAP = cap
    customers = [make_customer(company_name=f"Firm {n}") for n in range(6)]
    for n, customer in enumerate(customers):
        for _ in range(n % 3):  # none, one or two each
            make_subscription(customer)
    among = [c.domain_id for c in customers if c.company_name[-1] in "1245"]  # 1 + 2 + 1 + 2 rows
    keys = Customer.objects.filter(domain_id__in=among).values("domain_id").order_by("domain_id")
    assert merged_count(Subscription.objects.all(), key="customer_id", among=keys) == min(6, cap + 1)


@pytest.mark.django_db
@pytest.mark.parametrize("merge_from", [1, 4, 5, 100])
@pytest.mark.parametrize("cap", [2, 5, 9])
def test_a_merged_count_gives_the_same_count_whichever_way_the_number_of_keys_sends_it(
    settings, cap, merge_from
):
    """`lists.merged_count` with `merge_from` (the number of keys from which it merges; fewer, it counts by the
    planner's probes): both ways count the rows of the keys given, up to one past the cap."""
    from django.db.models import Value

    from portal.core.lists import merged_count

    settings.LIST_COUNT_CAP = cap
    customers = [make_customer(company_name=f"Firm {n}") for n in range(6)]
    for n, customer in enumerate(customers):
        for _ in range(n % 3):  # none, one or two each
            make_subscription(customer)
    among = [c.domain_id for c in customers if c.company_name[-1] in "1245"]  # 4 keys: 1 + 2 + 1 + 2 rows
    keys = Customer.objects.filter(domain_id__in=among).values("domain_id").order_by("domain_id")
    threshold = Customer.objects.annotate(n=Value(merge_from)).values("n")[:1]
    count = merged_count(Subscription.objects.all(), key="customer_id", among=keys, merge_from=threshold)
    assert count == min(6, cap + 1)


def test_the_one_renderer_draws_each_row_from_its_columns_cells_escaping_every_text(rf):
    """No app writes row HTML: a column declares its cell (an attribute, a function, parts) and core draws it."""
    from types import SimpleNamespace

    from django import forms

    from portal.core.lists import Badge, Below, Code, Column, ListSpec, Muted, Tick, draw_rows

    class Form(forms.Form):
        def to_filters(self, data):
            return data

    spec = ListSpec(
        form=Form,
        sorts=Sorts({"name": ("name",)}, default="name"),
        columns=(
            Column("Name", value="name", link=lambda row, page: f"/x/{row.key}/", testid="name-link"),
            Column(
                "What",
                value=lambda row, page: (Badge(row.kind, "warn"), Below(Muted((Code(row.key), "<b>")))),
            ),
            Column("Count", numeric=True, value="count"),
            Column("Extra", value="count", when=lambda page: page.get("extra")),
        ),
        template="x.html",
        row_attrs=(("data-key", "key"),),
        tick=Tick(key="key", name="name"),
    )
    state = ListState.from_request(rf.get("/"), spec)
    rows = [SimpleNamespace(key=7, name="A & <B>", kind="Late", count=None)]
    drawn = str(draw_rows(state, rows, {}))
    assert drawn == (
        '<tr data-key="7"><td><a href="/x/7/" data-testid="name-link">A &amp; &lt;B&gt;</a></td>'
        '<td><span class="badge badge-warn">Late</span> <br><span class="muted"><code>7</code> &lt;b&gt;</span></td>'
        '<td class="num"></td></tr>'
    )
    state.bulk_actions = ["an action"]
    ticked = str(draw_rows(state, rows, {"extra": True}))
    assert ticked.startswith('<tr data-key="7"><td><input type="checkbox" form="bulk" name="keys" value="7"')
    assert "Choose A &amp; &lt;B&gt;" in ticked and ticked.count("<td") == 5


def test_the_one_renderer_draws_a_grouped_list_a_heading_row_each_group_escaping_every_text():
    """A grouped list (the Scheduled changes agenda, by day): the columns' header once, a `<tbody>` per group with
    its attributes, opened by a heading row across the shown columns, then its rows as a list's rows are drawn."""
    from types import SimpleNamespace

    from portal.core.lists import Badge, Column, GroupedList, Link, draw_groups

    spec = GroupedList(
        columns=(
            Column("Kind", value=lambda row, page: Badge(row.kind, testid="kind")),
            Column("Name", value="name", link=lambda row, page: f"/x/{row.key}/?a=1&b=2"),
            Column("", value=lambda row, page: Link(page["word"], "/form/", "form-link", "btn btn-small")),
            Column("Hidden", value="name", when=lambda page: page.get("extra")),
        ),
        heading=lambda key, page: (key.upper(), Badge("<Today>", "info") if key == page["today"] else None),
        row_attrs=(("data-key", "key"),),
        group_attrs=(("data-group", lambda key, page: key),),
        group_css="day",
        page=lambda context: {"word": "Change & go"},
    )
    groups = [
        ("mon", [SimpleNamespace(key=1, kind="A<", name="O'Neil & Co")]),
        (
            'tue"',
            [SimpleNamespace(key=2, kind="B", name="<script>"), SimpleNamespace(key=3, kind="C", name="")],
        ),
    ]
    drawn = str(draw_groups(spec, groups, {"today": "mon"}))
    assert drawn.startswith(
        '<thead><tr><th scope="col">Kind</th><th scope="col">Name</th><td></td></tr></thead>'
    )
    assert "Hidden" not in drawn  # a column the page does not show: neither its header nor its cells
    assert drawn.count("<tbody") == 2 and drawn.count("</tbody>") == 2
    assert (
        '<tbody class="day" data-group="mon"><tr class="group-head"><th scope="rowgroup" colspan="3">MON '
        '<span class="badge badge-info">&lt;Today&gt;</span></th></tr>'
    ) in drawn
    assert (
        '<tbody class="day" data-group="tue&quot;"><tr class="group-head"><th scope="rowgroup" colspan="3">TUE&quot;</th>'
        in drawn
    )
    assert (
        '<tr data-key="1"><td><span class="badge" data-testid="kind">A&lt;</span></td>'
        '<td><a href="/x/1/?a=1&amp;b=2">O&#x27;Neil &amp; Co</a></td>'
        '<td><a class="btn btn-small" href="/form/" data-testid="form-link">Change &amp; go</a></td></tr>'
    ) in drawn
    assert "&lt;script&gt;" in drawn and "<script>" not in drawn
    assert drawn.count('<tr data-key="') == 3
    assert 'colspan="4"' in str(draw_groups(spec, groups[:1], {"today": "", "extra": True}))


def test_a_link_s_title_and_cells_a_page_draws_once():
    """A link's tooltip is escaped as its text is; `DrawnOnce` draws a repeated cell once per page, as
    `draw_cell` draws it, and the renderer draws that markup as it is."""
    from portal.core.lists import Badge, DrawnOnce, Link, Muted, draw_cell

    link = Link((Muted("Kind"), "A & B"), "/x/?a=1&b=2", title='Kind: "C" <d>')
    assert str(draw_cell(link)) == (
        '<a href="/x/?a=1&amp;b=2" title="Kind: &quot;C&quot; &lt;d&gt;"><span class="muted">Kind</span> A &amp; B</a>'
    )
    texts, badges = DrawnOnce(), DrawnOnce(lambda kind: Badge(kind, "warn"))
    assert texts["<b>"] == "&lt;b&gt;" and texts["<b>"] is texts["<b>"]
    assert badges["Late"] == '<span class="badge badge-warn">Late</span>'
    assert draw_cell(Link(texts["<b>"], "/y/")) == '<a href="/y/">&lt;b&gt;</a>'


def test_the_month_grid_draws_each_day_its_items_and_more_escaping_every_text():
    from types import SimpleNamespace

    from portal.core.lists import Link, MonthGrid, draw_month

    def day(n, *, items=(), more=0, in_month=True, past=False, today=False):
        return SimpleNamespace(
            date=dt.date(2026, 12, n),
            in_month=in_month,
            is_past=past,
            is_today=today,
            items=list(items),
            more=more,
        )

    item = SimpleNamespace(kind="pre<order", name="A&B <Co>", url="/c/1/?a=1&b=2")
    grid = MonthGrid(
        item=lambda i, page: Link(i.name, i.url),
        item_attrs=(("data-kind", "kind"),),
        more_href=lambda d, page: f"date_from={d.date.isoformat()}&q={page['q']}",
        more="+%(n)s more",
        target="#agenda",
    )
    week = [day(1, past=True), day(2, items=[item], more=4, today=True), day(31, in_month=False)]
    html = draw_month(grid, [week], {"q": "<x>"})
    assert html.startswith("<tr>") and html.endswith("</tr>") and html.count("<td") == 3
    assert '<td class="cal-day cal-past" data-day="2026-12-01">' in html
    assert '<td class="cal-day cal-today" data-day="2026-12-02" aria-current="date">' in html
    assert '<td class="cal-day cal-outside" data-day="2026-12-31">' in html
    assert '<li data-kind="pre&lt;order"><a href="/c/1/?a=1&amp;b=2">A&amp;B &lt;Co&gt;</a></li>' in html
    assert 'href="?date_from=2026-12-02&amp;q=&lt;x&gt;"' in html and 'data-hx-target="#agenda"' in html
    assert ">+4 more</a>" in html and "<x>" not in html and "Today" in html
