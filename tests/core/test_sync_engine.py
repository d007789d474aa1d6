"""The resync engine against a sandbox of its own (these tests add, edit and delete customers there)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from partner_api.constants import MAX_PAGE_SIZE
from partner_api.errors import NotFoundError
from portal.core import sync
from portal.core.models import SyncRun
from portal.core.sync import fanout, running
from sandbox.testing import iter_pages
from tests.fixtures.portal_api import (
    portal_api,  # noqa: F401
    quick_retries,
    reset_client_cache,
)
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


own_sandbox = sandbox_of_its_own(seed_customers=40, seed=11, rate_limit=100_000)


@pytest.fixture
def api(own_sandbox, portal_api, monkeypatch):  # noqa: F811
    quick_retries(monkeypatch)
    portal_api(own_sandbox)
    yield own_sandbox
    own_sandbox.clear_faults()


def _sandbox_state(sandbox) -> dict[int, dict]:
    client = sandbox.client("partner.read", validate=False)
    out = {}
    for c in iter_pages(client, "/partners/customers", "customers", count=30):
        usage = client.get(f"/partners/customers/{c['domainId']}/usage-status").json()
        out[c["domainId"]] = {
            "company_name": c["companyName"],
            "domain": c["domain"],
            "member_count": usage.get("memberCount"),
            "max_member_count": usage.get("maxMemberCount"),
            "usage_status": usage.get("status"),
            "renewal_apply_date": (usage.get("renewal") or {}).get("applyDate"),
        }
    return out


def _cache_state() -> dict[int, dict]:
    return {
        c.domain_id: {
            "company_name": c.company_name,
            "domain": c.domain,
            "member_count": c.member_count,
            "max_member_count": c.max_member_count,
            "usage_status": c.usage_status,
            "renewal_apply_date": c.renewal_apply_date.isoformat() if c.renewal_apply_date else None,
        }
        for c in Customer.objects.filter(removed_at=None)
    }


def _items_needed(domain_ids) -> dict[str, int]:
    """How many calls each registered per-item call needs: the items its parent lists, over all customers."""
    from portal.core.partner import get_client

    client = get_client()
    out = {}
    for item_call in sync.item_calls():
        parent = next(c for c in sync.customer_calls() if c.operation_id == item_call.parent)
        total = 0
        for domain_id in domain_ids:
            with contextlib.suppress(NotFoundError):
                total += len(item_call.items(parent.fetch(client, domain_id)))
        out[item_call.operation_id] = total
    return out


def test_full_resync_makes_the_cache_equal_to_the_sandbox_and_records_the_run(api, caplog):
    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"):
        run = sync.resync_full()
    # The client's connection pool holds a connection for each of the engine's threads: none is thrown away
    # after its request and opened again for the next.
    assert not [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    state = _sandbox_state(api)
    assert _cache_state() == state
    pages = -(-len(state) // 30)
    needed = sync.calls_needed(customers=len(state), list_pages=pages, items=_items_needed(state))
    assert run.calls == needed  # nothing fetched twice, nothing the listing already gave
    assert run.total == run.done == len(state)
    assert run.finished_at and run.counts["duration_seconds"] >= 0


def test_full_resync_leaves_the_worklists_columns_as_the_sandbox_says_and_planner_statistics(api):
    assert sync.resync_full().status == SyncRun.Status.SUCCEEDED
    client = api.client("partner.read", validate=False)
    seen_unused = 0
    for c in Customer.objects.filter(removed_at=None):
        usage = client.get(f"/partners/customers/{c.domain_id}/usage-status").json()
        listed = client.get(f"/partners/customers/{c.domain_id}/subscriptions")
        subs = listed.json().get("subscriptions", []) if listed.status_code == 200 else []
        main = next((s for s in subs if s["status"] == "ACTIVE"), subs[0] if subs else None)
        licences = main.get("licenseCount") if main and main["plan"].endswith("_LICENSE") else None
        members, maximum = usage.get("memberCount"), usage.get("maxMemberCount")
        unused = None if licences is None or members is None else licences - members
        assert (c.main_subscription_id, c.license_count, c.unused_licences) == (
            main["subscriptionId"] if main else None,
            licences,
            unused,
        ), c.domain_id
        near = members is not None and bool(maximum) and members * 100 >= maximum * 90
        assert c.near_max_users == near, c.domain_id
        seen_unused += unused is not None
    assert seen_unused, "the seed should have customers on a licence plan"
    # The run measured the tables it rewrote, so the database plans the lists from real figures.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'customers_customer'")
        else:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'customers_customer'")
        assert cursor.fetchone()[0] > 0


@pytest.mark.long
def test_resync_after_changes_marks_removed_and_is_idempotent(api):
    sync.resync_full()
    client = api.client("partner", validate=False)
    ids = sorted(_sandbox_state(api))
    created = client.post(
        "/partners/customers",
        json={
            "domain": "resync-new",
            "companyName": "新規リシンク株式会社",
            "phoneNumber": "03-1111-2222",
            "timeZone": "Asia/Tokyo",
            "locale": "ja_JP",
            "administrator": {
                "lastName": "山田",
                "firstName": "花子",
                "id": "admin",
                "password": "Passw0rd!x",
                "privateEmail": "hanako@example.net",
            },
        },
    )
    assert created.status_code in (200, 201), created.text
    new_id = created.json()["domainId"]
    assert (
        client.patch(f"/partners/customers/{ids[0]}", json={"companyName": "Renamed KK"}).status_code == 200
    )
    assert (
        client.patch(f"/partners/customers/{ids[1]}/usage-status", json={"maxMemberCount": 77}).status_code
        == 200
    )
    deleted = client.delete(f"/partners/customers/{ids[2]}")
    assert deleted.status_code in (202, 204), deleted.text
    api.advance_clock("2d")

    run = sync.resync_full()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert _cache_state() == _sandbox_state(api)
    assert Customer.objects.get(pk=new_id).company_name == "新規リシンク株式会社"
    # Every customer the sandbox no longer lists is marked removed: the one deleted here (when the delete took
    # effect at once) and any the sandbox's own clock ended in those two days (the seed's customer pending
    # deletion, for instance), and no other.
    gone = set(ids) - set(_sandbox_state(api))
    if deleted.status_code == 204:
        assert ids[2] in gone
    assert set(Customer.objects.exclude(removed_at=None).values_list("pk", flat=True)) >= gone
    assert run.counts["removed"] == len(gone)

    before = _cache_state()
    again = sync.resync_full()
    assert _cache_state() == before
    assert again.counts.get("removed", 0) == 0


def test_a_full_resync_lists_first_the_options_of_the_customers_with_most_paid_options(api, monkeypatch):
    """Renewals, one call per paid option, are the busiest operation, paced like the listing they follow: the
    customers with most of them are listed first, so renewals have calls waiting from the first answers on."""
    from options.selectors import renewals_known

    sync.resync_full()
    known = renewals_known()
    assert len(set(known.values())) > 1  # the sandbox's customers differ: the order below means something
    monkeypatch.setattr(fanout, "WORKERS_PER_OPERATION", 1)
    api.clear_requests()
    assert sync.resync_full().status == SyncRun.Status.SUCCEEDED
    listed = [int(r["path"].split("/")[-2]) for r in api.requests(operation_id="listOptionProducts")]
    ids = [
        c["domainId"]
        for c in iter_pages(
            api.client("partner.read", validate=False),
            "/partners/customers",
            "customers",
            count=MAX_PAGE_SIZE["listCustomers"],
        )
    ]
    assert sorted(listed) == sorted(ids)  # each customer's options listed once
    # The listing's first page is read before the next: among its customers, most paid options first.
    page = set(ids[: MAX_PAGE_SIZE["listCustomers"]])
    first = [known.get(d, 0) for d in listed if d in page]
    assert first == sorted(first, reverse=True)


def test_a_first_sync_lists_first_the_options_of_the_customers_on_a_paid_product(api, monkeypatch):
    """On a first sync the cache holds no option to rank by: the customers whose listing names a paid product
    (the only ones with paid options, each with its renewal settings to read) are listed first."""
    from options.models import Option
    from options.selectors import renewals_known

    monkeypatch.setattr(fanout, "WORKERS_PER_OPERATION", 1)
    assert not Option.objects.exists()
    api.clear_requests()
    assert sync.resync_full().status == SyncRun.Status.SUCCEEDED
    listed = [int(r["path"].split("/")[-2]) for r in api.requests(operation_id="listOptionProducts")]
    paid = set(Customer.objects.filter(product_id__in=("STD", "ADV")).values_list("pk", flat=True))
    assert 0 < len(paid) < len(listed)
    on_paid = [domain_id in paid for domain_id in listed]
    assert on_paid == sorted(on_paid, reverse=True)
    assert set(renewals_known()) <= paid  # the guess misses no customer with a renewal setting


def test_server_errors_are_retried_and_the_run_still_converges(api):
    api.clear_requests()
    api.set_fault("getUsageStatus", errorRate=0.3, errorStatus=503)
    api.set_fault("listCustomers", errorRate=0.3, errorStatus=503)
    try:
        run = sync.resync_full()
    finally:
        api.clear_faults()
    failed_answers = [r for r in api.requests() if r.get("status") == 503]
    assert failed_answers, "the faults were injected"
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert _cache_state() == _sandbox_state(api)


def test_timeouts_and_rate_limits_still_converge(api, settings):
    settings.PARTNER_API_READ_TIMEOUT = 1.0
    reset_client_cache()
    api.set_fault("getUsageStatus", timeoutRate=0.2, timeoutSeconds=3)
    api.configure(rateLimit=600, resetRateLimits=True)
    try:
        run = sync.resync_full()
    finally:
        api.clear_faults()
        api.configure(rateLimit=100_000, resetRateLimits=True)
        # The second pass waits as long as the portal does: with the faults gone, a slow answer on a busy
        # machine is not a timeout to recover from.
        settings.PARTNER_API_READ_TIMEOUT = 10.0
        reset_client_cache()
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
    again = sync.resync_full()
    assert again.status == SyncRun.Status.SUCCEEDED, again.errors
    assert _cache_state() == _sandbox_state(api)


def test_customers_whose_calls_keep_failing_are_recorded_and_skipped(api):
    ids = sorted(_sandbox_state(api))
    api.set_fault("getUsageStatus", errorRate=1.0, errorStatus=500)
    try:
        run = sync.resync_full()
    finally:
        api.clear_faults()
    assert run.status == SyncRun.Status.PARTIAL
    assert {e["domain_id"] for e in run.errors if e["operation"] == "getUsageStatus"} == set(ids)
    assert run.done == run.total == len(ids)
    assert run.counts["failed_customers"] == len(ids)
    # Every customer was still listed and stored; each failing call was tried 1 + RETRY_ATTEMPTS times.
    assert Customer.objects.filter(removed_at=None).count() == len(ids)
    assert run.calls["getUsageStatus"] == len(ids) * (1 + sync.RETRY_ATTEMPTS)


def test_overlapping_full_runs_are_refused(api):
    lock = running.Lock(sync.LOCK_KEY)
    assert lock.acquire()
    try:
        with pytest.raises(sync.SyncAlreadyRunning):
            sync.resync_full()
    finally:
        lock.release()


def test_one_customer_refresh_reads_only_that_customer(api):
    sync.resync_full()
    domain_id = sorted(_sandbox_state(api))[3]
    client = api.client("partner", validate=False)
    client.patch(f"/partners/customers/{domain_id}", json={"companyName": "Refreshed One"})
    api.clear_requests()
    run = sync.resync_customer(domain_id=domain_id)
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert Customer.objects.get(pk=domain_id).company_name == "Refreshed One"
    per_customer = {"getCustomer": 1} | {c.operation_id: 1 for c in sync.customer_calls()}
    assert {op: n for op, n in run.calls.items() if op in per_customer} == per_customer
    assert "listCustomers" not in run.calls
    logged = [r for r in api.requests() if r.get("operationId") != "issueToken"]
    assert all(str(domain_id) in r.get("path", str(domain_id)) for r in logged)


def test_every_customer_a_resync_writes_is_marked_written_for_the_copies_derived_from_the_cache(api):
    from portal.core.copies import copies_changed_since
    from portal.core.models import CopyChange

    start = timezone.now()
    sync.resync_full()
    assert copies_changed_since(start) == set(_sandbox_state(api))  # the listing's pages and every store
    domain_id = sorted(_sandbox_state(api))[2]
    CopyChange.objects.update(changed_at=start)
    again = timezone.now()
    sync.resync_customer(domain_id=domain_id)
    assert copies_changed_since(again) == {domain_id}


def test_every_request_sent_is_counted_in_the_run_the_clients_own_retries_included(api, settings):
    """The run's calls per operation equal the requests the sandbox received, request for request, while the
    client retries 503s of reads on its own and the engine retries what still fails."""
    settings.PARTNER_API_MAX_RETRIES = 2
    reset_client_cache()
    api.set_fault("getUsageStatus", errorRate=0.5, errorStatus=503)
    api.set_fault("listSubscriptionPreOrders", errorRate=0.3, errorStatus=503)
    api.clear_requests()
    try:
        run = sync.resync_full()
    finally:
        api.clear_faults()
    log = api.requests(limit=100_000)
    # Requests to operations of the API (not the token endpoint, not the sandbox's own admin pages).
    received = Counter(r["operationId"] for r in log if r.get("operationId") not in (None, "", "issueToken"))
    assert received["getUsageStatus"] > len(_sandbox_state(api))  # retries happened
    assert dict(run.calls) == dict(received)


def test_a_resync_whose_process_died_is_taken_over_within_minutes(api):
    """A full run whose worker was killed holds a lock nobody renews and stays "running": once the lock has
    lapsed (LOCK_TTL_SECONDS), a new request starts a run and closes the dead one as interrupted."""
    from django.core.cache import cache

    dead = SyncRun.objects.create(kind=sync.FULL, scope="all")
    long_ago = timezone.now() - dt.timedelta(seconds=sync.QUEUED_GRACE_SECONDS + 1)
    SyncRun.objects.filter(pk=dead.pk).update(requested_at=long_ago)
    cache.add(sync.LOCK_KEY, "a-worker-that-was-killed", timeout=2)
    # While the dead holder's lock lives, nothing new starts.
    assert sync.resync_full_request(user=None) == (dead, False)
    time.sleep(2.2)  # the lock's time to live; the real one is LOCK_TTL_SECONDS
    run, created = sync.resync_full_request(user=None)
    assert created and run.pk != dead.pk
    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED and dead.finished_at is not None
    assert "Interrupted" in dead.errors[0]["error"]


def test_a_started_resync_whose_lock_lapsed_is_taken_over_at_once_a_queued_one_is_waited_for(api):
    """`make run` stopped during its first sync, started again a minute later: the run its killed worker had
    started (86 of 200 customers) holds no lock any more, so a new request starts a run at once instead of
    following the dead one for the queued runs' grace. A run still waiting for a worker is not doubled."""
    from django.core.cache import cache

    cache.delete(sync.LOCK_KEY)
    a_minute_ago = timezone.now() - dt.timedelta(seconds=60)
    queued = SyncRun.objects.create(kind=sync.FULL, scope="all")
    SyncRun.objects.filter(pk=queued.pk).update(requested_at=a_minute_ago)
    assert sync.resync_full_request(user=None) == (queued, False)

    SyncRun.objects.filter(pk=queued.pk).update(total=200, done=86)  # a worker took it, then died
    run, created = sync.resync_full_request(user=None)
    assert created and run.pk != queued.pk
    queued.refresh_from_db()
    assert queued.status == SyncRun.Status.FAILED and "Interrupted" in queued.errors[0]["error"]


def test_the_running_lock_is_renewed_while_the_run_lives_and_lapses_when_it_dies(api, monkeypatch):
    from django.core.cache import cache

    lock = running.Lock("portal:test-lock", ttl=1)
    assert lock.acquire()
    try:
        time.sleep(2.5)  # more than twice its time to live: alive only because the heartbeat renews it
        assert cache.get("portal:test-lock") == lock.token
        assert not running.Lock("portal:test-lock", ttl=1).acquire()
    finally:
        lock.release()
    assert cache.get("portal:test-lock") is None
    # A holder that dies stops renewing: simulate it by stopping the heartbeat without releasing.
    dying = running.Lock("portal:test-lock", ttl=1)
    assert dying.acquire()
    dying._stop.set()
    time.sleep(1.5)
    assert running.Lock("portal:test-lock", ttl=1).acquire()


def _last_closed_month(sandbox) -> dict[str, int]:
    today = dt.date.fromisoformat(sandbox.clock()["today"])
    last = today.replace(day=1) - dt.timedelta(days=1)
    return {"year": last.year, "month": last.month}


@pytest.fixture
def invoice_walk():
    """A PartnerWide declaration as billing will make it, with a store that keeps what it was handed."""
    from portal.core.contrib import contribute

    stored: list[tuple[dict, list]] = []
    contribute(
        "tests",
        resyncs=[
            sync.PartnerWide(
                name="tests.invoice_details",
                operation_id="listInvoiceDetails",
                store=lambda params, items, synced_at: stored.append((dict(params), items)),
                items_of=lambda page: page.invoice_details,
                cursor_of=lambda page: page.response_meta_data and page.response_meta_data.next_cursor,
                count=20,
            )
        ],
    )
    yield stored
    contribute("tests", resyncs=[])


def test_a_partner_wide_walk_reads_every_page_then_stores_them_at_once(api, invoice_walk):
    month = _last_closed_month(api)
    client = api.client("partner.read", validate=False)
    expected = list(iter_pages(client, "/partners/invoice-details", "invoiceDetails", count=20, **month))
    assert len(expected) > 20  # more than one page
    api.clear_requests()
    run = sync.resync_partner_wide(name="tests.invoice_details", params=month)
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    [(params, items)] = invoice_walk
    assert params == month and len(items) == len(expected)
    pages = -(-len(expected) // 20)
    assert run.calls == {"listInvoiceDetails": pages} and run.done == pages
    sent = [r for r in api.requests(limit=10_000) if r.get("operationId") == "listInvoiceDetails"]
    assert len(sent) == pages


def test_a_partner_wide_walk_that_does_not_complete_stores_nothing(api, invoice_walk):
    month = _last_closed_month(api)
    api.set_fault("listInvoiceDetails", errorRate=1.0, errorStatus=503)
    try:
        run = sync.resync_partner_wide(name="tests.invoice_details", params=month)
    finally:
        api.clear_faults()
    assert run.status == SyncRun.Status.FAILED
    assert invoice_walk == []
