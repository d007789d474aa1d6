"""The Partner API operations of customer usage, invoices and invoice details, named in words a person reads.

Contributed as `operation_labels`; portal/core/operations.py shows them (Activity, worklist, operation page).
"""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    "listCustomerUsages": _("List customer usage"),
    "listInvoices": _("List invoices"),
    "listInvoiceDetails": _("List invoice details"),
    # Finance's own records (nothing is sent to the Partner API).
    "billing.explainFinding": _("Explain a billing finding"),
    "portal.closeBillingMonth": _("Close a billing month"),
    "portal.reopenBillingMonth": _("Reopen a billing month"),
    "portal.acceptInvoiceCost": _("Accept a cost from LINE WORKS' invoice into the price book"),
    "portal.addPrice": _("Add a price to the price book"),
    "portal.importPriceBook": _("Import the price book from a file"),
}
