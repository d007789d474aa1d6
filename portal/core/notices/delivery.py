"""Delivering notices: at most once, by e-mail, by the bot in LINE WORKS or to a team room's Incoming Webhook.

`notify(kind, user= or room=, way=, title=, text=, url=)` writes one `Notice` in the caller's transaction (the
work it reports) and queues its delivery for when that commits: a notice never blocks, slows or undoes the work it
reports, and one whose work rolled back is never sent. The rooms call `choices.tell`, which writes one per person
and room told. The worker delivers it (`deliver`, by id) through one way:

* e-mail: Django's mail settings, to the person's address;
* LINE WORKS: the partner tenant's bot (`LINE_WORKS_BOT_ID`) to the person, found by their LINE WORKS ID (their
  login e-mail unless they gave another), a Flexible Template (`content.py`), through the one messaging client and
  rate limiter (`portal.core.partner.get_messaging_client`);
* a team room: its Incoming Webhook URL (kept sealed), a title and a text.

Delivery is at most once. An attempt first marks the notice SENDING (in its own transaction, the row locked and
skipped by any other worker), then sends, then records the outcome:

* delivered: SENT;
* refused for good (an unknown person, a message that does not fit, no bot set): FAILED, with the reason in words;
* refused for now (LINE WORKS or the mail server unreachable, busy or failing): WAITING again, tried after
  `RETRY_AFTER` (1, 5, 30 and 120 minutes), FAILED after the last;
* sent but unanswered (the post may have arrived): UNKNOWN, never sent again. So is a notice whose worker died
  while sending it (`deliver_due` finds it SENDING past `SENDING_LEASE`).

Beat runs `deliver_due` every minute: what is due again, and a delivery the queue lost. What was not delivered is
listed on the person's Notices page, and on the team rooms' page.
"""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partner_api.errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    PartnerApiError,
)
from portal.core.models import Notice
from portal.core.notices.content import email_body, line_works_content, webhook_post
from portal.core.outbox import Outbox

logger = logging.getLogger(__name__)

#: Minutes before each attempt after the first fails for now; after the last, the notice is not delivered.
RETRY_AFTER = (1, 5, 30, 120)
#: How long an attempt may be under way before the worker that made it is taken for dead (its notice: UNKNOWN).
SENDING_LEASE = dt.timedelta(minutes=10)
#: At most once: a notice whose worker died while sending it may have arrived, and is never sent again.
OUTBOX = Outbox(
    model=Notice,
    retry_after=tuple(dt.timedelta(minutes=m) for m in RETRY_AFTER),
    lease=SENDING_LEASE,
    stuck=lambda now: {
        "state": Notice.State.UNKNOWN,
        "error": _("The attempt to send it stopped half way: it may have arrived."),
    },
    related=("user", "room"),
)


def notify(
    kind: str,
    *,
    way: str,
    title: str,
    text: str,
    url: str = "",
    user=None,
    room=None,
    key: str = "",
    links: list[dict] | None = None,
) -> Notice:
    """Tell `user` (or `room`) about `kind` by `way` (`Notice.Way`), once the caller's transaction commits."""
    notice = Notice.objects.create(
        kind=kind,
        way=way,
        user=user,
        room=room,
        key=key[:120],
        title=title[:200],
        text=text,
        url=url[:500],
        links=links or [],
        due_at=timezone.now(),
    )
    transaction.on_commit(lambda: deliver_task.delay(notice.pk))
    return notice


def deliver(notice_id: int) -> str | None:
    """One attempt at delivering the notice, if it is due and no other worker has it; its state after."""
    notice = OUTBOX.claim(notice_id)
    if notice is None:
        return None
    try:
        _send(notice)
    except PartnerApiError as exc:
        outcome = _outcome_of(exc)
        logger.warning("notice: LINE WORKS answered %s", exc, extra={"notice": notice.pk})
        return _record(notice, outcome, _why(exc, notice, outcome))
    except OSError as exc:  # the mail server
        logger.warning("notice: the mail server failed: %s", exc, extra={"notice": notice.pk})
        return _record(notice, "retry", _("The mail server could not be reached."))
    except _NotDeliverable as exc:  # nothing to send it with
        return _record(notice, "failed", str(exc))
    return _record(notice, "sent", "")


class _NotDeliverable(Exception):
    """The notice cannot go this way at all (no bot set, no address)."""


def _send(notice: Notice) -> None:
    if notice.way == Notice.Way.ROOM:
        _post_to_room(notice)
        return
    user = notice.user
    if notice.way == Notice.Way.EMAIL:
        if not user.email:
            raise _NotDeliverable(_("The person has no e-mail address."))
        send_mail(notice.title, email_body(notice), settings.DEFAULT_FROM_EMAIL, [user.email])
        return
    bot_id = settings.LINE_WORKS_BOT_ID
    if not bot_id:
        raise _NotDeliverable(
            _("No LINE WORKS bot is set for the portal (the setting %(name)s).")
            % {"name": "LINE_WORKS_BOT_ID"}
        )
    from portal.core.notices.choices import line_works_id_of
    from portal.core.partner import get_messaging_client

    address = line_works_id_of(user)
    if not address:
        raise _NotDeliverable(_("The person has no LINE WORKS ID or e-mail address."))
    get_messaging_client().send_to_user(bot_id=bot_id, user_id=address, content=line_works_content(notice))


def _post_to_room(notice: Notice) -> None:
    from portal.core.changes.sealing import unseal

    url = unseal(notice.room.sealed_url)
    if url is None:
        raise _NotDeliverable(
            _("The room's Webhook URL cannot be read (the encryption key changed): add it again.")
        )
    from portal.core.partner import post_webhook

    title, text = webhook_post(notice)
    post_webhook(url, title=title, text=text)


def _why(exc: PartnerApiError, notice: Notice, outcome: str) -> str:
    """Why LINE WORKS did not take the notice, in words (never the answer's code, never a Webhook URL)."""
    if outcome == "unknown":
        return _("Sent, but LINE WORKS did not answer: it may have arrived, so it is not sent again.")
    if outcome == "retry":
        return _("LINE WORKS could not be reached or was busy; it is tried again.")
    if isinstance(exc, NotFoundError):
        if notice.way == Notice.Way.ROOM:
            return _(
                "LINE WORKS knows no such Webhook URL: it was removed from the room. Add the room again."
            )
        return _(
            "LINE WORKS knows no person with this LINE WORKS ID, or the bot cannot reach them. Check the ID on "
            "your Notices page."
        )
    if isinstance(exc, AuthenticationError | ForbiddenError | ConfigurationError):
        return _(
            "The portal may not send messages in LINE WORKS: ask an Admin to check its bot and credentials."
        )
    return _("LINE WORKS refused the message.")


def _outcome_of(exc: PartnerApiError) -> str:
    if exc.outcome_unknown:
        return "unknown"
    return "retry" if exc.retryable else "failed"


def _record(notice: Notice, outcome: str, error: str) -> str:
    now = timezone.now()
    fields = {"error": error[:2000]}
    again = OUTBOX.retry_at(notice.attempts, now) if outcome == "retry" else None
    if outcome == "sent":
        fields.update(state=Notice.State.SENT, sent_at=now)
    elif again is not None:
        fields.update(state=Notice.State.WAITING, due_at=again)
    elif outcome == "unknown":
        fields.update(state=Notice.State.UNKNOWN)
    else:
        fields.update(state=Notice.State.FAILED)
    OUTBOX.settle(notice, fields)
    if fields["state"] != Notice.State.SENT:
        logger.warning(
            "notice not delivered", extra={"notice": notice.pk, "state": fields["state"], "error": error}
        )
    return str(fields["state"])


def deliver_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's minute: deliver the notices due (again), and take for unknown those whose attempt has been
    under way longer than `SENDING_LEASE` (their worker died: they may have been sent)."""
    due, stuck = OUTBOX.due(now or timezone.now())
    for notice_id in due:
        deliver(notice_id)
    return {"due": len(due), "stuck": stuck}


@shared_task(name="portal.core.notices.deliver", ignore_result=True)
def deliver_task(notice_id: int) -> str | None:
    return deliver(notice_id)


@shared_task(name="portal.core.notices.deliver_due", ignore_result=True)
def deliver_due_task() -> dict[str, int]:
    return deliver_due()
