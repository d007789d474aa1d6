import datetime as dt

import pytest

from customers import selectors
from customers.lists import CUSTOMER_LIST
from customers.models import Customer, normalise_search
from customers.permissions import VIEW_CUSTOMERS
from customers.selectors import CustomerFilters, Removed
from portal.core import clock
from portal.core.access import can
from portal.core.csv_export import csv_rows
from portal.core.lists import export_table
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


def _ids(qs):
    return [c.domain_id for c in qs]


def test_normalise_search_folds_width_and_case():
    assert normalise_search("ＡＢＣ Corp") == "abccorp"
    assert normalise_search("株式会社 ﾔﾏﾀﾞ") == "株式会社やまだ"


def test_search_folds_katakana_hiragana_width_and_long_vowels_both_ways(support):
    sakura = [make_customer(company_name=name) for name in ("さくら商事", "株式会社サクラ", "ｻｸﾗ工業")]
    server = make_customer(company_name="サーバー管理株式会社")
    for q, expected in [
        ("サクラ", sakura),
        ("さくら", sakura),
        ("ｻｸﾗ", sakura),
        ("サーバー", [server]),
        ("サーバ", [server]),
        ("さーば", [server]),
        ("ｻｰﾊﾞｰ", [server]),
    ]:
        found = selectors.customer_list(user=support, filters=CustomerFilters(q=q))
        assert set(_ids(found)) == {c.domain_id for c in expected}, q


def test_names_sort_ignoring_legal_form_while_showing_the_full_name(support):
    names = ["株式会社いろは", "あおば合同会社", "(株)うみ", "㈲えがお", "Acme Inc.", "有限会社 かもめ"]
    for name in names:
        make_customer(company_name=name)
    found = selectors.customer_list(user=support, filters=CustomerFilters(sort="company"))
    assert [c.company_name for c in found] == [
        "Acme Inc.",
        "あおば合同会社",
        "株式会社いろは",
        "(株)うみ",
        "㈲えがお",
        "有限会社 かもめ",
    ]
    backwards = selectors.customer_list(user=support, filters=CustomerFilters(sort="-company"))
    assert [c.company_name for c in backwards][0] == "有限会社 かもめ"


def test_search_matches_company_domain_code_and_domain_id(support):
    a = make_customer(
        company_name="株式会社サクラ商事", domain="sakura.example.jp", customer_code="CUST-0042"
    )
    b = make_customer(company_name="Acme Trading", domain="acme.example.com")
    for q, expected in [
        ("サクラ", [a]),
        ("さくら", [a]),
        ("ACME", [b]),
        ("acme.example", [b]),
        ("cust-00", [a]),
        (str(b.domain_id)[-4:], [b]),
        ("株式会社 サクラ", [a]),
        ("ｻｸﾗ", [a]),
    ]:
        found = selectors.customer_list(user=support, filters=CustomerFilters(q=q))
        assert _ids(found) == [c.domain_id for c in expected], q


def test_filters_plan_contract_status_trial_scheduled(support):
    today = clock.today()
    trial = make_customer(product_id="ADV_T", plan="TRIAL", trial_ends_on=today + dt.timedelta(days=5))
    late_trial = make_customer(product_id="STD_T", plan="TRIAL", trial_ends_on=today + dt.timedelta(days=40))
    suspended = make_customer(usage_status="SUSPENDED_ADMIN")
    scheduled = make_customer(renewal_apply_date=today + dt.timedelta(days=3), renewal_max_member_count=100)

    def run(**kw):
        return set(_ids(selectors.customer_list(user=support, filters=CustomerFilters(**kw))))

    assert run(product="ADV_T") == {trial.domain_id}
    assert run(plan="TRIAL") == {trial.domain_id, late_trial.domain_id}
    assert run(status="SUSPENDED_ADMIN") == {suspended.domain_id}
    assert run(trial_within_days=7) == {trial.domain_id}
    assert run(trial_within_days=60) == {trial.domain_id, late_trial.domain_id}
    assert run(scheduled=True) == {scheduled.domain_id}


def test_removed_customers_hidden_by_default_and_shown_on_request(support):
    kept = make_customer()
    gone = make_customer(removed_at=kept.synced_at)
    assert _ids(selectors.customer_list(user=support, filters=CustomerFilters())) == [kept.domain_id]
    assert _ids(selectors.customer_list(user=support, filters=CustomerFilters(removed=Removed.ONLY))) == [
        gone.domain_id
    ]
    assert len(selectors.customer_list(user=support, filters=CustomerFilters(removed=Removed.INCLUDE))) == 2


def test_sorting(support):
    make_customer(company_name="B", member_count=1)
    make_customer(company_name="A", member_count=3)
    make_customer(company_name="C", member_count=2)
    names = lambda sort: [  # noqa: E731
        c.company_name for c in selectors.customer_list(user=support, filters=CustomerFilters(sort=sort))
    ]
    assert names("company") == ["A", "B", "C"]
    assert names("-company") == ["C", "B", "A"]
    assert names("members") == ["B", "C", "A"]
    assert names("no-such-sort") == ["A", "B", "C"]


@pytest.mark.parametrize("per_page", [25, 100])
@pytest.mark.parametrize(
    ("q", "queries"),
    [
        ("firm", 3),  # searched: the count up to the cap, the page's customers in name order, their rows
        ("", 2),  # as it opens: the count apart, then one page
    ],
)
def test_page_query_count_is_constant(support, django_assert_num_queries, per_page, q, queries):
    for i in range(120):
        make_customer(company_name=f"Firm {i:03}")
    can(support, VIEW_CUSTOMERS)  # the role is read once per user object (a request's)
    with django_assert_num_queries(queries):
        page = selectors.customer_page(user=support, filters=CustomerFilters(q=q), page=2, per_page=per_page)
        rows = list(page.object_list)
    assert len(rows) == min(per_page, 120 - per_page)
    assert page.paginator.count == 120
    assert [r.company_name for r in rows][0] == f"Firm {per_page:03}"


def test_list_requires_permission(db):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        selectors.customer_list(user=AnonymousUser(), filters=CustomerFilters())


def test_csv_rows_are_exactly_the_filtered_list(support):
    for i in range(30):
        make_customer(company_name=f"Kept {i}", product_id="ADV")
    make_customer(company_name="Other", product_id="STD")
    rows = selectors.customer_list(user=support, filters=CustomerFilters(product="ADV"))
    table = export_table(CUSTOMER_LIST, rows)
    lines = list(csv_rows(table.header, table.rows))
    assert len(lines) == 31
    assert lines[0].startswith("\ufeffDomain ID,")
    assert all("Other" not in line for line in lines)


def test_scheduled_flag_follows_usage_fields():
    c = make_customer()
    assert not c.has_scheduled_changes
    c.withdrawal_date = dt.date(2027, 1, 31)
    c.save(update_fields=["withdrawal_date"])
    assert Customer.objects.get(pk=c.pk).has_scheduled_changes
    c.usage_status = "SUSPENDED_WITHDRAWAL"
    c.save()
    assert not Customer.objects.get(pk=c.pk).has_scheduled_changes


def test_paging_by_customer_refuses_an_order_that_does_not_list_rows_by_customer(db):
    """Rows ordered by anything but the customer's name and domainId first would not come a customer at a time,
    so a page laid out from each customer's number of rows would show the wrong rows: refused, not guessed."""
    from options.models import Option
    from options.selectors import SORTS

    with pytest.raises(ValueError, match="does not list rows by customer"):
        selectors.page_by_customer(
            Option.objects.all(), "firm", sorts=SORTS, sort="-end", page=1, per_page=25
        )


def test_counting_the_rows_of_live_customers_found_counts_what_the_list_lists(db):
    """`count_live_and_found` (without a search: all rows less the removed customers') counts what
    `live_and_found` lists, with and without filters or a search, whether no customer, one or several were
    removed."""
    from django.utils import timezone

    from options.models import Option
    from tests.options.factories import make_option

    customers = [make_customer(company_name=f"Firm {i}") for i in range(6)]
    for i, customer in enumerate(customers):
        make_option(customer, option_product_id="SSTG2", sub_option_id="SSTG203")
        if i % 2:
            make_option(customer, option_product_id="BCT", sub_option_id="BCT01", quantity=2)
    lists = [
        Option.objects.all(),
        Option.objects.filter(option_product_id="BCT"),
        Option.objects.filter(quantity__gte=2),
        Option.objects.filter(option_product_id="ACV2"),
    ]
    expected = [[9, 3, 3, 0], [7, 2, 2, 0], [5, 1, 1, 0]]
    for removed, counts in zip((None, 1, 3), expected, strict=True):
        if removed is not None:
            Customer.objects.filter(pk=customers[removed].pk).update(removed_at=timezone.now())
        for q in ("", "  "):
            assert [selectors.count_live_and_found(qs, q) for qs in lists] == counts
            assert [selectors.live_and_found(qs, q).count() for qs in lists] == counts
    # Searched (customers 1 and 3 removed): "firm" finds the four others, whose options are the 5, 1, 1, 0 left.
    assert [selectors.count_live_and_found(qs, "firm") for qs in lists] == [5, 1, 1, 0]
    for q in ("Firm 1", "Firm 5", "firm 4", "nobody"):
        assert [selectors.count_live_and_found(qs, q) for qs in lists] == [
            selectors.live_and_found(qs, q).count() for qs in lists
        ], q
