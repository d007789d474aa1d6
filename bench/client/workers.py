"""Limiter benchmark worker, in its own module so that spawned processes can import it."""

from __future__ import annotations

import time

from partner_api.ratelimit import RedisRateLimiter


def take_tokens(redis_url: str, prefix: str, per_minute: int, seconds: float, start_at: float, queue) -> None:
    """From `start_at` for `seconds`, take slots as fast as the limiter allows; report Redis grant times."""
    import redis

    limiter = RedisRateLimiter(redis.Redis.from_url(redis_url), prefix=prefix, limit=per_minute, period=60.0)
    while time.time() < start_at:
        time.sleep(0.001)
    stamps = []
    deadline = start_at + seconds
    while time.time() < deadline:
        grant = limiter.try_acquire("getSubscription")
        if grant.granted:
            stamps.append(grant.now)
        else:
            time.sleep(min(grant.wait, max(0.0, deadline - time.time())))
    queue.put(stamps)
