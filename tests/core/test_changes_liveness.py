"""The heartbeat of a process sending changes (portal/core/changes/liveness.py), and the waits derived from the
client's timeouts (timing.py). Real time, made short through the settings: a heartbeat lives one second here."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import override_settings

from portal.core.changes import liveness
from portal.core.changes.timing import timing
from portal.core.periodic import beat_schedule


@pytest.fixture
def short(settings):
    """One-second heartbeats: a settle time of 4 s over calls of at most 1 s leaves a second to each share."""
    settings.PARTNER_API_CONNECT_TIMEOUT = 0.5
    settings.PARTNER_API_READ_TIMEOUT = 0.5
    settings.CHANGES_SETTLE_SECONDS = 4
    assert (timing().heartbeat_ttl, timing().lost_grace) == (1.0, 0.5)
    return timing()


@pytest.fixture
def senders():
    started: list[liveness.Sender] = []

    def start() -> liveness.Sender:
        started.append(liveness.Sender())
        return started[-1]

    yield start
    for sender in started:
        sender.stop()


def op(name: str, sender: str) -> SimpleNamespace:
    """An operation as the reaper reads it: its pk (new each run: the cache outlives a test) and its sender."""
    return SimpleNamespace(pk=f"{name}-{uuid.uuid4()}", worker=sender)


@pytest.mark.parametrize("cache_of", ["tests' own", "files"])
def test_a_live_senders_heartbeat_is_refreshed_and_a_dead_ones_lapses(short, senders, cache_of, tmp_path):
    """Through Django's cache API, so the file cache of a machine without Redis serves as well as Redis."""
    files = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": tmp_path}
    }
    with override_settings(CACHES=files) if cache_of == "files" else override_settings():
        sender = senders()
        with sender.holding("op-1"):
            assert liveness.holds(sender.id, "op-1")
            time.sleep(2.5)  # more than twice its life: alive only because it is written again
            assert liveness.holds(sender.id, "op-1")
            assert not liveness.holds(sender.id, "op-2")
        assert not liveness.holds(sender.id, "op-1")  # let go of: said at once
        assert cache.get(liveness.alive_key(sender.id)) == []  # the process itself lives on

        sender.stop()  # killed: it beats no more
        time.sleep(1.5)
        assert cache.get(liveness.alive_key(sender.id)) is None


def test_an_operation_is_lost_when_its_sender_is_found_gone_at_two_looks_a_grace_apart(short, senders):
    alive = senders()
    dead = senders()
    mine, theirs = op("op-live", alive.id), op("op-dead", dead.id)
    dead.stop()
    cache.delete(liveness.alive_key(dead.id))  # its heartbeat lapsed
    with alive.holding(mine.pk):
        assert liveness.lost([mine, theirs]) == []  # a first look
        time.sleep(short.lost_grace + 0.1)
        assert liveness.lost([mine, theirs]) == [theirs]
    # A sender that lives but let go of an operation it left unsettled is the same as a dead one for it.
    assert liveness.lost([mine]) == []
    time.sleep(short.lost_grace + 0.1)
    assert liveness.lost([mine]) == [mine]


def test_a_heartbeat_lost_with_the_cache_is_written_again_so_its_live_sender_is_not_taken_for_dead(
    short, senders
):
    sender = senders()
    mine = op("op", sender.id)
    with sender.holding(mine.pk):
        for _ in range(3):
            cache.delete(liveness.alive_key(sender.id))  # the cache restarted empty, or evicted the key
            assert liveness.lost([mine]) == []
            time.sleep(short.reap_every)  # the reaper's next look; the sender wrote it again meanwhile
            assert liveness.lost([mine]) == []


def test_an_operation_two_threads_of_a_sender_hold_is_held_until_both_let_go(short, senders):
    """Two copies of one task in a thread pool: the copy that finds it claimed lets go; the one sending keeps it."""
    sender = senders()
    with sender.holding("op-1"):
        with sender.holding("op-1"):
            pass
        assert liveness.holds(sender.id, "op-1")
    assert not liveness.holds(sender.id, "op-1")


def test_a_forked_process_is_a_sender_of_its_own(short, monkeypatch):
    monkeypatch.setattr(liveness, "_sender", None)
    parent = liveness.this_sender()
    try:
        assert liveness.this_sender() is parent
        monkeypatch.setattr(liveness.os, "getpid", lambda: parent.pid + 1)  # the child after a fork
        child = liveness.this_sender()
        try:
            assert child is not parent and child.id != parent.id and child.pid == parent.pid + 1
        finally:
            child.stop()
    finally:
        parent.stop()


def test_every_wait_is_derived_from_the_clients_timeouts_and_the_promise(settings):
    t = timing()
    # With the settings' defaults (5 s to connect, 30 s to read, 3 retries): a dead sender's change is read back
    # within the two minutes promised, the reaper's two looks and one read-back call included.
    assert (t.call, t.settle) == (35.0, 120.0)
    assert t.heartbeat_ttl + 2 * t.reap_every + t.call <= t.settle
    assert t.heartbeat_every == t.heartbeat_ttl / 3 and t.lost_grace <= t.reap_every
    # A row naming no sender waits for every attempt and wait the client may make on one change.
    assert t.stale_running > 5 * t.call
    # Beat runs the reaper at that period.
    assert beat_schedule()["changes-reap-stale"]["schedule"] == t.reap_every

    settings.PARTNER_API_READ_TIMEOUT = 60
    slower = timing()
    assert slower.call == 65 and slower.reap_every < t.reap_every and slower.stale_running > t.stale_running
    assert slower.heartbeat_ttl + 2 * slower.reap_every + slower.call <= slower.settle
