"""The daily digest: each Account manager gets one e-mail of the decisions they can still make whose deadline
is within DIGEST_DAYS, read from the worklist's decision sections (home/worklist.py). Nothing is sent to
someone with nothing to decide, and a decision whose deadline has passed is never in it.

The message is in Japanese, then English (users have no language setting; the partner's staff read Japanese
first); its links are absolute, from PORTAL_BASE_URL. Mail goes through Django's mail settings (SMTP in
production, a file under var/mail/ in development).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from home.worklist import business_now, decisions_for
from portal.core.access import GROUP_NAMES, Role

logger = logging.getLogger(__name__)

#: Decisions whose deadline is at most this many days away (today included) are in the digest.
DIGEST_DAYS = 7
#: The languages of the message, in order.
LANGUAGES = ("ja", "en")


def digest_recipients():
    """Active Account managers with an e-mail address."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.ACCOUNT_MANAGER])
        .exclude(email="")
        .order_by("username")
        .distinct()
    )


def _absolute(url: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{url}" if url.startswith("/") else url


def digest_message(user, *, today: dt.date) -> EmailMessage | None:
    """The user's digest of `today` (business date), or None when there is nothing to decide."""
    parts, subjects = [], []
    for language in LANGUAGES:
        with translation.override(language):
            decisions = decisions_for(user, today=today, days=DIGEST_DAYS)
            if not decisions:
                return None
            rows = [
                {
                    "section": str(section.title),
                    "day_label": str(section.day_label),
                    "item": item,
                    "url": _absolute(item.change_url or item.url),
                    "days_left": (item.day - today).days,
                }
                for section, item in decisions
            ]
            context = {"user": user, "today": today, "rows": rows, "days": DIGEST_DAYS}
            subjects.append(render_to_string("home/digest_subject.txt", context).strip())
            parts.append(render_to_string("home/digest_email.txt", context))
    return EmailMessage(
        subject=" / ".join(subjects),
        body="\n\n----------------------------------------\n\n".join(parts),
        to=[user.email],
    )


def digest_send_all(*, today: dt.date | None = None) -> int:
    """Send today's digest to every Account manager with something to decide; the number of messages sent.
    One failed address does not stop the others (it is logged)."""
    today = today or business_now().date()
    sent = 0
    with get_connection() as connection:
        for user in digest_recipients():
            message = digest_message(user, today=today)
            if message is None:
                continue
            message.connection = connection
            try:
                sent += message.send()
            except OSError:
                logger.exception("digest: could not send to user %s", user.pk)
    return sent
