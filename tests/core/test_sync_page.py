import pytest
from django.urls import reverse
from django.utils import timezone

from portal.core.access import Role
from portal.core.models import SyncRun

pytestmark = pytest.mark.django_db


def test_sync_page_lists_runs_with_calls_per_operation_and_errors(client_as):
    SyncRun.objects.create(
        kind="full",
        status=SyncRun.Status.PARTIAL,
        finished_at=timezone.now(),
        total=3,
        done=3,
        calls={"listCustomers": 1, "getUsageStatus": 3},
        errors=[{"operation": "getUsageStatus", "domain_id": 42, "error": "HTTP 500"}],
    )
    body = client_as(Role.ACCOUNT_MANAGER).get(reverse("core:sync")).content.decode()
    assert "getUsageStatus" in body and "HTTP 500" in body
    assert 'data-testid="sync-now"' in body
    assert 'data-hx-trigger="every 2s"' not in body  # nothing running: no polling


def test_running_run_shows_progress_and_the_partial_keeps_polling(client_as):
    SyncRun.objects.create(kind="full", total=10, done=4, calls={"getUsageStatus": 4})
    client = client_as(Role.ADMIN)
    page = client.get(reverse("core:sync")).content.decode()
    assert 'max="100" value="40"' in page and 'data-hx-trigger="every 2s"' in page
    partial = client.get(reverse("core:sync"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sync-runs")
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="sync-runs"') and "<html" not in body
    assert 'data-hx-trigger="every 2s"' in body


def test_sync_now_queues_one_run_and_a_double_click_does_not_queue_two(
    client_as, django_capture_on_commit_callbacks
):
    client = client_as(Role.ACCOUNT_MANAGER)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(reverse("core:sync_now"))
        second = client.post(reverse("core:sync_now"))
    assert first.status_code == second.status_code == 302
    assert SyncRun.objects.filter(kind="full").count() == 1
    assert len(callbacks) == 1


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.FINANCE])
def test_sync_now_is_forbidden_to_roles_without_run_sync(client_as, role):
    assert client_as(role).post(reverse("core:sync_now")).status_code == 403
    assert SyncRun.objects.count() == 0


def test_sync_now_needs_login(client):
    response = client.post(reverse("core:sync_now"))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_sync_page_says_how_old_the_oldest_copy_of_a_customer_still_in_the_api_is(client_as):
    import datetime as dt

    from tests.customers.factories import make_customer

    client = client_as(Role.ADMIN)
    assert "No customer has been read yet." in client.get(reverse("core:sync")).content.decode()
    now = timezone.now()
    make_customer(synced_at=now - dt.timedelta(minutes=5))
    make_customer(synced_at=now - dt.timedelta(hours=3, minutes=1))
    make_customer(synced_at=now - dt.timedelta(days=9), removed_at=now)  # gone from the API: not counted
    page = client.get(reverse("core:sync")).content.decode()
    assert "The oldest copy of a customer still in LINE WORKS was read 3\xa0hours ago (" in page
    ja = client.get(reverse("core:sync"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "ポータルのデータが最も古いものは3時間前（" in ja


def test_a_batch_of_the_continuous_refresh_says_how_many_customers_it_read(client_as):
    SyncRun.objects.create(
        kind="refresh",
        scope="failed=1,turn=2",
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        total=3,
        done=3,
        calls={"getCustomer": 3},
    )
    client = client_as(Role.ADMIN)
    assert "Continuous refresh of 3 customers" in client.get(reverse("core:sync")).content.decode()
    body = client.get(reverse("core:sync"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "継続更新（3 件の顧客）" in body and "failed=1" not in body


def test_the_sync_page_says_how_old_the_oldest_copy_people_look_at_is(client_as):
    """The customers people look at: a decision due within 7 days (a renewal in 6 days) and a page opened today.
    A renewal in 8 days and a page opened yesterday do not count, however old their copies."""
    import datetime as dt

    from django.core.cache import cache

    from portal.core import clock
    from portal.core.models import RefreshMark
    from portal.core.sync import refresh
    from tests.customers.factories import make_customer
    from tests.subscriptions.factories import make_subscription

    client = client_as(Role.ADMIN)
    cache.delete(refresh.LOOKED_AT_KEY)
    page = client.get(reverse("core:sync")).content.decode()
    assert "No customer has a decision due within 7 days or a page opened today." in page
    now, today = timezone.now(), clock.today()
    due = make_customer(synced_at=now - dt.timedelta(minutes=42))
    make_subscription(due, plan_end_date=today + dt.timedelta(days=6))
    opened = make_customer(synced_at=now - dt.timedelta(minutes=7))
    RefreshMark.objects.create(domain_id=opened.domain_id, opened_at=now)
    later = make_customer(synced_at=now - dt.timedelta(hours=9))
    make_subscription(later, plan_end_date=today + dt.timedelta(days=8))
    yesterday = make_customer(synced_at=now - dt.timedelta(hours=5))
    RefreshMark.objects.create(
        domain_id=yesterday.domain_id, opened_at=clock.midnight(today) - dt.timedelta(hours=1)
    )
    page = client.get(reverse("core:sync")).content.decode()
    assert (
        "No customer has a decision" in page
    )  # the figure is kept a while (the refresh writes it each batch)
    refresh._store_looked_at()
    page = client.get(reverse("core:sync")).content.decode()
    assert (
        "Among the 2 customers people look at (a decision due within 7 days or a page opened today), the oldest "
        "copy was read 42\xa0minutes ago (" in page
    )
    ja = client.get(reverse("core:sync"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "本日ページが開かれた顧客（2 件）のうち、ポータルのデータが最も古いものは42分前（" in ja


def test_a_run_of_one_customer_is_named_as_it_began_without_reading_the_customers(client_as):
    """A run of one customer carries its customer's name (written as it began), so the page's latest runs name
    their customers without reading them; a run kept from before it carried one is named by a read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.customers.factories import make_customer

    renamed = make_customer(company_name="Aoba Trading K.K.")
    older = make_customer(company_name="Kita Works K.K.")
    for customer, name in ((renamed, "Aoba Shoji K.K."), (older, "")):
        SyncRun.objects.create(
            kind="customer",
            scope=str(customer.domain_id),
            customer_name=name,
            status=SyncRun.Status.SUCCEEDED,
            finished_at=timezone.now(),
            total=1,
            done=1,
        )
    client = client_as(Role.ADMIN)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(reverse("core:sync")).content.decode()
    assert "Refresh of Aoba Shoji K.K." in body and "Refresh of Kita Works K.K." in body
    customers = [q["sql"] for q in queries.captured_queries if 'FROM "customers_customer"' in q["sql"]]
    assert [sql for sql in customers if str(older.domain_id) in sql]
    assert not [sql for sql in customers if str(renamed.domain_id) in sql]
