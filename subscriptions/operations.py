"""The Partner API operations of subscriptions, pre-orders, reservations and renewals, in words
a person reads.

Contributed as `operation_labels`; portal/core/operations.py shows them (Activity, worklist, operation page).
"""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    "listSubscriptions": _("List subscriptions"),
    "createSubscription": _("Add a subscription"),
    "getSubscription": _("Read a subscription"),
    "cancelSubscription": _("Cancel a subscription"),
    "convertSubscriptionToPaid": _("Convert a subscription to paid"),
    "upgradeSubscription": _("Upgrade a subscription"),
    "addSubscriptionLicenseCount": _("Add licences"),
    "createSubscriptionPreOrder": _("Schedule a new subscription"),
    "listSubscriptionPreOrders": _("List scheduled new subscriptions"),
    "updateSubscriptionPreOrder": _("Change a scheduled new subscription"),
    "deleteSubscriptionPreOrder": _("Withdraw a scheduled new subscription"),
    "createSubscriptionReservation": _("Schedule a subscription change"),
    "getSubscriptionReservation": _("Read a scheduled subscription change"),
    "updateSubscriptionReservation": _("Change a scheduled subscription change"),
    "deleteSubscriptionReservation": _("Withdraw a scheduled subscription change"),
    "getSubscriptionRenewal": _("Read the renewal settings"),
    "updateSubscriptionRenewal": _("Change the renewal settings"),
}
