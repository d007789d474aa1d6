"""Pacing as LINE WORKS asks: calls that go on for more than 30 minutes keep to half the limit, through the one
limiter, whoever makes them (the resync, the refresh, a bulk send). The limiter's own arithmetic is in
tests/partner_api/test_ratelimit.py; here, that the portal's callers all go through it, paced as set."""

from __future__ import annotations

import pytest

from partner_api.ratelimit import MemoryRateLimiter
from portal.core import sync
from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import Operation
from tests.customers.test_lifecycle import cached_customer  # noqa: F401 - a fixture


@pytest.mark.django_db
@pytest.mark.integration
def test_the_resync_and_a_bulk_send_go_through_the_one_limiter_paced_for_long_runs(
    cached_customer,  # noqa: F811 - the fixture
    portal_sandbox,
    account_manager,
    settings,
    monkeypatch,
):
    """With the window for long runs at 0 minutes, every call is a long run's: the one-customer resync and a
    bulk change's send each reserve their slots on one limiter, spaced for half the limit."""
    settings.PARTNER_API_SUSTAINED_MINUTES = 0
    reserved: list[tuple[int, str, float, float, float | None]] = []
    reserve = MemoryRateLimiter._reserve

    def recording(self, key, pacing, burst, ahead):
        reserved.append((id(self), key, pacing.interval, pacing.sustained, pacing.after))
        return reserve(self, key, pacing, burst, ahead)

    monkeypatch.setattr(MemoryRateLimiter, "_reserve", recording)
    run = sync.resync_customer(domain_id=cached_customer.domain_id)
    assert run.status == "succeeded", run.errors
    assert run.customer_name == cached_customer.company_name  # the Sync page names it without a read
    batch = bulk.batch_check(
        user=account_manager,
        action=bulk.bulk_action("customers.max_users"),
        values={"max_member_count": 123},
        keys=[str(cached_customer.domain_id)],
    )
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    operation = Operation.objects.get(kind="patchUsageStatus")
    change_run(operation_pk=str(operation.pk))
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED, operation.error

    keys = {key for _, key, *_ in reserved}
    assert {"getCustomer", "patchUsageStatus"} <= keys
    assert len({limiter for limiter, *_ in reserved}) == 1
    for _, key, interval, sustained, after in reserved:
        assert after == 0, key
        assert sustained == pytest.approx(2 * interval), key


@pytest.mark.django_db
@pytest.mark.integration
def test_a_refresh_batch_leaves_the_sync_pages_figure_of_what_people_look_at(
    cached_customer,  # noqa: F811 - the fixture
    portal_sandbox,
):
    """The Sync page reads the oldest copy among the customers people look at from the cache, where each batch of
    the refresh leaves it: opened today, the customer counts, and its copy is the one just read."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from customers.models import Customer
    from portal.core.sync import refresh

    cache.delete(refresh.LOOKED_AT_KEY)
    before = timezone.now()
    Customer.objects.filter(pk=cached_customer.pk).update(synced_at=before - dt.timedelta(hours=2))
    refresh.refresh_mark_opened(cached_customer.domain_id)
    run = refresh.resync_refresh(size=1)
    assert run is not None and run.done == 1
    oldest, count = cache.get(refresh.LOOKED_AT_KEY)
    assert count == 1 and oldest >= before


@pytest.mark.django_db
@pytest.mark.integration
def test_a_full_resync_gives_way_while_the_refresh_beside_it_has_customers_people_look_at(
    cached_customer,  # noqa: F811 - the fixture
    portal_sandbox,
):
    """While a full resync runs, a refresh batch with a customer to read by need (a page opened today) says so,
    and the full resync's calls then keep to their share (its client's limiter gives way); a batch with no one to
    read by need takes that back, and the full resync has the whole rate again."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from customers.models import Customer
    from partner_api import GivingWay
    from portal.core.partner import get_client
    from portal.core.sync import refresh, running

    cache.delete(running.REFRESH_WANTED_KEY)
    full = get_client(giving_way=running.full_resync_gives_way)
    assert isinstance(full.transport.limiter, GivingWay) and get_client() is not full
    assert not running.full_resync_gives_way()
    cache.set(running.LOCK_KEY, "a full resync elsewhere", 60)
    try:
        Customer.objects.filter(pk=cached_customer.pk).update(
            synced_at=timezone.now() - dt.timedelta(hours=2)
        )
        refresh.refresh_mark_opened(cached_customer.domain_id)
        run = refresh.resync_refresh(size=1)
        assert run is not None and run.done == 1
        assert running.full_resync_gives_way() and full.transport.limiter.giving_way()
        from portal.core.models import RefreshMark

        RefreshMark.objects.all().delete()
        assert refresh.resync_refresh(size=1) is None
        assert not running.full_resync_gives_way()
    finally:
        cache.delete(running.LOCK_KEY)
