"""The notices a team's portal keeps (portal/core/notices/): two team rooms, each person's choices, and the notices
of the last RETENTION_NOTICE_DAYS days (what the nightly housekeeping leaves) at the cadence the running portal
writes them: each Account manager's morning digest every day (in LINE WORKS for half of them), a failed change a
week to each of them, and an overdue invoice a working day to Finance and the billing room. What a person's
Notices page and a room's page read grows with the team and the days kept, not with the customers."""

from __future__ import annotations

import datetime as dt

from bench.seed.people import ids_of
from bench.seed.tables import Table


def notices_seed(today: dt.date) -> int:
    from django.conf import settings
    from django.utils import timezone

    from portal.core.changes.sealing import seal
    from portal.core.models import Notice, NoticeChoice, NoticeRoom

    prefix = settings.LINE_WORKS_WEBHOOK_URL_PREFIX
    rooms = [
        NoticeRoom.objects.create(
            name=name, sealed_url=seal(f"{prefix}{token}"), url_end=token[-4:], kinds=kinds, language="ja"
        )
        for name, token, kinds in (
            ("Sales", "bench-sales-0001", ["change.failed", "approval.waiting", "batch.finished"]),
            ("Billing", "bench-billing-0002", ["invoice.overdue", "credential.expiring"]),
        )
    ]
    managers = ids_of("account_manager")
    NoticeChoice.objects.bulk_create(
        NoticeChoice(user_id=pk, kind="digest", way="line_works") for pk in managers[::2]
    )
    finance = ids_of("finance")
    NoticeChoice.objects.bulk_create(
        NoticeChoice(user_id=pk, kind="invoice.overdue", way="email") for pk in finance
    )
    columns = ["kind", "way", "user_id", "room_id", "key", "title", "text", "url", "state"]
    table = Table(Notice, [*columns, "due_at", "created_at", "sent_at"])
    now = timezone.now()

    def sent(kind, way, user, room, key, title, at):
        return (kind, way, user, room, key, title, "…", "/", "sent", at, at, at)

    def rows():
        for days in range(settings.RETENTION_NOTICE_DAYS, 0, -1):
            at = now - dt.timedelta(days=days)
            day = f"{(today - dt.timedelta(days=days)):%Y-%m-%d}"
            for n, pk in enumerate(managers):
                way = "line_works" if n % 2 == 0 else "email"
                yield sent("digest", way, pk, None, f"digest:{day}", "3 decisions due soon", at)
                if days % 7 == n % 7:
                    yield sent("change.failed", "email", pk, None, f"op-{day}", "Not applied", at)
            if at.weekday() < 5:
                for pk in finance:
                    yield sent("invoice.overdue", "email", pk, None, f"inv-{day}", "Overdue", at)
                yield sent("invoice.overdue", "room", None, rooms[1].pk, f"inv-{day}", "Overdue", at)

    return table.write(rows())


def events_seed(customers: int) -> int:
    """An endpoint (the partner's ticketing tool) getting every change's event, and the last RETENTION_EVENT_DAYS
    days of them at OPERATIONS_A_YEAR per customer (a change applied or failed each), each delivered once."""
    import uuid

    from django.conf import settings
    from django.utils import timezone

    from bench.seed.cadence import OPERATIONS_A_YEAR
    from portal.core.changes.sealing import seal
    from portal.core.models import Event, EventDelivery, EventEndpoint

    endpoint = EventEndpoint.objects.create(
        url="https://tickets.partner.example/hooks/portal",
        description="Ticketing",
        sealed_secret=seal("whsec_" + "A" * 43),
        types=["change.applied", "change.failed", "batch.finished"],
    )
    a_day = max(1, round(customers * OPERATIONS_A_YEAR / 365))
    now = timezone.now()
    ids = []

    def events():
        for days in range(settings.RETENTION_EVENT_DAYS, 0, -1):
            at = now - dt.timedelta(days=days)
            for n in range(a_day):
                event_id = f"msg_{uuid.UUID(int=days * 1_000_000 + n).hex}"
                ids.append((event_id, at))
                kind = "change.failed" if n % 20 == 0 else "change.applied"
                yield (event_id, kind, {"operation": event_id}, "", at)

    written = Table(Event, ["id", "type", "data", "key", "created_at"]).write(events())
    deliveries = Table(
        EventDelivery,
        [
            "event_id",
            "endpoint_id",
            "state",
            "attempts",
            "due_at",
            "created_at",
            "delivered_at",
            "last_status",
        ],
    )
    written += deliveries.write(
        (event_id, endpoint.pk, "delivered", 1, at, at, at, 204) for event_id, at in ids
    )
    return written
