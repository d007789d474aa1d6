"""Who connects the partner account (contributed from `PartnerAccountConfig.ready()`): Admins only."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm

CONNECT_PARTNER_ACCOUNT = Perm("partner_account", "connect_partner_account", _("Connect partner account"))

PERMS = [CONNECT_PARTNER_ACCOUNT]
