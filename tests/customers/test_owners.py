"""Owners (issue 31, item 1): who looks after each customer, kept in the portal's own table, set by Admins from
the customer's page, every change an audit entry, and the customer list's Owner filter (an Account manager's
list opens on "Mine", a remembered choice, never a wall)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from customers import selectors, services
from customers.models import CustomerOwner
from customers.permissions import VIEW_CUSTOMERS
from customers.selectors import CustomerFilters, Owner, paging
from portal.core.access import Role, can
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(admin_user):
    return {
        "admin": admin_user,
        "aiko": make_persona(Role.ACCOUNT_MANAGER, username="aiko"),
        "ben": make_persona(Role.ACCOUNT_MANAGER, username="ben"),
        "sam": make_persona(Role.SUPPORT, username="sam"),
        "fin": make_persona(Role.FINANCE, username="fin"),
    }


def _assign(people, customer, manager=None, contact=None) -> bool:
    return services.customer_owner_set(
        actor=people["admin"],
        domain_id=customer.domain_id,
        account_manager_id=manager.pk if manager else None,
        support_contact_id=contact.pk if contact else None,
    )


def _ids(qs) -> set[int]:
    return {c.domain_id for c in qs}


# --- The model and the service ---------------------------------------------------------------------------------


def test_assigning_an_owner_is_kept_and_audited_with_before_and_after(people):
    customer = make_customer()
    assert _assign(people, customer, people["aiko"], people["sam"])
    owner = CustomerOwner.objects.get(customer=customer)
    assert (owner.account_manager, owner.support_contact) == (people["aiko"], people["sam"])

    assert _assign(people, customer, people["ben"])
    entries = list(AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").order_by("id"))
    assert [e.domain_id for e in entries] == [customer.domain_id] * 2
    assert all(e.outcome == AuditEntry.Outcome.SUCCEEDED and e.actor == people["admin"] for e in entries)
    last = entries[-1].request_summary
    assert last["accountManager"]["userId"] == people["ben"].pk
    assert last["supportContact"] is None
    assert last["before"]["accountManager"]["userId"] == people["aiko"].pk
    assert last["before"]["supportContact"]["userId"] == people["sam"].pk
    assert "Persona" in last["accountManager"]["name"]


def test_assigning_the_same_owners_again_changes_and_records_nothing(people):
    customer = make_customer()
    assert not _assign(people, customer)  # unassigned already
    assert _assign(people, customer, people["aiko"])
    assert not _assign(people, customer, people["aiko"])
    assert AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").count() == 1


@pytest.mark.parametrize(("manager", "contact"), [("sam", None), ("fin", None), (None, "aiko")])
def test_only_an_active_person_of_the_right_role_can_be_chosen(people, manager, contact):
    customer = make_customer()
    with pytest.raises(services.OwnerChangeRefused):
        _assign(people, customer, people.get(manager), people.get(contact))
    assert not CustomerOwner.objects.exists() and not AuditEntry.objects.exists()


def test_a_deactivated_account_manager_cannot_be_given_customers(people):
    people["ben"].is_active = False
    people["ben"].save()
    with pytest.raises(services.OwnerChangeRefused):
        _assign(people, make_customer(), people["ben"])


def test_who_adds_a_customer_owns_it_beside_a_support_contact_who_has_since_left(people):
    customer = make_customer()
    _assign(people, customer, contact=people["sam"])
    people["sam"].is_active = False
    people["sam"].save()
    assert services.customer_owner_adder(domain_id=customer.domain_id, added_by=people["aiko"].pk)
    owner = CustomerOwner.objects.get(customer=customer)
    assert (owner.account_manager, owner.support_contact) == (people["aiko"], people["sam"])


def test_who_adds_a_customer_leaves_an_account_manager_it_has_in_place(people):
    customer = make_customer()
    _assign(people, customer, people["ben"])
    assert not services.customer_owner_adder(domain_id=customer.domain_id, added_by=people["aiko"].pk)
    assert CustomerOwner.objects.get(customer=customer).account_manager == people["ben"]
    assert not services.customer_owner_adder(domain_id=make_customer().domain_id, added_by=people["fin"].pk)


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE])
def test_only_admins_assign_owners(people, role):
    with pytest.raises(PermissionDenied):
        services.customer_owner_set(
            actor=make_persona(role, username=f"x-{role.value}"),
            domain_id=make_customer().domain_id,
            account_manager_id=people["aiko"].pk,
            support_contact_id=None,
        )


def test_the_owner_survives_the_resync_stores_and_a_removal(people):
    """The stores write the customer's row by update() of the API's columns, and mark a gone customer removed:
    neither touches the owner."""
    from partner_api.models import Customer as RemoteCustomer
    from partner_api.models import UsageStatus

    customer = make_customer(company_name="Before K.K.")
    _assign(people, customer, people["aiko"], people["sam"])
    remote = RemoteCustomer(
        domain_id=customer.domain_id,
        tenant_id=customer.domain_id,
        domain=customer.domain,
        company_name="After K.K.",
        domain_type="DOMAIN",
        phone_number="",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
        enable_active_mxrecord=False,
        enable_active_domain=True,
    )
    services.customer_store(remote=remote)
    services.customer_usage_store(
        domain_id=customer.domain_id,
        remote=UsageStatus(domain_id=customer.domain_id, status="ACTIVE", member_count=3, max_member_count=9),
    )
    services.customer_subscription_summary_clear(domain_id=customer.domain_id)
    services.customer_mark_removed_except(present=set())
    customer.refresh_from_db()
    assert customer.company_name == "After K.K." and customer.removed_at is not None
    owner = CustomerOwner.objects.get(customer=customer)
    assert (owner.account_manager, owner.support_contact) == (people["aiko"], people["sam"])


# A small sandbox of its own: the session's grows with the customers other tests add, and a full resync reads every
# one of them, twice here.
own_sandbox = sandbox_of_its_own(seed_customers=12, seed=5)


@pytest.mark.django_db(transaction=True)
@pytest.mark.integration
def test_owners_survive_full_resyncs_from_the_sandbox(own_sandbox, portal_api):
    from customers.models import Customer
    from portal.core import sync

    portal_api(own_sandbox)

    admin = make_persona(Role.ADMIN, username="resync-admin")
    manager = make_persona(Role.ACCOUNT_MANAGER, username="resync-manager")
    assert sync.resync_full().status == "succeeded"
    chosen = list(Customer.objects.order_by("domain_id").values_list("domain_id", flat=True)[:3])
    for domain_id in chosen:
        services.customer_owner_set(
            actor=admin, domain_id=domain_id, account_manager_id=manager.pk, support_contact_id=None
        )
    assert sync.resync_full().status == "succeeded"
    sync.resync_customer(domain_id=chosen[0])
    assert sorted(
        CustomerOwner.objects.filter(account_manager=manager).values_list("customer_id", flat=True)
    ) == (chosen)


# --- The Owner filter --------------------------------------------------------------------------------------------


@pytest.fixture
def owned(people):
    mine = make_customer(company_name="Aiko's K.K.")
    bens = make_customer(company_name="Ben's K.K.")
    nobody = make_customer(company_name="Nobody's K.K.")
    contact_only = make_customer(company_name="Support only K.K.")
    _assign(people, mine, people["aiko"])
    _assign(people, bens, people["ben"], people["sam"])
    _assign(people, contact_only, None, people["sam"])
    return {"mine": mine, "bens": bens, "nobody": nobody, "contact_only": contact_only}


def test_the_owner_filter_chooses_mine_unassigned_or_a_person(people, owned):
    def run(owner, user=people["aiko"]):
        return _ids(selectors.customer_list(user=user, filters=CustomerFilters(owner=owner)))

    every = {c.domain_id for c in owned.values()}
    assert run("") == run(Owner.EVERYONE) == run("junk") == every
    assert run(Owner.MINE) == {owned["mine"].domain_id}
    assert run(Owner.MINE, people["ben"]) == {owned["bens"].domain_id}
    assert run(Owner.MINE, people["admin"]) == set()
    # Support's own: the customers whose support contact they are, whoever their Account manager is.
    assert run(Owner.MINE, people["sam"]) == {owned["bens"].domain_id, owned["contact_only"].domain_id}
    assert run(Owner.UNASSIGNED) == {owned["nobody"].domain_id, owned["contact_only"].domain_id}
    assert run(str(people["ben"].pk)) == {owned["bens"].domain_id}


@pytest.mark.parametrize("owner", ["", Owner.MINE, Owner.UNASSIGNED])
@pytest.mark.parametrize(("q", "queries"), [("firm", 3), ("", 2)])
def test_the_owner_filter_keeps_the_page_query_count(people, django_assert_num_queries, owner, q, queries):
    from customers.permissions import VIEW_CUSTOMERS
    from portal.core.access import can

    for i in range(60):
        c = make_customer(company_name=f"Firm {i:03}")
        if i % 2:
            _assign(people, c, people["aiko"])
    user = people["aiko"]
    can(user, VIEW_CUSTOMERS)
    with django_assert_num_queries(queries):
        page = selectors.customer_page(
            user=user, filters=CustomerFilters(q=q, owner=owner), page=1, per_page=25
        )
        rows = list(page.object_list)
    assert len(rows) == 25
    assert page.paginator.count == (60 if not owner else 30)


def test_an_account_managers_list_opens_on_mine_and_remembers_everyone(people, owned, client):
    client.force_login(people["aiko"])
    url = reverse("customers:list")
    opened = client.get(url).content.decode()
    assert "Aiko&#x27;s K.K." in opened and "Ben&#x27;s K.K." not in opened
    assert '<option value="mine" selected>' in opened

    everyone = client.get(url, {"owner": Owner.EVERYONE}).content.decode()
    assert "Ben&#x27;s K.K." in everyone and "Nobody&#x27;s K.K." in everyone
    again = client.get(url).content.decode()  # the choice is remembered: not a wall, not reset
    assert "Ben&#x27;s K.K." in again and '<option value="all" selected>' in again
    # Sorting and paging links carry the filter on.
    assert "owner=all" in again


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPPORT, Role.FINANCE])
def test_other_roles_lists_open_on_everyone(owned, client_as, role):
    page = client_as(role).get(reverse("customers:list")).content.decode()
    assert "Ben&#x27;s K.K." in page and "Nobody&#x27;s K.K." in page
    assert "owner=" not in page  # nothing chosen, nothing carried: the first choice, Everyone, shows


def test_the_owner_filter_offers_each_active_account_manager(people, owned, client_as):
    page = client_as(Role.ADMIN).get(reverse("customers:list"), {"owner": Owner.UNASSIGNED}).content.decode()
    # The owner list's own choices (a user's id may also be a page size the page offers elsewhere).
    owners = re.search(r'<select\b[^>]*\bname="owner"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert owners is not None, "the list offers an owner filter"
    choices = owners[1]
    assert (
        f'<option value="{people["aiko"].pk}">' in choices
        and f'<option value="{people["ben"].pk}">' in choices
    )
    assert f'<option value="{people["sam"].pk}">' not in choices  # Support is not an Account manager
    assert "Nobody&#x27;s K.K." in page and "Ben&#x27;s K.K." not in page


def test_the_export_is_the_list_the_filter_shows(people, owned, client):
    client.force_login(people["aiko"])
    body = b"".join(client.get(reverse("customers:export")).streaming_content).decode("utf-8-sig")
    assert "Aiko's K.K." in body and "Ben's K.K." not in body


# --- The customer page and the owner form ---------------------------------------------------------------------


def test_the_customer_page_names_the_owners_and_only_admins_get_the_link(people, owned, client_as):
    url = reverse("customers:detail", args=[owned["bens"].domain_id])
    admin_page = client_as(Role.ADMIN).get(url).content.decode()
    assert 'data-testid="owner-link"' in admin_page
    assert "Account manager Persona (ben)" in admin_page and "Support Persona (sam)" in admin_page
    manager_page = client_as(Role.ACCOUNT_MANAGER).get(url).content.decode()
    assert "Account manager Persona (ben)" in manager_page and 'data-testid="owner-link"' not in manager_page


def test_an_admin_assigns_and_reassigns_from_the_customer_page(people, client):
    customer = make_customer()
    client.force_login(people["admin"])
    url = reverse("customers:owner", args=[customer.domain_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"account_manager": people["aiko"].pk, "support_contact": people["sam"].pk})
    assert response.status_code == 302 and response["Location"] == reverse(
        "customers:detail", args=[customer.domain_id]
    )
    owner = CustomerOwner.objects.get(customer=customer)
    assert (owner.account_manager, owner.support_contact) == (people["aiko"], people["sam"])
    form = client.get(url).content.decode()
    assert f'<option value="{people["aiko"].pk}" selected>' in form

    client.post(url, {"account_manager": people["ben"].pk, "support_contact": ""})
    owner.refresh_from_db()
    assert (owner.account_manager, owner.support_contact) == (people["ben"], None)
    assert AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").count() == 2


@pytest.mark.parametrize("field", ["account_manager", "support_contact"])
def test_a_wrong_person_is_refused_on_its_field_and_changes_nothing(people, client, field):
    customer = make_customer()
    client.force_login(people["admin"])
    wrong = people["fin"].pk
    response = client.post(reverse("customers:owner", args=[customer.domain_id]), {field: wrong})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not CustomerOwner.objects.exists() and not AuditEntry.objects.exists()


def test_the_owner_change_is_named_in_words_on_the_activity_page(people, client_as):
    customer = make_customer()
    _assign(people, customer, people["aiko"])
    page = client_as(Role.SUPPORT).get(reverse("core:activity")).content.decode()
    assert "Assign a customer&#x27;s owner" in page and ">portal.assignCustomerOwner<" not in page


# --- The Admins' worklist section -----------------------------------------------------------------------------


def _work_section(html: str, key: str) -> str:
    import re

    found = re.search(rf'<section[^>]*data-work="{key}".*?</section>', html, re.S)
    return found.group(0) if found else ""


def test_admins_see_the_unassigned_customers_with_a_link_to_assign_each(people, owned, client):
    gone = make_customer(company_name="Gone K.K.", removed_at=owned["mine"].synced_at)
    client.force_login(people["admin"])
    section = _work_section(client.get(reverse("home")).content.decode(), "unassigned")
    assert "Nobody&#x27;s K.K." in section and "Support only K.K." in section
    assert (
        "Aiko&#x27;s K.K." not in section
        and "Ben&#x27;s K.K." not in section
        and gone.company_name not in section
    )
    assert reverse("customers:owner", args=[owned["nobody"].domain_id]) in section
    assert "data-work-count>2<" in section


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE])
def test_other_roles_have_no_unassigned_section(owned, client_as, role):
    assert 'data-work="unassigned"' not in client_as(role).get(reverse("home")).content.decode()


# --- The same Owner filter on the lists of customers' rows ----------------------------------------------------


def _row_of(kind: str, customer) -> None:
    from tests.options.factories import make_option
    from tests.subscriptions.factories import make_subscription

    if kind == "subscriptions:list":
        make_subscription(customer)
    elif kind == "options:list":
        make_option(customer)
    elif kind == "core:activity":
        from portal.core.services import audit_record

        audit_record(
            actor=None, operation_id="patchCustomer", outcome="succeeded", domain_id=customer.domain_id
        )


ROW_LISTS = ["customers:list", "subscriptions:list", "options:list", "core:activity"]


@pytest.mark.parametrize("name", ROW_LISTS)
def test_every_list_opens_on_mine_for_an_account_manager_and_shows_everyone_on_request(people, client, name):
    mine, bens, nobody = (
        make_customer(company_name=n) for n in ("Aiko Row KK", "Ben Row KK", "Nobody Row KK")
    )
    for customer in (mine, bens, nobody):
        _row_of(name, customer)
    _assign(people, mine, people["aiko"])
    _assign(people, bens, people["ben"])
    client.force_login(people["aiko"])
    url = reverse(name)
    opened = client.get(url).content.decode()
    assert "Aiko Row KK" in opened and "Ben Row KK" not in opened and "Nobody Row KK" not in opened
    everyone = client.get(url, {"owner": Owner.EVERYONE}).content.decode()
    assert all(n in everyone for n in ("Aiko Row KK", "Ben Row KK", "Nobody Row KK"))
    assert '<option value="all" selected>' in client.get(url).content.decode()  # remembered, per list
    unassigned = client.get(url, {"owner": Owner.UNASSIGNED}).content.decode()
    assert "Nobody Row KK" in unassigned and "Aiko Row KK" not in unassigned
    ben = client.get(url, {"owner": str(people["ben"].pk)}).content.decode()
    assert "Ben Row KK" in ben and "Aiko Row KK" not in ben


@pytest.mark.parametrize("name", ROW_LISTS)
def test_support_s_mine_on_every_list_is_the_customers_whose_support_contact_they_are(people, client, name):
    mine, bens, nobody = (
        make_customer(company_name=n) for n in ("Sam Row KK", "Ben Row KK", "Nobody Row KK")
    )
    for customer in (mine, bens, nobody):
        _row_of(name, customer)
    _assign(people, mine, people["ben"], people["sam"])
    _assign(people, bens, people["ben"])
    client.force_login(people["sam"])
    url = reverse(name)
    opened = client.get(url).content.decode()  # Support opens on everyone's
    assert all(n in opened for n in ("Sam Row KK", "Ben Row KK", "Nobody Row KK"))
    assert '<option value="mine">' in opened
    chosen = client.get(url, {"owner": Owner.MINE}).content.decode()
    assert "Sam Row KK" in chosen and "Ben Row KK" not in chosen and "Nobody Row KK" not in chosen
    assert '<option value="mine" selected>' in client.get(url).content.decode()  # remembered


@pytest.mark.parametrize("name", ROW_LISTS)
@pytest.mark.parametrize("query", [{}, {"q": "row"}], ids=["as it opens", "searched"])
def test_the_owner_filter_does_not_make_a_list_read_more_queries_as_rows_grow(people, client, name, query):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["aiko"])
    # The session's first request, and the choice remembered (a changed choice is one session write).
    client.get(reverse(name), {"owner": Owner.MINE})
    counts = []
    for n in (2, 40):
        for i in range(n):
            customer = make_customer(company_name=f"Row {n}-{i:03}")
            _row_of(name, customer)
            if i % 2:
                _assign(people, customer, people["aiko"])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(name), {**query, "owner": Owner.MINE, "per_page": 100})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("sort", ["company", "-company", "members"])
def test_an_account_managers_customers_page_by_page_in_the_lists_order(
    people, django_assert_num_queries, sort
):
    """ "Mine" (or an Account manager chosen): the manager's customers (the column the database keeps,
    `Customer.managed_by`) in the list's order: every one of theirs once, in order, page after page, none of
    anyone else's; a page past the end is the last; the count and one page, two queries."""
    aiko = people["aiko"]
    theirs = []
    for i in range(60):
        c = make_customer(company_name=f"Firm {i:03}", member_count=i % 7)
        if i % 3 == 0:
            _assign(people, c, aiko)
            theirs.append(c.domain_id)
    everyone = selectors.customer_list(user=people["admin"], filters=CustomerFilters(sort=sort))
    expected = [c.domain_id for c in everyone if c.domain_id in theirs]
    for owner, user in ((Owner.MINE, aiko), (str(aiko.pk), people["admin"])):
        can(user, VIEW_CUSTOMERS)  # the role is read once per user object (a request's)
        seen = []
        for number in (1, 2, 3):
            filters = CustomerFilters(owner=owner, sort=sort)
            with django_assert_num_queries(2):
                page = selectors.customer_page(user=user, filters=filters, page=number, per_page=8)
                seen += [row.domain_id for row in page.object_list]
            assert page.paginator.count == 20
        assert seen == expected
        last = selectors.customer_page(user=user, filters=filters, page=9, per_page=8)
        assert last.number == 3 and [r.domain_id for r in last.object_list] == expected[16:]


@pytest.mark.parametrize("kind", ["options", "subscriptions"])
@pytest.mark.parametrize("q", ["", "firm"], ids=["as it opens", "searched"])
@pytest.mark.parametrize("sort", ["customer", "-customer"])
def test_an_account_managers_rows_page_by_page_in_customer_order(people, kind, q, sort):
    """The Options and Subscriptions lists as "Mine" (or an Account manager chosen), in customer order: the
    manager's customers walked in name order from the search table, each checked against theirs
    (`page_by_customer(mine=...)`), then their rows: every row of theirs once, in order, page after page, none of
    anyone else's nor of a removed customer; counted right; a page past the end is the last."""
    from django.utils import timezone

    from options.selectors import OptionFilters, option_list, option_page
    from subscriptions.selectors import SubscriptionFilters, subscription_list, subscription_page
    from tests.options.factories import make_option
    from tests.subscriptions.factories import make_subscription

    aiko = people["aiko"]
    for i in range(40):
        c = make_customer(company_name=f"Firm {i:03}" if i % 5 else f"Other {i:03}")
        for n in range(1 + i % 3):
            if kind == "options":
                make_option(c, option_product_id=f"OPT{n}")
            else:
                make_subscription(c)
        if i % 2 == 0:
            _assign(people, c, aiko)
        if i == 8:
            c.removed_at = timezone.now()
            c.save()
    Filters, listed, paged = (
        (OptionFilters, option_list, option_page)
        if kind == "options"
        else (SubscriptionFilters, subscription_list, subscription_page)
    )

    def key(row):
        return (row.customer_id, getattr(row, "option_product_id", getattr(row, "subscription_id", None)))

    everyone = listed(user=people["admin"], filters=Filters(q=q, sort=sort, owner=Owner.EVERYONE))
    theirs = set(CustomerOwner.objects.filter(account_manager=aiko).values_list("customer_id", flat=True))
    expected = [key(r) for r in everyone if r.customer_id in theirs]
    assert expected and len(expected) < len(list(everyone))
    for owner, user in ((Owner.MINE, aiko), (str(aiko.pk), people["admin"])):
        seen = []
        for number in (1, 2, 3, 4):
            page = paged(user=user, filters=Filters(q=q, sort=sort, owner=owner), page=number, per_page=5)
            seen += [key(r) for r in page.object_list]
            assert page.paginator.count == len(expected)
        assert seen == expected[:20]
        last = paged(user=user, filters=Filters(q=q, sort=sort, owner=owner), page=99, per_page=5)
        assert [key(r) for r in last.object_list] == expected[(last.number - 1) * 5 :]


@pytest.mark.parametrize("cap", [4, 1000])
def test_an_account_managers_searched_rows_are_counted_up_to_the_cap_and_paged_by_the_groups_holding_them(
    people, settings, monkeypatch, cap
):
    """The Options list as "Mine", searched: the count is exact below the cap and "more than" past it, and the
    groups of a page are those that hold its rows (`generate_series` on PostgreSQL), not a group per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from options.selectors import OptionFilters, option_page
    from tests.options.factories import make_option

    settings.LIST_COUNT_CAP = cap
    aiko = people["aiko"]
    for i in range(12):
        c = make_customer(company_name=f"Firm {i:03}" if i % 4 else f"Other {i:03}")
        for n in range(3):
            make_option(c, option_product_id=f"OPT{n}")
        if i % 2 == 0:
            _assign(people, c, aiko)
    expected = 3 * sum(1 for i in range(12) if i % 2 == 0 and i % 4)  # theirs the word finds: 3 options each
    first_groups, read = paging._first_groups, []
    monkeypatch.setattr(paging, "_first_groups", lambda *a: read.append(first_groups(*a)) or read[-1])
    with CaptureQueriesContext(connection) as ctx:
        page = option_page(user=aiko, filters=OptionFilters(q="firm", owner=Owner.MINE), page=1, per_page=5)
    assert (page.paginator.count, page.capped) == (min(expected, cap), expected > cap)
    assert len(page.object_list) == 5
    if connection.vendor == "postgresql":
        (groups,) = [q["sql"] for q in ctx.captured_queries if "generate_series" in q["sql"]]
        assert "LIMIT 5" in groups
    # The two customers that hold the page's 5 rows (3 each), where SQLite reads up to 5 customers (3 of theirs).
    assert len(read[0]) == (2 if connection.vendor == "postgresql" else 3)


@pytest.mark.parametrize("sort", ["company", "-company"])
def test_an_account_managers_customers_searched_page_by_page(people, django_assert_num_queries, sort):
    """ "Mine" searched (or an Account manager chosen): the customers found are walked in name order, each checked
    against the manager's customers (`page_by_customer(mine=...)`), counted from the search table alone: every
    one of theirs the search finds once, in order, none of anyone else's nor a removed one; three queries a page."""
    from django.utils import timezone

    aiko = people["aiko"]
    for i in range(60):
        c = make_customer(company_name=f"Firm {i:03}" if i % 4 else f"Other {i:03}")
        if i % 3 == 0:
            _assign(people, c, aiko)
        if i == 9:
            c.removed_at = timezone.now()
            c.save()
    everyone = selectors.customer_list(user=people["admin"], filters=CustomerFilters(q="firm", sort=sort))
    theirs = set(CustomerOwner.objects.filter(account_manager=aiko).values_list("customer_id", flat=True))
    expected = [c.domain_id for c in everyone if c.domain_id in theirs]
    for owner, user in ((Owner.MINE, aiko), (str(aiko.pk), people["admin"])):
        can(user, VIEW_CUSTOMERS)  # the role is read once per user object (a request's)
        seen = []
        for number in (1, 2):
            with django_assert_num_queries(3):
                page = selectors.customer_page(
                    user=user,
                    filters=CustomerFilters(q="firm", owner=owner, sort=sort),
                    page=number,
                    per_page=8,
                )
            seen += [row.domain_id for row in page.object_list]
            assert page.paginator.count == len(expected)
        assert seen == expected
