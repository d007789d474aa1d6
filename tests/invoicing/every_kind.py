"""Customer invoices of every kind and state, for the crawls that read every page a person reads (the words, the
valid HTML and the every-page browser sweep): rows, not pages of many shapes.

Three customers of their own: Alpha (Japanese, an e-mail for invoices) has last month's invoice overdue and the
month's invoice partly paid, sent after a failed attempt (sending it again failed too) and partly credited;
Bravo (English) has the month's invoice replaced by a corrected one (a credit note of all of it and the
corrected invoice); Charlie's draft of the month carries a price Finance changed, not issued. The issuer and the
three customers have billing details. The partner then bills in advance: the invoicing room opens on the running
month, its drafts made from the estimate (the page says so, and what the estimate cannot know); the invoice
month's are made from LINE WORKS' invoice, as the months before a partner switched are; the month after has
nothing to bill yet. Made through the services, as Finance would; one PDF is rendered (Alpha's invoice of the
month), the others are a stand-in of a few bytes (the crawls read pages, and rendering is most of the world's
cost)."""

from __future__ import annotations

import datetime as dt
import uuid
from unittest import mock

from django.urls import reverse

from billing.models import PriceEntry
from billing.rules import months_back
from invoicing import document, selectors, services
from invoicing.models import (
    REMINDER_DEFAULTS,
    BillingBasis,
    CustomerBilling,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    PaymentReminder,
    ReminderPause,
    ReminderStep,
    SendFailure,
)
from portal.core import clock
from tests.billing.factories import make_item
from tests.customers.factories import make_customer

#: What the documents other than Alpha's invoice of the month hold for a PDF.
STAND_IN_PDF = b"%PDF-1.4\n%%EOF\n"


def invoices_of_every_kind(*, user, today: dt.date, year: int, month: int) -> dict[str, list[str]]:
    """The rows above for the invoice month (`year`, `month`) issued on `today` (the business date), the month
    before issued early enough to be overdue; `user` is a Finance person or an Admin.

    Returns the URLs of their `pages` that a crawl taking one or two URLs of each shape may not reach (each
    document's page and its correction pages, Charlie's changed draft and its prices, the overdue worklist's full
    list): a crawl reads them too; and of their `forms` that answer a post with a page (its errors, a
    confirmation), none of which issues or sends anything without its confirmation."""
    IssuerDetails.objects.update_or_create(
        pk=1,
        defaults={
            "registered_name": "パートナー株式会社",
            "address": "東京都千代田区丸の内1-1",
            "corporation": True,
            "registration_number": "T7000012050002",
            "bank_account": "みずほ銀行 本店 普通 1234567",
            "payment_terms": "end_of_next_month",
        },
    )
    alpha = make_customer(company_name="Invoices Alpha K.K.", product_id="STD", plan="MONTHLY")
    bravo = make_customer(company_name="Invoices Bravo Ltd.", product_id="STD", plan="MONTHLY")
    charlie = make_customer(company_name="Invoices Charlie K.K.", product_id="STD", plan="MONTHLY")
    for customer, name, language, email in (
        (alpha, "Invoices Alpha K.K. 経理部", "ja", "ap@alpha.example"),
        (bravo, "Bravo Ltd. Accounts", "en", "accounts@bravo.example"),
        (charlie, "Invoices Charlie K.K.", "ja", ""),
    ):
        CustomerBilling.objects.create(
            domain_id=customer.domain_id,
            bill_to_name=name,
            bill_to_address="大阪市北区梅田1-2-3",
            invoice_email=email,
            language=language,
        )
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2020, 1, 1))
    earlier = months_back(year, month, 2)[0]
    # Monthly Standard, at ¥600 a licence (a plan other worlds leave out of their price book).
    make_item(alpha, *earlier, plan="MONTHLY", license_count=10, amount=4_500)
    for customer in (alpha, bravo, charlie):
        make_item(customer, year, month, plan="MONTHLY", license_count=10, amount=4_500)

    def issue(customer, y: int, m: int) -> IssuedInvoice:
        draft = selectors.draft_get(user=user, year=y, month=m, domain_id=customer.domain_id)
        assert draft is not None and draft.ready, draft
        invoice = services.invoice_issue(draft=draft, year=y, month=m, user=user)
        assert invoice is not None
        return invoice

    # Last month's invoice, issued two months ago: past its due date (the end of the next month), unpaid.
    stand_in = mock.patch.object(document, "pdf_of", lambda _invoice: STAND_IN_PDF)
    with mock.patch.object(clock, "today", lambda: today - dt.timedelta(days=70)), stand_in:
        overdue = issue(alpha, *earlier)
    with mock.patch.object(clock, "today", lambda: today):
        invoice = issue(alpha, year, month)
        stand_in.start()
        replaced = issue(bravo, year, month)
        services.payment_record(actor=user, number=invoice.number, amount=2_000, paid_on=today)
        failed = InvoiceSending.objects.create(
            invoice=invoice, to="ap@alpha.example", attempted_at=clock.midnight(today), attempted_by=user
        )
        failed.outcome, failed.failure = InvoiceSending.Outcome.FAILED, SendFailure.UNREACHABLE
        failed.detail = "ConnectionRefusedError: [Errno 111] Connection refused"
        failed.save()
        InvoiceSending.objects.create(
            invoice=invoice,
            to="ap@alpha.example",
            attempted_at=clock.midnight(today) + dt.timedelta(hours=9),
            attempted_by=user,
            outcome=InvoiceSending.Outcome.SENT,
        )
        # Sent again later, and that attempt refused by the mail server.
        InvoiceSending.objects.create(
            invoice=invoice,
            to="ap@alpha.example",
            round=1,
            attempted_at=clock.midnight(today) + dt.timedelta(hours=10),
            attempted_by=user,
            outcome=InvoiceSending.Outcome.FAILED,
            failure=SendFailure.MESSAGE_REFUSED,
            detail="451 4.3.0 Mail server temporarily rejected message",
        )
        credit_note = services.credit_note_issue(
            user=user,
            number=invoice.number,
            credits={0: 1_000},
            return_date=today,
            reason="One licence returned",
            key=uuid.uuid4().hex,
        )
        # Bravo's price was wrong: a price of its own from the month, and its invoice corrected.
        PriceEntry.objects.create(
            item_id="STD",
            plan="",
            domain_id=bravo.domain_id,
            cost=450,
            price=700,
            effective_from=dt.date(year, month, 1),
        )
        corrected = services.corrected_invoice_issue(
            user=user, number=replaced.number, reason="The price book was wrong", key=uuid.uuid4().hex
        )
        draft = selectors.draft_get(user=user, year=year, month=month, domain_id=charlie.domain_id)
        line = draft.lines[0]
        services.draft_price_set(
            actor=user,
            year=year,
            month=month,
            domain_id=charlie.domain_id,
            item_id=line.item_id,
            plan=line.plan,
            unit_price=500,
            book_price=600,
        )
        stand_in.stop()
        services.issuer_details_set(
            actor=user, **(selectors.details_mapping() or {}) | {"billing_basis": BillingBasis.IN_ADVANCE}
        )
    _reminded(overdue, user=user, today=today)
    ReminderPause.objects.create(
        domain_id=bravo.domain_id, reason="In dispute", paused_at=clock.midnight(today), paused_by=user
    )
    documents = (overdue, invoice, credit_note, replaced, corrected)
    running = (today.year, today.month)
    following = (today.year + (today.month == 12), today.month % 12 + 1)
    one = {"year": year, "month": month, "domain_id": charlie.domain_id}
    pages = [
        *(reverse("invoicing:issued", kwargs={"number": d.number}) for d in documents),
        # The corrected invoice may be credited and corrected again; the one it replaced may not.
        reverse("invoicing:credit_note", kwargs={"number": corrected.number}),
        *(reverse("invoicing:correct", kwargs={"number": d.number}) for d in (replaced, corrected)),
        reverse("invoicing:draft", kwargs=one),
        reverse("invoicing:draft_prices", kwargs=one),
        reverse("work_list", kwargs={"key": "invoices-overdue"}),
        # Billing in advance: the running month from its estimate, the next one not begun.
        *(reverse("invoicing:drafts", kwargs={"year": y, "month": m}) for y, m in (running, following)),
        reverse("invoicing:send_again", kwargs={"number": invoice.number}),
        # Payment reminders: the schedule, the overdue invoice's next one, a paused customer's pause.
        reverse("invoicing:reminders"),
        reverse("invoicing:remind", kwargs={"number": overdue.number}),
        reverse("invoicing:reminder_pause", kwargs={"domain_id": bravo.domain_id}),
    ]
    forms = [
        reverse("invoicing:issuer"),
        reverse("invoicing:customer", kwargs={"domain_id": alpha.domain_id}),
        reverse("invoicing:payment", kwargs={"number": invoice.number}),
        reverse("invoicing:send_again", kwargs={"number": invoice.number}),
        reverse("invoicing:credit_note", kwargs={"number": invoice.number}),
        reverse("invoicing:correct", kwargs={"number": corrected.number}),
        reverse("invoicing:draft_prices", kwargs=one),
        reverse("invoicing:reminders"),
        reverse("invoicing:reminder_pause", kwargs={"domain_id": alpha.domain_id}),
    ]
    return {"pages": pages, "forms": forms}


def _reminded(invoice: IssuedInvoice, *, user, today: dt.date) -> None:
    """The overdue invoice's first payment reminder sent by the daily run, its second failed (sent by a person)."""
    for position, days, tone in REMINDER_DEFAULTS:
        ReminderStep.objects.get_or_create(position=position, defaults={"days": days, "tone": tone})
    common = {"invoice": invoice, "to": "ap@alpha.example", "language": "ja"}
    PaymentReminder.objects.create(
        **common, step_id=1, days=7, tone="gentle", attempted_at=clock.midnight(today), outcome="sent"
    )
    PaymentReminder.objects.create(
        **common,
        step_id=2,
        days=21,
        tone="firm",
        attempted_at=clock.midnight(today) + dt.timedelta(hours=1),
        attempted_by=user,
        outcome="failed",
        failure=SendFailure.UNREACHABLE,
        detail="ConnectionRefusedError: [Errno 111] Connection refused",
    )
