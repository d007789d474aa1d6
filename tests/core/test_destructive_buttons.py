"""A button or link that ends or removes something looks destructive wherever it is: "Cancel now" like "Delete",
a row's "Cancel", and the confirmation of any change whose choices cancel something, now or on a date."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes.forms import new_key
from tests.core.test_hostile_input import world  # noqa: F401 - the fixture is used below

pytestmark = pytest.mark.django_db


def _classes_of(html: str, href: str) -> str:
    found = re.search(rf'<a class="([^"]*)" href="{re.escape(href)}"', html)
    assert found, f"no link to {href}"
    return found[1]


def _confirm_classes(response) -> str:
    html = response.content.decode()
    return re.search(r'<button class="([^"]*)" type="submit" name="confirmed"', html)[1]


def test_links_that_cancel_or_delete_look_destructive(world, client_as):  # noqa: F811
    manager = client_as(Role.ACCOUNT_MANAGER)
    sub, customer = world["sub"], world["customer"]
    detail = manager.get(reverse("subscriptions:detail", args=[sub.subscription_id])).content.decode()
    assert "btn-danger" in _classes_of(detail, reverse("subscriptions:cancel", args=[sub.subscription_id]))
    assert "btn-danger" not in _classes_of(
        detail, reverse("subscriptions:renewal", args=[sub.subscription_id])
    )
    page = manager.get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
    assert "btn-danger" in _classes_of(page, reverse("customers:delete", args=[customer.domain_id]))
    assert "link-danger" in _classes_of(page, reverse("options:cancel", args=[customer.domain_id, "SSTG2"]))


def test_a_confirmation_that_cancels_something_has_a_destructive_button(world, client_as):  # noqa: F811
    manager = client_as(Role.ACCOUNT_MANAGER)
    sub, customer = world["sub"], world["customer"]
    usage = reverse("customers:usage", args=[customer.domain_id])
    cancelling = manager.post(usage, {"idempotency_key": new_key(), "withdrawal_date": "2026-12-31"})
    assert "btn-danger" in _confirm_classes(cancelling)
    limiting = manager.post(usage, {"idempotency_key": new_key(), "max_member_count": "50"})
    assert "btn-primary" in _confirm_classes(limiting)
    renewal = reverse("subscriptions:renewal", args=[sub.subscription_id])
    not_renewed = manager.post(renewal, {"idempotency_key": new_key(), "type": "CANCEL"})
    assert "btn-danger" in _confirm_classes(not_renewed)
    cancel_now = manager.post(
        reverse("subscriptions:cancel", args=[sub.subscription_id]), {"idempotency_key": new_key()}
    )
    assert "btn-danger" in _confirm_classes(cancel_now)
