"""Each user's private calendar feed: the scheduled changes they may see and the deadlines of the decisions they
can still make, as an iCalendar that calendar apps subscribe to by URL (a secret per user, no session).

Services (make, revoke) and reads (the feed behind a token, its calendar) of the schedule room's one table.

A good HTTP citizen for the calendar apps that poll it: the calendar's DTSTAMP is when the feed's content last
changed (`CalendarFeed.changed_at`, found by comparing the digest of the events with the one last served), not
the time of the request, so the same data gives the same bytes; the view answers with an ETag and
Last-Modified, and 304 Not Modified to a poll that already has them (portal/core/ical.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from home.worklist import decisions_for, whose_work
from portal.core.access import can
from portal.core.ical import AllDayEvent, calendar_lines
from portal.core.selectors import language_of
from portal.core.services import language_remember
from portal.core.vocabulary import labelled
from schedule.models import CalendarFeed, token_digest
from schedule.permissions import VIEW_SCHEDULE
from schedule.selectors import ICAL_UID_DOMAIN, scheduled_items
from schedule.sources import DEFAULT_HORIZON_DAYS, ScheduleFilters

#: Who may have a feed: those who see the Scheduled changes page.
FEED_PERM = VIEW_SCHEDULE


def feed_make(*, user, language: str | None = None) -> str:
    """A new secret URL token for the user (any earlier one stops working); returned once, stored hashed. The
    `language` the user made it in is remembered as theirs: the feed is written in it."""
    language_remember(user=user, language=language)
    token = CalendarFeed.new_token()
    with transaction.atomic():
        CalendarFeed.objects.filter(user=user).delete()
        CalendarFeed.objects.create(user=user, token_hash=token_digest(token))
    return token


def feed_revoke(*, user) -> bool:
    """Revoke the user's feed; True if there was one."""
    return CalendarFeed.objects.filter(user=user).delete()[0] > 0


def feed_get(*, user) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def feed_language(*, user) -> str:
    """The language the user's feed is written in: the one they read the portal in (remembered at sign-in and
    at each switch of the language), since a calendar app polls the feed without a session."""
    return language_of(user)


def feed_by_token(*, token: str) -> CalendarFeed | None:
    """The feed this token opens, if its user is active and may still see it, or None. Notes the read."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_hash=token_digest(token)).first()
    if feed is None or not can(feed.user, FEED_PERM):
        return None
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=timezone.now())
    return feed


@dataclass(frozen=True)
class FeedCalendar:
    """The feed as served: the calendar's bytes and when its content last changed (its DTSTAMP)."""

    body: bytes
    changed_at: dt.datetime


def feed_calendar(
    *, feed: CalendarFeed, origin: str, today: dt.date | None = None, language: str | None = None
) -> FeedCalendar:
    """The feed's calendar in `language` (the active one by default), stamped with the time its content last
    changed: now if the events differ from those it served last (the time is then kept on the feed), else the
    kept time, so unchanged data reads the same."""
    with translation.override(language or translation.get_language()):
        events = feed_events(user=feed.user, origin=origin, today=today)
        name = gettext("Partner Portal: my calendar")
    # The content is the events and the calendar's name (frozen dataclasses: their repr is their values); the
    # calendar is written once, with the stamp this decides.
    digest = hashlib.sha256(repr((name, events)).encode()).hexdigest()
    if digest != feed.content_digest or feed.changed_at is None:
        # Whole seconds: Last-Modified and If-Modified-Since carry no fraction.
        changed_at = timezone.now().replace(microsecond=0)
        CalendarFeed.objects.filter(pk=feed.pk).update(content_digest=digest, changed_at=changed_at)
        feed.content_digest, feed.changed_at = digest, changed_at
    body = "".join(_calendar(events, feed.changed_at, name)).encode()
    return FeedCalendar(body=body, changed_at=feed.changed_at)


def _calendar(events: list[AllDayEvent], stamp: dt.datetime, name: str) -> Iterator[str]:
    return calendar_lines(
        events,
        name=name,
        product="-//Partner Portal//My calendar//EN",
        stamp=stamp,
    )


def feed_events(*, user, origin: str, today: dt.date | None = None) -> list[AllDayEvent]:
    """The feed's events: one all-day event per scheduled change of the next DEFAULT_HORIZON_DAYS days, and one
    per decision the user can still make, on its deadline (UIDs stable across reads, so calendars update)."""
    # The same customers as the decisions below: an Account manager's own, everyone's for the other roles.
    mine = ScheduleFilters(customers=whose_work(user), user=user)
    items = scheduled_items(user=user, filters=mine, today=today)
    last_day, form = gettext("Last day to change: %(day)s"), gettext("Form: %(url)s")
    events = [
        AllDayEvent(
            uid=f"{i.uid}@{ICAL_UID_DOMAIN}",
            day=i.date,
            summary=labelled(i.kind_label, i.company_name),
            description="\n".join(
                p
                for p in (
                    i.summary,
                    last_day % {"day": i.deadline.isoformat()},
                    form % {"url": origin + i.change_url} if i.change_url else "",
                )
                if p
            ),
            url=origin + i.url,
            categories=(i.kind_label,),
        )
        for i in items
    ]
    decision = gettext("Decision")
    for section, item in decisions_for(user, today=today, days=DEFAULT_HORIZON_DAYS):
        change = form % {"url": origin + item.change_url} if item.change_url else ""
        events.append(
            AllDayEvent(
                uid=f"decision-{item.uid}@{ICAL_UID_DOMAIN}",
                day=item.day,
                summary=labelled(section.day_label, f"{item.customer} ({section.title})"),
                description="\n".join(p for p in (item.text, change) if p),
                url=origin + (item.url or item.change_url),
                categories=(decision,),
            )
        )
    return events
