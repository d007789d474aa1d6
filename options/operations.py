"""The Partner API operations of options, their orders and usage, named in words a person reads.

Contributed as `operation_labels`; portal/core/operations.py shows them (Activity, worklist, operation page).
"""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
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
}
