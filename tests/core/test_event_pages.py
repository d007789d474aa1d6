"""Who opens an event endpoint's pages (portal/core/events/views.py): Admins alone, every role tried on a real
endpoint; removing one asks first and then removes its log with it, audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes.sealing import seal
from portal.core.events.outbox import emit
from portal.core.models import AuditEntry, EventDelivery, EventEndpoint

pytestmark = pytest.mark.django_db

ALL = (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN)


@pytest.fixture
def endpoint(db):
    return EventEndpoint.objects.create(
        url="https://93.184.215.14/hooks", sealed_secret=seal("whsec_" + "B" * 43), types=["invoice.paid"]
    )


@pytest.mark.parametrize("role", ALL, ids=[r.value for r in ALL])
def test_only_admins_open_an_endpoint_and_its_actions(client_as, endpoint, role):
    client = client_as(role)
    allowed = role is Role.ADMIN
    for name in ("core:event_endpoint", "core:event_endpoint_remove"):
        assert client.get(reverse(name, args=[endpoint.pk])).status_code == (200 if allowed else 403)
    # A test event goes back to the page; a new secret is shown on the answer itself.
    for name, answer in (("core:event_endpoint_test", 302), ("core:event_endpoint_secret", 200)):
        assert client.post(reverse(name, args=[endpoint.pk])).status_code == (answer if allowed else 403)
    assert Client().get(reverse("core:event_endpoint", args=[endpoint.pk])).status_code == 302


def test_an_admin_removes_an_endpoint_after_a_confirmation(client_as, endpoint):
    from portal.core.events.outbox import endpoints_changed

    endpoints_changed()
    emit("invoice.paid", {"number": 1})
    assert EventDelivery.objects.count() == 1
    admin = client_as(Role.ADMIN)
    remove = reverse("core:event_endpoint_remove", args=[endpoint.pk])
    assert "No more events go there" in admin.get(remove).content.decode()
    assert admin.post(remove).status_code == 302
    assert not EventEndpoint.objects.exists() and not EventDelivery.objects.exists()
    assert AuditEntry.objects.filter(operation_id="portal.removeEventEndpoint").count() == 1
    assert emit("invoice.paid", {"number": 2}) is None
