"""The portal seen running, for Prometheus: `GET /metrics` (off by default; METRICS_ENABLED, METRICS_TOKEN).

What it exposes, in Prometheus' text format (prometheus-client writes it):

- `portal_http_request_duration_seconds{view, method, status}`: a histogram of each request's time, by the
  resolved view's name (`customers:list`; "unresolved" for a path no view answers), the method and the status
  class (`2xx`...), counted by `RequestMetricsMiddleware`;
- `portal_partner_api_calls_total{operation}` and `portal_partner_api_rate_limited_total{operation}`: every
  attempt sent to the Partner API, and those answered 429, per operationId, counted by the client's observer
  (`partner_api.transport.Observer`, connected by `portal.core.partner.get_client`), in web processes and
  Celery workers alike;
- `portal_celery_queue_messages{queue}`: the messages waiting in each Celery queue, read from the broker when
  Prometheus scrapes;
- `portal_cache_oldest_copy_age_seconds`: the age of the oldest cached copy still in the API (the apps'
  `oldest_copy` contributions, read by index when Prometheus scrapes).

Where the counts live: with REDIS_URL, in Redis hashes beside the rate limiter (`HINCRBY`), so every gunicorn
worker, every Celery worker and every machine adds to the same figures and a scrape of any one web process
reads them all; without Redis (development), in this process (`MemoryTallies`). The figures are computed when
scraped (a custom collector), never kept in prometheus-client's per-process registry.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from portal.core.freshness import oldest_copy

logger = logging.getLogger(__name__)

#: Upper bounds (seconds) of the request-duration histogram's buckets; "+Inf" follows.
BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Methods counted by name; any other is "other", so a client cannot invent labels.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUESTS = "requests"
API_CALLS = "api_calls"
API_RATE_LIMITED = "api_rate_limited"
_SEP = "\t"


# --- where the counts are kept -----------------------------------------------------------------------------


class Tallies(Protocol):
    def add(self, table: str, amounts: dict[str, float]) -> None: ...

    def read(self, table: str) -> dict[str, float]: ...


class MemoryTallies:
    """The counts of this process only (no Redis: development)."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self._lock = threading.Lock()

    def add(self, table: str, amounts: dict[str, float]) -> None:
        with self._lock:
            for field, amount in amounts.items():
                self._tables[table][field] += amount

    def read(self, table: str) -> dict[str, float]:
        with self._lock:
            return dict(self._tables[table])


class RedisTallies:
    """Counts every process adds to: one Redis hash per table, one pipelined round trip per `add`."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def add(self, table: str, amounts: dict[str, float]) -> None:
        key = f"{self.prefix}:{table}"
        pipe = self.client.pipeline(transaction=False)
        for field, amount in amounts.items():
            if float(amount).is_integer():
                pipe.hincrby(key, field, int(amount))
            else:
                pipe.hincrbyfloat(key, field, amount)
        pipe.execute()

    def read(self, table: str) -> dict[str, float]:
        raw = self.client.hgetall(f"{self.prefix}:{table}")
        return {field.decode(): float(value) for field, value in raw.items()}


_tallies: dict[str, Tallies] = {}
_guard = threading.Lock()


def tallies() -> Tallies:
    """This process's way to the counts: Redis when REDIS_URL is set, else its own memory."""
    url = settings.REDIS_URL
    with _guard:
        found = _tallies.get(url)
        if found is None:
            if url:
                import redis

                client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
                found = RedisTallies(client, prefix="portal:metrics")
            else:
                found = MemoryTallies()
            _tallies[url] = found
        return found


def _add(table: str, amounts: dict[str, float]) -> None:
    """Count, never failing the request or the call being counted (a Redis outage loses counts, not pages)."""
    try:
        tallies().add(table, amounts)
    except Exception as exc:
        logger.warning("metrics not counted: %s", type(exc).__name__)


# --- what is counted -------------------------------------------------------------------------------------


def api_call_observed(operation_id: str, status: int | str) -> None:
    """The Partner API client's observer: one attempt of `operation_id`, and whether it met a 429."""
    amounts = {operation_id: 1.0}
    _add(API_CALLS, amounts)
    if status == 429:
        _add(API_RATE_LIMITED, amounts)


def observer() -> Callable[[str, int | str], None] | None:
    """The observer `get_client()` gives the client: counting only when the metrics are on."""
    return api_call_observed if settings.METRICS_ENABLED else None


def request_observed(*, view: str, method: str, status: int, seconds: float) -> None:
    bucket = next((i for i, bound in enumerate(BUCKETS) if seconds <= bound), len(BUCKETS))
    series = _SEP.join((view, method if method in METHODS else "other", f"{status // 100}xx"))
    _add(REQUESTS, {f"{series}{_SEP}{bucket}": 1.0, f"{series}{_SEP}sum": seconds})


class RequestMetricsMiddleware:
    """Times every request, by the view that answered it. Not loaded at all while the metrics are off."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        request_observed(
            view=match.view_name if match is not None else "unresolved",
            method=request.method or "",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


# --- what a scrape reads ---------------------------------------------------------------------------------


def queue_depths() -> dict[str, int]:
    """Messages waiting in each of the portal's Celery queues, asked of the broker now."""
    from portal.celery import app

    names = {app.conf.task_default_queue} | {queue.name for queue in app.conf.task_queues or ()}
    depths: dict[str, int] = {}
    with app.connection_for_read() as connection:
        connection.ensure_connection(max_retries=1)
        channel = connection.default_channel
        for name in sorted(names):
            try:
                depths[name] = channel.queue_declare(queue=name, passive=True).message_count
            except connection.channel_errors:
                depths[name] = 0  # never declared: nothing was ever queued there
    return depths


class PortalCollector:
    """Builds every family from the shared counts and the broker and cache at scrape time."""

    def collect(self) -> Iterator[Metric]:
        yield self._requests()
        for table, name, doc in (
            (API_CALLS, "portal_partner_api_calls", "Partner API attempts sent, by operationId."),
            (API_RATE_LIMITED, "portal_partner_api_rate_limited", "Partner API attempts answered 429."),
        ):
            family = CounterMetricFamily(name, doc, labels=["operation"])
            for operation, count in sorted(tallies().read(table).items()):
                family.add_metric([operation], count)
            yield family
        queues = GaugeMetricFamily(
            "portal_celery_queue_messages", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        try:
            for queue, depth in queue_depths().items():
                queues.add_metric([queue], depth)
        except Exception as exc:
            logger.warning("metrics: the broker could not be read: %s", type(exc).__name__)
        yield queues
        age = GaugeMetricFamily(
            "portal_cache_oldest_copy_age_seconds",
            "Seconds since the oldest cached copy of a customer still in the API was read.",
        )
        stamp = oldest_copy()
        if stamp is not None:
            age.add_metric([], max(0.0, (timezone.now() - stamp).total_seconds()))
        yield age

    def _requests(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            "portal_http_request_duration_seconds",
            "Time to answer a request, by view, method and status class.",
            labels=["view", "method", "status"],
        )
        series: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
        for field, value in tallies().read(REQUESTS).items():
            *names, slot = field.split(_SEP)
            series[tuple(names)][slot] = value
        for labels, slots in sorted(series.items()):
            cumulative = 0.0
            buckets = []
            for index, bound in enumerate(BUCKETS):
                cumulative += slots.get(str(index), 0.0)
                buckets.append((str(bound), cumulative))
            buckets.append(("+Inf", cumulative + slots.get(str(len(BUCKETS)), 0.0)))
            family.add_metric(list(labels), buckets, slots.get("sum", 0.0))
        return family


def exposition() -> bytes:
    """Every figure, in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    return generate_latest(registry)


def token_accepted(request: HttpRequest) -> bool:
    """The scraper's `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time."""
    expected = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


CONTENT_TYPE = CONTENT_TYPE_LATEST
