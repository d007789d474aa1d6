"""Refreshes after changes are coalesced: while a refresh of a customer waits in the queue, more changes to
that customer add no refresh of their own (the queued one has read nothing yet); once it starts, the next
change queues a new one. `make soak` showed why: 1,000 changes queued 1,657 refreshes, and the read-backs and
the reaper waited behind them for minutes."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.core import sync, tasks
from portal.core.sync import requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    cache.clear()
    calls: list[dict] = []
    monkeypatch.setattr(tasks.resync_customer, "delay", lambda **kw: calls.append(kw))
    return calls


def test_changes_in_a_row_queue_one_refresh_until_it_starts(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            sync.resync_customer_request(domain_id=10000001, skip=["listOptionProducts"])
        sync.resync_customer_request(domain_id=10000002)
    assert queued == [
        {"domain_id": 10000001, "skip": ["listOptionProducts"]},
        {"domain_id": 10000002, "skip": []},
    ]

    # The refresh starts (the worker takes it): a change made now must be read again, so it queues another.
    read: list[int] = []
    monkeypatch.setattr(requests, "resync_customer", lambda *, domain_id, skip=(): read.append(domain_id))
    sync.resync_customer_queued(domain_id=10000001, skip=["listOptionProducts"])
    assert read == [10000001]
    with django_capture_on_commit_callbacks(execute=True):
        sync.resync_customer_request(domain_id=10000001, skip=["listOptionProducts"])
        sync.resync_customer_request(domain_id=10000002)  # still waiting: nothing more
    assert queued[2:] == [{"domain_id": 10000001, "skip": ["listOptionProducts"]}]


def test_a_refresh_that_skips_less_is_queued_apart(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sync.resync_customer_request(domain_id=10000001, skip=["getCustomer"])
        sync.resync_customer_request(domain_id=10000001)
    assert [c["skip"] for c in queued] == [["getCustomer"], []]
