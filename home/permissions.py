"""The home room's permission (contributed from `HomeConfig.ready()`): who gets the morning digest and turns it
on or off on its page. Account managers are the ones who decide (home/digest.py)."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

GET_DIGEST = Perm(
    "home", "get_digest", _("Get the morning digest of decisions"), roles={Role.ACCOUNT_MANAGER}
)

PERMS = [GET_DIGEST]
