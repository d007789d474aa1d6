"""The API's rate limit, per token: the house's timeline limiter (`partner_api.ratelimit`, which paces the portal's
own calls to LINE WORKS), here asked without waiting. A token may make API_RATE_BURST calls at once after a
quiet spell, then API_RATE_LIMIT_PER_MINUTE a minute; a call beyond is answered 429 with Retry-After (the seconds
until its next slot). The timelines are in Redis, shared by every web process (REDIS_URL); without Redis each
process keeps its own."""

from __future__ import annotations

import math
import threading

from django.conf import settings

from partner_api.ratelimit import MemoryRateLimiter, RedisRateLimiter, TimelineLimiter

_guard = threading.Lock()
_limiters: dict[tuple, TimelineLimiter] = {}


def _limiter() -> TimelineLimiter:
    key = (settings.REDIS_URL, settings.API_RATE_LIMIT_PER_MINUTE, settings.API_RATE_BURST)
    with _guard:
        if key not in _limiters:
            pacing = {"limit": settings.API_RATE_LIMIT_PER_MINUTE, "burst": settings.API_RATE_BURST}
            if settings.REDIS_URL:
                import redis

                _limiters[key] = RedisRateLimiter(
                    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5),
                    prefix="portal:api:ratelimit",
                    **pacing,
                )
            else:
                _limiters[key] = MemoryRateLimiter(**pacing)
        return _limiters[key]


def wait_before_next(token_key: str) -> int:
    """0 when the token may make a call now (the call is counted), else the whole seconds until it may.
    `token_key`: the token's own, never another's (a part of its digest, which no other token shares)."""
    grant = _limiter().try_acquire(f"token:{token_key}")
    return 0 if grant.granted else max(1, math.ceil(grant.wait))
