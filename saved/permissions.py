"""Who may keep views: everyone signed in keeps their own; Account managers (and Admins) share them with the
team, as they set up the team's work."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

APP = "saved"

SHARE_VIEWS = Perm(APP, "share_views", _("Share saved views with the team"), roles={Role.ACCOUNT_MANAGER})

PERMS = [SHARE_VIEWS]
