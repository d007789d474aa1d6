"""The partner's own invoices to its customers: the billing details (the partner's as issuer, each customer's as
recipient), the gap-free numbering, the issued invoices and the runs that issue a month.

All of it is the partner's own data (docs/own-data.md): tables of their own keyed by the
customer's domainId, written only by `invoicing.services`, never by a resync. Drafts are worked out from the
month's billed items and the price book (`invoicing.drafts`) until they are issued, and issued from drafts worked
out at that moment; the month's pages read a copy of them the worker keeps (`DraftMonth`, `DraftCopy`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from invoicing import rules, storage
from invoicing.storage import documents_storage
from portal.core.runs import Run, one_open


class PaymentTerms(models.TextChoices):
    END_OF_NEXT_MONTH = rules.END_OF_NEXT_MONTH, _("End of the next month")
    DAYS_10 = "days_10", _("10 days after the invoice date")
    DAYS_14 = "days_14", _("14 days after the invoice date")
    DAYS_30 = "days_30", _("30 days after the invoice date")
    DAYS_60 = "days_60", _("60 days after the invoice date")


class BillingBasis(models.TextChoices):
    """What the month's drafts are made from: LINE WORKS' invoice for the month (after it arrives), or the month's
    estimate (a partner that bills its customers in advance, at the start of the month)."""

    AFTER_INVOICE = "after_invoice", _("After LINE WORKS' invoice for the month")
    IN_ADVANCE = "in_advance", _("In advance, from the month's estimate")


class InvoiceLanguage(models.TextChoices):
    JA = "ja", _("Japanese")
    EN = "en", _("English")


class IssuerDetails(models.Model):
    """The partner as the issuer of its invoices: one row (pk 1), written by `services.issuer_details_set`."""

    registered_name = models.CharField(_("registered name"), max_length=200)
    address = models.TextField(_("address"), max_length=400)
    corporation = models.BooleanField(_("corporation"), default=True)
    registration_number = models.CharField(_("registration number"), max_length=14)
    bank_account = models.TextField(_("bank account"), max_length=400)
    payment_terms = models.CharField(
        _("payment terms"),
        max_length=24,
        choices=PaymentTerms.choices,
        default=PaymentTerms.END_OF_NEXT_MONTH,
    )
    #: How the invoices write their number (`rules.number_written`; empty: the number alone). Kept on each issued
    #: document with the other details, so a document keeps the number it was issued with.
    number_format = models.CharField(
        _("invoice number format"), max_length=rules.NUMBER_FORMAT_MAX, blank=True
    )
    #: The invoice mail's sender name (empty: the registered name) and the address answers go to (Reply-To).
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    reply_to = models.EmailField(_("reply-to address"), max_length=254, blank=True)
    #: Not on the invoices: how the partner bills (what `selectors.month_drafts` makes the drafts from).
    billing_basis = models.CharField(
        _("bill customers"),
        max_length=16,
        choices=BillingBasis.choices,
        default=BillingBasis.AFTER_INVOICE,
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.registered_name


class CustomerBilling(models.Model):
    """How one customer is billed: to whom, where, by which e-mail, in which language, and whether at all."""

    domain_id = models.BigIntegerField(_("domainId"), primary_key=True)
    billed = models.BooleanField(_("billed"), default=True)
    bill_to_name = models.CharField(_("bill-to name"), max_length=200, blank=True)
    bill_to_address = models.TextField(_("bill-to address"), max_length=400, blank=True)
    invoice_email = models.EmailField(_("invoice e-mail"), max_length=254, blank=True)
    language = models.CharField(
        _("invoice language"), max_length=2, choices=InvoiceLanguage.choices, default=InvoiceLanguage.JA
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.bill_to_name}"


class WithoutDetailsCount(models.Model):
    """How many customers still in the API have no billing details (the home page's "Customers without billing
    details", `invoicing.selectors.customers_without_details_count`), in one row the database keeps: a count of
    them reads an entry per customer, this reads one row however many there are.

    Kept as `customers.models.LiveCustomerCount` is, by triggers (migration 0006): on the customers table (a
    customer without details arrives, leaves, is removed or comes back) and on `CustomerBilling` (a live
    customer's details are added or deleted); on PostgreSQL once per statement, on SQLite once per row. A
    database emptied by TRUNCATE loses the row; the reader then counts the customers instead, in the same query.
    """

    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("customers without billing details")

    def __str__(self) -> str:
        return str(self.n)


class InvoiceCounter(models.Model):
    """The next number of a gap-free sequence. Issuing locks the row (`select_for_update`) in the transaction
    that stores the invoice, so a number is taken only with the invoice that carries it."""

    key = models.CharField(max_length=32, primary_key=True)
    next_number = models.PositiveBigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.key}: {self.next_number}"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    CORRECTED = "corrected", _("Corrected invoice")


class IssuedIsFinal(Exception):
    """An issued invoice was to be changed or deleted: it is final."""


class IssuedInvoiceQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise IssuedIsFinal(
            _("An issued invoice is final: issue a corrected invoice or a credit note instead.")
        )

    def delete(self):
        raise IssuedIsFinal(
            _("An issued invoice is final: issue a corrected invoice or a credit note instead.")
        )

    def pdf_store_once(self, *, name: str, sha256: str) -> int:
        """Record the PDF (its name in the documents' store, written there first) and its SHA-256 on the invoices
        of this queryset that have none yet (issued numbered first, rendered after): the one write an issued
        invoice undergoes, once. The number of rows written (0 when another renderer stored it first: the same
        bytes, the rendering being deterministic)."""
        return models.QuerySet.update(self.filter(pdf_sha256=""), pdf=name, pdf_sha256=sha256)


class IssuedInvoice(models.Model):
    """An issued invoice: what it said when it was issued (issuer, recipient, lines, totals per rate), never
    edited or deleted (`save` of a stored row, `delete`, and the queryset's `update` and `delete` refuse)."""

    number = models.PositiveBigIntegerField(_("invoice number"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    domain_id = models.BigIntegerField(_("domainId"))
    customer_name = models.CharField(_("company name"), max_length=200)
    language = models.CharField(_("invoice language"), max_length=2, choices=InvoiceLanguage.choices)
    issue_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    #: The issuer and the recipient as they were (name, address, registration number, bank account).
    issuer = models.JSONField(default=dict)
    recipient = models.JSONField(default=dict)
    #: The lines (each with its description in the invoice's language, units, unit price, amount, tax rate) and
    #: the totals per rate ({"rate", "amount", "tax"}).
    lines = models.JSONField(default=list)
    per_rate = models.JSONField(default=list)
    subtotal = models.BigIntegerField(_("subtotal"))
    tax = models.BigIntegerField(_("consumption tax"))
    total = models.BigIntegerField(_("total"))
    #: The PDF as issued and its SHA-256 (hex): rendered from the facts above after the transaction that numbers
    #: the invoice, written once to the documents' store (invoicing/storage.py: the file system or an S3-compatible
    #: bucket) and recorded here (`IssuedInvoiceQuerySet.pdf_store_once`); read back checked (`pdf_bytes`). Until
    #: then both are empty and the invoice is "being prepared" (`pdf_ready`).
    pdf = models.FileField(
        _("PDF"), storage=documents_storage, max_length=255, blank=True, null=True, editable=False
    )
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True, default="")
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # --- corrections: a credit note or a corrected invoice refers to the invoice it corrects ---------------
    #: An invoice of the month's run, a credit note (negative amounts: cancels all or part of `original`), or a
    #: corrected invoice (replaces `original`, which a credit note issued with it cancels).
    kind = models.CharField(
        _("kind"), max_length=16, choices=DocumentKind.choices, default=DocumentKind.INVOICE
    )
    original = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("original invoice"),
    )
    #: The original's number and date of issue, copied when this document is issued (both are final): lists of
    #: documents show them without reading each original (`save`).
    original_number = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    original_issue_date = models.DateField(null=True, blank=True, editable=False)
    #: A credit note's date of the return (or discount) it states; the original's date of transaction is its
    #: `year` and `month`, which a correction keeps.
    return_date = models.DateField(_("date of the return"), null=True, blank=True)
    #: Why it was issued, for the activity log and the portal's own pages: never printed on what the customer gets.
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    #: What a credit note says to the customer, printed on it (its own field: the reason is internal).
    customer_note = models.CharField(_("note to the customer"), max_length=500, blank=True)
    #: The submission that issued it (a corrected invoice's is its credit note's with "+"): issued once.
    idempotency_key = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)

    objects = IssuedInvoiceQuerySet.as_manager()

    class Meta:
        constraints = [
            # One invoice of a month's run per customer; its credit notes and corrected invoices join it.
            models.UniqueConstraint(
                fields=["year", "month", "domain_id"],
                condition=models.Q(kind="invoice"),
                name="invoicing_one_per_month",
            ),
        ]
        indexes = [
            models.Index(fields=["issue_date", "number"], name="invoicing_issued_date"),
            models.Index(fields=["domain_id", "issue_date"], name="invoicing_issued_customer"),
            models.Index(fields=["total", "number"], name="invoicing_issued_total"),
            # The month's invoices still being prepared (numbered, their PDF not stored yet): the drafts page reads
            # them on every open, along this small index, never every invoice ever issued.
            models.Index(
                fields=["year", "month", "number"],
                condition=models.Q(pdf_sha256=""),
                name="invoicing_issued_preparing",
            ),
            # The month's issued page, a page at a time in number order (`selectors.month_issued_page`).
            models.Index(fields=["year", "month", "number"], name="invoicing_issued_month"),
            # The month's documents by customer: counted and read customer by customer when searched.
            models.Index(fields=["year", "month", "domain_id"], name="invoicing_issued_month_domain"),
            # Each kind's oldest document (the Data kept page: one retention rule per kind).
            models.Index(fields=["kind", "issue_date"], name="invoicing_issued_kind_date"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.customer_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise IssuedIsFinal(
                _("An issued invoice is final: issue a corrected invoice or a credit note instead.")
            )
        if self.original_id is not None and self.original_number is None:
            self.original_number, self.original_issue_date = self.original.number, self.original.issue_date
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedIsFinal(
            _("An issued invoice is final: issue a corrected invoice or a credit note instead.")
        )

    @property
    def pdf_ready(self) -> bool:
        return bool(self.pdf_sha256)

    def pdf_bytes(self) -> bytes:
        """The PDF as issued, read from the documents' store and checked against its SHA-256; raises
        `storage.DocumentUnavailable` when it is not those bytes, not there or the store does not answer."""
        return storage.read(self.pdf.name, self.pdf_sha256)

    @property
    def number_written(self) -> str:
        """The number as the customer reads it: in the partner's format when this document was issued."""
        issued_on = self.issue_date
        return rules.number_written(
            (self.issuer or {}).get("number_format") or "",
            self.number,
            year=issued_on.year,
            month=issued_on.month,
        )

    @property
    def pdf_filename(self) -> str:
        """The PDF's file name wherever it leaves the portal (the download, the mail's attachment): its number as
        the customer reads it, with what a file system or mail client may refuse written as -."""
        safe = "".join("-" if ch in '\\/:*?"<>|' or ch.isspace() else ch for ch in self.number_written)
        return f"invoice-{safe}.pdf"


class MonthRun(Run):
    """Long work over a month's invoices that a person asks for and a page polls (`IssueRun`, `SendRun`): a
    `portal.core.runs.Run` of the month, at most one open per month and kind (each kind's `one_open`). Who asked
    is kept whatever becomes of their account (an issue is a legal record)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class IssueRun(MonthRun):
    """One "issue the month's invoices" request: its progress (`done`: the invoices numbered), polled by the
    drafts page."""

    #: PDFs stored by the run's workers (its invoices are numbered first, then rendered in shared chunks).
    rendered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # One run under way per month: a double click or a second user finds it instead of starting another.
            one_open("year", "month", name="invoicing_one_run_open"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} ({self.pk})"


# --- price edits on drafts -----------------------------------------------------------------------------


class DraftPriceEdit(models.Model):
    """Finance's unit price for an item and plan on one customer's draft of a month, instead of the price book's
    (`book_price`: the book's price when it was edited). It applies while the draft has lines of that item and
    plan priced at `book_price`; when the book or the billed items change, the draft says it no longer applies
    (`drafts.apply_price_edits`). Written by `services.draft_price_set`, audited."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    domain_id = models.BigIntegerField()
    item_id = models.CharField(max_length=64)
    plan = models.CharField(max_length=64, blank=True)
    unit_price = models.PositiveBigIntegerField(_("unit price"))
    book_price = models.BigIntegerField(_("price book's unit price"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "domain_id", "item_id", "plan"], name="invoicing_one_price_edit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.domain_id} {self.item_id}/{self.plan}: {self.unit_price}"


# --- the drafts kept -------------------------------------------------------------------------------------


class DraftMonth(models.Model):
    """A month's kept drafts: what they were worked out from (`basis`: the price book's stamp, the business
    date, the partner's billing details, what the month is made from and its invoice details' stamp, the tax
    rounding, the drafts' rules) and when (`worked_at`: a customer whose copy or billing data was written since,
    `portal.core.copies`, is worked out again by the worker). Any of them differing, the month is worked out
    again whole (`services.drafts_keep`)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    worked_at = models.DateTimeField()
    basis = models.JSONField(default=dict)
    #: The month's drafts counted and totalled by state, summed by the worker when it keeps the month
    #: (`selectors.DRAFT_FIGURES`): what the month's pages show above their drafts, read without summing every
    #: customer's.
    totals = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "month"], name="invoicing_one_draft_month")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class DraftState(models.TextChoices):
    READY = "ready", _("Ready")
    BLOCKED = "blocked", _("Blocked")
    ISSUED = "issued", _("Issued")


class DraftCopy(models.Model):
    """One customer's kept draft of a month, as the month's page lists it: its totals, its state, why it is
    blocked (in each language the portal speaks), last month's total beside it. The issue run never reads it:
    it issues from drafts worked out at issue time (`selectors.ready_drafts`)."""

    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    domain_id = models.BigIntegerField()
    customer_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=8, choices=DraftState.choices)
    subtotal = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    previous_total = models.BigIntegerField(null=True, blank=True)
    issued_number = models.PositiveBigIntegerField(null=True, blank=True)
    #: Finance changed a price on it; a price change of Finance's no longer applies.
    edited = models.BooleanField(default=False)
    stale_edits = models.BooleanField(default=False)
    #: Why it cannot be issued, by language code: {"en": [sentence, ...], "ja": [...]}.
    reasons = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "month", "domain_id"], name="invoicing_one_draft_copy")
        ]
        # The month's page, every draft or those of one state, a page at a time in the drafts' order (by name).
        indexes = [
            models.Index(
                fields=["year", "month", "customer_name", "domain_id"], name="invoicing_draft_order"
            ),
            models.Index(
                fields=["year", "month", "state", "customer_name", "domain_id"], name="invoicing_draft_state"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.domain_id}"

    @property
    def blocked(self) -> list[str]:
        """Why it cannot be issued, in the reader's language (none once issued)."""
        if self.state != DraftState.BLOCKED:
            return []
        return self.reasons.get(get_language() or "", None) or self.reasons.get(settings.LANGUAGE_CODE, [])

    @property
    def difference(self) -> int | None:
        return None if self.previous_total is None else self.total - self.previous_total


# --- sending and being paid ------------------------------------------------------------------------------


class SendFailure(models.TextChoices):
    """Why an attempt to send failed, stored as a kind: its sentence is written in the reader's language when it
    is shown (`InvoiceSending.failure_sentence`), whoever's language the attempt was made in."""

    ADDRESS_REFUSED = "address_refused", _("address refused")
    LOGIN_REFUSED = "login_refused", _("the portal's mail account refused")
    MESSAGE_REFUSED = "message_refused", _("message refused")
    UNREACHABLE = "unreachable", _("mail server unreachable")
    TIMEOUT = "timeout", _("no answer in time")
    INTERRUPTED = "interrupted", _("cut short")
    DOCUMENT = "document", _("PDF not as issued")
    OTHER = "other", _("other")


#: The sentence of each kind of failure, in the reader's language (`%(to)s`: where it was going).
FAILURE_SENTENCES = {
    SendFailure.ADDRESS_REFUSED: _(
        "The mail server refused the address %(to)s: check the customer's e-mail."
    ),
    SendFailure.LOGIN_REFUSED: _(
        "The mail server refused the portal's account name and password: check the mail settings."
    ),
    SendFailure.MESSAGE_REFUSED: _(
        "The mail server refused the message: try again later or ask its administrator."
    ),
    SendFailure.UNREACHABLE: _("The mail server could not be reached: try again once it runs."),
    SendFailure.TIMEOUT: _("The mail server did not answer in time: try again later."),
    SendFailure.INTERRUPTED: _(
        "The attempt was cut short before the mail server answered; it may not have gone out."
    ),
    SendFailure.DOCUMENT: _(
        "Nothing was sent: the invoice's stored PDF could not be read as it was issued. An Admin restores it from "
        "a backup, then it can be sent."
    ),
    SendFailure.OTHER: _("The mail could not be sent."),
}


class InvoiceSending(models.Model):
    """One attempt to send an issued invoice by e-mail with its PDF: when, to whom, by whom, and how it went.

    Attempts are kept: an invoice sent may be sent again (the customer lost it, its address was put right), each
    time one more row. `round` says which sending an attempt is: 0 the first, 1 the first sent again, and so on;
    at most one attempt per invoice and round is under way or sent (a partial unique constraint), so a double
    click, a second user or a month's run finds it and sends nothing, and two people sending the same invoice
    again from the same page send it once. A failed attempt keeps the kind of failure and the technical detail;
    the next attempt of its round is a retry. A request to send again carries its form's idempotency key."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(IssuedInvoice, on_delete=models.PROTECT, related_name="sendings")
    to = models.EmailField(_("sent to"), max_length=254)
    attempted_at = models.DateTimeField(_("time"))
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.SENDING)
    #: Which sending this is: 0 the first, n the n-th time it is sent again.
    round = models.PositiveSmallIntegerField(default=0)
    #: Why it failed, as a kind (its sentence is written at display, in the reader's language).
    failure = models.CharField(_("failure"), max_length=16, choices=SendFailure.choices, blank=True)
    #: What the mail server or the system said, for admins: never the sentence shown first.
    detail = models.CharField(_("technical detail"), max_length=500, blank=True)
    #: The submission that asked to send it again: sent once per form.
    idempotency_key = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: The process sending it (a month's run's worker, or the web process): its attempt under way is cut short
    #: at once when the reaper finds that worker gone, not after `services.SENDING_STALE`.
    sender = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "round"],
                condition=models.Q(outcome__in=["sending", "sent"]),
                name="invoicing_sent_once_per_round",
            ),
        ]
        indexes = [models.Index(fields=["invoice", "attempted_at"], name="invoicing_sending_invoice")]

    def __str__(self) -> str:
        return f"{self.invoice_id} → {self.to}: {self.outcome}"

    def failure_sentence(self) -> str:
        """Why it failed, in the language active now (the reader's); empty unless it failed."""
        if self.outcome != self.Outcome.FAILED:
            return ""
        sentence = FAILURE_SENTENCES.get(self.failure) or FAILURE_SENTENCES[SendFailure.OTHER]
        return str(sentence) % {"to": self.to}


class SendRun(MonthRun):
    """One "send the month's invoices not sent yet" request: its progress (`done`: sent; `failed`), polled by
    the month's issued page."""

    class Meta:
        constraints = [one_open("year", "month", name="invoicing_one_send_open")]

    def __str__(self) -> str:
        return f"send {self.year}-{self.month:02d} ({self.pk})"


class InvoicePayment(models.Model):
    """A payment received for an issued invoice (all of what is owed, or part of it): recorded by Finance,
    audited; the payments of an invoice never exceed what it asks (`services.payment_record`)."""

    invoice = models.ForeignKey(IssuedInvoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveBigIntegerField(_("amount"))
    paid_on = models.DateField(_("date paid"))
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.amount} on {self.paid_on}"


class OpenInvoice(models.Model):
    """What an issued invoice still asks, one row per invoice that asks something (its total less its payments
    and its credit notes): the home page's "Overdue customer invoices" read the rows due before today along
    their due-date index, never every issued invoice with its payments and credit notes summed per row.

    Kept by triggers (migration 0013), so every way an invoice, a payment or a credit note is stored keeps it
    (services, the bench seed's bulk inserts): an invoice or corrected invoice with a positive total adds its
    row; a payment takes its amount off (`paid` beside it); a credit note takes its (negative) total off its
    original; the row goes once nothing is owed. An issued invoice stays final: this is a table of its own.

    Each row carries its invoice's customer and its name as issued (`domain_id`, `customer_name`, copied by the
    trigger that adds it, migrations 0032 and 0033), so the open invoices of some customers (direct debit's, the
    bank matching's, the payment reminders') are filtered, and named, on the row itself, never on every open
    invoice's issued invoice read beside it."""

    #: A row is added as an invoice is issued and removed once it is paid: the housekeeping packs the table's
    #: indexes each night (`portal.core.compaction`).
    ROWS_COME_AND_GO = True

    invoice = models.OneToOneField(
        IssuedInvoice,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="open",
    )
    #: The invoice's customer (its `IssuedInvoice.domain_id`, final as the invoice is).
    domain_id = models.BigIntegerField(_("domainId"))
    #: The customer's name as issued (its `IssuedInvoice.customer_name`, final too; migration 0033): the lists of
    #: open invoices name their customers from their own rows.
    customer_name = models.CharField(_("company name"), max_length=200)
    number = models.PositiveBigIntegerField()
    due_date = models.DateField()
    #: What it still asks (above 0: the row goes when nothing is owed) and what payments came in so far.
    owed = models.BigIntegerField()
    paid = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            # By due date, each entry with the row's customer, invoice, what it owes and the customer's name
            # (PostgreSQL): the open invoices of some customers due by a date (direct debit's) are read along it
            # alone, an entry per invoice passed, never the row beside it.
            models.Index(
                fields=["due_date", "number"],
                include=["domain_id", "invoice", "owed", "customer_name"],
                name="invoicing_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.owed}"


class OpenInvoiceDue(models.Model):
    """How many open invoices (`OpenInvoice`) fall due on each day, one row per due date, kept by triggers on the
    open invoices (migration 0023): a row added counts in, a row gone counts out; on PostgreSQL once per
    statement, on SQLite once per row. The home page's overdue invoices are counted from it (the rows due before
    today summed: one per due date, however many invoices), where a count of the open invoices due before today
    read an index entry per invoice, along an index left sparse by a year of invoices paid. An open invoice's due
    date is never changed (its row is added and removed whole)."""

    due_date = models.DateField(primary_key=True)
    n = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.due_date}: {self.n}"


class UnsentInvoice(models.Model):
    """An issued document of a month not sent yet and not being sent, one row per document (the rows of
    `services.unsent`): the month's issued page counts, and filters by, what is left to send along this small
    table's month index, never every invoice of the month with its attempts to send it.

    Kept by triggers (migration 0019), so every way a document or an attempt is stored keeps it (services, the
    bench seed's bulk inserts): an issued document adds its row; an attempt under way or sent takes it away; an
    attempt that failed, with none of the invoice's under way or sent, puts it back, `failed`. An issued invoice
    stays final: this is a table of its own."""

    #: A row is added as a document is issued and removed once it is sent: the housekeeping packs the table's
    #: indexes each night (`portal.core.compaction`).
    ROWS_COME_AND_GO = True

    invoice = models.OneToOneField(
        IssuedInvoice,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="unsent",
    )
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    number = models.PositiveBigIntegerField()
    #: Its last attempt failed (it is tried again by the next send).
    failed = models.BooleanField(default=False)
    #: The document's customer, its e-mail address and its PDF as a send of the month sees them (`sendable`: an
    #: address and the PDF; `unaddressed`: no address, left out of the send; the address is the recipient's it
    #: was issued to, or else the customer's billing details'), kept by triggers (migration 0025) on this row,
    #: on its document and on the customer's billing details, so the month's pages count each kind along an
    #: index of its own, never probing every document and its customer's billing details.
    domain_id = models.BigIntegerField(db_default=0)
    sendable = models.BooleanField(db_default=False)
    unaddressed = models.BooleanField(db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["year", "month", "number"], name="invoicing_unsent_month"),
            models.Index(
                fields=["year", "month", "number"],
                condition=models.Q(sendable=True),
                name="invoicing_unsent_sendable",
            ),
            models.Index(
                fields=["year", "month", "number"],
                condition=models.Q(unaddressed=True),
                name="invoicing_unsent_unaddressed",
            ),
            models.Index(fields=["domain_id"], name="invoicing_unsent_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {'failed' if self.failed else 'not sent'}"


# --- records as the law asks: the tax officer's export --------------------------------------------------


class RecordsExport(Run):
    """One export of the issued documents for a tax officer's request (ダウンロードの求め), or of all of them to
    leave the portal: a ZIP of the PDFs as issued, an index of them and the written rules for preventing
    corrections (`services.records_export`). Its `filters` are the issued-invoice search's (customer, issue
    dates, totals; none: everything), its `up_to_number` the last number issued when it was asked, so a run
    taken up again by another worker exports the same documents. `total`: the documents; `done`: those written;
    `failed`: those whose PDF could not be read as issued (listed in the index, never replaced).

    The ZIP is kept in the documents' store (`zip_name`) with its SHA-256 for `RETENTION_RECORDS_EXPORT_DAYS`
    (invoicing/retention.py), at most one open per person (a double click finds it)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filters = models.JSONField(default=dict)
    up_to_number = models.PositiveBigIntegerField(default=0)
    #: The language of the index's header (the rules document is Japanese: it is written for Japan's tax office).
    language = models.CharField(max_length=2, choices=InvoiceLanguage.choices, default=InvoiceLanguage.JA)
    zip_name = models.CharField(max_length=255, blank=True)
    zip_sha256 = models.CharField(max_length=64, blank=True)
    zip_size = models.PositiveBigIntegerField(default=0)
    #: The index in Shift_JIS is in the ZIP (False: a name in it has a character Shift_JIS lacks; the UTF-8
    #: index holds everything).
    shift_jis = models.BooleanField(default=False)

    class Meta:
        constraints = [one_open("requested_by", name="invoicing_one_records_export_open")]
        indexes = [models.Index(fields=["requested_at"], name="invoicing_records_export_at")]

    def __str__(self) -> str:
        return f"records export {self.pk}"

    @property
    def ready(self) -> bool:
        return bool(self.zip_sha256)

    @property
    def download_name(self) -> str:
        """The ZIP's file name where it leaves the portal: the day it was asked and its id."""
        return f"records-{self.requested_at:%Y%m%d}-{self.pk}.zip"


# --- bank statements and their matching to the invoices (入金消込) -----------------------------------------


class TransferName(models.Model):
    """A name a customer's transfers arrive under (振込名義), normalised (`invoicing.bank.kana.normalised`): kept
    on the customer's billing details, learned when a person confirms a bank line of that payer for one of the
    customer's invoices. A name belongs to one customer at most."""

    customer = models.ForeignKey(CustomerBilling, on_delete=models.CASCADE, related_name="transfer_names")
    name = models.CharField(_("transfer name"), max_length=100, unique=True)
    learned_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class BankCsvMapping(models.Model):
    """How one bank's CSV statement is read: its columns (numbered from 1), set once by Finance and kept."""

    class Delimiter(models.TextChoices):
        COMMA = ",", _("Comma")
        TAB = "\t", _("Tab")

    name = models.CharField(_("bank"), max_length=100, unique=True)
    skip_rows = models.PositiveSmallIntegerField(_("heading rows to skip"), default=1)
    date_column = models.PositiveSmallIntegerField(_("date column"))
    credit_column = models.PositiveSmallIntegerField(_("amount received column"))
    debit_column = models.PositiveSmallIntegerField(_("amount paid out column"), null=True, blank=True)
    payer_column = models.PositiveSmallIntegerField(_("payer's name column"))
    memo_columns = models.CharField(_("memo columns"), max_length=40, blank=True)
    delimiter = models.CharField(_("separator"), max_length=1, choices=Delimiter.choices, default=",")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    @property
    def memo_list(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.memo_columns.replace(" ", "").split(",") if part.isdigit())


class BankStatement(models.Model):
    """One bank file imported: which account and period, who imported it, and how many of its lines were new
    (a line imported before, by another statement of the same account, is not taken twice)."""

    class Layout(models.TextChoices):
        ZENGIN = "zengin", _("Zengin statement (種別 03)")
        CSV = "csv", _("Bank CSV")

    layout = models.CharField(_("layout"), max_length=8, choices=Layout.choices)
    mapping = models.ForeignKey(
        BankCsvMapping, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64)
    bank_code = models.CharField(max_length=4, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    branch_name = models.CharField(_("branch"), max_length=100, blank=True)
    account_number = models.CharField(_("account"), max_length=20, blank=True)
    account_name = models.CharField(_("account name"), max_length=100, blank=True)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    credits = models.PositiveIntegerField(_("credits"), default=0)
    debits = models.PositiveIntegerField(_("debits left out"), default=0)
    repeated = models.PositiveIntegerField(_("lines imported before"), default=0)
    imported_at = models.DateTimeField(_("imported"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["-imported_at"], name="invoicing_bank_imported")]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number} {self.date_from}–{self.date_to}"


class BankLine(models.Model):
    """A credit of a bank statement: what the bank said (date, amount, payer, memo), the invoice proposed for it
    (why and how sure: `invoicing.bank.matching`), and what a person made of it: confirmed for an invoice (its
    payment recorded through `services.payment_record`; what the invoice did not owe is the customer's credit)
    or explained (a bank fee, not ours, a refund...). `key` is the line's identity (bank, account, date and the
    bank's sequence; for a CSV, its content and occurrence), unique: a statement imported again adds nothing."""

    class State(models.TextChoices):
        OPEN = "open", _("To match")
        MATCHED = "matched", _("Matched")
        EXPLAINED = "explained", _("Explained")

    class Explanation(models.TextChoices):
        BANK_FEE = "bank_fee", _("Bank fee")
        NOT_OURS = "not_ours", _("Not for an invoice")
        REFUND = "refund", _("Refund")
        ADVANCE = "advance", _("Paid in advance")
        OTHER = "other", _("Other")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    key = models.CharField(max_length=64, unique=True)
    sequence = models.CharField(_("sequence"), max_length=12)
    position = models.PositiveIntegerField()
    date = models.DateField(_("date"))
    amount = models.PositiveBigIntegerField(_("amount"))
    payer = models.CharField(_("payer"), max_length=100, blank=True)
    payer_key = models.CharField(max_length=100, blank=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # The proposal
    proposed = models.PositiveBigIntegerField(_("proposed invoice"), null=True, blank=True)
    reason = models.CharField(max_length=32, blank=True)
    confidence = models.PositiveSmallIntegerField(default=0)
    candidates = models.PositiveIntegerField(default=0)
    # What a person made of it
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    payment = models.OneToOneField(
        InvoicePayment, null=True, blank=True, on_delete=models.SET_NULL, related_name="bank_line"
    )
    domain_id = models.BigIntegerField(null=True, blank=True)
    over_amount = models.PositiveBigIntegerField(_("over-payment"), default=0)
    explanation = models.CharField(_("explanation"), max_length=10, choices=Explanation.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["statement", "position"], name="invoicing_bank_line_order"),
            # Each entry with its amount (PostgreSQL): the statements list counts and sums a statement's lines
            # still to match along it alone, never the rows beside it (`selectors.bank.statements_page`).
            models.Index(
                fields=["statement", "state", "position"],
                include=["amount"],
                name="invoicing_bank_line_state",
            ),
            models.Index(
                fields=["domain_id"], condition=models.Q(over_amount__gt=0), name="invoicing_bank_credit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.payer}"


# --- direct debit (口座振替) --------------------------------------------------------------------------------


class DepositKind(models.TextChoices):
    """預金種目 as the Zengin direct debit file codes it."""

    ORDINARY = "1", _("Ordinary (普通)")
    CURRENT = "2", _("Current (当座)")
    SAVINGS = "9", _("Other")


class DebitAccount(models.Model):
    """The bank account a customer's invoices are collected from by direct debit (the customer signed the bank's
    口座振替依頼書): kept on the customer's billing details, set by Finance, audited. `new` marks a first debit
    (新規コード 1: the bank checks the authorisation), cleared once a debit of it is collected. `customer_number`
    is the number the bank registered the authorisation under (顧客番号; empty: the invoice number is written)."""

    customer = models.OneToOneField(
        CustomerBilling, primary_key=True, on_delete=models.CASCADE, related_name="debit_account"
    )
    bank_code = models.CharField(_("bank code"), max_length=4)
    branch_code = models.CharField(_("branch code"), max_length=3)
    deposit_kind = models.CharField(
        _("deposit kind"), max_length=1, choices=DepositKind.choices, default=DepositKind.ORDINARY
    )
    account_number = models.CharField(_("account number"), max_length=7)
    holder = models.CharField(_("account holder (half-width kana)"), max_length=30)
    customer_number = models.CharField(_("customer number"), max_length=20, blank=True)
    new = models.BooleanField(_("first debit"), default=True)
    active = models.BooleanField(_("collect by direct debit"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.bank_code}-{self.branch_code} {self.account_number}"


class DebitRun(models.Model):
    """One direct debit request (振替依頼) for a debit date: the invoices and amounts frozen when it was made, the
    request file kept as made (its SHA-256 beside it), then the bank's result file imported once (`resolved_at`),
    each collected debit recorded as a payment, or the run cancelled before (`cancelled_at`). Kept by the tax records' rule, like bank statements."""

    debit_date = models.DateField(_("debit date"))
    made_at = models.DateTimeField(_("made"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request_file = models.BinaryField()
    request_sha256 = models.CharField(max_length=64)
    count = models.PositiveIntegerField(_("debits"), default=0)
    total = models.PositiveBigIntegerField(_("total"), default=0)
    resolved_at = models.DateTimeField(_("result imported"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_sha256 = models.CharField(max_length=64, blank=True)
    result_file_name = models.CharField(max_length=200, blank=True)
    #: Cancelled before its result came (its file never sent, or the bank refused it whole): its invoices wait no
    #: more and can go in another run.
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["-debit_date", "-id"], name="invoicing_debit_run_date")]

    def __str__(self) -> str:
        return f"debit {self.debit_date} ({self.pk})"

    @property
    def download_name(self) -> str:
        return f"direct-debit-{self.debit_date:%Y%m%d}-{self.pk}.txt"


class DebitItem(models.Model):
    """One invoice's debit in a run, as written in the request file (its account and amount frozen), and what the
    bank answered. `pending` while its run awaits the result: an invoice is pending in one run at most (a
    partial unique constraint), so it is never asked of the bank twice. The invoice's link is cleared when the
    invoice leaves (retention), its number stays."""

    run = models.ForeignKey(DebitRun, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    invoice = models.ForeignKey(
        IssuedInvoice, null=True, blank=True, on_delete=models.SET_NULL, related_name="debits"
    )
    number = models.PositiveBigIntegerField(_("invoice No."))
    domain_id = models.BigIntegerField()
    customer_name = models.CharField(_("customer"), max_length=200)
    bank_code = models.CharField(max_length=4)
    branch_code = models.CharField(max_length=3)
    deposit_kind = models.CharField(max_length=1)
    account_number = models.CharField(max_length=7)
    holder = models.CharField(max_length=30)
    customer_number = models.CharField(max_length=20)
    new = models.BooleanField(default=False)
    amount = models.PositiveBigIntegerField(_("amount"))
    pending = models.BooleanField(default=True)
    #: The bank's 振替結果コード ("" until the result is imported) and the payment recorded for a collected one.
    result = models.CharField(max_length=1, blank=True)
    payment = models.OneToOneField(
        InvoicePayment, null=True, blank=True, on_delete=models.SET_NULL, related_name="debit"
    )
    #: Collected beyond what the invoice still owed when the result came (it was paid otherwise meanwhile).
    over_amount = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"], condition=models.Q(pending=True), name="invoicing_debit_once_pending"
            ),
            models.UniqueConstraint(fields=["run", "position"], name="invoicing_debit_position"),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.amount} ({self.result or 'pending'})"


# --- payment reminders ------------------------------------------------------------------------------------


class ReminderTone(models.TextChoices):
    """The wording of a reminder's mail: a gentle note, a firm request, or the final notice."""

    GENTLE = "gentle", _("Gentle")
    FIRM = "firm", _("Firm")
    FINAL = "final", _("Final")


#: The schedule as it comes (migration 0030): its steps' days after the due date and wordings.
REMINDER_DEFAULTS = ((1, 7, ReminderTone.GENTLE), (2, 21, ReminderTone.FIRM), (3, 45, ReminderTone.FINAL))


class ReminderStep(models.Model):
    """One step of the payment reminders' schedule Finance sets (`services.reminder_steps_set`): so many days
    after an invoice's due date, on or off, in a wording. Three rows (`position` 1..3, made by the migration,
    never deleted), their days ascending: a reminder names its step, and is sent once per invoice and step."""

    position = models.PositiveSmallIntegerField(primary_key=True)
    days = models.PositiveSmallIntegerField(_("days after the due date"))
    enabled = models.BooleanField(_("on"), default=True)
    tone = models.CharField(_("wording"), max_length=8, choices=ReminderTone.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.days} days, {self.tone}"


class ReminderPause(models.Model):
    """A customer whose payment reminders are paused (in dispute, a payment plan agreed...), with why and by
    whom: no reminder goes to it, by the schedule or by hand, until Finance resumes them (the row goes)."""

    domain_id = models.BigIntegerField(_("domainId"), primary_key=True)
    reason = models.CharField(_("reason"), max_length=200)
    paused_at = models.DateTimeField(_("paused"))
    paused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.domain_id}: {self.reason}"


class PaymentReminder(models.Model):
    """One payment reminder of an issued invoice: its step, where and in which language it went, who sent it
    (a person, or the daily run: `run`), and how it went. At most one per invoice and step, by the database (a
    unique constraint): the sender claims the row before sending, so two workers or a double click never send a
    step twice. A failed one is claimed again and retried by the next run; one cut short (the worker died while
    sending: it may have gone out) is left to a person."""

    class Outcome(models.TextChoices):
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    invoice = models.ForeignKey(IssuedInvoice, on_delete=models.PROTECT, related_name="reminders")
    step = models.ForeignKey(ReminderStep, on_delete=models.PROTECT, related_name="+")
    #: The step's days and wording when it was sent (Finance may change the schedule later).
    days = models.PositiveSmallIntegerField(_("days after the due date"))
    tone = models.CharField(_("wording"), max_length=8, choices=ReminderTone.choices)
    to = models.EmailField(_("sent to"), max_length=254)
    language = models.CharField(_("language"), max_length=2, choices=InvoiceLanguage.choices)
    attempted_at = models.DateTimeField(_("time"))
    attempted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The daily run that sent it (its task's id), empty when a person did.
    run = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.SENDING)
    failure = models.CharField(_("failure"), max_length=16, choices=SendFailure.choices, blank=True)
    detail = models.CharField(_("technical detail"), max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="invoicing_one_reminder_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} step {self.step_id}: {self.outcome}"

    def failure_sentence(self) -> str:
        """Why it failed, in the language active now; empty unless it failed."""
        if self.outcome != self.Outcome.FAILED:
            return ""
        sentence = FAILURE_SENTENCES.get(self.failure) or FAILURE_SENTENCES[SendFailure.OTHER]
        return str(sentence) % {"to": self.to}
