"""Role x URL matrix of the invoicing pages (issue 33): only Finance and Admins see the partner's invoices to
its customers, its billing details and the customers'."""

import pytest
from django.urls import reverse

from invoicing.models import (
    BankCsvMapping,
    BankLine,
    BankStatement,
    CustomerBilling,
    DebitAccount,
    DebitRun,
    DraftPriceEdit,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
    PaymentReminder,
    ReminderPause,
)
from invoicing.selectors.reminders import steps_stored
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.invoicing.conftest import M

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
FINANCE = {FIN, ADM}
ONE = {**M, "domain_id": 90_100_001}
CUSTOMER = {"domain_id": 90_100_002}

# (url name, kwargs, method, roles allowed)
MATRIX = [
    ("invoicing:start", {}, "get", FINANCE),
    ("invoicing:drafts", M, "get", FINANCE),
    ("invoicing:draft", ONE, "get", FINANCE),
    ("invoicing:issue", M, "get", FINANCE),
    ("invoicing:issue", M, "post", FINANCE),
    ("invoicing:pdf", {"number": 1}, "get", FINANCE),
    ("invoicing:issuer", {}, "get", FINANCE),
    ("invoicing:issuer", {}, "post", FINANCE),
    ("invoicing:customer", CUSTOMER, "get", FINANCE),
    ("invoicing:customer", CUSTOMER, "post", FINANCE),
    ("invoicing:draft_prices", ONE, "get", FINANCE),
    ("invoicing:draft_prices", ONE, "post", FINANCE),
    ("invoicing:search", {}, "get", FINANCE),
    ("invoicing:search_export", {}, "get", FINANCE),
    ("invoicing:issued", {"number": 1}, "get", FINANCE),
    ("invoicing:credit_note", {"number": 1}, "get", FINANCE),
    ("invoicing:credit_note", {"number": 1}, "post", FINANCE),
    ("invoicing:correct", {"number": 1}, "get", FINANCE),
    ("invoicing:correct", {"number": 1}, "post", FINANCE),
    ("invoicing:issued_month", M, "get", FINANCE),
    ("invoicing:send_month", M, "get", FINANCE),
    ("invoicing:send_month", M, "post", FINANCE),
    ("invoicing:send", {"number": 1}, "post", FINANCE),
    ("invoicing:send_again", {"number": 1}, "get", FINANCE),
    ("invoicing:send_again", {"number": 1}, "post", FINANCE),
    ("invoicing:payment", {"number": 1}, "post", FINANCE),
    ("invoicing:sales_journal", M, "get", FINANCE),
    ("invoicing:records", {}, "get", FINANCE),
    ("invoicing:records", {}, "post", FINANCE),
    ("invoicing:records_export", {"export_id": 1}, "get", FINANCE),
    ("invoicing:records_download", {"export_id": 1}, "get", FINANCE),
    # A customer's statement of account: its page, PDF and workbook.
    ("invoicing:statement", CUSTOMER, "get", FINANCE),
    ("invoicing:statement_pdf", CUSTOMER, "get", FINANCE),
    ("invoicing:statement_export", CUSTOMER, "get", FINANCE),
    # Bank statements and their matching (入金消込)
    ("invoicing:bank_statements", {}, "get", FINANCE),
    ("invoicing:bank_import", {}, "post", FINANCE),
    ("invoicing:bank_statement", {"statement_id": 0}, "get", FINANCE),
    ("invoicing:bank_confirm_certain", {"statement_id": 0}, "post", FINANCE),
    ("invoicing:bank_rematch", {"statement_id": 0}, "post", FINANCE),
    ("invoicing:bank_line_confirm", {"line_id": 0}, "post", FINANCE),
    ("invoicing:bank_line_explain", {"line_id": 0}, "post", FINANCE),
    ("invoicing:bank_line_reopen", {"line_id": 0}, "post", FINANCE),
    ("invoicing:bank_mappings", {}, "get", FINANCE),
    ("invoicing:bank_mappings", {}, "post", FINANCE),
    ("invoicing:bank_mapping", {"mapping_id": 0}, "get", FINANCE),
    ("invoicing:bank_mapping", {"mapping_id": 0}, "post", FINANCE),
    ("invoicing:debit_account", CUSTOMER, "get", FINANCE),
    ("invoicing:debit_account", CUSTOMER, "post", FINANCE),
    ("invoicing:debit", {}, "get", FINANCE),
    ("invoicing:debit_run_make", {}, "post", FINANCE),
    ("invoicing:debit_run", {"run_id": 0}, "get", FINANCE),
    ("invoicing:debit_run_file", {"run_id": 0}, "get", FINANCE),
    ("invoicing:debit_run_results", {"run_id": 0}, "post", FINANCE),
    ("invoicing:debit_run_cancel", {"run_id": 0}, "post", FINANCE),
    ("invoicing:billing_details_export", {}, "get", FINANCE),
    ("invoicing:billing_details_import", {}, "get", FINANCE),
    ("invoicing:billing_details_import", {}, "post", FINANCE),
    # Payment reminders: the schedule, one sent now, a customer's pause.
    ("invoicing:reminders", {}, "get", FINANCE),
    ("invoicing:reminders", {}, "post", FINANCE),
    ("invoicing:remind", {"number": 1}, "get", FINANCE),
    ("invoicing:remind", {"number": 1}, "post", FINANCE),
    ("invoicing:reminder_pause", CUSTOMER, "get", FINANCE),
    ("invoicing:reminder_pause", CUSTOMER, "post", FINANCE),
]
#: Pages of an issued invoice: the matrix issues the month's invoice first (No. 1).
NEEDS_ISSUED = {
    "invoicing:pdf",
    "invoicing:issued",
    "invoicing:credit_note",
    "invoicing:correct",
    "invoicing:send",
    "invoicing:send_again",
    "invoicing:payment",
    "invoicing:remind",
    "invoicing:send_month",
    "invoicing:sales_journal",
}
#: Pages of a records export: the matrix issues the month's invoice and exports it first (its id in the URL).
NEEDS_EXPORT = {"invoicing:records_export", "invoicing:records_download"}
#: Pages of a bank statement, a line of it or a bank's CSV layout: the matrix makes them first (ids in the URL).
NEEDS_BANK = {
    "invoicing:bank_statement",
    "invoicing:bank_confirm_certain",
    "invoicing:bank_rematch",
    "invoicing:bank_line_confirm",
    "invoicing:bank_line_explain",
    "invoicing:bank_line_reopen",
    "invoicing:bank_mapping",
    "invoicing:debit_run",
    "invoicing:debit_run_file",
    "invoicing:debit_run_results",
    "invoicing:debit_run_cancel",
}
#: What an allowed post answers when it is not a redirect: the correction's page says the draft is the same; a
#: bank statement's or the billing details' import without a file shows its page again, saying so.
POST_ANSWER = {
    "invoicing:correct": 200,
    "invoicing:bank_import": 200,
    "invoicing:billing_details_import": 200,
    # Without billing details the account is refused on its page; a run without a date or a result without a
    # file is answered on its page.
    "invoicing:debit_account": 200,
    "invoicing:debit_run_make": 200,
    "invoicing:debit_run_results": 200,
}
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]
DATA = {
    "invoicing:issue": {"confirmed": "1"},
    "invoicing:issuer": {
        "registered_name": "Partner K.K.",
        "address": "Tokyo",
        "corporation": "on",
        "registration_number": "T1180301018771",
        "bank_account": "Bank",
        "payment_terms": "days_30",
        "billing_basis": "after_invoice",
    },
    "invoicing:credit_note": {
        "line_0": "1000",
        "return_date": "2026-11-01",
        "idempotency_key": "f" * 32,
        "confirmed": "1",
    },
    "invoicing:correct": {"idempotency_key": "f" * 32, "confirmed": "1"},
    "invoicing:draft_prices": {"keys": "STD:ANNUAL_LICENSE", "price_0": "500"},
    "invoicing:customer": {
        "billed": "on",
        "bill_to_name": "Beta",
        "bill_to_address": "Kobe",
        "language": "en",
    },
    "invoicing:send_month": {"confirmed": "1"},
    "invoicing:send_again": {"idempotency_key": "f" * 32, "to": "ap@alpha.example", "times_sent": "1"},
    "invoicing:payment": {"amount": "100", "paid_on": "2026-11-02"},
    "invoicing:reminders": {
        "enabled_1": "on",
        "days_1": "5",
        "tone_1": "gentle",
        "days_2": "15",
        "tone_2": "firm",
        "days_3": "30",
        "tone_3": "final",
    },
    "invoicing:remind": {"step": "1"},
    "invoicing:reminder_pause": {"paused": "on", "reason": "In dispute"},
    "invoicing:records": {"issued_from": "2026-10-01", "issued_to": "2026-12-31", "language": "ja"},
    "invoicing:bank_line_confirm": {"number": "1"},
    "invoicing:bank_line_explain": {"explanation": "bank_fee", "note": "手数料"},
    **{
        name: {
            "name": "Bank",
            "skip_rows": "1",
            "date_column": "1",
            "credit_column": "2",
            "payer_column": "3",
        }
        | {"delimiter": ","}
        for name in ("invoicing:bank_mappings", "invoicing:bank_mapping")
    },
}


@pytest.mark.parametrize(("name", "kwargs", "method", "allowed"), MATRIX, ids=IDS)
def test_anonymous_is_sent_to_login(client, month, name, kwargs, method, allowed):
    response = getattr(client, method)(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


CASES = [(n, k, m, role, role in allowed) for n, k, m, allowed in MATRIX for role in Role]


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "role", "ok"), CASES, ids=[f"{c[2]}-{c[0]}-{c[3].value}" for c in CASES]
)
def test_role_access(client_as, month, name, kwargs, method, role, ok):
    issued = name in NEEDS_ISSUED | NEEDS_EXPORT
    if issued:
        issued_one()
    if name in NEEDS_EXPORT:
        kwargs = {"export_id": exported_one()}
    if name in NEEDS_BANK:
        kwargs = banked(kwargs)
    response = getattr(client_as(role), method)(reverse(name, kwargs=kwargs), DATA.get(name, {}))
    if not ok:
        assert response.status_code == 403
        assert not AuditEntry.objects.exists() and IssueRun.objects.count() == issued
        assert IssuedInvoice.objects.count() == issued
        assert not InvoicePayment.objects.exists() and not InvoiceSending.objects.exists()
        assert IssuerDetails.objects.get().registration_number == "T7000012050002"
        assert not CustomerBilling.objects.filter(**CUSTOMER).exists()
        assert not DraftPriceEdit.objects.exists()
        assert not BankLine.objects.exclude(state="explained").exists()  # not matched, not reopened
        assert not BankCsvMapping.objects.exclude(name="Mizuho").exists()
        assert not DebitAccount.objects.exists() and DebitRun.objects.count() == (name in NEEDS_BANK)
        assert not DebitRun.objects.exclude(resolved_at=None, cancelled_at=None).exists()
        assert [step.days for step in steps_stored()] == [7, 21, 45]
        assert not ReminderPause.objects.exists() and not PaymentReminder.objects.exists()
        return
    assert response.status_code == (200 if method == "get" else POST_ANSWER.get(name, 302))


def issued_one():
    from invoicing import services
    from tests.fixtures.personas import make_persona

    run = services.month_issue_request(user=make_persona(FIN), **M)
    services.month_issue(run_id=run.pk)
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)


def exported_one() -> int:
    """The month's invoices exported for a tax officer (its ZIP made and stored), its audit entries left out."""
    from invoicing import services
    from invoicing.selectors import IssuedFilters
    from tests.fixtures.personas import make_persona

    export = services.records_export_request(user=make_persona(FIN), filters=IssuedFilters(), language="ja")
    services.records_export(export_id=export.pk)
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
    return export.pk


def banked(kwargs: dict) -> dict:
    """A statement with one line and a bank's CSV layout, made directly (no audit entry): `kwargs` filled."""
    import datetime as dt

    from django.utils import timezone

    statement = BankStatement.objects.create(
        layout="zengin",
        file_name="s.txt",
        file_sha256="0" * 64,
        date_from=dt.date(2026, 11, 1),
        date_to=dt.date(2026, 11, 1),
        imported_at=timezone.now(),
    )
    line = BankLine.objects.create(
        statement=statement, key="k", sequence="1", position=1, date=dt.date(2026, 11, 1), amount=100
    )
    line.state, line.explanation = "explained", "bank_fee"  # reopened by an allowed role only
    line.save()
    mapping = BankCsvMapping.objects.create(name="Mizuho", date_column=1, credit_column=2, payer_column=3)
    run = DebitRun.objects.create(
        debit_date=dt.date(2026, 12, 7), made_at=timezone.now(), request_file=b"1", request_sha256="0" * 64
    )
    ids = {"statement_id": statement.pk, "line_id": line.pk, "mapping_id": mapping.pk, "run_id": run.pk}
    return {key: ids[key] for key in kwargs}


def test_only_finance_and_admins_find_the_room_in_the_navigation(client_as, month):
    for role in Role:
        body = client_as(role).get(reverse("home")).content.decode()
        assert (reverse("invoicing:start") in body) == (role in FINANCE), role
