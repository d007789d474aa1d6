"""Who may read and change options (contributed from `OptionsConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

#: Finance reads the options list and catalogue: options are what is billed besides the plans.
VIEW_OPTIONS = Perm(
    "options",
    "view_options",
    _("View options"),
    roles={Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE},
)
CHANGE_OPTIONS = Perm(
    "options", "change_options", _("Change options"), roles={Role.ACCOUNT_MANAGER}, sends_changes=True
)

PERMS = [VIEW_OPTIONS, CHANGE_OPTIONS]
