"""How long the saved views room keeps the history in its tables (portal/core/retention.py). Views, follows and
approval rules are the team's settings, not history: one row each, kept while wanted. Who entered or left a
followed group is history: the digest tells the last day's, the rest is kept a while for whoever asks."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.retention import KeepDays, Retention

RETENTION = [
    Retention(
        model="saved.GroupChange",
        date_field="at",
        keep=KeepDays("RETENTION_GROUP_CHANGE_DAYS", 90),
        table=_("Followed groups' changes"),
        kept=_("Customers that entered or left a followed group"),
        reason=_(
            "The morning digest tells each day's the next morning; three months answer who joined a group "
            "and when, after that the group's own list says who is in it now."
        ),
    )
]
