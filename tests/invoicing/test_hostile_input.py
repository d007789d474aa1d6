"""No input makes a 500 on the invoicing pages: hostile values in every field of their forms, and nothing
hostile is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from invoicing.models import CustomerBilling, IssuedInvoice, IssuerDetails, PaymentReminder
from invoicing.selectors.reminders import steps_stored
from portal.core.access import Role
from tests.core.test_hostile_input import HOSTILE
from tests.invoicing.conftest import M

FIELDS = [
    "registered_name",
    "address",
    "corporation",
    "registration_number",
    "bank_account",
    "payment_terms",
    "billing_basis",
    "billed",
    "bill_to_name",
    "bill_to_address",
    "invoice_email",
    "language",
    "next",
    "amount",
    "paid_on",
    "back",
    "confirmed",
    # Payment reminders: the schedule, a customer's pause, one sent now.
    *(f"{field}_{step}" for field in ("enabled", "days", "tone") for step in (1, 2, 3)),
    "paused",
    "reason",
    "step",
]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_get_an_answer_not_an_error(client_as, month, value):
    client = client_as(Role.FINANCE)
    posts = [
        reverse("invoicing:issuer"),
        reverse("invoicing:customer", kwargs={"domain_id": month["beta"].domain_id}),
        reverse("invoicing:issue", kwargs=M),
        reverse("invoicing:reminders"),
        reverse("invoicing:reminder_pause", kwargs={"domain_id": month["beta"].domain_id}),
    ]
    for url in posts:
        assert client.post(url, {name: value for name in FIELDS}).status_code < 500, url
    # Nothing of it was saved: the issuer keeps its number, Beta has no details, nothing was issued.
    assert IssuerDetails.objects.get().registration_number == "T7000012050002"
    assert not CustomerBilling.objects.filter(domain_id=month["beta"].domain_id).exists()
    assert not IssuedInvoice.objects.exists()
    for url in (
        reverse("invoicing:drafts", kwargs=M) + "?page=" + str(value)[:100],
        reverse("invoicing:draft", kwargs={**M, "domain_id": 10**18}),
        reverse("invoicing:drafts", kwargs=M).replace(f"{M['year']}/{M['month']}", "1999/13"),
    ):
        assert client.get(url).status_code < 500, url
    # The pages of an issued invoice (sending, payments): issued after the posts above issued nothing.
    from invoicing import services
    from invoicing.models import InvoicePayment
    from tests.fixtures.personas import make_persona

    run = services.month_issue_request(user=make_persona(Role.ADMIN), **M)
    services.month_issue(run_id=run.pk)
    number = IssuedInvoice.objects.get().number
    for url in (
        reverse("invoicing:payment", kwargs={"number": number}),
        reverse("invoicing:send", kwargs={"number": number}),
        reverse("invoicing:send_month", kwargs=M),
        reverse("invoicing:payment", kwargs={"number": 10**18}),
        reverse("invoicing:remind", kwargs={"number": number}),
        reverse("invoicing:remind", kwargs={"number": 10**18}),
    ):
        assert client.post(url, {name: value for name in FIELDS}).status_code < 500, url
    issued = reverse("invoicing:issued_month", kwargs=M).replace(f"{M['year']}/{M['month']}", "1999/13")
    assert client.get(issued).status_code == 404
    assert client.get(reverse("invoicing:issued", kwargs={"number": 10**18})).status_code == 404
    assert not InvoicePayment.objects.exists()
    # The reminders' schedule is as it came, and no reminder went (the invoice is not overdue).
    assert [step.days for step in steps_stored()] == [7, 21, 45]
    assert not PaymentReminder.objects.exists()


DEBIT_FIELDS = [
    "debit-bank_code",
    "debit-branch_code",
    "debit-deposit_kind",
    "debit-account_number",
    "debit-holder",
    "debit-customer_number",
    "debit-new",
    "debit-active",
    "debit_date",
    "numbers",
    "file",
    "state",
]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_on_the_direct_debit_pages(client_as, month, settings, value):
    """The debit account's form, the debit date, the run's invoices and the result's upload: answered, and
    nothing hostile kept (no account, no run, no payment, the explained bank line still explained)."""
    import datetime as dt

    from django.utils import timezone

    from invoicing.models import BankLine, BankStatement, DebitAccount, DebitRun, InvoicePayment
    from tests.invoicing.debit_files import collector_on

    collector_on(settings)
    client = client_as(Role.FINANCE)
    alpha = month["alpha"].domain_id
    run = DebitRun.objects.create(
        debit_date=dt.date(2026, 12, 7), made_at=timezone.now(), request_file=b"1", request_sha256="0" * 64
    )
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
    data = {name: value for name in DEBIT_FIELDS}
    for url in (
        reverse("invoicing:debit_account", kwargs={"domain_id": alpha}),
        reverse("invoicing:debit_run_make"),
        reverse("invoicing:debit_run_results", kwargs={"run_id": run.pk}),
        reverse("invoicing:bank_line_reopen", kwargs={"line_id": line.pk}),
        reverse("invoicing:debit_run_cancel", kwargs={"run_id": 10**18}),
    ):
        assert client.post(url, data).status_code < 500, url
    for url in (
        reverse("invoicing:debit") + "?debit_date=" + str(value)[:200] + "&page=" + str(value)[:100],
        reverse("invoicing:debit_account", kwargs={"domain_id": 10**18}),
        reverse("invoicing:debit_run", kwargs={"run_id": 10**18}),
        reverse("invoicing:debit_run_file", kwargs={"run_id": 10**18}),
    ):
        assert client.get(url).status_code < 500, url
    assert not DebitAccount.objects.exists() and DebitRun.objects.get().resolved_at is None
    assert not InvoicePayment.objects.exists() and BankLine.objects.get().state == "open"
