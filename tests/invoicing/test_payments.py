"""Being paid: Finance records a payment of an issued invoice (all of it or part, audited, never more than it
owes); an invoice past its due date and not fully paid is Finance's worklist item until it is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import selectors, services
from invoicing.models import InvoicePayment, IssuedInvoice
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.downloads import body
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.conftest import M


@pytest.fixture
def invoice(month):
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    return IssuedInvoice.objects.get()  # Alpha's: ¥7,621, due 2026-12-31


def test_a_payment_in_two_parts_then_nothing_more_than_owed(client_as, invoice):
    client = client_as(Role.FINANCE)
    page_url = reverse("invoicing:issued", kwargs={"number": invoice.number})
    url = reverse("invoicing:payment", kwargs={"number": invoice.number})
    page = client.get(page_url).content.decode()
    assert "Unpaid" in page and 'value="7621"' in page  # what is owed, offered as the amount
    assert client.post(url, {"amount": "5000", "paid_on": "2026-11-02"}).status_code == 302
    page = client.get(page_url).content.decode()
    assert "Partly paid" in page and "¥2,621" in page
    too_much = client.post(url, {"amount": "2622", "paid_on": "2026-11-02"})
    assert too_much.status_code == 200
    assert "That is more than the invoice still owes (¥2,621)." in too_much.content.decode()
    future = client.post(url, {"amount": "100", "paid_on": "2026-11-03"})
    assert "cannot be in the future" in future.content.decode()
    assert client.post(url, {"amount": "2621", "paid_on": "2026-11-02"}).status_code == 302
    page = client.get(page_url).content.decode()
    assert "Paid" in page and 'data-testid="payment-form"' not in page
    assert list(InvoicePayment.objects.order_by("pk").values_list("amount", flat=True)) == [5000, 2621]
    entries = AuditEntry.objects.filter(operation_id="portal.recordInvoicePayment").order_by("pk")
    assert [e.request_summary["owed_after"] for e in entries] == [2621, 0]
    # The service refuses what the form would (two people recording the same transfer at once).
    with pytest.raises(services.PaymentRefused):
        services.payment_record(
            actor=make_persona(Role.ADMIN), number=invoice.number, amount=1, paid_on=dt.date(2026, 11, 2)
        )


def test_what_is_owed_counts_its_credit_notes_and_credited_in_full_is_not_overdue(
    client_as, invoice, monkeypatch
):
    finance = make_persona(Role.FINANCE)
    services.credit_note_issue(
        user=finance,
        number=invoice.number,
        credits={0: 1_000},
        return_date=invoice.issue_date,
        reason="",
        key="a" * 32,
    )
    assert selectors.owed(invoice) == 7_621 - 1_100
    with pytest.raises(services.PaymentRefused):
        services.payment_record(
            actor=finance, number=invoice.number, amount=7_000, paid_on=invoice.issue_date
        )
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:issued", kwargs={"number": invoice.number})).content.decode()
    assert "Partly paid" in page and "¥6,521" in page
    # The rest credited too: the invoice owes nothing, reads "Credited" (not "Paid"), and is never overdue.
    services.corrected_invoice_issue(user=finance, number=invoice.number, reason="Wrong price", key="b" * 32)
    assert selectors.owed(invoice) == 0
    issued = selectors.month_issued_page(
        user=finance, **M, filters=selectors.MonthIssuedFilters(), page=1, per_page=50
    )
    rows = {row.invoice.number: row for row in issued.object_list}
    assert rows[invoice.number].payment_state == "credited"
    pin_business_today(monkeypatch, dt.date(2027, 1, 5))  # past the due date, 2026-12-31
    overdue = set(selectors.overdue_invoices(today=dt.date(2027, 1, 5)).values_list("number", flat=True))
    assert invoice.number not in overdue and not any(rows[n].invoice.total < 0 for n in overdue)


def test_overdue_invoices_are_finance_s_worklist_item_until_paid(client_as, invoice, monkeypatch):
    client = client_as(Role.FINANCE)
    link = reverse("invoicing:issued", kwargs={"number": invoice.number})
    assert link not in client.get(reverse("home")).content.decode()
    pin_business_today(monkeypatch, dt.date(2027, 1, 5))  # past the due date, 2026-12-31
    home = client.get(reverse("home")).content.decode()
    assert "Overdue customer invoices" in home
    assert link in home and "¥7,621" in home
    assert "Overdue" in client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    # The section's full list and its download, as every section has them.
    full = client.get(reverse("work_list", kwargs={"key": "invoices-overdue"}))
    assert full.status_code == 200 and link in full.content.decode()
    export = client.get(reverse("work_export", kwargs={"key": "invoices-overdue"}))
    assert export.status_code == 200 and "Alpha K.K." in body(export).decode("utf-8-sig")
    assert "Overdue customer invoices" not in client_as(Role.SUPPORT).get(reverse("home")).content.decode()
    client.post(
        reverse("invoicing:payment", kwargs={"number": invoice.number}),
        {"amount": "7000", "paid_on": "2027-01-04"},
    )
    assert "¥621" in client.get(reverse("home")).content.decode()  # partly paid: still overdue
    client.post(
        reverse("invoicing:payment", kwargs={"number": invoice.number}),
        {"amount": "621", "paid_on": "2027-01-05"},
    )
    assert link not in client.get(reverse("home")).content.decode()


def test_an_overdue_invoice_shows_what_it_still_asks_after_its_credit_notes(client_as, invoice, monkeypatch):
    """Home's overdue invoice reads what it still owes: its total less its payments and its credit notes (its
    total less its payments before, ¥7,621 after a credit of ¥1,100)."""
    finance = make_persona(Role.FINANCE)
    services.credit_note_issue(
        user=finance, number=invoice.number, credits={0: 1_000}, return_date=None, reason="", key="a" * 32
    )
    services.payment_record(actor=finance, number=invoice.number, amount=500, paid_on=invoice.issue_date)
    pin_business_today(monkeypatch, dt.date(2027, 1, 5))  # past the due date, 2026-12-31
    home = client_as(Role.FINANCE).get(reverse("home")).content.decode()
    assert "Overdue customer invoices" in home and "¥6,021" in home and "¥7,121" not in home
    [row] = selectors.overdue_invoices(today=dt.date(2027, 1, 5))
    assert (row.number, row.owed, row.paid) == (invoice.number, 6_021, 500)


def test_the_overdue_invoices_are_read_from_their_index_not_from_every_payment(
    client_as, invoice, monkeypatch
):
    """Home's overdue invoices read what each still asks as it is kept (`OpenInvoice`), never the payments and
    credit notes of every issued invoice summed per row; an invoice paid in full is no longer there."""
    pin_business_today(monkeypatch, dt.date(2027, 1, 5))
    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as captured:
        home = client.get(reverse("home")).content.decode()
    assert "Overdue customer invoices" in home and "¥7,621" in home
    assert not [q["sql"] for q in captured if "invoicing_invoicepayment" in q["sql"]]
    services.payment_record(
        actor=make_persona(Role.FINANCE), number=invoice.number, amount=7_621, paid_on=dt.date(2027, 1, 5)
    )
    assert not selectors.overdue_invoices(today=dt.date(2027, 1, 5)).exists()


def test_the_overdue_invoices_are_counted_by_due_date_as_their_rows_come_and_go(
    client_as, invoice, monkeypatch
):
    """The overdue invoices' count is the open invoices' counts by due date summed before today
    (`OpenInvoiceDue`, kept by triggers as invoices are issued, paid, credited and removed): it always equals
    the open invoices due before today, and home counts from it, never an entry per open invoice."""
    from invoicing.models import OpenInvoice, OpenInvoiceDue

    late = dt.date(2027, 1, 5)  # past the due date, 2026-12-31

    def counted() -> int:
        assert (
            selectors.overdue_invoices_count(today=late)
            == OpenInvoice.objects.filter(due_date__lt=late).count()
        )
        return selectors.overdue_invoices_count(today=late)

    assert counted() == 1 and selectors.overdue_invoices_count(today=invoice.due_date) == 0
    finance = make_persona(Role.FINANCE)
    services.payment_record(actor=finance, number=invoice.number, amount=500, paid_on=invoice.issue_date)
    assert counted() == 1  # partly paid: still open
    pin_business_today(monkeypatch, late)
    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as captured:
        home = client.get(reverse("home")).content.decode()
    assert "Overdue customer invoices" in home and "¥7,121" in home
    reads = [q["sql"] for q in captured if '"invoicing_openinvoice"' in q["sql"]]
    assert reads and not any("COUNT(" in sql for sql in reads), reads
    services.payment_record(actor=finance, number=invoice.number, amount=7_121, paid_on=late)
    assert counted() == 0 and OpenInvoiceDue.objects.get(due_date=invoice.due_date).n == 0


def test_each_open_invoice_carries_its_customer_as_it_is_issued_paid_credited_and_corrected(invoice):
    """An open invoice's row holds its invoice's customer (`OpenInvoice.domain_id`, copied by the trigger that
    adds it), so the open invoices of some customers are read on their own rows: after issuing, a payment, a
    credit note and a corrected invoice, each row's customer is its invoice's."""
    from django.db.models import F

    from invoicing.models import OpenInvoice

    finance = make_persona(Role.FINANCE)
    alpha = invoice.domain_id

    def rows() -> list[tuple[int, int, int]]:
        assert not OpenInvoice.objects.exclude(domain_id=F("invoice__domain_id")).exists()
        return list(OpenInvoice.objects.order_by("number").values_list("number", "domain_id", "owed"))

    assert alpha == 90_100_001 and rows() == [(invoice.number, alpha, 7_621)]
    services.payment_record(actor=finance, number=invoice.number, amount=621, paid_on=invoice.issue_date)
    assert rows() == [(invoice.number, alpha, 7_000)]
    services.credit_note_issue(
        user=finance, number=invoice.number, credits={0: 1_000}, return_date=None, reason="", key="a" * 32
    )
    assert rows() == [(invoice.number, alpha, 5_900)]
    corrected = services.corrected_invoice_issue(
        user=finance, number=invoice.number, reason="Wrong price", key="b" * 32
    )
    assert corrected.domain_id == alpha and corrected.total > 0
    assert rows() == [(corrected.number, alpha, corrected.total)]  # the original credited in full: gone
