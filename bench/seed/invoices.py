"""The partner's own invoices of each closed month as its issue and send runs leave them: numbered, rendered,
sent, paid (or overdue), credited at times."""

from __future__ import annotations

import datetime as dt
import random

from bench.seed.cadence import months_before
from bench.seed.people import user_of
from bench.seed.tables import objects_write


def _seed_pdf(pdf: bytes) -> tuple[str, str]:
    """A PDF the seed's documents of one language share, written once to the documents' store (as the portal's
    own are, invoicing/storage.py): its name there and its SHA-256."""
    from invoicing import storage

    digest = storage.sha256(pdf)
    return storage.put(f"invoices/seed/{digest}.pdf", pdf), digest


def issued_months(rng: random.Random, today: dt.date, months: int) -> None:
    """Each closed month's invoices as its issue run leaves them: one per ready draft (invoicing's own drafts of
    the month's details and prices), numbered in sequence, with its PDF (rendered for the first invoice of each
    language, written once to the documents' store and named by all of that language, as is a credit note's),
    sent by e-mail, paid by their due date but for one in twenty-five (overdue, or paid in part); one in two
    hundred credited in part by a credit note."""
    from invoicing.models import InvoiceCounter
    from invoicing.services import numbering

    finance = user_of("finance")
    number = 1
    pdfs: dict[str, tuple[str, str]] = {}  # (name in the documents' store, SHA-256) by language
    for year, month in months_before(today, months):
        number = _month_issued(rng, today, year, month, number=number, pdfs=pdfs, finance=finance)
    InvoiceCounter.objects.update_or_create(key=numbering.COUNTER, defaults={"next_number": number})


def _month_issued(
    rng: random.Random, today: dt.date, year: int, month: int, *, number: int, pdfs: dict, finance
) -> int:
    """One closed month's invoices, issued from `number` on, sent, paid and credited; the next number."""
    from django.db import transaction

    from billing import rules as billing_rules
    from invoicing import document
    from invoicing.models import DocumentKind, InvoicePayment, InvoiceSending, IssuedInvoice
    from portal.core import clock

    issue_date = billing_rules.issued_on(year, month)
    issued_at = clock.midnight(issue_date) + dt.timedelta(hours=9)
    rows = _drafts_numbered(year, month, issue_date, issued_at, number=number, pdfs=pdfs, finance=finance)
    number += len(rows)
    with transaction.atomic():
        objects_write(IssuedInvoice, rows)
        # In number order: the month's send run sends them so (`invoicing.services.unsent`), so a month's attempts
        # lie in that order on the table, as the running portal writes them.
        stored = list(
            IssuedInvoice.objects.filter(year=year, month=month, kind=DocumentKind.INVOICE).order_by("number")
        )
        _runs(year, month, len(stored), issued_at, finance=finance)
        sendings, payments, notes = [], [], []
        for invoice in stored:
            sendings.append(_sending(invoice, issued_at, finance=finance))
            paid_on = _paid_on(invoice, rng, today=today, issue_date=issue_date)
            if paid_on is not None:
                if paid_on > today:
                    continue
                payment = _payment(invoice, paid_on, finance=finance)
                if payment is not None:
                    payments.append(payment)
            if invoice.number % 200 == 13 and invoice.lines and invoice.lines[0].get("amount"):
                notes.append(_credit_note(invoice, number, issue_date, issued_at, finance=finance))
                number += 1
        for note in notes:  # rendered once per language too (a rendering takes about half a second)
            key = f"credit-{note.language}"
            if key not in pdfs:
                pdfs[key] = _seed_pdf(document.pdf_of(note))
            note.pdf, note.pdf_sha256 = pdfs[key]
        objects_write(InvoiceSending, sendings)
        # As they are recorded: by the day each was paid, a day's in the order of its bank statement's lines (in no
        # order of the invoices': shuffled by a generator of the month's own, so the rest of the seed is the same).
        random.Random(year * 100 + month).shuffle(payments)
        objects_write(InvoicePayment, sorted(payments, key=lambda payment: payment.paid_on))
        objects_write(IssuedInvoice, notes)
    return number


def _drafts_numbered(
    year: int, month: int, issue_date: dt.date, issued_at: dt.datetime, *, number: int, pdfs: dict, finance
) -> list:
    """The month's ready drafts as issued invoices numbered from `number`, each with its language's PDF."""
    from invoicing import document, selectors
    from invoicing.services import numbering

    issuer = selectors.issuer_mapping()
    rows = []
    for draft in selectors.ready_drafts(user=finance, year=year, month=month, issue_date=issue_date):
        row = numbering.from_draft(draft, number=number, year=year, month=month, issuer=issuer, user=finance)
        row.issued_at = issued_at
        if row.language not in pdfs:
            pdfs[row.language] = _seed_pdf(document.invoice_pdf(row))
        row.pdf, row.pdf_sha256 = pdfs[row.language]
        rows.append(row)
        number += 1
    return rows


def _runs(year: int, month: int, total: int, issued_at: dt.datetime, *, finance) -> None:
    """The month's issue run and send run, finished."""
    from invoicing.models import IssueRun, SendRun

    run = IssueRun.objects.create(
        year=year,
        month=month,
        requested_by=finance,
        total=total,
        done=total,
        rendered=total,
        finished_at=issued_at,
    )
    IssueRun.objects.filter(pk=run.pk).update(requested_at=issued_at - dt.timedelta(minutes=5))
    send = SendRun.objects.create(
        year=year,
        month=month,
        requested_by=finance,
        total=total,
        done=total,
        finished_at=issued_at + dt.timedelta(hours=1),
    )
    SendRun.objects.filter(pk=send.pk).update(requested_at=issued_at + dt.timedelta(minutes=10))


def _sending(invoice, issued_at: dt.datetime, *, finance):
    """The invoice sent by e-mail, twenty minutes after it was issued."""
    from invoicing.models import InvoiceSending

    return InvoiceSending(
        invoice=invoice,
        to=invoice.recipient.get("invoice_email") or "ap@example.jp",
        attempted_at=issued_at + dt.timedelta(minutes=20),
        attempted_by=finance,
        outcome=InvoiceSending.Outcome.SENT,
        finished_at=issued_at + dt.timedelta(minutes=21),
    )


def _paid_on(invoice, rng: random.Random, *, today: dt.date, issue_date: dt.date) -> dt.date | None:
    """When the invoice was paid (by its due date, before at times), or None: not paid (one in twenty-five is
    late: overdue, or paid in part). A day after today means paid later than the seed's day."""
    late = invoice.number % 25 == 7
    early = rng.random() < 0.4  # an invoice not due yet is paid already at times
    due = invoice.due_date < today
    if (due and not (late and invoice.number % 2)) or (not due and early and not late):
        paid_on = min(today, invoice.due_date - dt.timedelta(days=rng.randint(0, 20)))
        return max(paid_on, issue_date + dt.timedelta(days=1))
    return None


def _payment(invoice, paid_on: dt.date, *, finance):
    """The payment recorded on `paid_on`: the whole total, half of it when the invoice is late; None for none."""
    from invoicing.models import InvoicePayment
    from portal.core import clock

    amount = invoice.total // 2 if invoice.number % 25 == 7 else invoice.total
    if amount <= 0:
        return None
    return InvoicePayment(
        invoice=invoice,
        amount=amount,
        paid_on=paid_on,
        recorded_at=clock.midnight(paid_on) + dt.timedelta(hours=15),
        recorded_by=finance,
    )


def _credit_note(invoice, number: int, issue_date: dt.date, issued_at: dt.datetime, *, finance):
    """A credit note numbered `number` of a tenth of the invoice's first line, ten days after it was issued."""
    from invoicing.models import DocumentKind, IssuedInvoice

    credit = max(1, int(invoice.lines[0]["amount"]) // 10)
    lines = [{**invoice.lines[0], "amount": -credit, "units": None, "unit_price": None, "original_line": 0}]
    tax = -(credit // 10)
    return IssuedInvoice(
        number=number,
        kind=DocumentKind.CREDIT_NOTE,
        original=invoice,
        original_number=invoice.number,
        original_issue_date=invoice.issue_date,
        year=invoice.year,
        month=invoice.month,
        domain_id=invoice.domain_id,
        customer_name=invoice.customer_name,
        language=invoice.language,
        issue_date=issue_date + dt.timedelta(days=10),
        due_date=issue_date + dt.timedelta(days=10),
        issuer=invoice.issuer,
        recipient=invoice.recipient,
        lines=lines,
        per_rate=[{"rate": lines[0].get("tax_rate") or 10, "amount": -credit, "tax": tax}],
        subtotal=-credit,
        tax=tax,
        total=-credit + tax,
        return_date=issue_date + dt.timedelta(days=9),
        reason="数量の誤り",
        idempotency_key=f"seed-credit-{number}",
        issued_at=issued_at + dt.timedelta(days=10),
        issued_by=finance,
    )


def records_exported(today: dt.date) -> None:
    """One customer's last three months of documents exported for a tax officer, made as the worker makes it (the
    Records page's latest exports; the export's page): the customer every page of one customer opens
    (`bench.pages.CUSTOMER_INDEX`, 24), by its domainId."""
    from bench.seed.customers import FIRST_DOMAIN
    from invoicing import services
    from invoicing.models import IssuedInvoice, RecordsExport
    from invoicing.selectors import IssuedFilters
    from invoicing.services.records import filters_kept

    filters = IssuedFilters(
        q=str(FIRST_DOMAIN + 24), issued_from=today - dt.timedelta(days=92), issued_to=today
    )
    # Written as the request writes it, without queueing its task: the seed makes it here.
    export = RecordsExport.objects.create(
        requested_by=user_of("finance"),
        filters=filters_kept(filters),
        up_to_number=IssuedInvoice.objects.order_by("-number").values_list("number", flat=True).first() or 0,
        language="ja",
    )
    services.records_export(export_id=export.pk)


def bank_statements_matched(today: dt.date) -> None:
    """The statements Finance imported before the seed's own (`bank_statement`): one for each closed month that
    has payments, imported on the next month's first day, holding that month's recorded payments as its credit
    lines, each matched to its payment (as `services.bank` leaves a line confirmed), so the bank pages meet a
    statement a month whose lines were matched long ago."""
    from invoicing.document import sha256
    from invoicing.models import BankLine, BankStatement, InvoicePayment
    from portal.core import clock
    from portal.core.partitions import next_month

    finance = user_of("finance")
    paid = InvoicePayment.objects.filter(paid_on__lt=today.replace(day=1))
    for start in paid.dates("paid_on", "month"):  # the first day of each, oldest first
        end = next_month(start)
        imported_at = clock.midnight(end) + dt.timedelta(hours=10)
        rows = list(
            paid.filter(paid_on__gte=start, paid_on__lt=end)
            .order_by("paid_on", "pk")
            .values_list("pk", "paid_on", "amount", "invoice__customer_name", "invoice__domain_id")
        )
        file_name = f"meisai-{start:%Y%m}.csv"
        statement = BankStatement.objects.create(
            layout=BankStatement.Layout.CSV,
            file_name=file_name,
            file_sha256=sha256(file_name.encode()),
            bank_name="みずほ銀行",
            account_number="1234567",
            date_from=start,
            date_to=end - dt.timedelta(days=1),
            credits=len(rows),
            imported_at=imported_at,
            imported_by=finance,
        )
        objects_write(
            BankLine,
            (
                BankLine(
                    statement=statement,
                    key=f"seed-{pk}",
                    sequence=str(position),
                    position=position,
                    date=paid_on,
                    amount=amount,
                    payer=f"ｶ){name[:20]}",
                    state=BankLine.State.MATCHED,
                    payment_id=pk,
                    domain_id=domain_id,
                    done_at=imported_at + dt.timedelta(hours=1),
                    done_by=finance,
                )
                for position, (pk, paid_on, amount, name, domain_id) in enumerate(rows, start=1)
            ),
        )


def bank_statement(today: dt.date) -> None:
    """A bank's CSV layout and a statement read with it, as Finance imports one (`services.bank`): a credit for
    each invoice still open, in full or in part, under the customer's name or with its number in the memo, and
    a few transfers that are not for an invoice (the bank statement pages; their figures at scale)."""
    import csv
    import io

    from invoicing.models import BankCsvMapping, OpenInvoice
    from invoicing.services import bank

    finance = user_of("finance")
    mapping = bank.bank_mapping_set(
        actor=finance,
        mapping_id=None,
        name="みずほ銀行",
        skip_rows=1,
        date_column=1,
        credit_column=2,
        debit_column=3,
        payer_column=4,
        memo_columns="5",
        delimiter=BankCsvMapping.Delimiter.COMMA,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["日付", "お預入れ", "お引出し", "お取引内容", "摘要"])
    rows = OpenInvoice.objects.select_related("invoice").order_by("number")[:2000]
    for i, row in enumerate(rows):
        amount = row.owed if i % 5 else max(1, row.owed - 440)
        memo = str(row.number) if i % 2 else ""
        writer.writerow([today.isoformat(), amount, "", f"ｶ){row.invoice.customer_name[:20]}", memo])
    for i in range(20):
        writer.writerow([today.isoformat(), 1_000 + i, "", "ﾌﾒｲ", ""])
    writer.writerow([today.isoformat(), "", 440, "ﾌﾘｺﾐﾃｽｳﾘﾖｳ", ""])
    bank.bank_statement_import(
        actor=finance, data=out.getvalue().encode("utf-8"), file_name="meisai.csv", mapping_id=mapping.pk
    )


#: The partner as a direct debit collector (settings), in the seed and while the guard measures.
DEBIT_COLLECTOR = {
    "DIRECT_DEBIT_COLLECTOR_CODE": "1234567890",
    "DIRECT_DEBIT_COLLECTOR_NAME": "ﾊﾟ-ﾄﾅ-(ｶ",
    "DIRECT_DEBIT_BANK_CODE": "0001",
    "DIRECT_DEBIT_BRANCH_CODE": "001",
    "DIRECT_DEBIT_ACCOUNT_NUMBER": "1234567",
}


def debit_day(today: dt.date) -> dt.date:
    """A week on, or the first day an open invoice falls due when none does by then (a month without history),
    as the next bank business day."""
    from invoicing.bank.holidays import next_business_day
    from invoicing.models import OpenInvoice

    first_due = OpenInvoice.objects.order_by("due_date").values_list("due_date", flat=True).first() or today
    return next_business_day(max(today + dt.timedelta(days=7), first_due))


def direct_debit(today: dt.date) -> None:
    """One customer in four with billing details collected by direct debit, and a request made for the next bank
    business day a week on, as Finance makes one (`services.debit`): the Direct debit pages and a run's page at
    scale (the most one request takes, `REQUEST_MAX`)."""
    from django.test import override_settings

    from invoicing.models import CustomerBilling, DebitAccount
    from invoicing.selectors import debit as debit_reads
    from invoicing.services import debit

    finance = user_of("finance")
    ids = CustomerBilling.objects.order_by("domain_id").values_list("domain_id", flat=True)
    DebitAccount.objects.bulk_create(
        DebitAccount(
            customer_id=domain_id,
            bank_code="0005",
            branch_code=f"{i % 1000:03d}",
            account_number=f"{domain_id % 10**7:07d}",
            holder="ﾃｽﾄｼﾖｳｼﾞ(ｶ",
            new=False,
        )
        for i, domain_id in enumerate(list(ids)[::4])
    )
    day = debit_day(today)
    with override_settings(**DEBIT_COLLECTOR):
        numbers = [
            row.number
            for row in debit_reads.collectable(user=finance, debit_date=day, limit=debit_reads.REQUEST_MAX)
        ]
        if numbers:
            debit.debit_run_make(actor=finance, debit_date=day, numbers=numbers)
