"""The daily digest: each Account manager gets one e-mail of the decisions they can still make whose deadline
is within DIGEST_DAYS, read from the worklist's decision sections (home/worklist.py), and of the customers that
entered or left the groups they follow since the day before (saved views of the customer list). Nothing is sent
to someone with nothing to decide or tell, or who turned the digest off on its page, and a decision whose
deadline has passed is never in it.

The message is in Japanese, then English (users have no language setting; the partner's staff read Japanese
first), as mail clients read it:

* `multipart/alternative`: a plain-text part and an HTML part with the same content, links absolute (from
  PORTAL_BASE_URL);
* a Subject encoded as RFC 2047 means it, whose first line is not empty (`DigestMessage`);
* `Auto-Submitted: auto-generated` (RFC 3834), so that out-of-office replies are not sent back to it each
  morning (and Exchange's own `X-Auto-Response-Suppress`);
* `List-Unsubscribe` (RFC 2369): the page where the user turns it off, also linked at the end of the message.

Mail goes through Django's mail settings (SMTP in production, a file under var/mail/ in development).
"""

from __future__ import annotations

import datetime as dt
import logging
from email.header import Header

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html

from home.worklist import business_now, decisions_for
from portal.core.access import GROUP_NAMES, Role
from portal.core.contrib import customer_names
from portal.core.models import NoticeChoice
from portal.core.notices.kinds import EMAIL, LINE_WORKS, NONE
from saved.selectors import group_changes_since

logger = logging.getLogger(__name__)

#: Decisions whose deadline is at most this many days away (today included) are in the digest.
DIGEST_DAYS = 7
#: The languages of the message, in order.
LANGUAGES = ("ja", "en")


class DigestMessage(EmailMultiAlternatives):
    """A message whose non-ASCII Subject is encoded with its header's name counted.

    Django 5.2 encodes such a subject in RFC 2047 words as long as a whole line, then the generator folds the
    header and moves the first word to a line of its own: the Subject's first line is empty, and a parser with
    the modern policy reads the subject with a leading space. Encoded knowing it follows "Subject: ", the first
    word starts on the first line."""

    def message(self):
        message = super().message()
        subject = str(self.subject)
        if not subject.isascii():
            message.replace_header("Subject", Header(subject, "utf-8", header_name="Subject"))
        return message


#: The digest's kind of notice: each person chooses e-mail (the default), LINE WORKS or none on their Notices page.
DIGEST = "digest"


def digest_recipients():
    """Active Account managers with an e-mail address who have not turned the digest off."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=GROUP_NAMES[Role.ACCOUNT_MANAGER])
        .exclude(email="")
        .exclude(pk__in=NoticeChoice.objects.filter(kind=DIGEST, way=NONE).values("user"))
        .order_by("username")
        .distinct()
    )


def digest_is_on(*, user) -> bool:
    """Whether the user gets the digest when they have decisions due (their role and address aside)."""
    return not NoticeChoice.objects.filter(user=user, kind=DIGEST, way=NONE).exists()


def digest_way(*, user) -> str:
    """How the user gets the digest: by e-mail unless they chose LINE WORKS (or none)."""
    chosen = NoticeChoice.objects.filter(user=user, kind=DIGEST).values_list("way", flat=True).first()
    return chosen or EMAIL


def digest_turn(*, user, on: bool) -> None:
    """Turn the user's digest off, or back on by e-mail (idempotent; one by LINE WORKS stays so)."""
    if not on:
        NoticeChoice.objects.update_or_create(user=user, kind=DIGEST, defaults={"way": NONE})
    else:
        NoticeChoice.objects.filter(user=user, kind=DIGEST, way=NONE).update(way=EMAIL)


def _absolute(url: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{url}" if url.startswith("/") else url


def digest_message(user, *, today: dt.date) -> DigestMessage | None:
    """The user's digest of `today` (business date), or None when there is nothing to decide."""
    texts, htmls, subjects = [], [], []
    settings_url = _absolute(reverse("digest"))
    groups = _followed(user)
    for language in LANGUAGES:
        with translation.override(language):
            decisions = decisions_for(user, today=today, days=DIGEST_DAYS)
            if not decisions and not groups:
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
            context = {
                "user": user,
                "today": today,
                "rows": rows,
                "groups": groups,
                "days": DIGEST_DAYS,
                "settings_url": settings_url,
                "settings_link": format_html('<a href="{}">{}</a>', settings_url, settings_url),
                "language": language,
            }
            subjects.append(render_to_string("home/digest_subject.txt", context).strip())
            texts.append(render_to_string("home/digest_email.txt", context))
            htmls.append(render_to_string("home/digest_email.html", context))
    subject = " / ".join(subjects)
    message = DigestMessage(
        subject=subject,
        body="\n\n----------------------------------------\n\n".join(texts),
        to=[user.email],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "List-Unsubscribe": f"<{settings_url}>",
        },
    )
    html = render_to_string(
        "home/digest_document.html", {"subject": subject, "parts": htmls, "language": LANGUAGES[0]}
    )
    message.attach_alternative(html, "text/html")
    return message


#: Names of customers told per group and direction; the rest are counted ("and 12 more").
FOLLOWED_NAMES = 10


def _followed(user) -> list[dict]:
    """Who entered and who left each group `user` follows since the last morning (the check before each digest
    records them, `customers.groups.follows_check`), by company name, with the group's link."""
    since = timezone.now() - dt.timedelta(hours=24)
    found = group_changes_since(user=user, since=since)
    names = customer_names(d for f in found for d in (*f.entered[:FOLLOWED_NAMES], *f.left[:FOLLOWED_NAMES]))

    def told(ids: list) -> dict:
        shown = [names.get(d, str(d)) for d in ids[:FOLLOWED_NAMES]]
        return {"names": shown, "more": max(0, len(ids) - FOLLOWED_NAMES), "count": len(ids)}

    return [
        {"name": f.name, "url": _absolute(f.url), "entered": told(f.entered), "left": told(f.left)}
        for f in found
    ]


def digest_send_all(*, today: dt.date | None = None) -> int:
    """Send today's digest to every Account manager with something to decide; the number of messages sent.
    One failed address does not stop the others (it is logged)."""
    today = today or business_now().date()
    sent = 0
    with get_connection() as connection:
        for user in digest_recipients():
            if digest_way(user=user) == LINE_WORKS:
                sent += digest_to_line_works(user, today=today)
                continue
            message = digest_message(user, today=today)
            if message is None:
                continue
            message.connection = connection
            try:
                sent += message.send()
            except OSError:
                logger.exception("digest: could not send to user %s", user.pk)
    return sent


def digest_to_line_works(user, *, today: dt.date) -> int:
    """The user's digest as a notice from the bot in LINE WORKS, in their language: the decisions and the
    groups in short, and a button to the home page (told once a day); 1 if there was something to tell."""
    from portal.core.notices.choices import tell
    from portal.core.notices.content import Message
    from portal.core.selectors import language_of

    with translation.override(language_of(user)):
        decisions = decisions_for(user, today=today, days=DIGEST_DAYS)
        groups = _followed(user)
        if not decisions and not groups:
            return 0
        rows = [
            {
                "section": str(section.title),
                "item": item,
                "days_left": (item.day - today).days,
            }
            for section, item in decisions
        ]
        context = {"rows": rows, "groups": groups, "today": today, "days": DIGEST_DAYS}
        title = render_to_string("home/digest_subject.txt", context).strip()
        text = render_to_string("home/digest_line_works.txt", context).strip()

    def message() -> Message:
        return Message(title=title, text=text, url=reverse("home"), label=translation.gettext("Open home"))

    return len(tell(DIGEST, users=[user], message=message, key=f"digest:{today:%Y-%m-%d}", rooms=False))
