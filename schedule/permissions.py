"""Who sees the Scheduled changes page and may have its calendar feed (contributed from
`ScheduleConfig.ready()`). Each source's items are further limited by the source's own permissions."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

VIEW_SCHEDULE = Perm(
    "schedule",
    "view_schedule",
    _("View scheduled changes and have their calendar feed"),
    roles={Role.ACCOUNT_MANAGER, Role.SUPPORT},
)

PERMS = [VIEW_SCHEDULE]
