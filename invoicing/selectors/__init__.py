"""Reads of the partner's invoices to its customers (access checked here too). Billing is read through its
selectors, never its models; the customers through theirs. One job a module:

- `details`: the partner's billing details and each customer's (`issuer_mapping`, `details_mapping`,
  `customer_billing_get`, the customers without them, all of them for the download and the import:
  `billing_details_rows`, `billing_details_of`), how the partner bills (`bills_in_advance`,
  `month_basis`) and the month invoiced now (`default_month`).
- `drafts`: the month's drafts worked out now (`month_drafts_worked_out`, `month_drafts`, `ready_drafts`,
  `draft_get`) and its latest issue run (`issue_run_latest`).
- `drafts_kept`: the drafts the worker keeps, as the month's pages read them (`kept_drafts`, `draft_page`,
  `DRAFTS_KEPT`), what they are worked out from (`drafts_basis`) and how they stand (`drafts_state`).
- `corrections`: credit notes and corrected invoices of an invoice (`corrections_of`, `credit_left`,
  `credit_preview`, `issued_by_submission`).
- `search`: the issued-invoice search by issue date, total and customer (`issued_list`, `issued_page`).
- `issued`: an issued document with what it owes (`owed`, `paid`, `credited`), its sendings and payments
  (`IssuedRow`, `issued_detail`), and the invoices overdue (`overdue_invoices`, `overdue_invoices_count`).
- `records`: records as the law asks (`records_rules`, `records_exports`, `records_export_get`) and one
  document's history (`document_history`).
- `statements`: a customer's statement of account over a period (`customer_statement`, `Statement`).
- `bank`: bank statements and their lines, the open invoices and names the matching reads (`match_book`),
  a customer's credit from over-payments (`customer_credit`); imported as `invoicing.selectors.bank`.
- `reminders`: payment reminders: the schedule (`reminder_steps`), a customer's pause (`reminder_pause_get`),
  an invoice's reminders and the step due (`reminder_state`, `reminder_step_due`).
- `sending`: the month's issued documents and their sending (`month_issued_page`, `month_sending`,
  `send_run_latest`, `sending_by_submission`).

What other modules use is named here too, so `from invoicing import selectors` reads the same as its module. A
test that replaces a function replaces it in the module that looks it up when it runs.
"""

from invoicing.selectors.corrections import corrections_of, credit_left, credit_preview, issued_by_submission
from invoicing.selectors.details import (
    DETAILS_FIELDS,
    ISSUER_FIELDS,
    RECIPIENT_FIELDS,
    billing_details_of,
    billing_details_rows,
    bills_in_advance,
    customer_billing_get,
    customer_get,
    customers_without_details,
    customers_without_details_count,
    default_month,
    details_mapping,
    issuer_get,
    issuer_mapping,
    month_basis,
)
from invoicing.selectors.drafts import (
    MonthDrafts,
    draft_get,
    issue_run_latest,
    month_drafts,
    month_drafts_worked_out,
    ready_drafts,
)
from invoicing.selectors.drafts_kept import (
    DRAFT_BLOCKED,
    DRAFT_FIGURES,
    DRAFT_ISSUED,
    DRAFT_READY,
    DRAFT_RULES,
    DRAFTS_KEPT,
    KeptDrafts,
    draft_page,
    drafts_basis,
    drafts_state,
    kept_drafts,
)
from invoicing.selectors.issued import (
    IssuedDetail,
    IssuedRow,
    credited,
    issued_detail,
    issued_get,
    overdue_invoices,
    overdue_invoices_count,
    owed,
    paid,
)
from invoicing.selectors.records import (
    HistoryEvent,
    document_history,
    records_export_get,
    records_exports,
    records_rules,
)
from invoicing.selectors.reminders import (
    ReminderState,
    reminder_pause_get,
    reminder_state,
    reminder_step_due,
    reminder_steps,
    reminders_of,
)
from invoicing.selectors.search import (
    ISSUED_FIELDS,
    ISSUED_SORTS,
    SEARCHED_SORT,
    IssuedFilters,
    issued_list,
    issued_page,
)
from invoicing.selectors.sending import (
    MONTH_ISSUED_SORTS,
    SEND_FAILED,
    SEND_NOT_SENT,
    SEND_SENT,
    MonthIssuedFilters,
    MonthSending,
    month_issued_any,
    month_issued_list,
    month_issued_page,
    month_sending,
    send_run_latest,
    sending_by_submission,
)
from invoicing.selectors.statements import (
    PAYMENT,
    Statement,
    StatementLine,
    customer_statement,
    statement_kind_label,
)

__all__ = [
    "PAYMENT",
    "Statement",
    "StatementLine",
    "customer_statement",
    "statement_kind_label",
    "DETAILS_FIELDS",
    "DRAFTS_KEPT",
    "DRAFT_BLOCKED",
    "DRAFT_FIGURES",
    "DRAFT_ISSUED",
    "DRAFT_READY",
    "DRAFT_RULES",
    "ISSUED_FIELDS",
    "ISSUED_SORTS",
    "ISSUER_FIELDS",
    "HistoryEvent",
    "IssuedDetail",
    "IssuedFilters",
    "IssuedRow",
    "KeptDrafts",
    "MONTH_ISSUED_SORTS",
    "MonthDrafts",
    "MonthIssuedFilters",
    "MonthSending",
    "RECIPIENT_FIELDS",
    "ReminderState",
    "SEARCHED_SORT",
    "SEND_FAILED",
    "SEND_NOT_SENT",
    "SEND_SENT",
    "billing_details_of",
    "billing_details_rows",
    "bills_in_advance",
    "corrections_of",
    "credit_left",
    "credit_preview",
    "credited",
    "customer_billing_get",
    "customer_get",
    "customers_without_details",
    "customers_without_details_count",
    "default_month",
    "document_history",
    "details_mapping",
    "draft_get",
    "draft_page",
    "drafts_basis",
    "drafts_state",
    "issue_run_latest",
    "issued_by_submission",
    "issued_detail",
    "issued_get",
    "issued_list",
    "issued_page",
    "issuer_get",
    "issuer_mapping",
    "kept_drafts",
    "month_basis",
    "month_drafts",
    "month_drafts_worked_out",
    "month_issued_any",
    "month_issued_list",
    "month_issued_page",
    "month_sending",
    "overdue_invoices",
    "overdue_invoices_count",
    "owed",
    "paid",
    "ready_drafts",
    "records_export_get",
    "records_exports",
    "records_rules",
    "reminder_pause_get",
    "reminder_state",
    "reminder_step_due",
    "reminder_steps",
    "reminders_of",
    "send_run_latest",
    "sending_by_submission",
]
