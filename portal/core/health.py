"""Readiness checks for /readyz. Each returns a dict with a status and, on failure, a short reason."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import connection


def _timed(fn) -> dict:
    start = time.perf_counter()
    try:
        detail = fn()
        out: dict[str, Any] = {"status": "ok"}
        if detail:
            out["detail"] = detail
    except Exception as exc:
        out = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:300]}
    out["ms"] = round((time.perf_counter() - start) * 1000, 1)
    return out


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def check_broker() -> str:
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return "redis"
    from portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
    return "filesystem"


def check_partner_api() -> str:
    """A valid Partner API access token can be had (from the cache or a fresh grant)."""
    from portal.core.partner import check_token

    return check_token()


def run_checks() -> dict[str, dict]:
    return {
        "database": _timed(check_database),
        "broker": _timed(check_broker),
        "partner_api": _timed(check_partner_api),
    }
