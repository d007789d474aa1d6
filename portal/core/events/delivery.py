"""Delivering events as the Standard Webhooks specification describes: a POST of the JSON payload
`{"type", "timestamp", "data"}` with the headers `webhook-id` (the event's id: the same on every retry, so the
receiver drops a duplicate), `webhook-timestamp` (seconds) and `webhook-signature` (`v1,` and the HMAC-SHA256 of
"id.timestamp.body" with the endpoint's secret, made by the specification's own library `standardwebhooks`).

An attempt marks the delivery SENDING (the row locked and skipped by another worker), posts once, and records:

* a 2xx answer: DELIVERED (the endpoint is no longer failing);
* 410 Gone: FAILED, and the endpoint turned off (it said it wants no more);
* anything else (another status, a timeout, no connection): WAITING again, after `RETRY_AFTER` (30 s, 2 and
  10 minutes, 1, 3, 6 and 12 hours: about a day), FAILED after the last; an endpoint failing for longer than
  `DISABLE_AFTER` is turned off, its reason on the Admins' page.

The address is checked before every attempt (`address_refusal`): one on the loopback, a private network, a
link-local or otherwise reserved range is refused unless `EVENTS_ALLOW_PRIVATE_ADDRESSES`, so that the sender
cannot be turned against the portal's own network; redirects are not followed. A worker that died half way
leaves the delivery SENDING: `deliver_due` tries it again after `SENDING_LEASE` (a duplicate the receiver drops
by its `webhook-id`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import socket
from urllib.parse import urlsplit

import requests
from celery import shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from portal.core.changes.sealing import unseal
from portal.core.models import EventDelivery, EventEndpoint
from portal.core.outbox import Outbox

logger = logging.getLogger(__name__)

#: Seconds before each attempt after the first fails; after the last, the delivery has failed.
RETRY_AFTER = (30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
#: An endpoint whose deliveries have all failed for this long is turned off.
DISABLE_AFTER = dt.timedelta(days=1)
SENDING_LEASE = dt.timedelta(minutes=10)
#: At least once: a delivery whose worker died while sending is tried again (the receiver drops a duplicate).
OUTBOX = Outbox(
    model=EventDelivery,
    retry_after=tuple(dt.timedelta(seconds=s) for s in RETRY_AFTER),
    lease=SENDING_LEASE,
    stuck=lambda now: {"state": EventDelivery.State.WAITING, "due_at": now},
    related=("event", "endpoint"),
)
#: Seconds to connect and to wait for the answer.
TIMEOUT = (5.0, 15.0)
#: What of an error answer is kept for the delivery log.
KEPT_ANSWER = 500


def address_refusal(url: str) -> str:
    """Why the portal may not post to `url`, in words, or "": an http(s) address whose host resolves to no
    loopback, private, link-local, multicast or reserved address (unless `EVENTS_ALLOW_PRIVATE_ADDRESSES`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return _("Give an address that starts with %(scheme)s.") % {"scheme": "https://"}
    if settings.EVENTS_ALLOW_PRIVATE_ADDRESSES:
        return ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, ValueError, UnicodeError):
        return _("The address's host name cannot be found.")
    for address in found:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return _(
                "The address leads to the portal's own or a private network (%(ip)s): events are sent only to "
                "public addresses unless an Admin allows private ones (the setting %(name)s)."
            ) % {"ip": ip, "name": "EVENTS_ALLOW_PRIVATE_ADDRESSES"}
    return ""


def payload_of(delivery: EventDelivery) -> str:
    event = delivery.event
    body = {"type": event.type, "timestamp": event.created_at.isoformat(), "data": event.data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signed_headers(secret: str, event_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
        "user-agent": "PartnerPortal-Webhooks/1",
    }


def deliver(delivery_id: int) -> str | None:
    """One attempt at the delivery, if it is due and no other worker has it; its state after."""
    delivery = OUTBOX.claim(delivery_id)
    if delivery is None:
        return None
    refusal = _refusal(delivery.endpoint)
    if refusal:  # not tried again: an Admin changes the endpoint
        return _record(delivery, None, refusal, final=True)
    status, error = _post(delivery)
    return _record(delivery, status, error)


def _refusal(endpoint: EventEndpoint) -> str:
    refusal = address_refusal(endpoint.url)
    if not refusal and unseal(endpoint.sealed_secret) is None:
        refusal = _("The endpoint's secret cannot be read (the encryption key changed): make a new secret.")
    return refusal


def _post(delivery: EventDelivery) -> tuple[int | None, str]:
    """The endpoint's answer (status, or None when not reached) and why it is not a delivery, in words."""
    endpoint = delivery.endpoint
    secret = unseal(endpoint.sealed_secret) or ""
    body = payload_of(delivery)
    headers = signed_headers(secret, delivery.event_id, body, timezone.now())
    try:
        answer = requests.post(
            endpoint.url, data=body.encode(), headers=headers, timeout=TIMEOUT, allow_redirects=False
        )
    except requests.Timeout:
        return None, _("The endpoint did not answer in time.")
    except requests.RequestException:
        return None, _("The endpoint could not be reached.")
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    said = answer.text[:KEPT_ANSWER].strip()
    return answer.status_code, _("The endpoint answered %(status)s.") % {"status": answer.status_code} + (
        f" {said}" if said else ""
    )


def _record(delivery: EventDelivery, status: int | None, error: str, *, final: bool = False) -> str:
    now = timezone.now()
    fields: dict = {"last_status": status, "error": error}
    endpoint = delivery.endpoint
    if status is not None and 200 <= status < 300:
        fields.update(state=EventDelivery.State.DELIVERED, delivered_at=now)
        EventEndpoint.objects.filter(pk=endpoint.pk).exclude(failing_since=None).update(failing_since=None)
    elif status == 410:
        fields["state"] = EventDelivery.State.FAILED
        _turn_off(
            endpoint, _("The endpoint answered %(status)s: it wants no more events.") % {"status": "410 Gone"}
        )
    elif not final and (again := OUTBOX.retry_at(delivery.attempts, now)) is not None:
        fields.update(state=EventDelivery.State.WAITING, due_at=again)
    else:
        fields["state"] = EventDelivery.State.FAILED
    if fields["state"] != EventDelivery.State.DELIVERED:
        _failing(endpoint, now)
        logger.warning("event not delivered", extra={"delivery": delivery.pk, "status": status})
    OUTBOX.settle(delivery, fields)
    return str(fields["state"])


def _failing(endpoint: EventEndpoint, now: dt.datetime) -> None:
    EventEndpoint.objects.filter(pk=endpoint.pk, failing_since=None).update(failing_since=now)
    endpoint.refresh_from_db(fields=["failing_since", "enabled"])
    if endpoint.enabled and endpoint.failing_since and now - endpoint.failing_since > DISABLE_AFTER:
        _turn_off(endpoint, _("Every delivery failed for more than a day: the portal turned it off."))


def _turn_off(endpoint: EventEndpoint, why: str) -> None:
    from portal.core.events.outbox import endpoints_changed

    EventEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=why)
    endpoints_changed()


def deliver_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's minute: deliveries due again, and those whose worker died while sending (tried again)."""
    due, stuck = OUTBOX.due(now or timezone.now())
    for delivery_id in due:
        deliver(delivery_id)
    return {"due": len(due), "stuck": stuck}


@shared_task(name="portal.core.events.deliver", ignore_result=True)
def deliver_task(delivery_id: int) -> str | None:
    return deliver(delivery_id)


@shared_task(name="portal.core.events.deliver_due", ignore_result=True)
def deliver_due_task() -> dict[str, int]:
    return deliver_due()
