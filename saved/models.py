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
    #: The address of the list's export, when it has one: the view's files are its own rows (the same query).
    export_path = models.CharField(_("export"), max_length=PATH_LENGTH, blank=True)
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


class Follow(models.Model):
    """A person follows a group (a saved view of the customer list they see): the customers in it as last
    checked (`members`, their domainIds, as that person's access finds them), so that who entered or left since
    can be told (`GroupChange`, in their morning digest)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows", verbose_name=_("person")
    )
    view = models.ForeignKey(
        SavedView, on_delete=models.CASCADE, related_name="follows", verbose_name=_("view")
    )
    members = models.JSONField(_("customers in it"), default=list, blank=True)
    #: When the members were last read (None: not yet; the first check records who is in it, no change).
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    #: The first check found more customers than a group is followed for (`FOLLOW_MOST`): none are told.
    too_many = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "view"], name="saved_follow_user_view")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.view_id}"


class GroupChange(models.Model):
    """A customer that entered or left a followed group, found by a check."""

    follow = models.ForeignKey(Follow, on_delete=models.CASCADE, related_name="changes")
    domain_id = models.BigIntegerField(_("customer domainId"))
    entered = models.BooleanField(_("entered"))
    at = models.DateTimeField(_("found"), db_index=True)

    class Meta:
        ordering = ["-at", "pk"]

    def __str__(self) -> str:
        return f"{self.domain_id} {'in' if self.entered else 'out'}"
