"""`emit(type, data, key=)`: write an event, and one delivery per endpoint that gets its type, in the caller's
transaction (the work it reports), and queue the deliveries for when that commits. An event no endpoint gets is
not written at all: with no endpoint, emitting costs a cache read. The enabled endpoints' types are cached
(`ENDPOINTS_CACHE_KEY`, dropped whenever an endpoint changes)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.core.models import Event, EventDelivery, EventEndpoint

ENDPOINTS_CACHE_KEY = "core:events:endpoints"


def _subscribed() -> list[tuple[int, list[str]]]:
    found = cache.get(ENDPOINTS_CACHE_KEY)
    if found is None:
        found = list(EventEndpoint.objects.filter(enabled=True).values_list("pk", "types"))
        cache.set(ENDPOINTS_CACHE_KEY, found, 300)
    return found


def wanted(event_type: str) -> bool:
    """Whether an enabled endpoint gets `event_type` (a cache read): the caller may skip working out its data."""
    return any(event_type in types for _pk, types in _subscribed())


def endpoints_changed() -> None:
    """Forget the cached endpoints (an endpoint was added, changed, turned off or removed)."""
    cache.delete(ENDPOINTS_CACHE_KEY)


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def emit(event_type: str, data: dict, *, key: str = "") -> Event | None:
    """Send `event_type` with `data` to every enabled endpoint that gets it, once the caller's transaction
    commits; None when none does, or when this `key` was emitted already."""
    cached = [pk for pk, types in _subscribed() if event_type in types]
    if not cached:
        return None
    # The cache may be older than an endpoint's removal or pause: the endpoints as they are now.
    endpoints = list(EventEndpoint.objects.filter(pk__in=cached, enabled=True).values_list("pk", flat=True))
    if not endpoints:
        return None
    payload = {**data}
    if "url" in payload and payload["url"].startswith("/"):
        payload["url"] = f"{settings.PORTAL_BASE_URL}{payload['url']}"
    try:
        with transaction.atomic():
            event = Event.objects.create(id=new_event_id(), type=event_type, data=payload, key=key[:120])
    except IntegrityError:  # this happening was an event already
        return None
    deliveries_queue(event, endpoints)
    return event


def deliveries_queue(event: Event, endpoints: list[int]) -> list[EventDelivery]:
    now = timezone.now()
    deliveries = EventDelivery.objects.bulk_create(
        EventDelivery(event=event, endpoint_id=pk, due_at=now) for pk in endpoints
    )
    from portal.core.events.delivery import deliver_task

    ids = [delivery.pk for delivery in deliveries]
    transaction.on_commit(lambda: [deliver_task.delay(pk) for pk in ids])
    return deliveries
