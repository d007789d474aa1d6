"""Saved views: a list page's filters and sort, kept under a name, by one person or for the team.

A view is the list's path and its query (as the list's own links carry it, without the page), so opening it is
opening that address: what it shows is what the list shows the reader, with the reader's own access."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: The longest name a view may have (it is shown in the navigation and on home).
NAME_LENGTH = 80
PATH_LENGTH = 200
TITLE_LENGTH = 200
QUERY_LENGTH = 2000


class SavedView(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    #: The list page's path (`/customers/`, `/work/renewals/`), checked to be a list when the view was saved.
    path = models.CharField(_("page"), max_length=PATH_LENGTH)
    #: The list's heading when the view was saved, in the saver's language (what the Views page shows beside it).
    list_title = models.CharField(_("list"), max_length=TITLE_LENGTH)
    query = models.CharField(_("filters"), max_length=QUERY_LENGTH, blank=True)
    shared = models.BooleanField(_("shared with the team"), default=False)
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_view_owner_name")]
        indexes = [models.Index(fields=["shared", "name"], name="saved_view_shared_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path
