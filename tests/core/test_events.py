"""Events out (portal/core/events/), against a real HTTP receiver that checks each delivery with the Standard
Webhooks specification's own library: an Admin adds an endpoint and reads its secret once; an event is written
in the transaction of its work and delivered signed; an endpoint failing is tried again with the same
`webhook-id`, turned off after a 410 or a day of failures; a delivery is sent again on request; an address on the
loopback or a private network is refused unless allowed; the rooms' work emits each event type once."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from portal.core.access import Role
from portal.core.events import endpoints
from portal.core.events.delivery import RETRY_AFTER, address_refusal, deliver, deliver_due
from portal.core.events.outbox import emit, endpoints_changed
from portal.core.models import AuditEntry, Event, EventDelivery, EventEndpoint, Operation
from portal.core.services import operation_update
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db


class Receiver:
    """A real HTTP server on the loopback: each POST recorded (headers, body), answered with the next status."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body.decode()})
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/portal"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verified(self, secret: str) -> list[dict]:
        """Every delivery received, checked as a receiver checks it (raises if a signature does not match)."""
        return [Webhook(secret).verify(r["body"], r["headers"]) for r in self.received]


@pytest.fixture
def receiver(settings):
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on the loopback
    settings.PORTAL_BASE_URL = "https://portal.example"
    endpoints_changed()
    server = Receiver()
    yield server
    server.server.shutdown()
    endpoints_changed()


def _endpoint(receiver, types, admin=None) -> tuple[EventEndpoint, str]:
    admin = admin or make_persona(Role.ADMIN, username="endpoint-admin")
    return endpoints.endpoint_add(user=admin, url=receiver.url, description="Tickets", types=types)


def test_an_admin_adds_an_endpoint_and_reads_its_secret_once(client_as, receiver, settings):
    admin = client_as(Role.ADMIN)
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = False
    refused = admin.post(reverse("core:event_endpoints"), {"url": receiver.url, "types": ["invoice.paid"]})
    assert refused.status_code == 400 and "private network" in refused.content.decode()
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = True
    added = admin.post(reverse("core:event_endpoints"), {"url": receiver.url, "types": ["invoice.paid"]})
    assert added.status_code == 200
    endpoint = EventEndpoint.objects.get()
    secret = added.context["secret"]
    assert (
        secret.startswith("whsec_")
        and secret in added.content.decode()
        and secret not in endpoint.sealed_secret
    )
    for page in (reverse("core:event_endpoints"), reverse("core:event_endpoint", args=[endpoint.pk])):
        assert secret not in admin.get(page).content.decode()
    (entry,) = AuditEntry.objects.filter(operation_id="portal.addEventEndpoint")
    assert secret not in json.dumps(entry.request_summary)


def test_an_event_is_delivered_signed_and_thin_once_its_work_commits(
    receiver, django_capture_on_commit_callbacks
):
    endpoint, secret = _endpoint(receiver, ["invoice.paid"])
    assert emit("invoice.overdue", {"number": 1}) is None  # no endpoint gets it: nothing written
    with django_capture_on_commit_callbacks() as queued:
        event = emit("invoice.paid", {"number": 7, "url": "/invoicing/issued/7/"}, key="7")
    assert len(queued) == 1 and emit("invoice.paid", {"number": 7}, key="7") is None  # once per key
    (delivery,) = EventDelivery.objects.all()
    assert deliver(delivery.pk) == EventDelivery.State.DELIVERED
    (body,) = receiver.verified(secret)
    assert body["type"] == "invoice.paid"
    assert body["data"] == {"number": 7, "url": "https://portal.example/invoicing/issued/7/"}
    assert receiver.received[0]["headers"]["webhook-id"] == event.id
    with pytest.raises(Exception, match="signature"):
        Webhook(endpoints.new_secret()).verify(receiver.received[0]["body"], receiver.received[0]["headers"])


def test_a_failing_endpoint_gets_the_same_event_again_later_then_it_is_not_delivered(receiver):
    endpoint, secret = _endpoint(receiver, ["invoice.paid"])
    emit("invoice.paid", {"number": 8})
    (delivery,) = EventDelivery.objects.all()
    receiver.statuses = [500] * (len(RETRY_AFTER) + 1)
    for seconds in RETRY_AFTER:
        before = timezone.now()
        assert deliver(delivery.pk) == EventDelivery.State.WAITING
        delivery.refresh_from_db()
        assert delivery.due_at >= before + dt.timedelta(seconds=seconds) and delivery.last_status == 500
        assert deliver(delivery.pk) is None  # not due yet
        EventDelivery.objects.filter(pk=delivery.pk).update(due_at=timezone.now())
    assert deliver(delivery.pk) == EventDelivery.State.FAILED
    delivery.refresh_from_db()
    assert "answered 500" in delivery.error
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == len(RETRY_AFTER) + 1 and ids == {delivery.event_id}
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.enabled


def test_a_410_turns_the_endpoint_off_and_so_does_a_day_of_failures(receiver):
    gone, _secret = _endpoint(receiver, ["invoice.paid"])
    receiver.statuses = [410]
    emit("invoice.paid", {"number": 9})
    assert deliver(EventDelivery.objects.get().pk) == EventDelivery.State.FAILED
    gone.refresh_from_db()
    assert not gone.enabled and "410" in gone.disabled_reason
    assert emit("invoice.paid", {"number": 10}) is None  # nothing goes to a turned-off endpoint
    failing, _secret = _endpoint(receiver, ["invoice.paid"])
    EventEndpoint.objects.filter(pk=failing.pk).update(failing_since=timezone.now() - dt.timedelta(days=2))
    receiver.statuses = [503]
    emit("invoice.paid", {"number": 11})
    deliver(EventDelivery.objects.get(endpoint=failing).pk)
    failing.refresh_from_db()
    assert not failing.enabled and "more than a day" in failing.disabled_reason


def test_an_admin_sends_a_delivery_again_with_the_same_id_and_a_test_event(client_as, receiver):
    admin = client_as(Role.ADMIN)
    endpoint, secret = _endpoint(receiver, ["invoice.paid"])
    emit("invoice.paid", {"number": 12})
    deliver(EventDelivery.objects.get().pk)
    page = reverse("core:event_endpoint", args=[endpoint.pk])
    assert "Send again" in admin.get(page).content.decode()
    admin.post(reverse("core:event_replay", args=[EventDelivery.objects.get().pk]))
    admin.post(reverse("core:event_endpoint_test", args=[endpoint.pk]))
    assert deliver_due()["due"] == 2
    first, again, test = receiver.verified(secret)
    assert first == again and test["type"] == "portal.test"
    assert receiver.received[0]["headers"]["webhook-id"] == receiver.received[1]["headers"]["webhook-id"]
    assert AuditEntry.objects.filter(operation_id="portal.replayEvent").count() == 1


def test_a_new_secret_stops_the_old_one(client_as, receiver):
    admin = client_as(Role.ADMIN)
    endpoint, old = _endpoint(receiver, ["invoice.paid"])
    answer = admin.post(reverse("core:event_endpoint_secret", args=[endpoint.pk]))
    new = answer.context["secret"]
    emit("invoice.paid", {"number": 13})
    deliver_due()
    assert receiver.verified(new)
    with pytest.raises(Exception, match="signature"):
        receiver.verified(old)


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1:8000/x", True),
        ("http://localhost/x", True),
        ("https://10.1.2.3/x", True),
        ("https://192.168.0.10/x", True),
        ("https://169.254.169.254/latest/meta-data/", True),
        ("https://[::1]/x", True),
        ("https://[fd00::1]/x", True),
        ("ftp://93.184.215.14/x", True),
        ("https://93.184.215.14/hooks", False),
    ],
)
def test_an_address_on_the_loopback_or_a_private_network_is_refused_unless_allowed(url, refused, settings):
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = False
    assert bool(address_refusal(url)) is refused
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = True
    assert bool(address_refusal(url)) is url.startswith("ftp:")


def test_a_delivery_to_an_address_refused_since_is_not_sent_and_not_tried_again(receiver, settings):
    endpoint, _secret = _endpoint(receiver, ["invoice.paid"])
    emit("invoice.paid", {"number": 14})
    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = False  # an Admin turned private addresses off meanwhile
    assert deliver(EventDelivery.objects.get().pk) == EventDelivery.State.FAILED
    assert receiver.received == [] and "private network" in EventDelivery.objects.get().error


def test_a_change_applied_and_a_bulk_change_finished_are_each_one_event(receiver, account_manager):
    endpoint, secret = _endpoint(receiver, ["change.applied", "change.failed", "batch.finished"])
    operation = Operation.objects.create(
        idempotency_key="k1",
        kind="updateSubscriptionRenewal",
        domain_id=40000024,
        requested_by=account_manager,
    )
    operation_update(operation, status=Operation.Status.RUNNING)
    operation_update(operation, status=Operation.Status.SUCCEEDED)
    operation_update(operation, status=Operation.Status.SUCCEEDED)  # written again: no second event
    (event,) = Event.objects.all()
    assert event.type == "change.applied"
    assert event.data == {
        "operation": str(operation.pk),
        "change": "updateSubscriptionRenewal",
        "customer": 40000024,
        "url": f"https://portal.example/operations/{operation.pk}/",
    }


def test_invoices_and_customers_emit_their_events(receiver, settings):
    from customers.services import customer_mark_removed
    from invoicing.notices import overdue_tell
    from invoicing.services.payments import payment_record
    from tests.customers.factories import make_customer
    from tests.search.factories import make_issued

    finance = make_persona(Role.FINANCE, username="fin")
    endpoint, secret = _endpoint(receiver, ["invoice.paid", "invoice.overdue", "customer.removed"])
    customer = make_customer(company_name="Gone KK")
    make_issued(6001, domain_id=customer.domain_id)
    payment_record(actor=finance, number=6001, amount=100, paid_on=dt.date(2026, 11, 20))
    assert not Event.objects.filter(type="invoice.paid").exists()  # part of it
    overdue_tell(today=dt.date(2026, 12, 1))
    overdue_tell(today=dt.date(2026, 12, 2))  # once
    payment_record(actor=finance, number=6001, amount=1000, paid_on=dt.date(2026, 12, 3))
    customer_mark_removed(domain_id=customer.domain_id)
    customer_mark_removed(domain_id=customer.domain_id)  # already marked: nothing more
    types = sorted(Event.objects.values_list("type", flat=True))
    assert types == ["customer.removed", "invoice.overdue", "invoice.paid"]
    assert Event.objects.get(type="invoice.overdue").data["owed"] == 1000
