"""The continuous refresh's order (portal/core/sync/need.py, refresh.refresh_plan): the customers that need a
fresh copy first, the rest in turn by the oldest copy; with a fake clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from bench.customers.day import simulate
from customers.models import Customer
from portal.core.models import AuditEntry, RefreshMark
from portal.core.sync import need, refresh, running
from portal.core.sync.need import TURN, Pick, refresh_order

NOW = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)


def minutes_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=n)


def order(size, needs=None, copies=None, oldest=()):
    return refresh_order(now=NOW, size=size, needs=needs or {}, copies=copies or {}, oldest=oldest)


def test_with_no_need_the_oldest_copies_come_in_turn():
    assert order(3, oldest=[5, 2, 9, 1]) == [Pick(5, TURN), Pick(2, TURN), Pick(9, TURN)]


def test_needs_come_first_failed_then_due_then_opened_then_changed():
    copies = {i: minutes_ago(30) for i in range(1, 10)}
    needs = {"changed": [4], "opened": [3], "due": [2], "failed": [1]}
    picks = order(8, needs, copies, oldest=[9, 8, 7, 6, 5])
    assert picks[:4] == [
        Pick(1, "failed"),
        Pick(2, "due", whole=False),  # read for its decision (no other need)
        Pick(3, "opened"),
        Pick(4, "changed"),
    ]
    assert [p.domain_id for p in picks[4:]] == [9, 8, 7, 6]


def test_a_customer_with_two_needs_is_read_once_for_the_first():
    copies = {1: minutes_ago(30)}
    assert order(4, {"failed": [1], "opened": [1]}, copies, oldest=[1]) == [Pick(1, "failed")]


def test_within_a_need_the_oldest_copy_first():
    copies = {1: minutes_ago(20), 2: minutes_ago(90), 3: minutes_ago(45)}
    picks = order(6, {"due": [1, 2, 3]}, copies)
    assert [p.domain_id for p in picks] == [2, 3, 1]


def test_a_need_whose_copy_is_fresh_enough_waits_for_its_turn():
    fresh = need.KEEP_FRESH["due"] - dt.timedelta(minutes=1)
    copies = {1: NOW - fresh, 2: NOW - need.KEEP_FRESH["due"]}
    assert order(1, {"due": [1, 2]}, copies, oldest=[7]) == [Pick(2, "due", whole=False)]
    # A failed read is retried sooner than a due decision's copy is renewed.
    copies = {1: minutes_ago(3)}
    assert order(1, {"failed": [1]}, copies) == [Pick(1, "failed")]
    assert order(1, {"due": [1]}, copies, oldest=[7]) == [Pick(7, TURN)]


def test_needs_take_at_most_half_a_batch_so_every_turn_comes():
    copies = {i: minutes_ago(30) for i in range(100, 120)}
    picks = order(10, {"due": list(copies)}, copies, oldest=[1, 2, 3, 4, 5, 6, 7])
    assert [p.why for p in picks] == ["due"] * 5 + [TURN] * 5
    assert [p.domain_id for p in picks[5:]] == [1, 2, 3, 4, 5]


def test_a_copy_people_look_at_older_than_overdue_comes_first_in_up_to_most_of_a_batch():
    """Twenty customers with a decision due, their copies 50 minutes old, and a failed read: the due ones come
    first, in nine of a batch of ten (not five), the failed read waits, and the turn keeps one."""
    copies = {i: minutes_ago(50 + i / 100) for i in range(100, 120)} | {1: minutes_ago(30)}
    picks = order(10, {"due": list(range(100, 120)), "failed": [1]}, copies, oldest=[7, 8, 9])
    assert [p.why for p in picks] == ["due"] * 9 + [TURN]
    assert [p.domain_id for p in picks[:9]] == list(range(119, 110, -1))  # the oldest first
    # Opened today counts too, as the due ones do; a changed customer is not looked at.
    copies = {1: minutes_ago(45), 2: minutes_ago(90), 3: minutes_ago(120)}
    picks = order(4, {"today": [1], "opened": [2], "changed": [3]}, copies, oldest=[7])
    assert picks[:2] == [Pick(2, "opened"), Pick(1, "today")]


def test_a_customer_with_a_decision_due_and_no_other_need_is_read_for_its_decision_any_other_need_reads_it_whole():
    copies = {i: minutes_ago(50) for i in range(1, 7)}
    needs = {"due": [1, 2, 3, 4], "opened": [2], "today": [3], "failed": [4]}
    picks = {p.domain_id: p for p in order(6, needs, copies, oldest=[5, 6])}
    assert not picks[1].whole  # a decision due alone
    assert picks[2].whole and picks[3].whole and picks[4].whole  # its page opened, or its last read failed
    assert picks[5] == Pick(5, TURN) and picks[6] == Pick(6, TURN)  # in turn: whole


def test_the_shares_are_of_the_busiest_operations_calls_so_the_turn_pays_for_its_whole_reads():
    """Forty calls of the busiest operation, a customer read whole costing 2.5 of them (its options' renewal
    settings) and a read for a decision one: the overdue decisions take 36 calls (36 customers), the turn the
    rest (one customer, 2.5 calls), not four customers as if each cost what a read for a decision does."""
    copies = {i: minutes_ago(50 + i / 100) for i in range(100, 140)}
    picks = refresh_order(
        now=NOW, size=40, needs={"due": list(copies)}, copies=copies, oldest=[1, 2, 3, 4, 5], whole_cost=2.5
    )
    assert [p.why for p in picks] == ["due"] * 36 + [TURN]
    assert not any(p.whole for p in picks[:36]) and picks[36] == Pick(1, TURN)
    # Opened today, the customer is read whole and costs its whole read out of the overdue share.
    picks = refresh_order(
        now=NOW,
        size=40,
        needs={"due": list(copies), "today": [139]},
        copies=copies,
        oldest=[1],
        whole_cost=2.5,
    )
    assert picks[0] == Pick(139, "due") and len([p for p in picks if p.why == "due"]) == 34


def test_a_customer_no_longer_live_is_never_picked_by_need():
    assert order(3, {"failed": [1], "opened": [2]}, {2: minutes_ago(60)}) == [Pick(2, "opened")]


def test_a_batch_is_what_the_busiest_operation_reads_in_its_time():
    assert need.batch_size(rate_per_minute=240, seconds=60, calls_per_customer=1) == 240
    assert need.batch_size(rate_per_minute=240, seconds=60, calls_per_customer=1.2) == 200
    assert need.batch_size(rate_per_minute=1, seconds=1, calls_per_customer=1) == 1
    assert need.oldest_age_at(customers=50_000, calls_per_customer=1.0, rate_per_minute=240) == dt.timedelta(
        minutes=50_000 / 240
    )


# --- The plan read from the cache, the marks and the audit trail (a fake clock) ------------------------------


def _customer(domain_id: int, synced_at: dt.datetime, **kw) -> Customer:
    return Customer.objects.create(
        domain_id=domain_id,
        tenant_id=domain_id,
        domain=f"c{domain_id}.example.com",
        company_name=f"Company {domain_id}",
        synced_at=synced_at,
        **kw,
    )


@pytest.mark.django_db
def test_the_plan_reads_opened_changed_and_failed_customers_before_the_oldest_copies():
    with time_machine.travel(NOW, tick=False):
        for domain_id in range(1, 11):
            _customer(domain_id, minutes_ago(100 - domain_id))  # 1 is the oldest copy, 10 the youngest
        _customer(11, minutes_ago(200), removed_at=minutes_ago(150))  # gone: never read
        _customer(12, minutes_ago(2))  # read a moment ago: not in turn yet
        refresh.refresh_mark_opened(9)
        RefreshMark.objects.update_or_create(domain_id=10, defaults={"failed_at": minutes_ago(10)})
        RefreshMark.objects.update_or_create(domain_id=11, defaults={"failed_at": minutes_ago(10)})
        AuditEntry.objects.create(operation_id="updateCustomer", domain_id=8, outcome="succeeded")
        picks = refresh.refresh_plan(size=6)
    assert picks == [
        Pick(9, "opened"),  # its copy is older than OVERDUE: what people look at comes first
        Pick(10, "failed"),
        Pick(8, "changed"),
        Pick(1, TURN),
        Pick(2, TURN),
        Pick(3, TURN),
    ]


@pytest.mark.django_db
def test_a_page_opened_earlier_today_keeps_its_customer_looked_at_until_the_day_ends():
    """Opened at 09:00 (Japan time), three hours before NOW: no longer 'opened' (the hour), but 'today'; the
    mark stays after a read, and lapses on the next day."""
    with time_machine.travel(NOW - dt.timedelta(hours=3), tick=False):
        refresh.refresh_mark_opened(5)
    with time_machine.travel(NOW, tick=False):
        for domain_id in range(1, 6):
            _customer(domain_id, minutes_ago(100 - domain_id))
        assert refresh.refresh_plan(size=2) == [Pick(5, "today"), Pick(1, TURN)]
        refresh.record_reads([5], failed=set())
        assert RefreshMark.objects.filter(domain_id=5).exists()
    with time_machine.travel(NOW + dt.timedelta(hours=13), tick=False):  # 01:00 the next day in Japan
        refresh.record_reads([], failed=set())
    assert not RefreshMark.objects.exists()


@pytest.mark.django_db
def test_an_open_or_a_failure_long_ago_no_longer_counts(settings):
    with time_machine.travel(NOW - dt.timedelta(hours=13), tick=False):  # 23:00 in Japan the day before
        refresh.refresh_mark_opened(5)
    with time_machine.travel(NOW, tick=False):
        for domain_id in range(1, 6):
            _customer(domain_id, minutes_ago(100 - domain_id))
        assert refresh.refresh_plan(size=2) == [Pick(1, TURN), Pick(2, TURN)]
        refresh.record_reads([5], failed=set())
    assert not RefreshMark.objects.exists()


@pytest.mark.django_db
def test_a_read_that_fails_marks_the_customer_and_a_read_that_succeeds_clears_it():
    with time_machine.travel(NOW, tick=False):
        refresh.record_reads([1, 2, 3], failed={2})
        assert list(RefreshMark.objects.values_list("domain_id", "failed_at")) == [(2, NOW)]
        refresh.record_reads([2], failed=set())
    assert not RefreshMark.objects.exists()


@pytest.mark.django_db
def test_a_page_view_writes_its_mark_once_in_a_while(django_assert_num_queries):
    with time_machine.travel(NOW, tick=False):
        refresh.refresh_mark_opened(7)
        with django_assert_num_queries(0):
            for _ in range(5):
                refresh.refresh_mark_opened(7)
    assert RefreshMark.objects.get(domain_id=7).opened_at == NOW


def test_beat_restarts_the_refresh_every_batch_unless_it_is_turned_off(settings):
    from portal.core.periodic import beat_schedule

    settings.RESYNC_REFRESH_BATCH_SECONDS = 60
    entry = beat_schedule()["resync-refresh"]
    assert entry["task"] == "portal.core.sync.resync_refresh"
    assert entry["schedule"] == 60.0
    settings.RESYNC_REFRESH = False
    assert "resync-refresh" not in beat_schedule()


@pytest.mark.django_db
def test_a_batch_whose_worker_died_is_closed_by_the_next_and_one_refresher_runs_at_a_time():
    from django.core.cache import cache

    from portal.core.models import SyncRun

    lost = SyncRun.objects.create(kind=running.REFRESH, total=10, done=3)
    cache.add(refresh.REFRESH_LOCK_KEY, "another worker", 60)
    assert refresh.resync_refresh() is None  # another refresher holds the lock: nothing done
    lost.refresh_from_db()
    assert lost.finished_at is None
    cache.delete(refresh.REFRESH_LOCK_KEY)  # its worker died: the lock lapsed
    assert refresh.resync_refresh() is None  # no customer to read
    lost.refresh_from_db()
    assert lost.status == SyncRun.Status.FAILED
    assert "a later refresh took over" in lost.errors[0]["error"]
    assert cache.get(refresh.REFRESH_LOCK_KEY) is None


@pytest.mark.django_db
def test_while_a_full_resync_reads_everyone_the_refresh_reads_only_the_customers_that_need_it():
    """A full resync takes hours at 50,000 customers: meanwhile what people look at is still read by need (the
    full resync reads everyone in turn), and with no need the refresh does not start."""
    from django.core.cache import cache

    cache.add(running.LOCK_KEY, "full", 60)
    try:
        with time_machine.travel(NOW, tick=False):
            _customer(1, minutes_ago(60))
            assert refresh.resync_refresh() is None
            _customer(2, minutes_ago(50))
            refresh.refresh_mark_opened(2)
            assert refresh.refresh_plan(size=4, needs_only=True) == [Pick(2, "opened")]
            assert refresh.refresh_plan(size=4) == [Pick(2, "opened"), Pick(1, TURN)]
    finally:
        cache.delete(running.LOCK_KEY)


# --- A day at 50,000 customers, simulated (bench.customers.day: the order and the paced calls, a fake clock) -----


def test_what_people_look_at_stays_under_an_hour_at_50000_customers_paced_at_half_the_limit():
    """50,000 customers as bench.seed makes them (9 % with a decision due within 7 days; 420 pages opened a day
    by ten Account managers and four Support contacts), the refresh at half of 240 calls a minute, one call a
    customer on its busiest operation: over the second day, the oldest copy among the customers people look at
    stays under an hour. Simulated at a fifth of the size and of the rate, which is the same load (the batch, the
    needs and the turn all scale together), so the test takes seconds; `python -m bench.customers needs` plays
    the full size."""
    day = simulate(
        customers=10_000,
        due_share=0.09,
        opens_a_day=84,
        rate_per_minute=240 * 0.5 / 5,
        calls_per_customer=1.0,
    )
    assert day.looked_at > 900
    assert day.looked_at_oldest < need.LOOKED_AT_GOAL
    assert day.read_in_turn > 0  # the others' turn still comes


def test_at_two_and_a_half_calls_a_customer_reads_for_decisions_keep_what_people_look_at_under_an_hour():
    """The same day with bench.seed's options: a customer read whole costs the busiest operation 2.5 calls (each
    option's renewal settings). Read whole, the 950 customers people look at would take 950 x 2.5 calls, more
    than the hour's; read for their decisions (the option that ends, if any: one call at most), they stay under
    the hour, and the turn still comes."""
    day = simulate(
        customers=10_000,
        due_share=0.09,
        opens_a_day=84,
        rate_per_minute=240 * 0.5 / 5,
        calls_per_customer=2.5,
    )
    assert day.looked_at_oldest < need.LOOKED_AT_GOAL
    assert day.read_for_decision > day.read_by_need / 2
    assert day.read_in_turn > 0


def test_beside_a_full_resync_that_gives_way_what_people_look_at_stays_under_an_hour():
    """The same day while a full resync runs all day (at 50,000 customers one does): the refresh reads by need
    alone, and the full resync gives way to it (RESYNC_FULL_SHARE_GIVING_WAY), so the refresh has the rest of
    the rate: what people look at stays under the hour. Shared half and half, as the limiter alone would share
    it, it does not."""
    from django.conf import settings

    def day(rate):
        return simulate(
            customers=10_000,
            due_share=0.09,
            opens_a_day=84,
            rate_per_minute=rate / 5,
            calls_per_customer=2.5,
            needs_only=True,
        )

    sustained = 240 * 0.5
    assert day(sustained * (1 - settings.RESYNC_FULL_SHARE_GIVING_WAY)).looked_at_oldest < need.LOOKED_AT_GOAL
    assert day(sustained / 2).looked_at_oldest > need.LOOKED_AT_GOAL


# --- What a read for a decision reads (refresh._run_batch with a client that records its calls) -----------------


class _RecordingClient:
    """Answers every call with an empty answer but listOptionProducts: two paid options, one ending in three days
    (its renewal is the decision due), one in two hundred."""

    def __init__(self, today: dt.date) -> None:
        from types import SimpleNamespace

        self.calls: list[tuple[str, dict]] = []
        self.options = SimpleNamespace(
            option_products=[
                SimpleNamespace(
                    option_product_id="SSTG2", plan="ANNUAL_LICENSE", plan_end_date=today + dt.timedelta(3)
                ),
                SimpleNamespace(
                    option_product_id="ACV2", plan="ANNUAL_LICENSE", plan_end_date=today + dt.timedelta(200)
                ),
            ]
        )

    def make_room(self, n: int) -> None:
        pass

    def __getattr__(self, name: str):
        from types import SimpleNamespace

        def call(**kw):
            self.calls.append((name, kw))
            return self.options if name == "list_option_products" else SimpleNamespace()

        return call


@pytest.mark.django_db
def test_a_customer_read_for_its_decision_reads_the_renewal_of_the_option_that_ends_not_of_each_option():
    from portal.core import clock
    from portal.core.models import SyncRun

    with time_machine.travel(NOW, tick=False):
        _customer(1, minutes_ago(50))
        _customer(2, minutes_ago(50))
        client = _RecordingClient(clock.today())
        run = refresh._run_batch(
            SyncRun.objects.create(kind=running.REFRESH), [1, 2], client, for_decision=[1]
        )
    renewals = sorted(
        (kw["domain_id"], kw["option_product_id"])
        for name, kw in client.calls
        if name == "get_option_product_renewal"
    )
    assert renewals == [(1, "SSTG2"), (2, "ACV2"), (2, "SSTG2")]
    # Every per-customer call is made for both.
    lists = [kw["domain_id"] for name, kw in client.calls if name == "list_option_products"]
    assert sorted(lists) == [1, 2]
    assert run.counts[refresh.READ_FOR_DECISION] == 1


@pytest.mark.django_db
def test_a_whole_read_costs_the_per_item_calls_of_the_customers_read_whole():
    from portal.core.models import SyncRun

    assert refresh.refresh_whole_cost() == 1.0  # nothing read yet
    SyncRun.objects.create(
        kind=running.REFRESH,
        finished_at=NOW,
        done=100,
        calls={"getOptionProductRenewal": 130 + 20},
        counts={refresh.READ_FOR_DECISION: 80, "getOptionProductRenewal_for_decision": 20},
    )
    assert refresh.refresh_whole_cost() == pytest.approx(130 / 20)
    # A batch of reads for decisions alone says nothing about a whole read: the one before it does.
    SyncRun.objects.create(
        kind=running.REFRESH,
        finished_at=NOW + dt.timedelta(minutes=1),
        done=10,
        calls={"getOptionProductRenewal": 3},
        counts={refresh.READ_FOR_DECISION: 10, "getOptionProductRenewal_for_decision": 3},
    )
    assert refresh.refresh_whole_cost() == pytest.approx(130 / 20)
