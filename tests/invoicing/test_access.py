"""Role x URL matrix of the invoicing pages (issue 33): only Finance and Admins see the partner's invoices to
its customers, its billing details and the customers'."""

import pytest
from django.urls import reverse

from invoicing.models import (
    CustomerBilling,
    DraftPriceEdit,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
)
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
    ("invoicing:billing_details_export", {}, "get", FINANCE),
    ("invoicing:billing_details_import", {}, "get", FINANCE),
    ("invoicing:billing_details_import", {}, "post", FINANCE),
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
    "invoicing:send_month",
    "invoicing:sales_journal",
}
#: Pages of a records export: the matrix issues the month's invoice and exports it first (its id in the URL).
NEEDS_EXPORT = {"invoicing:records_export", "invoicing:records_download"}
#: What an allowed post answers when it is not a redirect: the correction's page says the draft is the same; an
#: import without a file shows its form again.
POST_ANSWER = {"invoicing:correct": 200, "invoicing:billing_details_import": 200}
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
    "invoicing:records": {"issued_from": "2026-10-01", "issued_to": "2026-12-31", "language": "ja"},
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
    response = getattr(client_as(role), method)(reverse(name, kwargs=kwargs), DATA.get(name, {}))
    if not ok:
        assert response.status_code == 403
        assert not AuditEntry.objects.exists() and IssueRun.objects.count() == issued
        assert IssuedInvoice.objects.count() == issued
        assert not InvoicePayment.objects.exists() and not InvoiceSending.objects.exists()
        assert IssuerDetails.objects.get().registration_number == "T7000012050002"
        assert not CustomerBilling.objects.filter(**CUSTOMER).exists()
        assert not DraftPriceEdit.objects.exists()
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


def test_only_finance_and_admins_find_the_room_in_the_navigation(client_as, month):
    for role in Role:
        body = client_as(role).get(reverse("home")).content.decode()
        assert (reverse("invoicing:start") in body) == (role in FINANCE), role
