"""The invoicing app's writes, named in words a person reads (the portal's own data: no Partner API call, so
recorded as "portal.*" operations). Contributed as `operation_labels`."""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    "portal.setIssuerDetails": _("Change the partner's billing details"),
    "portal.setCustomerBilling": _("Change a customer's billing details"),
    "portal.importBillingDetails": _("Import customers' billing details from a file"),
    "portal.issueCustomerInvoice": _("Issue an invoice to a customer"),
    "portal.issueCreditNote": _("Issue a credit note to a customer"),
    "portal.issueCorrectedInvoice": _("Issue a corrected invoice to a customer"),
    "portal.setDraftPrice": _("Change a price on a customer's invoice draft"),
    "portal.sendCustomerInvoice": _("Send an invoice to a customer by e-mail"),
    "portal.recordInvoicePayment": _("Record a payment of a customer's invoice"),
    "portal.exportRecords": _("Export issued documents for a tax officer"),
    "portal.downloadRecordsExport": _("Download an export of issued documents"),
    "portal.importBankStatement": _("Import a bank statement"),
    "portal.confirmBankMatch": _("Confirm a bank payment for a customer's invoice"),
    "portal.explainBankLine": _("Explain a bank payment that pays no invoice"),
    "portal.setBankCsvMapping": _("Change a bank's CSV layout"),
    "portal.reopenBankLine": _("Take back the explanation of a bank payment"),
    "portal.setDebitAccount": _("Change a customer's direct debit account"),
    "portal.makeDebitRun": _("Make a direct debit request"),
    "portal.importDebitResults": _("Import a direct debit result file"),
    "portal.cancelDebitRun": _("Cancel a direct debit request"),
    "portal.setReminderSchedule": _("Change the payment reminders' schedule"),
    "portal.sendPaymentReminder": _("Send a payment reminder to a customer by e-mail"),
    "portal.pauseReminders": _("Pause payment reminders to a customer"),
    "portal.resumeReminders": _("Resume payment reminders to a customer"),
}
