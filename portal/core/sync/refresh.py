"""The continuous refresh, ordered by need (need.py): the marks pages and writes leave (`refresh_mark_opened`)
and a run's reads clear (`record_reads`), the customers of each need, the batch's plan (`refresh_plan`) and the
batch read (`resync_refresh`); the oldest copy among the customers people look at (`looked_at_oldest`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.core.models import AuditEntry, RefreshMark, SyncRun
from portal.core.sync import need
from portal.core.sync.declarations import (
    CustomerCall,
    PerCustomer,
    customer_calls,
    customer_listing,
    due_soon,
    item_calls,
)
from portal.core.sync.fanout import Fanout
from portal.core.sync.running import (
    FULL,
    REFRESH,
    Lock,
    Recorder,
    finish_run,
    full_resync_running,
    interrupted,
    say_refresh_wanted,
)

logger = logging.getLogger(__name__)

#: The continuous refresh: one refresher at a time (its own lock, renewed like the full resync's).
REFRESH_LOCK_KEY = "portal:resync:refresh"
#: A customer whose copy is younger than this is not read in turn (a small partner's refresh then rests).
REFRESH_TURN_MIN_AGE = dt.timedelta(minutes=5)
#: A page view or a write marks its customer at most this often (one row written, not one per view).
REFRESH_MARK_EVERY_SECONDS = 300
#: The oldest copy among the customers people look at, and how many they are (the Sync page's figure), as the
#: last refresh batch or page worked it out; kept this long.
LOOKED_AT_KEY = "portal:refresh:looked-at"
LOOKED_AT_KEEP_SECONDS = 600
#: A refresh run's count of the customers it read for a decision due alone (need.Pick.whole False).
READ_FOR_DECISION = "read_for_decision"


def refresh_mark_opened(domain_id: int) -> None:
    """Note that a customer's page was opened, for the refresh to keep its copy fresher for a while. Cheap: one
    row written per customer at most every REFRESH_MARK_EVERY_SECONDS (a key in the shared cache stands for the
    views in between)."""
    if not cache.add(f"portal:refresh-mark:opened:{domain_id}", 1, REFRESH_MARK_EVERY_SECONDS):
        return
    RefreshMark.objects.update_or_create(domain_id=domain_id, defaults={"opened_at": timezone.now()})


def record_reads(read: Iterable[int], failed: set[int]) -> None:
    """After a run: the customers whose read failed are marked so (read first next time), the others read
    lose that mark; marks with no reason left are dropped."""
    now = timezone.now()
    read = set(read)
    marked = RefreshMark.objects.filter(failed_at__isnull=False).values_list("domain_id", flat=True)
    cleared = sorted(domain_id for domain_id in marked if domain_id in read and domain_id not in failed)
    for start in range(0, len(cleared), 500):
        RefreshMark.objects.filter(domain_id__in=cleared[start : start + 500]).update(failed_at=None)
    if failed:
        RefreshMark.objects.bulk_create(
            [RefreshMark(domain_id=domain_id, failed_at=now) for domain_id in sorted(failed)],
            update_conflicts=True,
            unique_fields=["domain_id"],
            update_fields=["failed_at"],
        )
    RefreshMark.objects.filter(
        Q(opened_at=None) | Q(opened_at__lt=_opened_since(now)), failed_at=None
    ).delete()


def _opened_since(now: dt.datetime) -> dt.datetime:
    """Opens since this moment still count: within the hour, and all of today (the business day)."""
    from portal.core import clock

    return min(now - need.OPENED_WINDOW, clock.midnight(clock.today()))


def _due_window(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The business dates of the decisions the refresh reads ahead (need "due"): those people look at (DUE_DAYS
    from today), and in the hour before midnight those the next day brings into the window."""
    from portal.core import clock

    today = clock.today()
    ahead = (now + need.DUE_AHEAD).astimezone(clock.midnight(today).tzinfo).date()
    return today, ahead + dt.timedelta(days=need.DUE_DAYS - 1)


def refresh_needs(now: dt.datetime) -> dict[str, list[int]]:
    """The customers of each need (need.NEEDS) as of `now`."""
    from portal.core import clock

    marks = RefreshMark.objects.all()
    today = clock.today()
    due = _due_customers(*_due_window(now))
    return {
        "failed": list(marks.filter(failed_at__isnull=False).values_list("domain_id", flat=True)),
        "due": sorted(due),
        "opened": list(
            marks.filter(opened_at__gte=now - need.OPENED_WINDOW).values_list("domain_id", flat=True)
        ),
        "today": list(marks.filter(opened_at__gte=clock.midnight(today)).values_list("domain_id", flat=True)),
        # Writes through the portal: the audit trail's recent entries (by its time index).
        "changed": [
            domain_id
            for domain_id in AuditEntry.objects.filter(
                created_at__gte=now - need.CHANGED_WINDOW, domain_id__isnull=False
            )
            .order_by()
            .values_list("domain_id", flat=True)
            .distinct()
            if domain_id is not None
        ],
    }


def looked_at() -> set[int]:
    """The customers people look at (need.LOOKED_AT): a decision due within DUE_DAYS (today included), or a page
    opened today (the business day)."""
    from portal.core import clock

    today = clock.today()
    found = _due_customers(today, today + dt.timedelta(days=need.DUE_DAYS - 1))
    found.update(
        RefreshMark.objects.filter(opened_at__gte=clock.midnight(today)).values_list("domain_id", flat=True)
    )
    return found


def _due_customers(first: dt.date, last: dt.date) -> set[int]:
    """The customers with a declared decision due from `first` to `last` (need "due")."""
    found: set[int] = set()
    for declared in due_soon():
        found.update(declared.customers(first, last))
    return found


def looked_at_oldest() -> tuple[dt.datetime | None, int]:
    """When the oldest copy among the customers people look at (still in the API) was read, and how many they
    are: the figure the refresh keeps under need.LOOKED_AT_GOAL, shown on the Sync page. Worked out by the
    refresh after each batch and kept in the shared cache (at 50,000 customers it reads thousands of them); a
    page finding none works it out once for the next LOOKED_AT_KEEP_SECONDS."""
    found = cache.get(LOOKED_AT_KEY)
    if found is None:
        return _store_looked_at()
    oldest, count = found
    return oldest, count


def _store_looked_at() -> tuple[dt.datetime | None, int]:
    copies = customer_listing().copies_of(sorted(looked_at()))
    found = (min((stamp for stamp in copies.values() if stamp is not None), default=None), len(copies))
    cache.set(LOOKED_AT_KEY, found, LOOKED_AT_KEEP_SECONDS)
    return found


def refresh_batch_size() -> int:
    """The calls of the busiest operation a batch has: what the sustained rate allows in
    RESYNC_REFRESH_BATCH_SECONDS (calls that go on for long keep to a share of the limit). A read for a decision
    costs one of them, a customer read whole `refresh_whole_cost()`."""
    from django.conf import settings

    from portal.core.partner import sustained_rate

    # The refresh goes on for hours: the limiter paces it at the sustained share of the limit.
    return need.batch_size(
        rate_per_minute=sustained_rate(), seconds=settings.RESYNC_REFRESH_BATCH_SECONDS, calls_per_customer=1
    )


def refresh_whole_cost() -> float:
    """What a customer read whole costs the busiest operation: a per-item operation's calls per customer read whole
    in the last full resync or refresh that read one whole (its calls for the customers read for a decision
    alone set apart), at least one."""
    runs = (
        SyncRun.objects.filter(kind__in=[FULL, REFRESH], done__gt=0)
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .values("calls", "counts", "done")[:10]
    )
    for last in runs:
        counts = last["counts"] or {}
        whole = last["done"] - counts.get(READ_FOR_DECISION, 0)
        if whole <= 0:
            continue
        per_customer = 1.0
        for item_call in item_calls():
            op = item_call.operation_id
            calls = (last["calls"] or {}).get(op, 0) - counts.get(f"{op}_for_decision", 0)
            per_customer = max(per_customer, calls / whole)
        return per_customer
    return 1.0


def refresh_plan(size: int | None = None, *, needs_only: bool = False) -> list[need.Pick]:
    """The customers the next batch reads, by need, then in turn (need.refresh_order); by need alone while a
    full resync reads everyone in turn (`needs_only`). `size`: the batch's customers (each read costing one);
    by default the busiest operation's calls a batch has (`refresh_batch_size`), a customer read whole costing
    `refresh_whole_cost()` of them."""
    source = customer_listing()
    whole_cost = 1.0 if size is not None else refresh_whole_cost()
    size = refresh_batch_size() if size is None else size
    now = timezone.now()
    needs = refresh_needs(now)
    wanted = sorted({domain_id for ids in needs.values() for domain_id in ids})
    turn = max(1, int(size / whole_cost))
    return need.refresh_order(
        now=now,
        size=size,
        needs=needs,
        copies=source.copies_of(wanted),
        oldest=[] if needs_only else source.oldest_first(turn + turn // 2 + 1, now - REFRESH_TURN_MIN_AGE),
        whole_cost=whole_cost,
    )


def resync_refresh(*, size: int | None = None) -> SyncRun | None:
    """Read the next batch of customers (refresh_plan): each with its one-customer read and every per-customer
    and per-item call (of a customer read for a decision alone, the per-item calls about its decision), paced
    by the limiter, recorded as a SyncRun of kind "refresh". None when another refresher is under way, or when
    no customer needs reading. While a full resync runs (hours at 50,000 customers), it reads only the customers
    that need it (what people look at stays fresh; the full resync reads everyone in turn), sharing the rate with
    it through the limiter; while it has any, the full resync gives way to it (`full_resync_gives_way`)."""
    from portal.core.partner import get_client

    needs_only = full_resync_running()
    lock = Lock(REFRESH_LOCK_KEY)
    if not lock.acquire():
        logger.info("refresh: another refresh is under way; not started")
        return None
    try:
        interrupted(
            SyncRun.objects.filter(kind=REFRESH, finished_at=None),
            gettext_noop("Interrupted: the process running it stopped; a later refresh took over."),
        )
        picks = refresh_plan(size, needs_only=needs_only)
        if needs_only:
            say_refresh_wanted(bool(picks))
        if not picks:
            if needs_only:
                logger.info("refresh: a full resync is under way and no customer needs reading; not started")
            else:
                logger.info("refresh: every copy is younger than %s; resting", REFRESH_TURN_MIN_AGE)
            return None
        why = Counter(pick.why for pick in picks)
        run = SyncRun.objects.create(
            kind=REFRESH, scope=",".join(f"{k}={why[k]}" for k in (*need.NEEDS, need.TURN) if why[k])
        )
        run = _run_batch(
            run,
            [pick.domain_id for pick in picks],
            get_client(),
            for_decision=[pick.domain_id for pick in picks if not pick.whole],
        )
        _store_looked_at()
        return run
    finally:
        lock.release()


def _run_batch(
    run: SyncRun, domain_ids: list[int], client: Any, *, for_decision: Collection[int] = ()
) -> SyncRun:
    """Read these customers whole, but those `for_decision`: for the decision due alone (Fanout)."""
    source = customer_listing()
    # The one-customer read goes through the fan-out like any per-customer call: paced by its own operation.
    read_one = CustomerCall(
        source.get_operation_id,
        [
            PerCustomer(
                name="customer",
                operation_id=source.get_operation_id,
                store=lambda domain_id, remote, synced_at: source.store_one(remote, synced_at),
                on_not_found=lambda domain_id, at: source.mark_one_removed(domain_id, at),
            )
        ],
    )
    rec = Recorder(run)
    fanout = Fanout(
        client,
        rec,
        [read_one, *customer_calls()],
        item_calls(),
        ranked=True,
        for_decision=for_decision,
        due_window=_due_window(timezone.now()),
    )
    if for_decision:
        rec.counts[READ_FOR_DECISION] = len(set(for_decision) & set(domain_ids))
    try:
        run.total += len(domain_ids)
        fanout.submit(domain_ids)
        rec.save(force=True)
        fanout.drain(block=True)
    finally:
        fanout.close()
    record_reads(domain_ids, rec.failed_customers)
    return finish_run(rec, SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED)
