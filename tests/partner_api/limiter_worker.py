"""Worker processes for the rate-limiter tests: each opens its own Redis connection and takes tokens."""

from __future__ import annotations

import redis

from partner_api.ratelimit import RedisRateLimiter


def try_many(
    redis_url: str, prefix: str, limit: int, period: float, burst: int, attempts: int, queue
) -> None:
    """Try to take `attempts` slots without waiting; report how many were granted."""
    limiter = RedisRateLimiter(
        redis.Redis.from_url(redis_url), prefix=prefix, limit=limit, period=period, burst=burst
    )
    queue.put(sum(limiter.try_acquire("listCustomers").granted for _ in range(attempts)))


def take_blocking(redis_url: str, prefix: str, limit: int, period: float, count: int, queue) -> None:
    """Take `count` slots, waiting as told; report the Redis clock time of each grant."""
    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), prefix=prefix, limit=limit, period=period)
    stamps = []
    while len(stamps) < count:
        grant = limiter.try_acquire("getCustomer")
        if grant.granted:
            stamps.append(grant.now)
        else:
            limiter._sleep(grant.wait)
    queue.put(stamps)
