"""The Partner API operations of customers, domains and usage status, named in words a person reads.

Contributed as `operation_labels`; portal/core/operations.py shows them (Activity, worklist, operation page).
"""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    # The portal's own data (nothing is sent to the Partner API): recorded as "portal.*" operations.
    "portal.assignCustomerOwner": _("Assign a customer's owner"),
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
}
