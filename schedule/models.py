"""The one table of the schedule room: each user's private calendar feed (a secret in the URL).

Only a hash of the secret is stored: the URL is shown once, when it is made; a user who lost it makes a new one
(which revokes the old). Revoking deletes the row, and the old URL then answers 404.

The row also keeps when the feed's content last changed (`changed_at`, found by the digest of what it last
served): the calendar's DTSTAMP and the feed's Last-Modified, so that a feed whose data did not change reads the
same, byte for byte, and a calendar polling it gets 304 Not Modified (schedule/feed.py).
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("user"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    last_read_at = models.DateTimeField(_("last read by a calendar"), null=True, blank=True)
    #: SHA-256 of the events last served (without their stamp), and when they became what they are.
    content_digest = models.CharField(max_length=64, blank=True, default="")
    changed_at = models.DateTimeField(_("content changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of {self.user_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)
