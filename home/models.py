"""The home room's one table: who turned the morning digest off (home/digest.py sends it to every Account
manager with an address, unless they did)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DigestOptOut(models.Model):
    """A user who asked not to get the morning digest (on its page, reached from the message itself)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="digest_opt_out",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("turned off"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest turned off")
        verbose_name_plural = _("digests turned off")

    def __str__(self) -> str:
        return f"digest off for {self.user_id}"
