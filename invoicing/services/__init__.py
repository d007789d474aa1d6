"""Writes of the partner's invoices to its customers. One job a module:

- `details`: the partner's billing details (the issuer of its invoices: `issuer_details_set`) and each
  customer's (`customer_billing_set`), audited.
- `numbering`: the gap-free sequence of numbers every invoice, credit note and corrected invoice takes under the
  counter's lock (`COUNTER`), and the document a draft becomes as issued.
- `issuing`: a ready draft issued (`invoice_issue`) and the month's issue run (`month_issue_request`,
  `month_issue`, the task `invoicing.issue_month`).
- `pdfs`: the PDF rendered after the number and stored once (`invoice_pdf_render`), the month's PDFs in chunks the
  workers share (`month_pdfs_render`, `pdf_chunk_render`, the task `invoicing.render_pdfs`).
- `corrections`: credit notes (`credit_note_issue`) and corrected invoices (`corrected_invoice_issue`).
- `prices`: Finance's price edits on a draft (`draft_price_set`).
- `drafts`: the drafts the worker keeps (`drafts_keep`, `DRAFTS_KEEPER`).
- `sending`: an invoice sent by e-mail (`invoice_send`, `invoice_message`) and the month's send run
  (`month_send_request`, `month_send`, the task `invoicing.send_month`).
- `reaper`: the month's runs as kinds of run core's reaper queues again when their worker is lost (`RUN_KINDS`,
  contributed as `runs`; the worker holds a run with `portal.core.runs.working_on`).
- `payments`: payments received (`payment_record`).
- `reminders`: payment reminders on Finance's schedule (`reminder_steps_set`): the daily run (`reminders_send`,
  the task `invoicing.send_reminders`), one sent now (`reminder_send_now`), a customer's pause
  (`reminder_pause_set`).
- `bank`: bank statements imported (`bank_statement_import`), their lines matched to invoices
  (`bank_line_confirm`, `bank_lines_confirm_certain`, each through `payment_record`) or explained
  (`bank_line_explain`, taken back by `bank_line_reopen`), and the banks' CSV layouts (`bank_mapping_set`).
- `debit`: direct debit (口座振替): the customers' debit accounts (`debit_account_set`), a run and its request
  file (`debit_run_make`), the bank's result file imported once (`debit_results_import`).
- `records`: the export of issued documents for a tax officer, or to leave the portal (`records_export_request`,
  `records_export`, the task `invoicing.export_records`, `records_export_open`).

What other modules use is named here too, so `from invoicing import services` reads the same as its module. A
test that replaces a function replaces it in the module that looks it up when it runs.
"""

from invoicing.services.corrections import corrected_invoice_issue, correction_draft, credit_note_issue
from invoicing.services.details import customer_billing_set, issuer_details_set
from invoicing.services.drafts import (
    DRAFTS_BATCH,
    DRAFTS_KEEPER,
    DRAFTS_ONE_BY_ONE,
    drafts_keep,
    drafts_months,
)
from invoicing.services.issuing import (
    IssueRefused,
    invoice_issue,
    month_issue,
    month_issue_check,
    month_issue_request,
    month_issue_task,
)
from invoicing.services.numbering import COUNTER
from invoicing.services.payments import PaymentRefused, payment_record
from invoicing.services.pdfs import (
    PDF_CHUNK_CLAIM_SECONDS,
    invoice_pdf_render,
    month_pdfs_render,
    pdf_chunk_render,
    pdf_chunk_render_task,
    pdfs_missing,
)
from invoicing.services.prices import draft_price_set
from invoicing.services.reaper import RUN_KINDS
from invoicing.services.records import (
    ExportUnavailable,
    records_export,
    records_export_open,
    records_export_request,
    records_export_task,
)
from invoicing.services.reminders import (
    ReminderRefused,
    StepsRefused,
    reminder_pause_set,
    reminder_send_now,
    reminder_steps_set,
    reminders_send,
    reminders_send_task,
)
from invoicing.services.sending import (
    SENDING_STALE,
    SendRefused,
    attempt_words,
    document_message,
    invoice_email,
    invoice_message,
    invoice_send,
    invoice_sendable,
    invoice_sender,
    month_send,
    month_send_request,
    month_send_task,
    unsent,
)

__all__ = [
    "COUNTER",
    "DRAFTS_BATCH",
    "DRAFTS_KEEPER",
    "DRAFTS_ONE_BY_ONE",
    "PDF_CHUNK_CLAIM_SECONDS",
    "RUN_KINDS",
    "SENDING_STALE",
    "ExportUnavailable",
    "IssueRefused",
    "PaymentRefused",
    "ReminderRefused",
    "SendRefused",
    "StepsRefused",
    "corrected_invoice_issue",
    "correction_draft",
    "credit_note_issue",
    "customer_billing_set",
    "document_message",
    "draft_price_set",
    "drafts_keep",
    "drafts_months",
    "invoice_email",
    "invoice_issue",
    "invoice_message",
    "invoice_pdf_render",
    "attempt_words",
    "invoice_send",
    "invoice_sendable",
    "invoice_sender",
    "issuer_details_set",
    "month_issue",
    "month_issue_check",
    "month_issue_request",
    "month_issue_task",
    "month_pdfs_render",
    "month_send",
    "month_send_request",
    "month_send_task",
    "payment_record",
    "pdf_chunk_render",
    "pdf_chunk_render_task",
    "pdfs_missing",
    "records_export",
    "reminder_pause_set",
    "reminder_send_now",
    "reminder_steps_set",
    "reminders_send",
    "reminders_send_task",
    "records_export_open",
    "records_export_request",
    "records_export_task",
    "unsent",
]
