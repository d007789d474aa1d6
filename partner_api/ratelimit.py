"""Client-side rate limiting: a token bucket per API operation, shared by every process through Redis.

The Partner API allows a number of requests per minute per operation, counted for the whole tenant. Every
web and worker process takes a token from the same bucket before each attempt (retries included), so together
they stay under the limit. The bucket holds `burst` tokens (default 1, so that no window of any length sees
more requests than the rate allows) and refills continuously at `limit / period` tokens per second.

`RedisRateLimiter` keeps the bucket in Redis and updates it in one Lua script (atomic, Redis's own clock);
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

#: Tolerance for floating-point refill arithmetic (0.04 * 25 is not quite 1.0).
_EPSILON = 1e-9


logger = logging.getLogger("partner_api.ratelimit")


class RateLimiter(Protocol):
    def acquire(self, key: str) -> float:
        """Block until one request for `key` (an operationId) may be sent; return the seconds waited."""
        ...

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        """Take in what the server's `rateLimit-*` headers said of `key` on an answer."""
        ...


@dataclass(frozen=True, slots=True)
class Grant:
    """Result of one attempt to take a token: granted or not, how long to wait, the bucket's clock."""

    granted: bool
    wait: float
    now: float


class TokenBucketLimiter(ABC):
    """Shared logic: per-key limits, waiting and retrying until a token is granted."""

    def __init__(
        self,
        *,
        limit: int = constants.DEFAULT_RATE_LIMIT_PER_MINUTE,
        period: float = 60.0,
        burst: int = 1,
        limits: Mapping[str, int] | None = None,
        max_wait: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit <= 0 or period <= 0 or burst < 1:
            raise ConfigurationError("The rate limit, its period and the burst size must be positive.")
        self.limit = limit
        self.period = period
        self.burst = burst
        self.limits = dict(limits or {})
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._heard = threading.Lock()
        #: Keys the server said have no call left in its window, and when (by `clock`) that window ends.
        self._held: dict[str, float] = {}
        #: One lock per key: the threads of this process that wait for the same key queue on it, and only the
        #: first sleeps until the bucket's token is due; a token due wakes one thread, not every waiter of the key
        #: (the others would only go back to sleep, each taking the interpreter from the thread it woke for).
        self._queues: dict[str, threading.Lock] = {}

    def rate_for(self, key: str) -> float:
        """Tokens per second for `key`."""
        return self.limits.get(key, self.limit) / self.period

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
        """Take a token for `key` if one is available, without waiting."""
        return self._take(key, float(self.burst), self.rate_for(key))

    def acquire(self, key: str) -> float:
        turn = self._queues.setdefault(key, threading.Lock())  # one step of the interpreter: no lock needed
        waited = 0.0
        if not turn.acquire(blocking=False):
            queued = time.monotonic()
            if not turn.acquire(timeout=-1 if self.max_wait is None else self.max_wait):
                raise self._too_long(key, float(self.max_wait or 0))
            waited = time.monotonic() - queued
        try:
            return self._acquire(key, waited)
        finally:
            turn.release()

    def _acquire(self, key: str, waited: float) -> float:
        while True:
            held = self._hold_left(key)
            if held > 0:
                self._sleep(held)
                waited += held
                continue
            grant = self.try_acquire(key)
            if grant.granted:
                return waited
            if self.max_wait is not None and waited + grant.wait > self.max_wait:
                raise self._too_long(key, grant.wait)
            self._sleep(grant.wait)
            waited += grant.wait

    def _too_long(self, key: str, wait: float) -> RateLimitedError:
        return RateLimitedError(
            f"The local rate limit for {key} would need a wait over {self.max_wait:.0f} s; try again later.",
            operation_id=key,
            retry_after=wait,
        )

    @abstractmethod
    def _take(self, key: str, capacity: float, rate: float) -> Grant:
        """Take one token from the bucket of `key` if it holds one."""


class MemoryRateLimiter(TokenBucketLimiter):
    """A token bucket per key in this process (threads share it; other processes do not)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def _take(self, key: str, capacity: float, rate: float) -> Grant:
        with self._lock:
            now = self._clock()
            tokens, stamp = self._buckets.get(key, (capacity, now))
            if now > stamp:
                tokens = min(capacity, tokens + (now - stamp) * rate)
                stamp = now
            if tokens >= 1.0 - _EPSILON:
                self._buckets[key] = (max(0.0, tokens - 1.0), stamp)
                return Grant(True, 0.0, now)
            self._buckets[key] = (tokens, stamp)
            return Grant(False, (1.0 - tokens) / rate, now)


# KEYS[1] = bucket; ARGV = capacity, rate (tokens/s), ttl (ms). Returns {granted, wait seconds, now}.
# The clock is Redis's own (TIME), so processes on different machines agree.
_TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate)
  ts = now
end
local granted = 0
local wait = 0
if tokens >= 1 - 1e-9 then
  tokens = math.max(0, tokens - 1)
  granted = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'ts', string.format('%.6f', ts))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {granted, string.format('%.6f', wait), string.format('%.6f', now)}
"""


class RedisRateLimiter(TokenBucketLimiter):
    """A token bucket per key in Redis, shared by every process that uses the same Redis and prefix.

    While Redis cannot be reached the process falls back to its own in-memory bucket (and logs a warning),
    trying Redis again after `retry_redis_after` seconds: an outage of Redis slows calls down only once per
    period, but the limit is then no longer shared between processes.
    """

    retry_redis_after = 30.0

    def __init__(self, redis_client: Any, *, prefix: str = "partner_api:ratelimit", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.redis = redis_client
        self.prefix = prefix
        self._script = redis_client.register_script(_TAKE_SCRIPT)
        self._fallback = MemoryRateLimiter(**kwargs)
        self._degraded = False
        self._redis_down_until = 0.0

    def _take(self, key: str, capacity: float, rate: float) -> Grant:
        ttl_ms = max(1000, int(1000 * (capacity / rate) * 2))
        if self._degraded and time.monotonic() < self._redis_down_until:
            return self._fallback._take(key, capacity, rate)
        try:
            granted, wait, now = self._script(
                keys=[f"{self.prefix}:{key}"], args=[capacity, repr(rate), ttl_ms]
            )
        except RedisError as exc:
            if not self._degraded:
                logger.warning(
                    "partner_api rate limiter: Redis unavailable (%s); limiting per process until it is back",
                    type(exc).__name__,
                )
                self._degraded = True
            self._redis_down_until = time.monotonic() + self.retry_redis_after
            return self._fallback._take(key, capacity, rate)
        self._degraded = False
        return Grant(bool(int(granted)), float(wait), float(now))


class NoRateLimiter:
    """Sends without waiting (for tests that count requests, never for real use)."""

    def acquire(self, key: str) -> float:
        return 0.0

    def heed(self, key: str, *, limit: int | None, remaining: int | None, reset: float | None) -> None:
        return None
