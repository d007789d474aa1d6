from django.urls import path

from invoicing import (
    views,
    views_bank,
    views_corrections,
    views_debit,
    views_records,
    views_reminders,
    views_search,
    views_sending,
    views_statements,
)

app_name = "invoicing"

urlpatterns = [
    path("", views.start, name="start"),
    path("<year:year>/<month:month>/", views.drafts, name="drafts"),
    path("<year:year>/<month:month>/issue/", views.issue, name="issue"),
    path("<year:year>/<month:month>/<int:domain_id>/", views.draft, name="draft"),
    path("details/", views.issuer, name="issuer"),
    path("issued/<int:number>.pdf", views.pdf, name="pdf"),
    path("customers/<int:domain_id>/", views.customer, name="customer"),
    # Sending and being paid
    path("<year:year>/<month:month>/issued/", views_sending.issued_month, name="issued_month"),
    path("<year:year>/<month:month>/send/", views_sending.send_month, name="send_month"),
    path("issued/<int:number>/", views_sending.issued, name="issued"),
    path("issued/<int:number>/send/", views_sending.send, name="send"),
    path("issued/<int:number>/send-again/", views_sending.send_again, name="send_again"),
    path("issued/<int:number>/payment/", views_sending.payment, name="payment"),
    path("<year:year>/<month:month>/sales-journal/", views_sending.sales_journal, name="sales_journal"),
]

# Issued documents and their corrections.
urlpatterns += [
    path("issued/<int:number>/credit-note/", views_corrections.credit_note, name="credit_note"),
    path("issued/<int:number>/correct/", views_corrections.correct, name="correct"),
]

# The search of issued invoices and its export.
urlpatterns += [
    path("issued/", views_search.search, name="search"),
    path("issued/export/", views_search.search_export, name="search_export"),
]

# Price edits on a draft.
urlpatterns += [
    path(
        "<year:year>/<month:month>/<int:domain_id>/prices/",
        views_corrections.draft_prices,
        name="draft_prices",
    ),
]

# Records as the law asks: the rules, and the tax officer's export.
urlpatterns += [
    path("records/", views_records.records, name="records"),
    path("records/exports/<int:export_id>/", views_records.records_export, name="records_export"),
    path("records/exports/<int:export_id>.zip", views_records.records_download, name="records_download"),
]

# A customer's statement of account: its page, PDF and workbook.
urlpatterns += [
    path("customers/<int:domain_id>/statement/", views_statements.statement, name="statement"),
    path("customers/<int:domain_id>/statement.pdf", views_statements.statement_pdf, name="statement_pdf"),
    path(
        "customers/<int:domain_id>/statement/export/",
        views_statements.statement_export,
        name="statement_export",
    ),
]

# Bank statements and their matching to invoices (入金消込).
urlpatterns += [
    path("bank/", views_bank.bank_statements, name="bank_statements"),
    path("bank/import/", views_bank.bank_import, name="bank_import"),
    path("bank/<int:statement_id>/", views_bank.bank_statement, name="bank_statement"),
    path(
        "bank/<int:statement_id>/confirm-certain/",
        views_bank.bank_confirm_certain,
        name="bank_confirm_certain",
    ),
    path("bank/<int:statement_id>/match-again/", views_bank.bank_rematch, name="bank_rematch"),
    path("bank/lines/<int:line_id>/confirm/", views_bank.bank_line_confirm, name="bank_line_confirm"),
    path("bank/lines/<int:line_id>/explain/", views_bank.bank_line_explain, name="bank_line_explain"),
    path("bank/lines/<int:line_id>/reopen/", views_bank.bank_line_reopen, name="bank_line_reopen"),
    path("bank/csv-layouts/", views_bank.bank_mappings, name="bank_mappings"),
    path("bank/csv-layouts/<int:mapping_id>/", views_bank.bank_mapping, name="bank_mapping"),
]

# Customers' billing details as a file, and back from one.
urlpatterns += [
    path("customers/export/", views.billing_details_export, name="billing_details_export"),
    path("customers/import/", views.billing_details_import, name="billing_details_import"),
]

# Direct debit (口座振替): the customers' accounts, the runs, their request files and the bank's results.
urlpatterns += [
    path("customers/<int:domain_id>/debit-account/", views_debit.debit_account, name="debit_account"),
    path("debit/", views_debit.debit, name="debit"),
    path("debit/make/", views_debit.debit_run_make, name="debit_run_make"),
    path("debit/<int:run_id>/", views_debit.debit_run, name="debit_run"),
    path("debit/<int:run_id>/file/", views_debit.debit_run_file, name="debit_run_file"),
    path("debit/<int:run_id>/results/", views_debit.debit_run_results, name="debit_run_results"),
    path("debit/<int:run_id>/cancel/", views_debit.debit_run_cancel, name="debit_run_cancel"),
]

# Payment reminders: the schedule, one sent now, a customer's pause.
urlpatterns += [
    path("reminders/", views_reminders.reminders, name="reminders"),
    path("issued/<int:number>/remind/", views_reminders.remind, name="remind"),
    path("customers/<int:domain_id>/reminders/", views_reminders.reminder_pause, name="reminder_pause"),
]
