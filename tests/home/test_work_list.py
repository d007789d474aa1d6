"""A worklist section's "N in all" opens its full list: the same items as the home page's section, each with its
form's link (blanked for those who may not change), the Owner filter, sort, pages and the downloads.
Business date: 2026-11-21 (Tokyo)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from portal.core.access import Role
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.downloads import body
from tests.fixtures.personas import make_persona

MAX_USERS = reverse("work_list", args=["max-users"])


@pytest.fixture
def crowd(db, frozen):
    """30 customers near their maximum users: 27 the Account manager persona's, 3 another's."""
    me = make_persona(Role.ACCOUNT_MANAGER)
    other = make_persona(Role.ACCOUNT_MANAGER, "other-manager")
    customers = []
    for i in range(30):
        customer = make_customer(
            company_name=f"Crowd {i:02d} KK", member_count=45 + i % 5, max_member_count=50
        )
        make_owner(customer, me if i < 27 else other)
        customers.append(customer)
    return customers


def _rows(html: str) -> list[str]:
    # Each row's link to its customer (a row's checkbox names the customer too).
    return re.findall(r">(Crowd \d\d KK)</a>", re.search(r"<tbody>.*?</tbody>", html, re.S).group(0))


def _home_count(client, key: str) -> int:
    html = client.get(reverse("home")).content.decode()
    section = re.search(rf'<section[^>]*data-work="{key}".*?</section>', html, re.S).group(0)
    assert reverse("work_list", args=[key]) in section, "the section's count links to its full list"
    return int(re.search(r"data-work-count>(\d+)<", section).group(1))


def test_the_full_list_holds_as_many_items_as_the_section_s_n_in_all(client_as, crowd):
    client = client_as(Role.ACCOUNT_MANAGER)
    assert _home_count(client, "max-users") == 27
    html = client.get(MAX_USERS).content.decode()
    assert "27 in all" in html
    first = _rows(html)
    assert len(first) == 25 and "Crowd 27 KK" not in html  # another manager's customer
    second = _rows(client.get(MAX_USERS, {"page": 2}).content.decode())
    assert len(second) == 2 and not set(first) & set(second)
    # Each row keeps its action: the same form as on the home page.
    assert html.count(">Change maximum users</a>") == 25
    assert reverse("customers:usage", args=[crowd[0].domain_id]) in html


def test_the_owner_filter_opens_on_mine_for_an_account_manager_and_offers_everyone_s(client_as, crowd):
    client = client_as(Role.ACCOUNT_MANAGER)
    html = client.get(MAX_USERS, {"owner": "all", "per_page": 50}).content.decode()
    assert "30 in all" in html and len(_rows(html)) == 30
    html = client.get(MAX_USERS, {"per_page": 50}).content.decode()  # remembered, as the lists' Owner filter
    assert "30 in all" in html


def test_an_admin_s_full_list_opens_on_their_home_page_choice(client_as, crowd):
    client = client_as(Role.ADMIN)
    client.get(reverse("home"), {"owner": "none"})
    assert "Nothing to do here." in client.get(MAX_USERS).content.decode()
    client.get(reverse("home"), {"owner": "all"})
    assert _home_count(client, "max-users") == 30
    assert "30 in all" in client.get(MAX_USERS, {"owner": "all"}).content.decode()


def test_support_reads_the_same_items_without_the_forms(client_as, crowd):
    html = client_as(Role.SUPPORT).get(MAX_USERS, {"per_page": 50}).content.decode()
    assert "30 in all" in html
    assert (
        "Change maximum users" not in html
        and reverse("customers:usage", args=[crowd[0].domain_id]) not in html
    )


def test_sorting_by_customer_either_way(client_as, crowd):
    client = client_as(Role.ACCOUNT_MANAGER)
    up = _rows(client.get(MAX_USERS, {"sort": "customer", "per_page": 50}).content.decode())
    down = _rows(client.get(MAX_USERS, {"sort": "-customer", "per_page": 50}).content.decode())
    assert up == sorted(up) and down == list(reversed(up)) and len(up) == 27


def test_the_download_is_exactly_the_filtered_list(client_as, crowd):
    client = client_as(Role.ACCOUNT_MANAGER)
    export = reverse("work_export", args=["max-users"])
    html = client.get(MAX_USERS).content.decode()
    assert export in html
    response = client.get(export, {"sort": "-customer"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Customer", "What"]
    assert [row[0] for row in rows[1:]] == [f"Crowd {i:02d} KK" for i in reversed(range(27))]
    assert rows[1][-1] == f"http://testserver/customers/{crowd[26].domain_id}/"
    assert "Date" not in rows[0] and len(rows[0]) == 5  # a section without dates has no date column
    workbook = client.get(export, {"format": "xlsx", "owner": "all"})
    assert workbook["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_download_read_a_batch_at_a_time_is_the_whole_list_once_each_in_its_order(
    client_as, crowd, monkeypatch
):
    """A section of a year's activity is tens of thousands of items: its download reads a page of the full list
    at a time. Batches of four (27 items: the last one short) give every item once, in the list's order."""
    from home import worklist

    client = client_as(Role.ACCOUNT_MANAGER)
    export = reverse("work_export", args=["max-users"])

    def download() -> list[list[str]]:
        return list(
            csv.reader(io.StringIO(body(client.get(export, {"sort": "-customer"})).decode("utf-8-sig")))
        )

    whole = download()
    monkeypatch.setattr(worklist, "DOWNLOAD_BATCH", 4)
    assert download() == whole and len(whole) == 1 + 27
    monkeypatch.setattr(worklist, "DOWNLOAD_BATCH", 27)  # a last batch exactly full: one more read, empty
    assert download() == whole


def test_each_role_opens_only_the_sections_it_sees(client_as, db):
    assert client_as(Role.FINANCE).get(MAX_USERS).status_code == 403
    assert client_as(Role.ACCOUNT_MANAGER).get(reverse("work_list", args=["findings"])).status_code == 403
    assert client_as(Role.ACCOUNT_MANAGER).get(reverse("work_list", args=["unassigned"])).status_code == 403
    assert client_as(Role.ADMIN).get(reverse("work_list", args=["no-such-section"])).status_code == 404
    assert client_as(Role.FINANCE).get(reverse("work_list", args=["findings"])).status_code == 200


@pytest.mark.parametrize(
    "query", [{"page": "x"}, {"page": "999999"}, {"sort": "evil"}, {"per_page": "7"}, {"owner": "<b>"}]
)
def test_bad_parameters_are_ignored(client_as, crowd, query):
    response = client_as(Role.ACCOUNT_MANAGER).get(MAX_USERS, query)
    assert response.status_code == 200 and "in all" in response.content.decode()


def test_the_full_list_in_japanese(client_as, crowd):
    html = client_as(Role.ACCOUNT_MANAGER).get(MAX_USERS, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "全27件" in html and "最大利用人数に達している・近い顧客" in html


def test_a_section_of_decisions_lists_each_deadline_labelled(client_as, db, frozen):
    from tests.subscriptions.factories import make_subscription

    manager = make_persona(Role.ACCOUNT_MANAGER)
    customer = make_customer(company_name="Renews Soon KK")
    sub = make_subscription(
        customer, plan="MONTHLY", plan_end_date=dt.date(2026, 11, 30), renewal_type="STAY"
    )
    make_owner(customer, manager)
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("work_list", args=["renewal-decisions"])
    html = client.get(url).content.decode()
    # The dates under the section's own heading, sortable: "Decide by", not "Date".
    assert re.search(r'<th scope="col"[^>]*><a [^>]*>Decide by<span', html)
    assert '<time datetime="2026-11-30">2026-11-30</time>' in html
    assert reverse("subscriptions:renewal", args=[sub.subscription_id]) in html
    ja = client.get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert re.search(r'<th scope="col"[^>]*><a [^>]*>判断期限<span', ja)


# --- Bulk changes from a section's full list (the items are rows of a list with bulk actions) ----------------


def test_a_sections_full_list_offers_its_lists_bulk_actions_on_its_own_items(client_as, crowd):
    from portal.core.models import Batch

    client = client_as(Role.ACCOUNT_MANAGER)
    html = client.get(MAX_USERS).content.decode()
    assert 'data-testid="bulk-bar"' in html and 'value="customers.max_users"' in html
    assert 'name="source" value="work:max-users"' in html
    assert html.count('data-testid="bulk-tick"') == 25
    assert f'value="{crowd[0].domain_id}"' in html
    new = reverse("core:bulk_new")
    # "All N" is the section's items as filtered (the manager's own 27), not the customer list's filter.
    chosen = client.get(new, {"action": "customers.max_users", "source": "work:max-users", "all": "1"})
    text = chosen.content.decode()
    assert "27 rows are chosen" in text
    assert f'href="{MAX_USERS}" data-testid="bulk-back"' in text
    everyone = client.get(
        new, {"action": "customers.max_users", "source": "work:max-users", "all": "1", "owner": "all"}
    )
    assert "30 rows are chosen" in everyone.content.decode()
    keys = re.findall(r'name="keys" value="(\d+)"', text)
    made = client.post(
        new,
        {"action": "customers.max_users", "source": "work:max-users", "keys": keys, "max_member_count": "60"},
    )
    assert made.status_code == 302
    batch = Batch.objects.get()
    assert batch.rows.count() == 27 and "Crowd 27 KK" not in {r.label for r in batch.rows.all()}


def test_support_gets_no_bar_and_support_and_finance_cannot_start_one_from_a_section(client_as, crowd):
    html = client_as(Role.SUPPORT).get(MAX_USERS).content.decode()
    assert "bulk-bar" not in html and "bulk-tick" not in html
    query = {"action": "customers.max_users", "source": "work:max-users", "all": "1"}
    for role in (Role.SUPPORT, Role.FINANCE):
        assert client_as(role).get(reverse("core:bulk_new"), query).status_code == 403, role


def test_an_action_of_another_list_or_an_unknown_source_chooses_nothing(client_as, crowd):
    client = client_as(Role.ACCOUNT_MANAGER)
    new = reverse("core:bulk_new")
    other = client.get(new, {"action": "subscriptions.renewal", "source": "work:max-users", "all": "1"})
    assert "Choose at least one row on the list first." in other.content.decode()
    unknown = client.get(new, {"action": "customers.max_users", "source": "nowhere:x", "all": "1"})
    assert unknown.status_code == 404
    hidden = client.get(new, {"action": "customers.max_users", "source": "work:unassigned", "all": "1"})
    assert hidden.status_code == 403  # a section an Account manager does not see


def test_renewal_decisions_offer_the_subscriptions_bulk_actions(client_as, db, frozen):
    from tests.subscriptions.factories import make_subscription

    sub = make_subscription(plan_end_date=dt.date(2026, 11, 30), renewal_type="STAY")
    client = client_as(Role.ACCOUNT_MANAGER)
    html = client.get(reverse("work_list", args=["renewal-decisions"]), {"owner": "all"}).content.decode()
    assert 'value="subscriptions.renewal"' in html and f'value="{sub.pk}"' in html
    chosen = client.get(
        reverse("core:bulk_new"),
        {"action": "subscriptions.renewal", "source": "work:renewal-decisions", "all": "1", "owner": "all"},
    )
    assert "1 row is chosen" in chosen.content.decode()


# --- One page read, counted up to the cap (a section's full list on the house's list machinery) -------------


def test_a_page_of_the_full_list_is_ordered_skipped_and_limited_in_the_database(client_as, crowd):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(Role.ACCOUNT_MANAGER)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(MAX_USERS, {"sort": "-customer", "page": 2}).content.decode()
    # The last two of the manager's 27 in the list's order, across the whole section, not within a page.
    assert _rows(html) == ["Crowd 01 KK", "Crowd 00 KK"] and "27 in all" in html
    assert any("LIMIT 25 OFFSET 25" in q["sql"] for q in queries.captured_queries), "one page read"


def test_the_full_list_counts_up_to_the_lists_cap(client_as, crowd, settings):
    settings.LIST_COUNT_CAP = 20
    html = client_as(Role.ACCOUNT_MANAGER).get(MAX_USERS, {"sort": "-customer"}).content.decode()
    assert "More than 20 match" in html and "27 in all" not in html
    assert _rows(html)[:2] == ["Crowd 26 KK", "Crowd 25 KK"] and len(_rows(html)) == 25


def test_a_page_past_the_end_shows_the_last_page(client_as, crowd):
    html = client_as(Role.ACCOUNT_MANAGER).get(MAX_USERS, {"sort": "customer", "page": 5}).content.decode()
    assert _rows(html) == ["Crowd 25 KK", "Crowd 26 KK"] and "Page 2 of 2" in html


def test_dated_items_sort_by_date_across_pages(client_as, db, frozen):
    from tests.subscriptions.factories import make_subscription

    for i in range(27):
        make_subscription(
            make_customer(company_name=f"Crowd {i:02d} KK"),
            plan="MONTHLY",
            plan_end_date=dt.date(2026, 11, 22) + dt.timedelta(days=i % 10),
            renewal_type="STAY",
        )
    client = client_as(Role.SUPPORT)
    url = reverse("work_list", args=["renewal-decisions"])
    both = [
        _rows(client.get(url, {"sort": "-day", "page": n, "owner": "all"}).content.decode()) for n in (1, 2)
    ]
    days = {f"Crowd {i:02d} KK": i % 10 for i in range(27)}
    read = [days[name] for name in both[0] + both[1]]
    assert len(read) == 27 and read == sorted(read, reverse=True)


def test_all_n_of_a_section_past_a_bulk_change_is_refused_on_its_count_and_the_first_ones_taken(
    client_as, crowd, settings
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.BULK_MAX_ROWS = 20
    client = client_as(Role.ACCOUNT_MANAGER)
    query = {"action": "customers.max_users", "source": "work:max-users", "all": "1"}
    with CaptureQueriesContext(connection) as queries:
        text = client.get(reverse("core:bulk_new"), query).content.decode()
    assert "More than 20 rows are chosen; a bulk change takes at most 20." in text
    assert "27 rows" not in text and 'data-testid="bulk-form"' not in text
    # Refused on the section's count (its first item and a count up to the cap), no item read past the first.
    read = [q["sql"] for q in queries.captured_queries if 'FROM "customers_customer"' in q["sql"]]
    assert not any("LIMIT 21" in sql for sql in read), "the section's items were read"
    assert any(sql.endswith("LIMIT 1") for sql in read), read
    # The first 20 in the list's order, when the user takes them.
    first = client.get(reverse("core:bulk_new"), {**query, "first": "1", "sort": "customer"}).content.decode()
    assert "20 rows are chosen" in first
    keys = re.findall(r'name="keys" value="(\d+)"', first)
    assert keys == [str(c.domain_id) for c in crowd[:20]]


def test_the_scheduled_changes_full_list_pages_without_repeating_or_losing_an_item(client_as, db, frozen):
    from tests.subscriptions.factories import make_reservation, make_subscription

    for i in range(30):
        subscription = make_subscription(make_customer(company_name=f"Crowd {i:02d} KK"))
        make_reservation(subscription, apply_date=dt.date(2026, 11, 22) + dt.timedelta(days=i % 3))
    client = client_as(Role.SUPPORT)
    url = reverse("work_list", args=["scheduled"])
    pages = [
        re.findall(r">(Crowd \d\d KK)<", client.get(url, {"page": n, "owner": "all"}).content.decode())
        for n in (1, 2)
    ]
    assert len(pages[0]) == 25 and len(pages[1]) == 5
    assert sorted(pages[0] + pages[1]) == [f"Crowd {i:02d} KK" for i in range(30)]
    # By date, then company, across the pages.
    read = [(i % 3, f"Crowd {i:02d} KK") for i in range(30)]
    assert pages[0] + pages[1] == [name for _day, name in sorted(read)]


def test_trials_page_by_date_and_by_customer_reading_each_page_s_rows_by_their_keys(client_as, db, frozen):
    """A trials section's page reads its keys along the trials' index, then those rows alone with their
    customers' names: every trial across the two pages once, in the order asked, the last page counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.subscriptions.factories import make_subscription

    for i in range(27):
        make_subscription(
            make_customer(company_name=f"Crowd {i:02d} KK", plan="TRIAL"),
            product_id="STD_T",
            plan="TRIAL",
            plan_end_date=dt.date(2026, 11, 22) + dt.timedelta(days=(i * 7) % 10),
        )
    client = client_as(Role.SUPPORT)
    url = reverse("work_list", args=["trials-ending"])
    days = {f"Crowd {i:02d} KK": (i * 7) % 10 for i in range(27)}
    with CaptureQueriesContext(connection) as queries:
        by_day = [_rows(client.get(url, {"sort": "day", "page": n}).content.decode()) for n in (1, 2)]
    assert len(by_day[0]) == 25 and sorted(by_day[0] + by_day[1]) == sorted(days)
    assert [days[name] for name in by_day[0] + by_day[1]] == sorted(days.values())
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "subscriptions_subscription"' in q["sql"]]
    keys = [sql for sql in reads if "LIMIT 25" in sql]
    assert keys and all("JOIN" not in sql and "company_name" not in sql for sql in keys), "the keys alone"
    by_name = [_rows(client.get(url, {"sort": "-customer", "page": n}).content.decode()) for n in (1, 2)]
    assert by_name[0] + by_name[1] == sorted(days, reverse=True)
    assert "27 in all" in client.get(url, {"page": 2}).content.decode()


@pytest.mark.parametrize("key", ["unassigned", "billing-details"])
def test_page_2_of_a_list_of_customers_holds_the_next_ones_by_name(client_as, db, frozen, key):
    """Customers without an owner, or without billing details, 27 of them among customers that have both: page 2
    holds the last two by name either way, each once, read by their keys after the index skipped page 1."""
    from invoicing.models import CustomerBilling

    me = make_persona(Role.ACCOUNT_MANAGER)
    for i in range(40):
        customer = make_customer(company_name=f"Crowd {i:02d} KK")
        if i % 3 == 2:  # 13 with both: on neither list
            make_owner(customer, me)
            CustomerBilling.objects.create(domain_id=customer.domain_id, bill_to_name="Crowd")
    lacking = [f"Crowd {i:02d} KK" for i in range(40) if i % 3 != 2]
    client = client_as(Role.ADMIN)
    url = reverse("work_list", args=[key])
    pages = [_rows(client.get(url, {"sort": "customer", "page": n}).content.decode()) for n in (1, 2)]
    assert pages[0] + pages[1] == lacking and pages[1] == lacking[25:]
    backwards = [_rows(client.get(url, {"sort": "-customer", "page": n}).content.decode()) for n in (1, 2)]
    assert backwards[1] == lacking[:2][::-1]


@pytest.mark.parametrize("key", ["max-users", "stale"])
def test_an_account_managers_full_list_reads_their_customers_page_by_page(client_as, db, frozen, key):
    """As "Mine", a section of customers reads its page's keys first (the owner's customers in a hash), then
    those customers: every one of theirs once, in the section's order, page after page, none of another's; the
    same items as everyone's list narrowed to them."""
    me = make_persona(Role.ACCOUNT_MANAGER)
    other = make_persona(Role.ACCOUNT_MANAGER, "other-manager")
    for i in range(40):
        customer = make_customer(
            company_name=f"Crowd {i:02d} KK", member_count=45 + i % 5, max_member_count=50
        )
        if key == "stale":
            type(customer).objects.filter(pk=customer.pk).update(
                synced_at=customer.synced_at - dt.timedelta(days=3, minutes=i)
            )
        make_owner(customer, me if i % 4 else other)
    url = reverse("work_list", args=[key])
    everyone = _rows(client_as(Role.ADMIN).get(url, {"owner": "all", "per_page": 50}).content.decode())
    theirs = [name for name in everyone if int(name[6:8]) % 4]
    client = client_as(Role.ACCOUNT_MANAGER)
    pages = [_rows(client.get(url, {"page": n}).content.decode()) for n in (1, 2)]
    assert pages[0] + pages[1] == theirs and len(theirs) == 30


def test_the_scheduled_changes_section_counts_up_to_the_cap_and_reads_only_the_items_it_shows(
    client_as, db, frozen, settings
):
    """The week's changes are counted up to the lists' cap (past it: "more than"), and the section's first items
    are the week's first by date: every kind found in one query from its index, and only the items shown read
    whole, however many the week holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

    for i in range(12):
        subscription = make_subscription(make_customer(company_name=f"Later {i:02d} KK"))
        make_reservation(subscription, apply_date=dt.date(2026, 11, 24))
        make_pre_order(make_customer(company_name=f"Sooner {i:02d} KK"), apply_date=dt.date(2026, 11, 22))
    client = client_as(Role.SUPPORT)
    settings.LIST_COUNT_CAP = 20
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home"), {"owner": "all"}).content.decode()
    section = re.search(r'<section[^>]*data-work="scheduled".*?</section>', html, re.S).group(0)
    assert "More than 20 in all" in section
    shown = re.findall(r">((?:Sooner|Later) \d\d KK)<", section)
    assert shown == [f"Sooner {i:02d} KK" for i in range(5)]  # the 22nd before the 24th, by name
    reads = [q["sql"] for q in queries.captured_queries if "subscriptions_preorder" in q["sql"]]
    # Every kind's first items and its count walked up to one past the cap, not counted day by day over the
    # week; then the five shown, by their keys.
    assert len(reads) == 2 and "LIMIT 21" in reads[0] and 'COUNT(*) AS "n"' not in reads[0], reads
    settings.LIST_COUNT_CAP = 1000
    html = client.get(reverse("home"), {"owner": "all"}).content.decode()
    assert "24 in all" in re.search(r'<section[^>]*data-work="scheduled".*?</section>', html, re.S).group(0)


@pytest.mark.parametrize("sort", ["", "customer", "-customer", "-day"])
def test_all_n_of_each_section_with_bulk_actions_is_its_full_lists_rows_read_by_their_keys_alone(
    client_as, db, frozen, sort
):
    """A bulk change's "all N" from a section takes exactly the rows its full list shows, in its order, read as
    keys alone: no customer's name, no item made (`worklist.section_keys`)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.subscriptions.factories import make_subscription

    for i in range(6):
        near = make_customer(company_name=f"Crowd {i:02d} KK", member_count=48 + i % 3, max_member_count=50)
        make_subscription(
            near,
            plan="MONTHLY",
            plan_end_date=dt.date(2026, 11, 22) + dt.timedelta(days=i),
            renewal_type="STAY",
        )
        make_customer(
            company_name=f"Crowd {10 + i:02d} KK",
            main_subscription_id=9000 + i,
            license_count=100,
            member_count=50 + i,
            unused_licences=50 - i,
        )
    client = client_as(Role.ADMIN)
    sections = {
        "max-users": "customers.max_users",
        "unassigned": "customers.max_users",
        "renewal-decisions": "subscriptions.renewal",
        "unused-licences": "subscriptions.renewal",
    }
    for key, action in sections.items():
        query = {"owner": "all", **({"sort": sort} if sort else {})}
        html = client.get(reverse("work_list", args=[key]), query).content.decode()
        shown = re.findall(r'name="keys" value="(\d+)"[^>]*data-testid="bulk-tick"', html)
        assert len(shown) >= 6, (key, shown)
        with CaptureQueriesContext(connection) as queries:
            chosen = client.get(
                reverse("core:bulk_new"), {**query, "action": action, "source": f"work:{key}", "all": "1"}
            ).content.decode()
        assert re.findall(r'name="keys" value="(\d+)"', chosen) == shown, key
        assert f"{len(shown)} rows are chosen" in chosen, key
        # Names read for the count's first item alone (`lists.bulk_count`), never for the rows chosen.
        named = [q["sql"] for q in queries.captured_queries if '"company_name"' in q["sql"]]
        assert len(named) <= 1 and not re.search(r"IN \(\d+, ", "".join(named)), (key, named)
