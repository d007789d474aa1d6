"""Who manages the portal's people (contributed from `AccountsConfig.ready()`): Admins only."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm

MANAGE_USERS = Perm("accounts", "manage_users", _("Manage users and see sign-ins"))

PERMS = [MANAGE_USERS]
