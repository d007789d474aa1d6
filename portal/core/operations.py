"""Every operation of the Partner API contract (contract/openapi.yaml), and the portal's own writes recorded in
the audit trail ("portal.*": the Users page), named in words a person reads.

The Activity page, the customer page's activity and the home page's worklist show these names; the operationId
stays visible on hover (it is what the audit trail and the contract say). An operationId not listed here (a
newer contract) is shown as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    # customers
    "verifyCustomerDomain": _("Check a domain or group name"),
    "createCustomer": _("Add a customer"),
    "listCustomers": _("List customers"),
    "getCustomer": _("Read a customer"),
    "updateCustomer": _("Update a customer"),
    "patchCustomer": _("Edit a customer"),
    "deleteCustomer": _("Delete a customer"),
    "getUpgradeDomain": _("Read the domain to upgrade to"),
    "createUpgradeDomain": _("Add a domain to upgrade to"),
    "deleteUpgradeDomain": _("Delete the domain to upgrade to"),
    "activateCustomer": _("Activate a customer"),
    "changeCustomerDomain": _("Change a group name to a domain"),
    "getPotentialCustomer": _("Read an Online Direct customer"),
    "transferPotentialCustomer": _("Take over an Online Direct customer"),
    "getUsageStatus": _("Read the usage status"),
    "patchUsageStatus": _("Change maximum users or cancellation"),
    "createUsageStatusRenewal": _("Schedule a maximum-users change"),
    "patchUsageStatusRenewal": _("Change the scheduled maximum-users change"),
    "deleteUsageStatusRenewal": _("Withdraw the scheduled maximum-users change"),
    # subscriptions
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
    # options
    "createOptionProduct": _("Add an option"),
    "listOptionProducts": _("List options"),
    "cancelOptionProduct": _("Cancel an option"),
    "upgradeOptionProduct": _("Upgrade an option"),
    "addOptionProductQuantity": _("Add option quantity"),
    "getOptionProductRenewal": _("Read an option's renewal settings"),
    "updateOptionProductRenewal": _("Change an option's renewal settings"),
    "createOptionProductOrder": _("Schedule an option change"),
    "listOptionProductOrders": _("List scheduled option changes"),
    "getOptionProductOrder": _("Read a scheduled option change"),
    "updateOptionProductOrder": _("Change a scheduled option change"),
    "deleteOptionProductOrder": _("Withdraw a scheduled option change"),
    "listOptionProductUsages": _("List option usage"),
    # usage and billing
    "listCustomerUsages": _("List customer usage"),
    "listInvoices": _("List invoices"),
    "listInvoiceDetails": _("List invoice details"),
    # the portal's own users (the Users page; nothing is sent to the Partner API)
    "portal.createUser": _("Add a portal user"),
    "portal.changeUserRole": _("Change a portal user's role"),
    "portal.deactivateUser": _("Deactivate a portal user"),
    "portal.reactivateUser": _("Reactivate a portal user"),
    "portal.resetUserPassword": _("Reset a portal user's password"),
}


def operation_label(operation_id: str) -> str:
    """The operation's name in words (in the active language), or the operationId if it is not known."""
    label = OPERATION_LABELS.get(operation_id)
    return str(label) if label is not None else operation_id
