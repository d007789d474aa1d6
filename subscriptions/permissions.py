"""Who may read and change subscriptions (contributed from `SubscriptionsConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

VIEW_SUBSCRIPTIONS = Perm(
    "subscriptions",
    "view_subscriptions",
    _("View subscriptions and scheduled changes"),
    roles={Role.ACCOUNT_MANAGER, Role.SUPPORT},
)
CHANGE_SUBSCRIPTIONS = Perm(
    "subscriptions",
    "change_subscriptions",
    _("Change subscriptions"),
    roles={Role.ACCOUNT_MANAGER},
    sends_changes=True,
)

PERMS = [VIEW_SUBSCRIPTIONS, CHANGE_SUBSCRIPTIONS]
