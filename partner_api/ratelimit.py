"""Client-side rate limiting: a timeline of send slots per API operation, shared by every process through Redis.

The Partner API allows a number of requests per minute per operation, counted for the whole tenant. Every
web and worker process reserves a slot on the operation's timeline before each attempt (retries included), so
together they stay under the limit. Slots are one interval apart, and the timeline, not the moment a thread
happened to wake, sets the next one: a thread that wakes a little late for its slot (the interpreter held by
another thread, a loaded machine) still sends, and the next slot stays where it was, so lateness is not lost
pace. Each thread reserves its own slot as it asks and sleeps until it: the threads waiting for one operation
wake one by one, each at its own slot, with no hand-off between them. A thread later than the slack (one
interval, at most `MAX_SLACK` seconds) lets its slot go and reserves another.

The interval is the period plus the slack, divided by the limit: with every call sent at most the slack after
its slot, no window of the period's length, wherever it starts, sees more calls than the limit. `burst` lets
that many calls go at once after a quiet spell (default 1).

**Sustained use** (the vendor asks calls that go on for more than 30 minutes to keep to half the limit;
contract/parts/common.notes.md): each timeline also keeps when its current spell of use began. A spell goes on
while the timeline is never free for longer than `quiet` (default: the period, the server's own window); a call
after a longer quiet starts a new one. Once a spell is `sustained_after` seconds old, its slots are spaced for
`sustained_share` of the limit (the interval divided by the share). So a person's few changes, or a bulk send of
some minutes, go at the full rate, and a resync or a bulk send that goes on past the window is paced at the share,
whoever's calls they are: the spell is the operation's, shared like its timeline.

`RedisRateLimiter` keeps each timeline in Redis and reserves in one Lua script (atomic, Redis's own clock);
`MemoryRateLimiter` does the same for the threads of one process when no Redis is configured.

The server has the last word: each answer's `rateLimit-*` headers are heeded (`heed`), so a server whose limit
is lower than the setting is not asked faster than it allows.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from redis.exceptions import RedisError

from partner_api import constants
from partner_api.errors import ConfigurationError, RateLimitedError

#: Tolerance for floating-point slot arithmetic.
_EPSILON = 1e-9
#: The longest a thread may be late for its slot and still send (seconds); the slack is one interval when that
#: is shorter.
MAX_SLACK = 0.05


logger = logging.getLogger("partner_api.ratelimit")


class RateLimiter(Protocol):
    def acquire(self, key: str) -> float:
        """Block until one request for `key` (an operationId) may be sent; return the seconds waited."""
        ...

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        """Take in what the server's `rateLimit-*` headers said of `key` on an answer."""
        ...


@dataclass(frozen=True, slots=True)
class Pacing:
    """How a timeline spaces its slots: `interval` apart, `sustained` apart once a spell of use is `after` seconds
    old (None: never); a timeline free for longer than `quiet` ends the spell."""

    interval: float
    sustained: float
    after: float | None
    quiet: float


@dataclass(frozen=True, slots=True)
class Grant:
    """Result of one attempt to reserve a slot: granted or not; the wait until the slot (0: now) or, refused, until
    the first free one; the timeline's clock."""

    granted: bool
    wait: float
    now: float


class TimelineLimiter(ABC):
    """Shared logic: per-key limits, reserving a slot and waiting for it."""

    def __init__(
        self,
        *,
        limit: int = constants.DEFAULT_RATE_LIMIT_PER_MINUTE,
        period: float = 60.0,
        burst: int = 1,
        limits: Mapping[str, int] | None = None,
        max_wait: float | None = None,
        sustained_after: float | None = None,
        sustained_share: float = 1.0,
        quiet: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit <= 0 or period <= 0 or burst < 1:
            raise ConfigurationError("The rate limit, its period and the burst size must be positive.")
        if not 0 < sustained_share <= 1 or (sustained_after is not None and sustained_after < 0):
            raise ConfigurationError(
                "The share of the limit for sustained use must be above 0 and at most 1, and its window not negative."
            )
        self.limit = limit
        self.period = period
        self.burst = burst
        #: A spell of use this many seconds old is paced at `sustained_share` of the limit (None: never).
        self.sustained_after = sustained_after
        self.sustained_share = sustained_share
        #: A timeline free for longer than this ends its spell of use.
        self.quiet = period if quiet is None else quiet
        self.limits = dict(limits or {})
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._heard = threading.Lock()
        #: Keys the server said have no call left in its window, and when (by `clock`) that window ends.
        self._held: dict[str, float] = {}

    def rate_for(self, key: str) -> float:
        """Calls per second the server allows for `key`."""
        return self.limits.get(key, self.limit) / self.period

    def slack_for(self, key: str) -> float:
        """How late a thread may be for its slot of `key` and still send: one interval, at most MAX_SLACK."""
        return min(MAX_SLACK, self.period / self.limits.get(key, self.limit))

    def interval_for(self, key: str) -> float:
        """Seconds between two slots of `key`: the period and the slack shared by the limit, so that calls sent
        up to the slack after their slots never put more than the limit in any window of the period's length."""
        return (self.period + self.slack_for(key)) / self.limits.get(key, self.limit)

    def sustained_interval_for(self, key: str) -> float:
        """Seconds between two slots of `key` once a spell of use is `sustained_after` old: the interval for
        `sustained_share` of the limit."""
        return self.interval_for(key) / self.sustained_share

    def _pacing(self, key: str) -> Pacing:
        return Pacing(
            interval=self.interval_for(key),
            sustained=self.sustained_interval_for(key),
            after=self.sustained_after,
            quiet=self.quiet,
        )

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        """What the server's `rateLimit-*` headers said of `key` on an answer (contract: components/headers):

        * a limit lower than ours becomes ours for `key` (a server set lower than PARTNER_API_RATE_LIMIT is
          then never asked faster than it allows; a higher one never raises ours);
        * no call left in its window holds `key` until the window resets (`rateLimit-reset` seconds): calls
          granted before the lower limit was known may have used the window up.

        Both are this process's: each process hears the server on its own answers."""
        lower = limit is not None and 0 < limit < self.limits.get(key, self.limit)
        used_up = remaining is not None and remaining <= 0 and bool(reset)
        if not (lower or used_up):
            return  # every answer comes here: most say nothing new, and take no lock
        with self._heard:
            if limit is not None and 0 < limit < self.limits.get(key, self.limit):
                logger.info("partner_api rate limiter: the server allows %s %d calls a minute", key, limit)
                self.limits[key] = limit
            if remaining is not None and remaining <= 0 and reset:
                self._held[key] = max(self._held.get(key, 0.0), self._clock() + float(reset))

    def _hold_left(self, key: str) -> float:
        until = self._held.get(key)
        return max(0.0, until - self._clock()) if until else 0.0

    def try_acquire(self, key: str) -> Grant:
        """Take a slot for `key` if one is free now, without waiting."""
        return self._reserve(key, self._pacing(key), self.burst, 0.0)

    def acquire(self, key: str) -> float:
        return self._wait_for(key, key, self._pacing(key))

    def acquire_share(self, key: str, share: float) -> float:
        """Block until a call of `key` fits within `share` of its limit (its own timeline, `key`:share, paced at
        the share of `key`'s pace, sustained use included); the caller then acquires `key` itself
        (`GivingWay`). Return the seconds waited."""
        pacing = self._pacing(key)
        scaled = Pacing(
            interval=pacing.interval / share,
            sustained=pacing.sustained / share,
            after=pacing.after,
            quiet=pacing.quiet,
        )
        return self._wait_for(key, f"{key}:share", scaled)

    def _wait_for(self, key: str, timeline: str, pacing: Pacing) -> float:
        """Reserve a slot of `timeline` (paced by `pacing`) for a call of `key` and sleep until it."""
        waited = 0.0
        while True:
            held = self._hold_left(key)
            if held > 0:
                self._sleep(held)
                waited += held
                continue
            ahead = float("inf") if self.max_wait is None else max(0.0, self.max_wait - waited)
            grant = self._reserve(timeline, pacing, self.burst, ahead)
            if not grant.granted:
                raise self._too_long(key, grant.wait)
            if grant.wait <= 0:
                return waited
            due = self._clock() + grant.wait
            self._sleep(grant.wait)
            waited += grant.wait
            if self._clock() - due < self.slack_for(key) and not self._hold_left(key):
                return waited
            # Woken later than the slack allows, or the server said meanwhile that its window is used up: the
            # slot passes unused, and the next free one is taken (after the hold).

    def _too_long(self, key: str, wait: float) -> RateLimitedError:
        return RateLimitedError(
            f"The local rate limit for {key} would need a wait over {self.max_wait:.0f} s; try again later.",
            operation_id=key,
            retry_after=wait,
        )

    @abstractmethod
    def _reserve(self, key: str, pacing: Pacing, burst: int, ahead: float) -> Grant:
        """Reserve the first free slot of `key`'s timeline if it is at most `ahead` seconds away: slots are
        `pacing.interval` apart (`pacing.sustained` once the spell of use is `pacing.after` old), and up to `burst`
        may fall at the same moment after a quiet spell."""


class MemoryRateLimiter(TimelineLimiter):
    """A timeline per key in this process (threads share it; other processes do not)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        #: Per key, the moment the timeline's next slot falls free (by `clock`).
        self._next: dict[str, float] = {}
        #: Per key, when its spell of use began and the moment the spell ends unless a call comes.
        self._spell: dict[str, tuple[float, float]] = {}

    def _reserve(self, key: str, pacing: Pacing, burst: int, ahead: float) -> Grant:
        with self._lock:
            now = self._clock()
            slot = max(self._next.get(key, now), now)
            began, ends = self._spell.get(key, (now, now))
            if now > ends:
                began = now  # the timeline was free for longer than the quiet: a new spell
            sustained = pacing.after is not None and slot - began >= pacing.after
            interval = pacing.sustained if sustained else pacing.interval
            following = slot + interval
            wait = max(0.0, following - burst * interval - now)
            if wait > ahead + _EPSILON:
                return Grant(False, wait, now)
            self._next[key] = following
            self._spell[key] = (began, following + pacing.quiet)
            return Grant(True, wait, now)


# KEYS[1] = the timeline's next free moment, KEYS[2] = when its spell of use began (the key lapses when the
# timeline has been free for longer than the quiet: a new spell); ARGV = interval (s), burst, ahead (s, -1 for no
# bound), sustained interval (s), sustained after (s, -1 for never), quiet (s).
# Returns {granted, wait seconds, now}. The clock is Redis's own (TIME), so processes on different machines agree.
_RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local burst = tonumber(ARGV[2])
local ahead = tonumber(ARGV[3])
local after = tonumber(ARGV[5])
local quiet = tonumber(ARGV[6])
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or now) or now, now)
local began = tonumber(redis.call('GET', KEYS[2]) or now) or now
local interval = tonumber(ARGV[1])
if after >= 0 and slot - began >= after then
  interval = tonumber(ARGV[4])
end
local following = slot + interval
local wait = math.max(0, following - burst * interval - now)
if ahead >= 0 and wait > ahead + 1e-9 then
  return {0, string.format('%.6f', wait), string.format('%.6f', now)}
end
redis.call('SET', KEYS[1], string.format('%.6f', following), 'PX', math.ceil((following - now) * 1000) + 1000)
redis.call('SET', KEYS[2], string.format('%.6f', began), 'PX', math.ceil((following - now + quiet) * 1000) + 1)
return {1, string.format('%.6f', wait), string.format('%.6f', now)}
"""


class RedisRateLimiter(TimelineLimiter):
    """A timeline per key in Redis, shared by every process that uses the same Redis and prefix.

    While Redis cannot be reached the process falls back to its own in-memory timeline (and logs a warning),
    trying Redis again after `retry_redis_after` seconds: an outage of Redis slows calls down only once per
    period, but the limit is then no longer shared between processes.
    """

    retry_redis_after = 30.0

    def __init__(self, redis_client: Any, *, prefix: str = "partner_api:ratelimit", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis_client
        self.prefix = prefix
        self._script = redis_client.register_script(_RESERVE_SCRIPT)
        self._fallback = MemoryRateLimiter(**kwargs)
        self._degraded = False
        self._redis_down_until = 0.0

    def _reserve(self, key: str, pacing: Pacing, burst: int, ahead: float) -> Grant:
        if self._degraded and time.monotonic() < self._redis_down_until:
            return self._fallback._reserve(key, pacing, burst, ahead)
        try:
            granted, wait, now = self._script(
                keys=[f"{self.prefix}:{key}:next", f"{self.prefix}:{key}:spell"],
                args=[
                    repr(pacing.interval),
                    burst,
                    repr(ahead) if ahead != float("inf") else -1,
                    repr(pacing.sustained),
                    repr(pacing.after) if pacing.after is not None else -1,
                    repr(pacing.quiet),
                ],
            )
        except RedisError as exc:
            if not self._degraded:
                logger.warning(
                    "partner_api rate limiter: Redis unavailable (%s); limiting per process until it is back",
                    type(exc).__name__,
                )
                self._degraded = True
            self._redis_down_until = time.monotonic() + self.retry_redis_after
            return self._fallback._reserve(key, pacing, burst, ahead)
        self._degraded = False
        return Grant(bool(int(granted)), float(wait), float(now))


class GivingWay:
    """A limiter for calls that give way to others of the same operations while `wanted()` says so: each call
    first waits for a slot within `share` of its operation's limit (`TimelineLimiter.acquire_share`), then takes
    its slot on the operation's shared timeline like any call. Calls through the plain limiter then have the rest
    of the rate (the full resync gives way to the refresh while customers people look at wait for it: docs/resyncs.md).
    `wanted` is asked at most every `recheck` seconds."""

    def __init__(
        self,
        inner: TimelineLimiter,
        *,
        share: float,
        wanted: Callable[[], bool],
        recheck: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < share <= 1:
            raise ConfigurationError("The share a call giving way keeps must be above 0 and at most 1.")
        self.inner = inner
        self.share = share
        self._wanted = wanted
        self._recheck = recheck
        self._clock = clock
        self._asked = (float("-inf"), False)
        self._asking = threading.Lock()

    def giving_way(self) -> bool:
        """Whether calls give way now (`wanted()`, asked at most every `recheck` seconds)."""
        with self._asking:
            at, answer = self._asked
            now = self._clock()
            if now - at >= self._recheck:
                try:
                    answer = bool(self._wanted())
                except Exception:  # a failing question never stops the calls: they keep their pace
                    logger.warning(
                        "partner_api rate limiter: could not tell whether to give way", exc_info=True
                    )
                    answer = False
                self._asked = (now, answer)
            return answer

    def acquire(self, key: str) -> float:
        waited = self.inner.acquire_share(key, self.share) if self.giving_way() else 0.0
        return waited + self.inner.acquire(key)

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        self.inner.heed(key, limit=limit, remaining=remaining, reset=reset)


class NoRateLimiter:
    """Sends without waiting (for tests that count requests, never for real use)."""

    def acquire(self, key: str) -> float:
        return 0.0

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        return None
