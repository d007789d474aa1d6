"""Sending issued invoices by e-mail with their PDF: one (`invoice_send`, each attempt recorded as an
`InvoiceSending`, at most once per request) or the month's unsent ones in the background (a `SendRun`:
`month_send_request`, the task `invoicing.send_month`)."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket
from collections.abc import Callable
from email.headerregistry import Address
from email.utils import parseaddr

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from invoicing import storage
from invoicing.models import (
    CustomerBilling,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    SendFailure,
    SendRun,
)
from invoicing.permissions import CHANGE_INVOICING
from portal.core.access import check, person
from portal.core.changes import liveness
from portal.core.models import AuditEntry
from portal.core.runs import working_on
from portal.core.services import audit_record

#: An attempt still "sending" after this long was cut short (a worker died mid-send): the next one may go.
SENDING_STALE = dt.timedelta(minutes=15)


class SendRefused(Exception):
    """An invoice that cannot be sent now, with a sentence saying why."""


def _stale_sendings_close(invoice_id: int | None = None) -> None:
    stale = InvoiceSending.objects.filter(
        outcome=InvoiceSending.Outcome.SENDING, attempted_at__lt=timezone.now() - SENDING_STALE
    )
    if invoice_id is not None:
        stale = stale.filter(invoice_id=invoice_id)
    stale.update(
        outcome=InvoiceSending.Outcome.FAILED,
        finished_at=timezone.now(),
        failure=SendFailure.INTERRUPTED,
        detail=f"still sending after {SENDING_STALE}",
    )


def send_failure(error: Exception) -> tuple[SendFailure, str]:
    """A failure to send as a kind (its sentence is written when it is shown, in the reader's language) and the
    technical detail: what the mail server or the system said."""
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return SendFailure.ADDRESS_REFUSED, detail
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return SendFailure.LOGIN_REFUSED, detail
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
        return SendFailure.MESSAGE_REFUSED, f"{error.smtp_code} {said}".strip()
    if isinstance(error, ConnectionRefusedError | smtplib.SMTPServerDisconnected | socket.gaierror):
        return SendFailure.UNREACHABLE, detail
    if isinstance(error, TimeoutError):
        return SendFailure.TIMEOUT, detail
    if isinstance(error, storage.DocumentUnavailable):
        return SendFailure.DOCUMENT, detail
    return SendFailure.OTHER, detail


def mail_attempted(make: Callable[[], EmailMessage], *, connection) -> tuple[SendFailure | str, str]:
    """Make a document's mail and send it over `connection`: ("", "") when it went, else the failure's kind and
    its detail (`send_failure`). Any failure, the document's PDF unreadable among them, is answered so, never
    raised: an invoice's sending and a payment reminder record it on their row."""
    try:
        message = make()
        message.connection = connection
        message.send()
    except Exception as error:  # any failure is recorded on the caller's row as a kind, never a 500
        failure, detail = send_failure(error)
        return failure, detail[:500]
    return "", ""


def invoice_sender() -> tuple[str, list[str]]:
    """Who the invoice mail comes from and where answers go, as the partner's billing details say now: its
    sender name (else its registered name) at the portal's own address (`DEFAULT_FROM_EMAIL`, the one the mail
    server lets it send from), and its reply-to address, if any."""
    details = IssuerDetails.objects.filter(pk=1).values("sender_name", "registered_name", "reply_to").first()
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    if details is None:
        return settings.DEFAULT_FROM_EMAIL, []
    name = details["sender_name"] or details["registered_name"]
    # The name quoted where it needs to be, left unencoded: Django's mail encodes the header (RFC 2047).
    sender = str(Address(display_name=name, addr_spec=address)) if name else address
    return sender, [details["reply_to"]] if details["reply_to"] else []


def invoice_message(invoice: IssuedInvoice, *, to: str):
    """The invoice's e-mail, in its language, from the partner (`invoice_sender`), with its PDF (the bytes stored
    when it was issued, read from the documents' store and checked: `storage.DocumentUnavailable` else) attached
    under the number as the customer reads it."""
    return document_message(
        invoice,
        to=to,
        language=invoice.language,
        subject="invoicing/invoice_email_subject.txt",
        body="invoicing/invoice_email.txt",
    )


def document_message(
    invoice: IssuedInvoice, *, to: str, language: str, subject: str, body: str, context: dict | None = None
):
    """An e-mail about an issued invoice (the invoice itself, a payment reminder): its `subject` and `body`
    templates rendered in `language` with the invoice (and `context`), from the partner (`invoice_sender`), with
    the invoice's PDF as issued attached."""
    from home.digest import DigestMessage

    with translation.override(language):
        values = {"invoice": invoice, **(context or {})}
        subject_text = render_to_string(subject, values).strip()
        body_text = render_to_string(body, values)
    sender, reply_to = invoice_sender()
    message = DigestMessage(
        subject=subject_text, body=body_text, to=[to], from_email=sender, reply_to=reply_to
    )
    message.attach(invoice.pdf_filename, invoice.pdf_bytes(), "application/pdf")
    return message


def invoice_email(invoice: IssuedInvoice) -> str:
    """Where the invoice goes: the customer's invoice e-mail now (added or changed since it was issued), else
    the one its billing details had when it was issued."""
    current = (
        CustomerBilling.objects.filter(domain_id=invoice.domain_id)
        .values_list("invoice_email", flat=True)
        .first()
    )
    return current or (invoice.recipient or {}).get("invoice_email") or ""


def invoice_send(
    *,
    user,
    number: int,
    connection=None,
    again: int = 0,
    key: str | None = None,
    to: str | None = None,
    reason: str = "",
) -> InvoiceSending:
    """Send one issued invoice by e-mail with its PDF, recording the attempt (to whom, by whom, the outcome).

    `again`: 0 to send it the first time (or retry that); to send it again, the number of times it was sent
    when the sender confirmed, with the confirmation's idempotency `key`, the address it named (`to`) and an
    optional `reason` for the activity log. Refused (`SendRefused`, nothing attempted) when it has no e-mail
    address, its PDF is not ready, the address changed since the confirmation, or that sending is under way or
    done already (a double click, another user, the month's run): each request sends at most once."""
    check(user, CHANGE_INVOICING)
    invoice, address = _sendable(number=number, to=to)
    attempt = _attempt_open(invoice, address=address, user=user, again=again, key=key)
    _attempt_make(attempt, invoice, address=address, connection=connection)
    _attempt_audit(attempt, invoice, user=user, address=address, again=again, reason=reason)
    return attempt


def _sendable(*, number: int, to: str | None) -> tuple[IssuedInvoice, str]:
    """The invoice `number` and the address it goes to, or `SendRefused`: no such invoice, no address, not the
    address the sender confirmed (`to`), or its PDF not ready."""
    invoice = IssuedInvoice.objects.filter(number=number).first()
    if invoice is None:
        raise SendRefused(_("No such invoice."))
    address = invoice_email(invoice)
    if not address:
        raise SendRefused(
            _("The customer has no e-mail address for invoices: add it to its billing details.")
        )
    if to is not None and to != address:
        raise SendRefused(
            _("The customer's e-mail for invoices changed since the confirmation: confirm again.")
        )
    if not invoice.pdf_ready:
        raise SendRefused(_("Its PDF is being prepared: send it in a moment."))
    return invoice, address


def _attempt_open(
    invoice: IssuedInvoice, *, address: str, user, again: int, key: str | None
) -> InvoiceSending:
    """The attempt recorded as under way before anything is sent, or `SendRefused` when the confirmation does not
    match the invoice's sendings or that sending is under way or done already (the unique constraints)."""
    _stale_sendings_close(invoice.pk)
    times_sent = invoice.sendings.filter(outcome=InvoiceSending.Outcome.SENT).count()
    if again > times_sent:
        if not times_sent:
            raise SendRefused(_("This invoice was not sent yet: send it from its page."))
        raise SendRefused(_("The confirmation does not match the invoice's sendings: open it again."))
    try:
        with transaction.atomic():
            return InvoiceSending.objects.create(
                invoice=invoice,
                to=address,
                round=again,
                idempotency_key=key if again else None,
                attempted_at=timezone.now(),
                attempted_by=person(user),
                sender=liveness.this_sender().id,
            )
    except IntegrityError:
        if again:
            raise SendRefused(
                _("This invoice was sent again or is being sent again already: see its attempts.")
            ) from None
        raise SendRefused(_already_sent()) from None


def _already_sent() -> str:
    return _("This invoice is sent or being sent already.")


def invoice_sendable(*, number: int) -> tuple[IssuedInvoice, str]:
    """Whether invoice `number` can be sent now, without sending it (reads only: the API's dry run): it and the
    address it would go to, or `SendRefused` as `invoice_send` refuses a first sending (no address, its PDF not
    ready, sent or being sent already)."""
    invoice, address = _sendable(number=number, to=None)
    busy = [InvoiceSending.Outcome.SENDING, InvoiceSending.Outcome.SENT]
    if invoice.sendings.filter(round=0, outcome__in=busy).exists():
        raise SendRefused(_already_sent())
    return invoice, address


def attempt_words(attempt: InvoiceSending, *, number: int, sent: str | None = None) -> str:
    """What an attempt came to, as its page and the API say it: sent (`sent`, with its number and address; a
    first sending's words unless given) or its failure in the reader's words."""
    if attempt.outcome == InvoiceSending.Outcome.SENT:
        return (sent or _("Invoice No. %(number)s is sent to %(to)s.")) % {"number": number, "to": attempt.to}
    return _("Invoice No. %(number)s could not be sent: %(reason)s") % {
        "number": number,
        "reason": attempt.failure_sentence(),
    }


def _attempt_make(attempt: InvoiceSending, invoice: IssuedInvoice, *, address: str, connection) -> None:
    """Send the message and record the attempt's outcome: any failure is recorded as a kind, never a 500."""
    attempt.failure, attempt.detail = mail_attempted(
        lambda: invoice_message(invoice, to=address), connection=connection
    )
    attempt.outcome = InvoiceSending.Outcome.FAILED if attempt.failure else InvoiceSending.Outcome.SENT
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["outcome", "failure", "detail", "finished_at"])


def _attempt_audit(
    attempt: InvoiceSending, invoice: IssuedInvoice, *, user, address: str, again: int, reason: str
) -> None:
    """One audit entry for the attempt (`portal.sendCustomerInvoice`), failed with its kind and detail."""
    audit_record(
        actor=user,
        operation_id="portal.sendCustomerInvoice",
        outcome=(
            AuditEntry.Outcome.SUCCEEDED
            if attempt.outcome == InvoiceSending.Outcome.SENT
            else AuditEntry.Outcome.FAILED
        ),
        domain_id=invoice.domain_id,
        sent={"number": invoice.number, "to": address, **({"again": again} if again else {})},
        response_body=(
            {"failure": attempt.failure, "detail": attempt.detail}
            if attempt.outcome == InvoiceSending.Outcome.FAILED
            else None
        ),
        reason=reason,
    )


def unsent(*, year: int, month: int):
    """The month's issued invoices not sent yet and not being sent (a failed attempt is retried)."""
    busy = InvoiceSending.objects.filter(
        outcome__in=[InvoiceSending.Outcome.SENDING, InvoiceSending.Outcome.SENT]
    )
    return (
        IssuedInvoice.objects.filter(year=year, month=month)
        .exclude(pk__in=busy.values("invoice_id"))
        .order_by("number")
    )


def month_send_request(*, user, year: int, month: int) -> SendRun:
    """Send the month's issued invoices not sent yet in the background (the page polls the run); a run of the
    month under way is returned and queued again (a dead worker's run goes on; sent ones are skipped)."""
    check(user, CHANGE_INVOICING)
    run = SendRun.objects.filter(year=year, month=month, finished_at=None).first()
    if run is None:
        total = unsent(year=year, month=month).count()
        if not total:
            raise SendRefused(_("Every issued invoice of this month is sent already."))
        try:
            with transaction.atomic():
                run = SendRun.objects.create(year=year, month=month, requested_by=user, total=total)
        except IntegrityError:
            run = SendRun.objects.get(year=year, month=month, finished_at=None)
    run_id = run.pk
    transaction.on_commit(lambda: month_send_task.delay(run_id))
    return run


def month_send(*, run_id: int) -> SendRun:
    """The work of a send run: each unsent invoice of its month with an e-mail address and its PDF, over one
    connection to the mail server; a failure is recorded on its invoice and the others go on."""
    from django.core.mail import get_connection

    run = SendRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run
    user = run.requested_by or get_user_model()(username="system")
    _stale_sendings_close()
    # One connection for the run, opened by the first message: a server that cannot be reached is a failure
    # recorded on each invoice (retryable), as when they are sent one by one.
    connection = get_connection()
    # An attempt of this run cut short by a dead worker may have gone out: the resumed run leaves it to a person
    # (its page says so), as it never sends an invoice twice.
    cut_short = InvoiceSending.objects.filter(
        failure=SendFailure.INTERRUPTED, attempted_at__gte=run.requested_at
    ).values("invoice_id")
    with working_on(run):
        try:
            todo = unsent(year=run.year, month=run.month).exclude(pk__in=cut_short)
            for number in list(todo.values_list("number", flat=True)):
                try:
                    attempt = invoice_send(user=user, number=number, connection=connection)
                except SendRefused:
                    continue  # no address, PDF not ready, or sent meanwhile: not attempted
                field = "done" if attempt.outcome == InvoiceSending.Outcome.SENT else "failed"
                SendRun.objects.filter(pk=run_id).update(**{field: F(field) + 1})
        except Exception as error:
            SendRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=str(error)[:500])
            raise
        finally:
            connection.close()
        SendRun.objects.filter(pk=run_id, finished_at=None).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.send_month", ignore_result=True, acks_late=True)
def month_send_task(run_id: int) -> None:
    month_send(run_id=run_id)
