"""The rate limiter: the timeline's arithmetic in memory, and 4 worker processes sharing a timeline in Redis."""

from __future__ import annotations

import multiprocessing
import threading
import uuid

import pytest
import redis

from partner_api import ConfigurationError, GivingWay, MemoryRateLimiter, RateLimitedError, RedisRateLimiter
from partner_api.ratelimit import MAX_SLACK
from tests.partner_api import limiter_worker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_timeline_grants_the_configured_rate():
    """240 a minute: slots 0.25 s apart, plus the slack (at most MAX_SLACK) shared out, so that a minute and its
    slack hold the limit, and no more."""
    clock = Clock()
    limiter = MemoryRateLimiter(limit=240, period=60, clock=clock, sleep=lambda s: None)
    interval = (60 + MAX_SLACK) / 240
    assert limiter.interval_for("op") == pytest.approx(interval)
    assert limiter.try_acquire("op").granted
    refused = limiter.try_acquire("op")
    assert not refused.granted and refused.wait == pytest.approx(interval)
    clock.now += interval
    assert limiter.try_acquire("op").granted
    # Waiting as told, 240 calls go in the first minute, and the 241st at the minute and the slack.
    start = clock.now

    def sleep(seconds):
        clock.now += seconds

    waiting = MemoryRateLimiter(limit=240, period=60, clock=clock, sleep=sleep)
    sent = []
    for _ in range(241):
        waiting.acquire("op")
        sent.append(clock.now - start)
    assert sent[239] < 60
    assert sent[240] == pytest.approx(60 + MAX_SLACK)


def test_a_thread_late_for_its_slot_costs_the_next_one_nothing():
    """The timeline, not the moment a thread woke, sets the next slot: three calls woken 10 ms late each still
    go one interval apart on the timeline; one woken later than the slack lets its slot go and takes the next."""
    clock = Clock()
    late = [0.01, 0.01, 0.01, 0.2, 0.0]

    def sleep(seconds):
        clock.now += seconds + late.pop(0)

    limiter = MemoryRateLimiter(limit=60, period=60, clock=clock, sleep=sleep)
    interval = limiter.interval_for("op")
    start = clock.now
    limiter.acquire("op")  # the first slot is now: no sleep
    sent = []
    for _ in range(4):
        limiter.acquire("op")
        sent.append(clock.now - start)
    assert sent == [
        pytest.approx(interval + 0.01),
        pytest.approx(2 * interval + 0.01),  # a bucket would have lost the first lateness: + 0.02
        pytest.approx(3 * interval + 0.01),
        pytest.approx(5 * interval),  # 0.2 s late: the fourth slot went unused
    ]
    assert late == []


def slots_of_threads(limiters, *, threads_each: int, calls_each: int = 5) -> tuple[list[float], int]:
    """Run `threads_each` threads on each limiter, each making `calls_each` calls of one operation; the slots the
    limiters reserved (by the timeline's clock), in order, and the calls sent."""
    slots: list[float] = []
    sent: list[None] = []
    for limiter in limiters:

        def recording(key, pacing, burst, ahead, reserve=limiter._reserve):
            grant = reserve(key, pacing, burst, ahead)
            slots.append(grant.now + grant.wait)
            return grant

        limiter._reserve = recording

    def calls(limiter):
        for _ in range(calls_each):
            limiter.acquire("op")
            sent.append(None)

    threads = [
        threading.Thread(target=calls, args=(limiter,)) for limiter in limiters for _ in range(threads_each)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(slots), len(sent)


def assert_one_interval_apart(slots: list[float], interval: float, *, tolerance: float) -> None:
    """No two slots closer than the interval, and most of them back to back (threads were waiting)."""
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False)]
    assert all(gap >= interval - tolerance for gap in gaps)
    assert gaps.count(pytest.approx(interval, abs=tolerance)) >= 30


def test_threads_waiting_for_one_operation_each_take_their_own_slot():
    """8 threads each make 5 calls at 1,200 a minute on the real clock: each reserves its own slot, and the slots
    fall one interval apart."""
    limiter = MemoryRateLimiter(limit=1200, period=60)
    slots, sent = slots_of_threads([limiter], threads_each=8)
    assert sent == 40 and len(slots) >= 40  # a thread woken past the slack takes another slot
    assert_one_interval_apart(slots, limiter.interval_for("op"), tolerance=1e-9)


def test_timelines_are_per_operation_and_limits_configurable():
    clock = Clock()
    limiter = MemoryRateLimiter(limit=240, period=60, limits={"listInvoices": 60}, clock=clock)
    assert limiter.try_acquire("getCustomer").granted
    assert limiter.try_acquire("listCustomers").granted
    assert limiter.rate_for("listInvoices") == 1.0
    assert limiter.rate_for("getCustomer") == 4.0


def test_acquire_sleeps_until_its_slot():
    clock = Clock()
    waits: list[float] = []

    def sleep(seconds):
        waits.append(seconds)
        clock.now += seconds

    limiter = MemoryRateLimiter(limit=60, period=60, clock=clock, sleep=sleep)
    for _ in range(3):
        limiter.acquire("op")
    assert waits == [pytest.approx(limiter.interval_for("op"))] * 2
    assert limiter.interval_for("op") == pytest.approx(1 + MAX_SLACK / 60)


def test_a_lower_limit_the_server_states_becomes_the_operations_own_and_a_higher_one_does_not():
    limiter = MemoryRateLimiter(limit=240, period=60, clock=Clock())
    limiter.heed("listCustomers", limit=60, remaining=59, reset=60)
    limiter.heed("getCustomer", limit=1000, remaining=999, reset=60)
    limiter.heed("getUsageStatus", limit=None, remaining=None, reset=None)
    assert limiter.rate_for("listCustomers") == 1.0
    assert limiter.rate_for("getCustomer") == limiter.rate_for("getUsageStatus") == 4.0


def test_no_call_left_in_the_servers_window_holds_the_operation_until_it_resets():
    clock = Clock()
    waits: list[float] = []

    def sleep(seconds):
        waits.append(seconds)
        clock.now += seconds

    limiter = MemoryRateLimiter(limit=240, period=60, clock=clock, sleep=sleep)
    limiter.heed("listCustomers", limit=240, remaining=0, reset=7)
    assert limiter.acquire("getCustomer") == 0.0  # another operation is not held
    assert limiter.acquire("listCustomers") == pytest.approx(7.0)
    assert waits == [pytest.approx(7.0)]


def test_a_thread_waiting_for_its_slot_when_the_server_says_its_window_is_used_up_waits_out_the_hold():
    """Slots are reserved ahead: one a thread sleeps towards is not used if, meanwhile, another thread's answer
    said the server's window is used up; the thread waits out the hold, then takes a new slot."""
    clock = Clock()
    limiter = MemoryRateLimiter(limit=60, period=60, clock=clock)
    waits: list[float] = []

    def sleep(seconds):
        if not waits:  # while this thread sleeps, another's answer says the window is used up for 7 s
            limiter.heed("op", limit=60, remaining=0, reset=7)
        waits.append(seconds)
        clock.now += seconds

    limiter._sleep = sleep
    limiter.acquire("op")  # the first slot: now
    start = clock.now
    limiter.acquire("op")
    interval = limiter.interval_for("op")
    # The reserved slot (one interval on), then the hold from the moment it was heard, then a new slot.
    assert waits[:2] == [pytest.approx(interval), pytest.approx(7 - interval)]
    assert clock.now - start >= 7


# --- Sustained use: calls that go on for more than 30 minutes keep to half the limit (the vendor's guidance) ---


def sustained_limiter(clock: Clock) -> MemoryRateLimiter:
    def sleep(seconds):
        clock.now += seconds

    return MemoryRateLimiter(
        limit=240, period=60, sustained_after=30 * 60, sustained_share=0.5, clock=clock, sleep=sleep
    )


def per_minute(limiter: MemoryRateLimiter, clock: Clock, minutes: float, key: str = "op") -> float:
    """Calls a minute sent back to back for `minutes` (by the limiter's clock), each waiting as told."""
    end = clock.now + minutes * 60
    sent = 0
    while True:
        limiter.acquire(key)
        if clock.now >= end:
            return sent / minutes
        sent += 1


FULL = pytest.approx(240, rel=0.01)  # the slack shared out makes a minute hold 239.8 calls
HALF = pytest.approx(120, rel=0.01)


def test_calls_that_go_on_past_the_sustained_window_keep_to_half_the_limit():
    """A resync at 240 a minute: its first half hour at the full rate, then 120 a minute for as long as it goes on;
    another operation, idle until now, still gets the full rate."""
    clock = Clock()
    limiter = sustained_limiter(clock)
    assert per_minute(limiter, clock, 1) == FULL
    assert per_minute(limiter, clock, 28.9) == FULL
    per_minute(limiter, clock, 1)  # the window passes during this minute
    for _ in range(5):
        assert per_minute(limiter, clock, 1) == HALF
    assert per_minute(limiter, clock, 60) == HALF
    assert limiter.sustained_interval_for("op") == pytest.approx(2 * limiter.interval_for("op"))
    assert per_minute(limiter, clock, 1, key="other") == FULL


def test_a_short_burst_of_changes_gets_the_full_rate_and_a_pause_of_a_minute_ends_a_long_run():
    clock = Clock()
    limiter = sustained_limiter(clock)
    per_minute(limiter, clock, 40)
    assert per_minute(limiter, clock, 1) == HALF
    clock.now += 30  # a pause shorter than the server's window: the run goes on
    assert per_minute(limiter, clock, 1) == HALF
    clock.now += 61  # a minute without a call: what comes next is a new run
    assert per_minute(limiter, clock, 1) == FULL
    assert per_minute(limiter, clock, 10) == FULL


def test_no_sustained_window_keeps_the_full_rate_and_a_bad_share_is_refused():
    clock = Clock()
    limiter = MemoryRateLimiter(
        limit=240, period=60, clock=clock, sleep=lambda s: setattr(clock, "now", clock.now + s)
    )
    per_minute(limiter, clock, 45)
    assert per_minute(limiter, clock, 1) == FULL
    with pytest.raises(ConfigurationError):
        MemoryRateLimiter(limit=240, sustained_after=1800, sustained_share=0)
    with pytest.raises(ConfigurationError):
        MemoryRateLimiter(limit=240, sustained_after=1800, sustained_share=1.5)


def test_calls_giving_way_keep_to_their_share_and_leave_the_rest_to_the_others():
    """The full resync gives way to the refresh: while asked to, its calls keep to a quarter of the operation's
    rate, and calls of the plain limiter sent in between still find three quarters of it free; once no longer
    asked (rechecked every few seconds), it has the full rate again."""
    clock = Clock()
    limiter = sustained_limiter(clock)
    wanted = [True]
    giving = GivingWay(limiter, share=0.25, wanted=lambda: wanted[0], clock=clock)
    assert per_minute(giving, clock, 5) == pytest.approx(60, rel=0.02)
    # Beside it, a plain caller takes every slot that falls free while the one giving way waits (its sleep).
    plain = [0]
    both = MemoryRateLimiter(
        limit=240, period=60, sustained_after=30 * 60, sustained_share=0.5, clock=clock, sleep=lambda s: None
    )

    def sleep(seconds):
        until = clock.now + seconds
        while True:
            grant = both.try_acquire("op")
            if grant.granted:
                plain[0] += 1
            elif clock.now + grant.wait <= until:
                clock.now += grant.wait
            else:
                break
        clock.now = until

    both._sleep = sleep
    sharing = GivingWay(both, share=0.25, wanted=lambda: True, clock=clock)
    assert per_minute(sharing, clock, 10) == pytest.approx(60, rel=0.02)
    assert plain[0] / 10 == pytest.approx(180, rel=0.02)
    wanted[0] = False
    clock.now += 10
    assert per_minute(giving, clock, 1) == FULL
    with pytest.raises(ConfigurationError):
        GivingWay(limiter, share=0, wanted=lambda: True)


def test_a_question_that_fails_never_stops_the_calls_giving_way():
    clock = Clock()

    def broken():
        raise RuntimeError("the cache is down")

    giving = GivingWay(sustained_limiter(clock), share=0.25, wanted=broken, clock=clock)
    assert per_minute(giving, clock, 1) == FULL


@pytest.mark.integration
def test_redis_timelines_keep_to_the_sustained_share_once_the_run_is_long_enough(redis_url, redis_prefix):
    """In Redis as in memory: a run older than the window (none at all here) is spaced at half the limit; a
    window not reached yet leaves the full rate."""
    client = redis.Redis.from_url(redis_url)
    halved = RedisRateLimiter(
        client, prefix=redis_prefix, limit=60, period=60, sustained_after=0, sustained_share=0.5
    )
    # The wait counts from Redis's clock at the refusal; adding the time between the two calls (a busy machine
    # may take tens of milliseconds) gives the spacing the limiter keeps.
    first = halved.try_acquire("op")
    refused = halved.try_acquire("op")
    assert first.granted and not refused.granted
    spacing = refused.wait + (refused.now - first.now)
    assert spacing == pytest.approx(2 * halved.interval_for("op"), abs=0.01)
    full = RedisRateLimiter(
        client, prefix=redis_prefix, limit=60, period=60, sustained_after=3600, sustained_share=0.5
    )
    first = full.try_acquire("other")
    refused = full.try_acquire("other")
    assert first.granted and not refused.granted
    spacing = refused.wait + (refused.now - first.now)
    assert spacing == pytest.approx(full.interval_for("other"), abs=0.01)


def test_acquire_gives_up_past_max_wait():
    limiter = MemoryRateLimiter(limit=1, period=3600, clock=Clock(), max_wait=10, sleep=lambda s: None)
    limiter.acquire("op")
    with pytest.raises(RateLimitedError, match="op"):
        limiter.acquire("op")


@pytest.fixture
def redis_prefix(redis_url):
    prefix = f"test:partner_api:ratelimit:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def run_workers(target, args_list):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, queue)) for args in args_list]
    for process in processes:
        process.start()
    results = [queue.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return results


@pytest.mark.integration
def test_four_processes_share_one_timeline_in_redis(redis_url, redis_prefix):
    """10 tokens an hour, 4 processes trying 10 times each without waiting: exactly 10 are granted."""
    results = run_workers(
        limiter_worker.try_many, [(redis_url, redis_prefix, 10, 3600.0, 10, 10) for _ in range(4)]
    )
    assert sum(results) == 10


@pytest.mark.integration
def test_four_waiting_processes_never_exceed_the_rate(redis_url, redis_prefix):
    """4 processes each take 5 slots at 20/s. By the Redis clock, no span of grants holds more requests
    than the rate allows over that span (burst 1): n grants need at least (n - 1) / rate seconds."""
    rate = 20.0
    results = run_workers(
        limiter_worker.take_blocking, [(redis_url, redis_prefix, 1200, 60.0, 5) for _ in range(4)]
    )
    stamps = sorted(t for worker in results for t in worker)
    assert len(stamps) == 20
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            assert j - i + 1 <= 1 + rate * (stamps[j] - stamps[i]) + 1e-3, (i, j)


@pytest.mark.integration
def test_threads_of_two_limiters_sharing_a_redis_timeline_each_take_their_own_slot(redis_url, redis_prefix):
    """Two limiters on one Redis timeline (as two processes have), 4 threads each, 5 calls a thread at 1,200 a
    minute: the slots Redis hands out, by its own clock, fall at least one interval apart, back to back while
    threads wait."""
    limiters = [
        RedisRateLimiter(redis.Redis.from_url(redis_url), prefix=redis_prefix, limit=1200, period=60)
        for _ in range(2)
    ]
    slots, sent = slots_of_threads(limiters, threads_each=4)
    assert sent == 40 and len(slots) >= 40
    # Redis states times to the microsecond.
    assert_one_interval_apart(slots, limiters[0].interval_for("op"), tolerance=2e-6)


@pytest.mark.integration
def test_redis_limiter_blocks_in_process(redis_url, redis_prefix):
    waits: list[float] = []
    limiter = RedisRateLimiter(
        redis.Redis.from_url(redis_url),
        prefix=redis_prefix,
        limit=1,
        period=3600,
        sleep=waits.append,
        max_wait=5,
    )
    assert limiter.acquire("op") == 0.0
    with pytest.raises(RateLimitedError):
        limiter.acquire("op")
    assert waits == []


def test_redis_outage_falls_back_to_a_per_process_timeline(caplog):
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    waits: list[float] = []
    limiter = RedisRateLimiter(unreachable, prefix="x", limit=60, period=60, sleep=waits.append)
    limiter.acquire("op")
    limiter.acquire("op")
    assert len(waits) >= 1 and waits[0] == pytest.approx(1.0, abs=0.05)
    warnings = [r for r in caplog.records if r.name == "partner_api.ratelimit"]
    assert len(warnings) == 1 and "Redis unavailable" in warnings[0].getMessage()


@pytest.mark.integration  # starts a sandbox of its own
@pytest.mark.django_db
def test_a_server_set_lower_than_our_limit_answers_no_429(portal_api):
    """A sandbox that allows 5 calls per 2-second window, asked by a client set to 50 per 2 seconds: the client
    heeds the `rateLimit-*` headers of the first answers (the server's lower limit, and a window used up), so
    not one call meets a 429 (before the client heeded them, some did, and waited for the window to reset)."""
    from partner_api import PartnerClient
    from portal.core.partner import get_client
    from sandbox.testing import start_sandbox

    with start_sandbox(
        seed_customers=2, rate_limit=5, extra_env={"SANDBOX_RATE_WINDOW_SECONDS": "2"}
    ) as sandbox:
        portal_api(sandbox, rate_limit=5)  # keeps the server's 5 (portal_api sets the sandbox's limit too)
        limiter = MemoryRateLimiter(limit=50, period=2)
        client = PartnerClient(base_url=sandbox.base_url, auth=get_client().auth, limiter=limiter)
        try:
            for _ in range(12):
                client.list_customers(count=10)
        finally:
            client.close()
        statuses = [r["status"] for r in sandbox.requests(operation_id="listCustomers")]
        assert statuses == [200] * 12
        assert limiter.rate_for("listCustomers") == 5 / 2
