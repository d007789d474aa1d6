"""Reads compiled once per connection (portal/core/compiled.py): the SQL is kept, never the rows, so every read
sees the data as it is now, with the values converted as the ORM converts them."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.selectors import people_with_role
from accounts.services import user_create_with_role, user_deactivate
from portal.core.access import Role
from portal.core.models import SyncRun
from portal.core.selectors import last_full_sync_at
from portal.core.sync import CUSTOMER, FULL

pytestmark = pytest.mark.django_db


def _usernames(role: Role) -> list[str]:
    return [label for _pk, label in people_with_role(role=role)]


def test_the_owner_choices_follow_the_account_managers_added_and_deactivated_after_a_first_read():
    assert not any("Sato" in label for label in _usernames(Role.ACCOUNT_MANAGER))
    manager = user_create_with_role(
        username="asato",
        password="x-long-pass-123",
        role=Role.ACCOUNT_MANAGER,
        first_name="Aiko",
        last_name="Sato",
    )
    user_create_with_role(username="support1", password="x-long-pass-123", role=Role.SUPPORT)
    assert "Aiko Sato (asato)" in _usernames(Role.ACCOUNT_MANAGER)
    assert "support1" not in _usernames(Role.ACCOUNT_MANAGER)
    assert "support1" in _usernames(Role.SUPPORT)
    admin = user_create_with_role(username="boss", password="x-long-pass-123", role=Role.ADMIN)
    user_deactivate(actor=admin, user_id=manager.pk)
    assert "Aiko Sato (asato)" not in _usernames(Role.ACCOUNT_MANAGER)


def test_the_last_full_sync_is_the_time_the_last_full_resync_finished():
    assert last_full_sync_at() is None
    finished = dt.datetime(2026, 11, 2, 3, 4, 5, tzinfo=dt.UTC)
    SyncRun.objects.create(kind=FULL, status=SyncRun.Status.SUCCEEDED, finished_at=finished)
    SyncRun.objects.create(
        kind=CUSTOMER, status=SyncRun.Status.SUCCEEDED, finished_at=finished + dt.timedelta(1)
    )
    SyncRun.objects.create(kind=FULL)  # still running
    assert last_full_sync_at() == finished  # a time, as the ORM reads it, on both databases
