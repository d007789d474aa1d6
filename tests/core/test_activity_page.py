"""The Activity page when it has nothing to show: it says why in words that fit (no filter set, or filters set)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core.access import Role

pytestmark = pytest.mark.django_db


def test_an_empty_activity_page_says_nothing_was_made_not_that_filters_match_nothing(client_as):
    client = client_as(Role.SUPPORT)
    page = client.get(reverse("core:activity")).content.decode()
    assert "No change has been made through the portal yet." in page
    assert "No activity matches these filters." not in page
    # Sorting is not filtering; a filter is.
    page = client.get(reverse("core:activity"), {"sort": "time"}).content.decode()
    assert "No change has been made through the portal yet." in page
    page = client.get(reverse("core:activity"), {"q": "nobody"}).content.decode()
    assert "No activity matches these filters." in page


def test_an_empty_list_with_only_blank_filters_is_not_filtered(client_as):
    page = client_as(Role.SUPPORT).get(reverse("core:activity"), {"q": "  "}).content.decode()
    assert "No change has been made through the portal yet." in page


def _entries(n: int, *, operation_id: str = "cancelSubscription", domain_id: int | None = None) -> list:
    from portal.core.services import audit_record

    return [
        audit_record(actor=None, operation_id=operation_id, outcome="succeeded", domain_id=domain_id)
        for _ in range(n)
    ]


def test_a_long_history_is_counted_up_to_the_cap_and_paged_newest_first(client_as, settings):
    """A year of history: the page counts its entries up to the lists' cap ("More than N match", as every
    list), not every entry, and pages them newest first within it."""
    settings.LIST_COUNT_CAP = 60
    made = _entries(120)
    client = client_as(Role.ADMIN)
    first = client.get(reverse("core:activity"), {"owner": "all"}).context["page_obj"]
    assert first.capped and first.paginator.count == 60 and first.paginator.num_pages == 2
    assert [entry.pk for entry in first.object_list] == [entry.pk for entry in reversed(made)][:50]
    page_two = client.get(reverse("core:activity"), {"owner": "all", "page": 2})
    assert page_two.context["page_obj"].number == 2 and page_two.context["page_obj"].capped
    shown = [entry.pk for entry in page_two.context["page_obj"].object_list]
    assert shown == [entry.pk for entry in reversed(made)][50:100]
    # A page past the cap shows the last page within it.
    far = client.get(reverse("core:activity"), {"owner": "all", "page": 9}).context["page_obj"]
    assert far.number == 2


def test_no_read_of_the_page_goes_through_the_whole_history(client_as, settings):
    """Every read of the audit trail the page makes stops after the cap or a page: no count of every entry
    beside the page (a window count), no DISTINCT over the history for the filter's menu. With a year of history
    those two read and sorted every entry on each open (the figures are in the commit that made the page flat)."""
    settings.LIST_COUNT_CAP = 60
    _entries(70)
    client = client_as(Role.SUPPORT)
    for query in ({}, {"page": 2}, {"operation": "cancelSubscription"}, {"owner": "mine"}):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:activity"), query).status_code == 200
        reads = [q["sql"] for q in ctx.captured_queries if 'FROM "core_auditentry"' in q["sql"]]
        # The capped count, the page's keys, then those entries by their keys (none: no third read).
        assert len(reads) == (3 if "mine" not in query.values() else 2), reads
        for sql in reads:
            assert "LIMIT" in sql or '"core_auditentry"."id" IN (' in sql, sql
            assert " OVER " not in sql and "DISTINCT" not in sql, sql


def test_within_the_cap_a_filter_counts_exactly(client_as, settings):
    settings.LIST_COUNT_CAP = 60
    _entries(70)
    _entries(3, operation_id="createSubscription")
    page = client_as(Role.ADMIN).get(
        reverse("core:activity"), {"owner": "all", "operation": "createSubscription"}
    )
    assert [e.operation_id for e in page.context["page_obj"].object_list] == ["createSubscription"] * 3
    assert page.context["page_obj"].paginator.count == 3 and not page.context["page_obj"].capped


def test_the_kinds_of_change_are_those_the_portal_records_not_read_from_the_history(client_as):
    """The "Kind of change" menu offers every change the portal sends and its own writes, whether or not the
    history has one yet (it read every entry for them before), and no read of the API."""
    _entries(1)
    field = client_as(Role.ADMIN).get(reverse("core:activity")).context["form"].fields["operation"]
    offered = {value for value, _label in field.choices}
    assert {"cancelSubscription", "createSubscription", "portal.assignCustomerOwner"} <= offered
    assert not offered & {"listCustomers", "getCustomer"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the shape is PostgreSQL's")
def test_an_account_managers_page_reads_their_customers_once_not_per_entry(client_as):
    """ "Mine": the manager's customers are read once into a hash (planned apart, `lists.planned_apart`) while the
    page walks the time index; joined, PostgreSQL probed the owners' index for each entry walked, or compared
    each entry walked with every one of their customers. The count goes
    the other way: customer by customer along the domainId index, that index alone (`audit_entry_count`), never
    walking everyone's entries to keep theirs."""
    client = client_as(Role.ACCOUNT_MANAGER)
    _entries(3)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("core:activity"), {"owner": "mine"}).status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "core_auditentry"' in q["sql"]]
    counts = [sql for sql in reads if sql.startswith("SELECT COUNT(*)")]
    pages = [sql for sql in reads if sql not in counts]
    assert pages and all("customers_customerowner" in sql and ") IS TRUE" in sql for sql in pages), pages
    with connection.cursor() as cursor:
        for sql in pages:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
            # Each entry walked is a lookup in the hash of their customers, never compared with each of them.
            assert "hashed SubPlan" in plan and "Semi Join" not in plan, plan
    assert len(counts) == 1 and "customers_customerowner" in counts[0] and ") IS TRUE" not in counts[0]
    assert "core_operation" not in counts[0]
    assert 'SELECT "core_auditentry"."domain_id" AS "domain_id" FROM' in counts[0]
    assert " ORDER BY 1 ASC LIMIT " in counts[0], counts[0]
