"""The Admins' event endpoints: added with a secret made for it (shown once, kept sealed), changed, turned on or
off, given a new secret, removed; a delivery sent again (replay: the same event, its `webhook-id` unchanged), a
test event. Each change is an audit entry, never with the secret."""

from __future__ import annotations

import base64
import secrets

from django.db import transaction
from django.utils import timezone

from portal.core.changes.sealing import seal
from portal.core.events.outbox import deliveries_queue, endpoints_changed, new_event_id
from portal.core.events.types import event_types
from portal.core.models import AuditEntry, Event, EventDelivery, EventEndpoint
from portal.core.services import audit_record

#: The type of the test event an Admin sends to one endpoint.
TEST_TYPE = "portal.test"


def new_secret() -> str:
    """A secret as the specification writes them: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _known(types: list[str]) -> list[str]:
    known = {kind.key for kind in event_types()}
    return [key for key in types if key in known]


def endpoint_add(*, user, url: str, description: str, types: list[str]) -> tuple[EventEndpoint, str]:
    """The endpoint and its secret, which is shown this once."""
    secret = new_secret()
    endpoint = EventEndpoint.objects.create(
        url=url, description=description, sealed_secret=seal(secret), types=_known(types), added_by=user
    )
    _audit(user, "portal.addEventEndpoint", endpoint)
    _changed()
    return endpoint, secret


def endpoint_change(
    *, user, endpoint: EventEndpoint, description: str, types: list[str], enabled: bool
) -> bool:
    types = _known(types)
    if (endpoint.description, endpoint.types, endpoint.enabled) == (description, types, enabled):
        return False
    if enabled and not endpoint.enabled:
        endpoint.disabled_reason, endpoint.failing_since = "", None
    endpoint.description, endpoint.types, endpoint.enabled = description, types, enabled
    endpoint.save(update_fields=["description", "types", "enabled", "disabled_reason", "failing_since"])
    _audit(user, "portal.changeEventEndpoint", endpoint)
    _changed()
    return True


def endpoint_new_secret(*, user, endpoint: EventEndpoint) -> str:
    """A new secret (the old one stops at once); shown this once."""
    secret = new_secret()
    EventEndpoint.objects.filter(pk=endpoint.pk).update(sealed_secret=seal(secret))
    _audit(user, "portal.newEventEndpointSecret", endpoint)
    return secret


def endpoint_remove(*, user, endpoint: EventEndpoint) -> None:
    with transaction.atomic():
        _audit(user, "portal.removeEventEndpoint", endpoint)
        endpoint.delete()
    _changed()


def delivery_replay(*, user, delivery: EventDelivery) -> EventDelivery:
    """Send the delivery's event to its endpoint again, as a new delivery with the same `webhook-id`."""
    (again,) = deliveries_queue(delivery.event, [delivery.endpoint_id])
    audit_record(
        actor=user,
        operation_id="portal.replayEvent",
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"endpoint": delivery.endpoint.url, "event": delivery.event_id, "type": delivery.event.type},
    )
    return again


def endpoint_test(*, user, endpoint: EventEndpoint) -> EventDelivery:
    """A test event to this endpoint alone."""
    event = Event.objects.create(
        id=new_event_id(),
        type=TEST_TYPE,
        data={"sent_by": user.get_username(), "at": timezone.now().isoformat()},
    )
    (delivery,) = deliveries_queue(event, [endpoint.pk])
    return delivery


def _changed() -> None:
    """Forget the cached endpoints now, and again once committed (a reader between the two cached the old)."""
    endpoints_changed()
    transaction.on_commit(endpoints_changed)


def _audit(user, operation_id: str, endpoint: EventEndpoint) -> None:
    audit_record(
        actor=user,
        operation_id=operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"endpoint": endpoint.url, "events": endpoint.types, "enabled": endpoint.enabled},
    )
