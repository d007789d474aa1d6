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
