"""The beat schedule runs each daily job at its hour in Japan time (the business time zone), as README and the
digest's page say: celery beat's own scheduler, driven with the clock a minute before and at the hour, sends the
job only at the hour. (The hours were once read in UTC: the morning digest went out at 17:00 in Tokyo.)"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.beat import Scheduler

from portal.celery import app

TOKYO = ZoneInfo("Asia/Tokyo")


class _Recorder(Scheduler):
    """Beat's scheduler as `celery beat` runs it, but what it would send is written down, not sent."""

    producer = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.task)


def _sent_at(scheduler: _Recorder, when: dt.datetime) -> set[str]:
    """The tasks beat sends when its clock reads `when` (it ticks until nothing more is due)."""
    scheduler.sent.clear()
    with time_machine.travel(when, tick=False):
        for _ in range(3 * len(scheduler.schedule)):
            scheduler.tick()
    return set(scheduler.sent)


@pytest.mark.parametrize(
    ("task", "hour", "minute"),
    [
        ("home.digest.send_daily", 8, 0),
        ("portal.core.sync.resync_partner_wide_fresh", 6, 0),
        ("portal.core.sync.resync_partner_wide_fresh", 18, 0),
        ("portal.core.housekeeping", 3, 30),
    ],
)
def test_beat_sends_each_daily_job_at_its_hour_in_japan_time(settings, task, hour, minute):
    assert settings.BUSINESS_TIME_ZONE == "Asia/Tokyo" and settings.DIGEST_HOUR == 8
    app.loader.import_default_modules()
    app.finalize()
    at = dt.datetime(2026, 11, 21, hour, minute, tzinfo=TOKYO)
    # Beat started four hours before (its entries last ran then), as after a restart in the night.
    with time_machine.travel(at - dt.timedelta(hours=4), tick=False):
        scheduler = _Recorder(app, lazy=False)
    assert task in {entry.task for entry in scheduler.schedule.values()}
    assert task not in _sent_at(scheduler, at - dt.timedelta(minutes=1))
    assert task in _sent_at(scheduler, at)
    # Sent once: a minute later it is not sent again.
    assert task not in _sent_at(scheduler, at + dt.timedelta(minutes=1))


def test_beat_keeps_the_kept_copies_every_minute():
    """The copies kept of what is worked out (the estimate, the drafts: portal/core/kept.py) are brought up to
    date every minute, whatever a reader asked, so a write nobody reads is still worked out within the minute."""
    from portal.core.periodic import beat_schedule

    entry = beat_schedule()["kept-copies"]
    assert entry == {"task": "portal.core.keep", "schedule": 60.0}


def test_the_schedule_is_every_job_core_and_the_apps_contribute_each_with_its_schedule(settings):
    """The project names no app: each job is contributed by the app that owns its task (kind "periodic"), and the
    one schedule beat reads still has every one of them, each on its schedule from the settings."""
    from celery.schedules import crontab

    from portal.core.changes.timing import timing
    from portal.core.periodic import beat_schedule

    settings.RESYNC_INTERVAL_MINUTES, settings.RESYNC_REFRESH, settings.RESYNC_REFRESH_BATCH_SECONDS = (
        60,
        True,
        45,
    )
    settings.DIGEST_HOUR, settings.HOUSEKEEPING_HOUR = 8, 3
    reap = timing().reap_every
    assert beat_schedule() == {
        "resync-full": {"task": "portal.core.sync.resync_full", "schedule": 3600},
        "resync-refresh": {"task": "portal.core.sync.resync_refresh", "schedule": 45.0},
        "changes-reap-stale": {"task": "portal.core.changes.reap_stale", "schedule": reap},
        "partner-wide-fresh": {
            "task": "portal.core.sync.resync_partner_wide_fresh",
            "schedule": crontab(minute=0, hour="6,18"),
        },
        "kept-copies": {"task": "portal.core.keep", "schedule": 60.0},
        "housekeeping-nightly": {"task": "portal.core.housekeeping", "schedule": crontab(minute=30, hour=3)},
        "notices-due": {"task": "portal.core.notices.deliver_due", "schedule": 60.0},
        "events-due": {"task": "portal.core.events.deliver_due", "schedule": 60.0},
        "worker-heartbeat": {"task": "portal.core.tasks.ping", "schedule": 300.0},
        "decisions-digest-daily": {"task": "home.digest.send_daily", "schedule": crontab(minute=0, hour=8)},
        "group-follows-daily": {
            "task": "customers.tasks.group_follows_check",
            "schedule": crontab(minute=30, hour=7),
        },
        "search-kept-rebuild": {"task": "customers.tasks.search_kept_rebuild", "schedule": 600},
        "search-common-words-daily": {
            "task": "customers.tasks.search_common_words_join",
            "schedule": crontab(minute=45, hour=3),
        },
        "invoices-overdue-notices": {
            "task": "invoicing.notices.overdue_tell",
            "schedule": crontab(minute=0, hour=9),
        },
        "invoices-payment-reminders": {
            "task": "invoicing.send_reminders",
            "schedule": crontab(minute=0, hour=10),
        },
        "partner-account-expiring": {
            "task": "partner_account.notices.expiring_tell",
            "schedule": crontab(minute=0, hour=9),
        },
    }
    # What beat reads once the app is finalized, every task of it one the worker knows.
    app.loader.import_default_modules()
    app.finalize()
    assert app.conf.beat_schedule.keys() == beat_schedule().keys()
    assert {entry["task"] for entry in beat_schedule().values()} <= set(app.tasks)
    # A job off in the settings is left out.
    settings.RESYNC_REFRESH = False
    assert "resync-refresh" not in beat_schedule()
