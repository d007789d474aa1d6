"""History kept in check, by rule (portal/core/retention.py): a year of history of every class, then the nightly
housekeeping run with the clock moved eight years on. It removes what the rules say (audit entries past two years,
changes past one, bulk changes past one, sync runs past 90 days, option usage past 13 months, invoice documents
once the legal minimum is over) and nothing a rule keeps: the invoices of a tax period whose 7 years are not over,
an invoice whose credit note is still kept, a PDF another kept row points to, a change still under way, recent
rows. The legal minimum of a document issued in 2025 ends on 2033-02-28 and of one issued in 2026 on 2034-02-28."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import strip_tags

from invoicing import storage
from invoicing.models import InvoicePayment, InvoiceSending, IssuedInvoice, OpenInvoice
from invoicing.retention import ISSUING
from options.models import OptionUsage
from portal.core.models import AuditEntry, Batch, BatchRow, Operation, SyncRun
from portal.core.retention import HOUSEKEEPING, housekeep, rules
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
#: The year of history: one day a month from December 2025 to November 2026.
MONTHS = [dt.date(2025, 12, 15)] + [dt.date(2026, m, 15) for m in range(1, 12)]


@pytest.fixture
def documents(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return storage.documents


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TOKYO)


def _invoice(number: int, day: dt.date, customer, *, pdf: bytes, kind="invoice", original=None, total=11_000):
    name = storage.put(f"invoices/{day:%Y/%m}/{number}.pdf", pdf)
    return IssuedInvoice.objects.create(
        number=number,
        year=day.year,
        month=day.month,
        domain_id=customer.domain_id,
        customer_name=customer.company_name,
        language="ja",
        issue_date=day,
        due_date=day + dt.timedelta(days=30),
        subtotal=total * 10 // 11,
        tax=total // 11,
        total=total,
        issued_at=_at(day),
        kind=kind,
        original=original,
        pdf=name,
        pdf_sha256=storage.sha256(pdf),
    )


def _a_year_of_history(customer, user) -> dict:
    """Rows of every class, one set a month, each written at its time (the clock travels)."""
    made: dict = {"invoices": {}}
    for i, day in enumerate(MONTHS):
        with time_machine.travel(_at(day), tick=False):
            change = Operation.objects.create(
                idempotency_key=f"k{i}", kind="changePlan", domain_id=customer.domain_id, status="succeeded"
            )
            attempted = Operation.objects.create(
                idempotency_key=f"a{i}", kind="changePlan", domain_id=customer.domain_id, status="failed"
            )
            AuditEntry.objects.create(
                operation_id="changePlan", domain_id=customer.domain_id, outcome="failed", change=attempted
            )
            AuditEntry.objects.create(operation_id="portal.assignCustomerOwner", outcome="succeeded")
            AuditEntry.objects.create(operation_id="portal.issueCustomerInvoice", outcome="succeeded")
            batch = Batch.objects.create(requested_by=user, action="changePlan", state="finished")
            BatchRow.objects.create(batch=batch, key=f"subscriptions:{i}", operation=change)
            SyncRun.objects.create(kind="full", status="succeeded", finished_at=_at(day, 11))
            OptionUsage.objects.create(
                customer=customer,
                option_product_id="STORAGE",
                sub_option_id="S1",
                used_date=day,
                synced_at=_at(day),
            )
            invoice = _invoice(1000 + i, day, customer, pdf=b"%%PDF-1.4 month %d\n%%%%EOF\n" % i)
            InvoicePayment.objects.create(invoice=invoice, amount=1_000, paid_on=day, recorded_at=_at(day))
            InvoiceSending.objects.create(
                invoice=invoice, to="ap@example.com", attempted_at=_at(day), outcome="sent"
            )
            made["invoices"][day] = invoice
        if i == 0:
            made["change"] = change
    # December 2025's invoice is credited in January 2026 (its credit note refers to it), and one file is shared
    # by February's invoice and a corrected invoice issued in December 2025 (the bench seed shares files so).
    january = dt.date(2026, 1, 20)
    made["credit_note"] = _invoice(
        2000,
        january,
        customer,
        pdf=b"%PDF credit\n",
        kind="credit_note",
        original=made["invoices"][MONTHS[0]],
        total=-1_000,
    )
    shared = made["invoices"][MONTHS[2]]
    made["shared_old"] = IssuedInvoice.objects.create(
        **{
            f.name: getattr(shared, f.name)
            for f in IssuedInvoice._meta.concrete_fields
            if f.name not in {"id", "number", "kind", "issue_date", "original", "idempotency_key"}
        },
        number=3000,
        kind="corrected",
        issue_date=dt.date(2025, 12, 20),
    )
    # Still under way, whatever its age: never removed.
    with time_machine.travel(_at(MONTHS[0]), tick=False):
        made["running"] = Operation.objects.create(idempotency_key="run", kind="changePlan", status="running")
        made["sending"] = Batch.objects.create(requested_by=user, action="changePlan", state="running")
        made["unfinished_run"] = SyncRun.objects.create(kind="full")
    return made


def test_a_year_of_history_eight_years_on_leaves_by_its_rules_and_nothing_a_rule_keeps(
    documents, django_capture_on_commit_callbacks
):
    user = get_user_model().objects.create_user("finance")
    customer = make_customer(company_name="Kita K.K.")
    made = _a_year_of_history(customer, user)
    invoices = made["invoices"]
    assert storage.documents.exists(invoices[MONTHS[0]].pdf.name)
    oldest_name = invoices[MONTHS[0]].pdf.name
    shared_name = invoices[MONTHS[2]].pdf.name

    # Eight years on, a day before the documents of 2026 may go; a few recent rows are written that day.
    moved = _at(dt.date(2034, 2, 28), 3)
    with time_machine.travel(moved - dt.timedelta(days=30), tick=False):
        recent_entry = AuditEntry.objects.create(
            operation_id="portal.assignCustomerOwner", outcome="succeeded"
        )
        recent_run = SyncRun.objects.create(kind="full", status="succeeded", finished_at=moved)
        recent_usage = OptionUsage.objects.create(
            customer=customer,
            option_product_id="STORAGE",
            sub_option_id="S1",
            used_date=dt.date(2034, 1, 29),
            synced_at=moved,
        )
    # Files are removed once their batch is committed.
    with time_machine.travel(moved, tick=False), django_capture_on_commit_callbacks(execute=True):
        removed = housekeep(batch_size=4)

    # What the settings' rules say is gone, in batches of four.
    assert set(AuditEntry.objects.exclude(operation_id="portal.issueCustomerInvoice")) == {recent_entry}
    assert set(Operation.objects.all()) == {made["running"]}
    assert set(Batch.objects.all()) == {made["sending"]}
    assert not BatchRow.objects.exists()
    assert set(SyncRun.objects.exclude(kind=HOUSEKEEPING)) == {made["unfinished_run"], recent_run}
    assert set(OptionUsage.objects.all()) == {recent_usage}
    # The legal minimum: the documents of 2026 stay with their PDFs, payments, sendings and issuing entries; of
    # 2025's, the corrected invoice is gone (its file kept: February's invoice points to it) and December's
    # invoice stays while its credit note of January 2026 is kept.
    kept = set(IssuedInvoice.objects.values_list("number", flat=True))
    assert kept == {invoice.number for invoice in invoices.values()} | {2000}
    assert not IssuedInvoice.objects.filter(number=3000).exists()
    assert storage.documents.exists(shared_name) and storage.documents.exists(oldest_name)
    assert InvoicePayment.objects.count() == InvoiceSending.objects.count() == 12
    # The issuing entries of 2026 stay; December 2025's has had its 7 years.
    assert AuditEntry.objects.filter(operation_id="portal.issueCustomerInvoice").count() == 11

    # The run is on the Sync page's list of runs, with what it removed.
    run = SyncRun.objects.get(kind=HOUSEKEEPING)
    assert run.status == "succeeded" and run.done == sum(removed.values()) > 50

    # From 2034-03-01 the documents of 2026 may go, and December 2025's invoice after its credit note: every
    # document, its payments, its sendings, its issuing entries and every file go.
    with (
        time_machine.travel(_at(dt.date(2034, 3, 1), 3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        housekeep(batch_size=4)
    assert not IssuedInvoice.objects.exists()
    assert not OpenInvoice.objects.exists()
    assert not InvoicePayment.objects.exists() and not InvoiceSending.objects.exists()
    assert not AuditEntry.objects.filter(operation_id="portal.issueCustomerInvoice").exists()
    assert not storage.documents.exists(shared_name) and not storage.documents.exists(oldest_name)
    assert set(Operation.objects.all()) == {made["running"]}


def test_the_legal_minimum_follows_the_partner_s_business_year(settings):
    from portal.core.retention import KeepTaxRecords

    keep = KeepTaxRecords()
    assert (
        keep.removal_date(dt.date(2026, 1, 1))
        == keep.removal_date(dt.date(2026, 12, 31))
        == dt.date(2034, 3, 1)
    )
    assert keep.cutoff(dt.date(2034, 2, 28)) == dt.date(2026, 1, 1)
    assert keep.cutoff(dt.date(2034, 3, 1)) == dt.date(2027, 1, 1)
    # A business year ending in March: the tax period of 2026-04-01 ends 2027-03-31, kept until 2034-05-31.
    settings.TAX_YEAR_END_MONTH = 3
    assert keep.removal_date(dt.date(2026, 3, 31)) == dt.date(2033, 6, 1)
    assert keep.removal_date(dt.date(2026, 4, 1)) == dt.date(2034, 6, 1)
    assert keep.cutoff(dt.date(2034, 5, 31)) == dt.date(2026, 4, 1)
    assert keep.cutoff(dt.date(2034, 6, 1)) == dt.date(2027, 4, 1)


def test_the_data_kept_page_states_each_rule_and_the_earliest_removal_of_the_invoice_documents(
    client_as, documents
):
    from portal.core.access import Role

    customer = make_customer(company_name="Kita K.K.")
    _invoice(1000, dt.date(2025, 12, 15), customer, pdf=b"%PDF dec\n")
    with time_machine.travel(_at(dt.date(2026, 2, 1)), tick=False):
        AuditEntry.objects.create(operation_id="portal.assignCustomerOwner", outcome="succeeded")
    with time_machine.travel(_at(dt.date(2026, 11, 26)), tick=False):
        client = client_as(Role.ADMIN)
        assert 'data-testid="retention-link"' in client.get(reverse("core:sync")).content.decode()
        body = client.get(reverse("core:retention")).content.decode()
    text = " ".join(strip_tags(body).split())
    # Issued invoices: the oldest of 2025-12-15 may first go on 2033-03-01, by law; audit entries by setting.
    assert "Issued invoices and their PDFs" in text and "2025-12-15 2033-03-01" in text
    assert "7 years from two months after the end of the tax period" in text
    assert "2026-02-01 2028-02-01" in text and "730 days" in text and "RETENTION_AUDIT_DAYS" in text
    for kept in (
        "Credit notes and their PDFs",
        "Audit entries of issuing",
        "Sync runs",
        "Daily option usage",
    ):
        assert kept in text
    assert "the business year ending in December" in text
    # Account managers see the Sync page without the link.
    assert (
        'data-testid="retention-link"'
        not in client_as(Role.ACCOUNT_MANAGER).get(reverse("core:sync")).content.decode()
    )


def test_a_rule_of_a_few_values_of_one_column_reads_its_oldest_row_value_by_value():
    """The rule of the audit entries of issuing documents (three operations) reads its oldest row from the
    operation and time index, one operation at a time, never by walking every entry in time order."""
    from portal.core.retention import _among

    rule = next(r for r in rules() if r.model == "core.AuditEntry" and r.where is not None)
    assert _among(rule.where) == ("operation_id", list(ISSUING))
    assert rule.oldest() is None
    for day, operation in (
        (dt.date(2026, 3, 1), "portal.issueCreditNote"),
        (dt.date(2026, 1, 5), "portal.assignCustomerOwner"),
        (dt.date(2026, 2, 1), "portal.issueCustomerInvoice"),
    ):
        with time_machine.travel(_at(day), tick=False):
            AuditEntry.objects.create(operation_id=operation, outcome="succeeded")
    assert rule.oldest() == dt.date(2026, 2, 1)
    others = next(r for r in rules() if r.model == "core.AuditEntry" and r.where is None)
    assert others.oldest() == dt.date(2026, 1, 5)
