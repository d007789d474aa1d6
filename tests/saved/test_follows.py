"""Following a group (issue 55, deliverable 2): an Account manager follows a saved view of the customer list; the
check before each morning digest records who entered and who left it, as the follower's access finds them, and
their digest tells it (a digest with nothing else to say is sent for it too)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.groups import follows_check
from home.digest import digest_message
from portal.core.access import Role
from saved import services
from saved.models import Follow, GroupChange, SavedView
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


def _group(owner, query: str = "product=ADV&owner=", **fields) -> SavedView:
    return SavedView.objects.create(
        owner=owner,
        name="Advanced customers",
        path=reverse("customers:list"),
        list_title="Customers",
        query=query,
        **fields,
    )


def test_an_account_manager_follows_a_group_and_support_may_not(client, account_manager):
    view = _group(account_manager, shared=True)
    client.force_login(account_manager)
    assert 'data-testid="follow"' in client.get(reverse("saved:list")).content.decode()
    assert client.post(reverse("saved:follow", args=[view.pk]), {"on": "1"}).status_code == 302
    assert Follow.objects.filter(user=account_manager, view=view).exists()
    assert "Stop following" in client.get(reverse("saved:list")).content.decode()
    client.post(reverse("saved:follow", args=[view.pk]), {"on": "0"})
    assert not Follow.objects.exists()
    client.force_login(make_persona(Role.SUPPORT))
    assert client.post(reverse("saved:follow", args=[view.pk]), {"on": "1"}).status_code == 403


def test_only_a_group_is_followed(client, account_manager):
    other = _group(account_manager)
    other.path = reverse("subscriptions:list")
    other.save()
    client.force_login(account_manager)
    assert client.post(reverse("saved:follow", args=[other.pk]), {"on": "1"}).status_code == 400
    group = SavedView.objects.create(
        owner=account_manager, name="Group", path=reverse("customers:list"), list_title="Customers", query=""
    )
    assert client.post(reverse("saved:follow", args=[group.pk]), {"on": "x"}).status_code == 400
    assert not Follow.objects.exists()


def test_who_entered_and_who_left_is_recorded_and_told_in_the_digest(account_manager):
    account_manager.email = "am@example.com"
    account_manager.save()
    staying = make_customer(company_name="Hinode Kogyo", product_id="ADV")
    leaving = make_customer(company_name="Tsukuba Denki", product_id="ADV")
    view = _group(account_manager)
    services.follow_set(user=account_manager, view=view, on=True)
    assert follows_check() == 1  # the first check: who is in it, nothing told
    assert not GroupChange.objects.exists()
    assert set(Follow.objects.get().members) == {staying.domain_id, leaving.domain_id}

    leaving.product_id = "STD"
    leaving.save(update_fields=["product_id"])
    entering = make_customer(company_name="Aoba Shoji", product_id="ADV")
    follows_check()
    changes = {(c.domain_id, c.entered) for c in GroupChange.objects.all()}
    assert changes == {(entering.domain_id, True), (leaving.domain_id, False)}

    message = digest_message(account_manager, today=TODAY)
    assert message is not None  # no decisions due: sent for the group alone
    text = message.body
    assert (
        "Advanced customers" in text and "1 entered: Aoba Shoji" in text and "1 left: Tsukuba Denki" in text
    )
    assert "Hinode Kogyo" not in text
    assert "customers entered or left groups you follow" in message.subject


def test_a_follower_who_no_longer_sees_the_view_is_not_told(account_manager):
    owner = make_persona(Role.ADMIN, username="view-owner")
    view = _group(owner, shared=True)
    services.follow_set(user=account_manager, view=view, on=True)
    view.shared = False
    view.save()
    assert follows_check() == 0
    assert Follow.objects.get().checked_at is None


def test_a_group_past_the_most_is_not_told(account_manager, monkeypatch):
    monkeypatch.setattr(services, "FOLLOW_MOST", 1)
    for name in ("A", "B"):
        make_customer(company_name=name, product_id="ADV")
    services.follow_set(user=account_manager, view=_group(account_manager), on=True)
    follows_check()
    follow = Follow.objects.get()
    assert follow.too_many and follow.members == []
    make_customer(company_name="C", product_id="ADV")
    follows_check(now=timezone.now() + dt.timedelta(days=1))
    assert not GroupChange.objects.exists()


def test_group_changes_and_expired_held_changes_leave_by_their_rules(account_manager):
    """Who entered or left a followed group is kept RETENTION_GROUP_CHANGE_DAYS (90), the follow and the view
    stay; a change held for an approval that never came leaves with the year's operations, a held one of last
    week stays."""
    import time_machine

    from portal.core.models import Operation
    from portal.core.retention import housekeep

    view = _group(account_manager)
    services.follow_set(user=account_manager, view=view, on=True)
    follow = Follow.objects.get()
    now = timezone.now()
    old = GroupChange.objects.create(follow=follow, domain_id=1, entered=True, at=now - dt.timedelta(days=91))
    recent = GroupChange.objects.create(
        follow=follow, domain_id=2, entered=False, at=now - dt.timedelta(days=5)
    )
    with time_machine.travel(now - dt.timedelta(days=400), tick=False):
        stale = Operation.objects.create(idempotency_key="held-old", kind="cancelSubscription", status="held")
    with time_machine.travel(now - dt.timedelta(days=7), tick=False):
        waiting = Operation.objects.create(
            idempotency_key="held-new", kind="cancelSubscription", status="held"
        )
    housekeep(batch_size=10)
    assert set(GroupChange.objects.all()) == {recent} and old.pk not in GroupChange.objects.values_list(
        "pk", flat=True
    )
    assert Follow.objects.exists() and SavedView.objects.exists()
    assert set(Operation.objects.all()) == {waiting}
    assert stale.pk not in Operation.objects.values_list("pk", flat=True)
