"""Payment reminders by e-mail to customers whose invoices are overdue, on the schedule Finance sets
(`reminder_steps_set`): the daily run (`reminders_send`, the task `invoicing.send_reminders`) and a person's
"send a reminder now" (`reminder_send_now`); a customer's pause (`reminder_pause_set`).

Sent at most once per invoice and step: the row (`PaymentReminder`, unique per invoice and step) is claimed
before the mail goes (an insert; IntegrityError: someone has it), so two workers or a double click never send a
step twice. A failed one is claimed again (its outcome "failed" set to "sending" by one update) and retried by
the next run; one cut short (its worker died: it may have gone out) is left to a person. The mail is the
house's invoice mail (`sending.document_message`: the partner as sender, the invoice's PDF attached) with the
reminder's wording, in the customer's billing language."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import rules
from invoicing.models import (
    REMINDER_DEFAULTS,
    IssuedInvoice,
    OpenInvoice,
    PaymentReminder,
    ReminderPause,
    ReminderStep,
    SendFailure,
)
from invoicing.permissions import CHANGE_INVOICING
from invoicing.selectors.reminders import reminder_language, reminder_step_due, steps_stored
from invoicing.services.sending import SENDING_STALE, document_message, invoice_email, mail_attempted
from portal.core import clock
from portal.core.access import check, person
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class ReminderRefused(Exception):
    """A reminder that cannot be sent now, with a sentence saying why."""


class StepsRefused(Exception):
    """A schedule that cannot be kept, with a sentence saying why."""


def reminder_steps_set(*, actor, steps: list[dict]) -> bool:
    """Set the schedule: for each of the three steps in order, its `days`, whether it is `enabled` and its
    `tone`. False when nothing changes; otherwise one audit entry (`portal.setReminderSchedule`) with each step
    before and after. A reminder sent keeps the days and wording it was sent with."""
    check(actor, CHANGE_INVOICING)
    if len(steps) != len(REMINDER_DEFAULTS):
        raise StepsRefused(_("The schedule has three steps."))
    problem = rules.reminder_days_problem([int(step["days"]) for step in steps])
    if problem:
        raise StepsRefused(problem)
    fields = ("days", "enabled", "tone")
    with transaction.atomic():
        _steps_make()
        rows = list(ReminderStep.objects.select_for_update().order_by("position"))
        before = [{key: getattr(row, key) for key in fields} for row in rows]
        after = [{key: step[key] for key in fields} for step in steps]
        if before == after:
            return False
        for row, values in zip(rows, after, strict=True):
            ReminderStep.objects.filter(pk=row.pk).update(**values, updated_at=timezone.now())
        audit_record(
            actor=actor,
            operation_id="portal.setReminderSchedule",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"before": before, "after": after},
        )
    return True


def _steps_make() -> None:
    """The schedule's rows, made with the defaults where missing (the migration makes them)."""
    missing = [step for step in steps_stored() if step._state.adding]
    if missing:
        ReminderStep.objects.bulk_create(missing, ignore_conflicts=True)


def reminder_pause_set(*, actor, domain_id: int, paused: bool, reason: str = "") -> bool:
    """Pause a customer's payment reminders with a reason, or resume them. False when nothing changes;
    otherwise one audit entry (`portal.pauseReminders` or `portal.resumeReminders`) for the customer."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        row = ReminderPause.objects.select_for_update().filter(domain_id=domain_id).first()
        if paused:
            if row is not None and row.reason == reason:
                return False
            ReminderPause.objects.update_or_create(
                domain_id=domain_id,
                defaults={"reason": reason, "paused_at": timezone.now(), "paused_by": actor},
            )
        elif row is None:
            return False
        else:
            row.delete()
        audit_record(
            actor=actor,
            operation_id="portal.pauseReminders" if paused else "portal.resumeReminders",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={"reason": reason} if paused else {"reason": row.reason if row else ""},
        )
    return True


# --- sending ------------------------------------------------------------------------------------------------


def _stale_reminders_close() -> None:
    """Reminders still "sending" after `SENDING_STALE` were cut short (a worker died mid-send): failed, cut
    short, left to a person (they may have gone out)."""
    PaymentReminder.objects.filter(
        outcome=PaymentReminder.Outcome.SENDING, attempted_at__lt=timezone.now() - SENDING_STALE
    ).update(
        outcome=PaymentReminder.Outcome.FAILED,
        failure=SendFailure.INTERRUPTED,
        finished_at=timezone.now(),
        detail=f"still sending after {SENDING_STALE}",
    )


def _claim(
    invoice: IssuedInvoice, step: ReminderStep, *, to: str, user, run: str, by_hand: bool
) -> PaymentReminder:
    """The invoice's reminder of `step`, claimed as being sent before anything is sent: a new row, or its failed
    row taken again (one cut short only by a person). `ReminderRefused` when someone else has it."""
    values = {
        "to": to,
        "language": reminder_language(invoice),
        "days": step.days,
        "tone": step.tone,
        "attempted_at": timezone.now(),
        "attempted_by": person(user),
        "run": run,
    }
    try:
        with transaction.atomic():
            return PaymentReminder.objects.create(invoice=invoice, step=step, **values)
    except IntegrityError:
        pass
    failed = PaymentReminder.objects.filter(
        invoice=invoice, step=step, outcome=PaymentReminder.Outcome.FAILED
    )
    if not by_hand:
        failed = failed.exclude(failure=SendFailure.INTERRUPTED)
    # One update claims it: a second worker's waits for the first's and then finds it no longer failed.
    again = {"failure": "", "detail": "", "finished_at": None, "attempts": F("attempts") + 1}
    if failed.update(outcome=PaymentReminder.Outcome.SENDING, **again, **values):
        return PaymentReminder.objects.get(invoice=invoice, step=step)
    raise ReminderRefused(
        _("Reminder %(step)s of invoice No. %(number)s is sent or being sent already.")
        % {"step": step.position, "number": invoice.number}
    )


def _deliver(reminder: PaymentReminder, invoice: IssuedInvoice, *, connection) -> None:
    """Send the claimed reminder and record how it went: any failure as a kind, never a 500."""
    reminder.failure, reminder.detail = mail_attempted(
        lambda: document_message(
            invoice,
            to=reminder.to,
            language=reminder.language,
            subject="invoicing/reminder_email_subject.txt",
            body="invoicing/reminder_email.txt",
            context={"reminder": reminder, "owed": _owed(invoice)},
        ),
        connection=connection,
    )
    reminder.outcome = PaymentReminder.Outcome.FAILED if reminder.failure else PaymentReminder.Outcome.SENT
    reminder.finished_at = timezone.now()
    reminder.save(update_fields=["outcome", "failure", "detail", "finished_at"])
    audit_record(
        actor=reminder.attempted_by,
        operation_id="portal.sendPaymentReminder",
        outcome=(
            AuditEntry.Outcome.SUCCEEDED
            if reminder.outcome == PaymentReminder.Outcome.SENT
            else AuditEntry.Outcome.FAILED
        ),
        domain_id=invoice.domain_id,
        sent={"number": invoice.number, "step": reminder.step_id, "to": reminder.to, "run": reminder.run},
        response_body=(
            {"failure": reminder.failure, "detail": reminder.detail}
            if reminder.outcome == PaymentReminder.Outcome.FAILED
            else None
        ),
    )


def _owed(invoice: IssuedInvoice) -> int:
    return OpenInvoice.objects.filter(invoice=invoice).values_list("owed", flat=True).first() or 0


def reminder_send_now(*, user, number: int, step: int, connection=None) -> PaymentReminder:
    """Send invoice `number` its reminder of `step` now, as a person confirmed it (the page named the step):
    `ReminderRefused` when the invoice owes nothing or is not overdue, its customer's reminders are paused, it
    has no e-mail address, the step is no longer the one to send (the page was old), or it is sent or being
    sent already (a double click, the daily run: sent once)."""
    check(user, CHANGE_INVOICING)
    today = clock.today()
    invoice = IssuedInvoice.objects.filter(number=number).first()
    row = OpenInvoice.objects.filter(invoice=invoice).first() if invoice else None
    if invoice is None or row is None:
        raise ReminderRefused(_("This invoice owes nothing: no reminder is sent."))
    if row.due_date >= today:
        raise ReminderRefused(_("This invoice is not overdue yet: no reminder is sent."))
    if ReminderPause.objects.filter(domain_id=invoice.domain_id).exists():
        raise ReminderRefused(_("Payment reminders to this customer are paused."))
    address = invoice_email(invoice)
    if not address:
        raise ReminderRefused(
            _("The customer has no e-mail address for invoices: add it to its billing details.")
        )
    _steps_make()
    _stale_reminders_close()
    due = reminder_step_due(
        steps_stored(), list(invoice.reminders.all()), due_date=row.due_date, today=today, by_hand=True
    )
    if due is None or due.position != step:
        if invoice.reminders.filter(step_id=step).exclude(outcome=PaymentReminder.Outcome.FAILED).exists():
            raise ReminderRefused(
                _("Reminder %(step)s of invoice No. %(number)s is sent or being sent already.")
                % {"step": step, "number": number}
            )
        raise ReminderRefused(_("The invoice's reminders changed since the confirmation: confirm again."))
    reminder = _claim(invoice, due, to=address, user=user, run="", by_hand=True)
    _deliver(reminder, invoice, connection=connection)
    return reminder


def reminders_due(*, today: dt.date) -> list[tuple[OpenInvoice, ReminderStep]]:
    """The open invoices a reminder is due for today by the schedule, each with its step: overdue by at least
    the first step's days, their customer's reminders not paused, the step not taken already."""
    steps = steps_stored()
    on = [step for step in steps if step.enabled]
    if not on:
        return []
    latest_due = today - dt.timedelta(days=on[0].days)
    paused = ReminderPause.objects.values("domain_id")
    rows = list(
        OpenInvoice.objects.filter(due_date__lte=latest_due)
        .exclude(domain_id__in=paused)
        .select_related("invoice")
        .order_by("due_date", "number")
    )
    taken: dict[int, list[PaymentReminder]] = {}
    for reminder in PaymentReminder.objects.filter(invoice_id__in=[row.invoice_id for row in rows]):
        taken.setdefault(reminder.invoice_id, []).append(reminder)
    due = []
    for row in rows:
        step = reminder_step_due(steps, taken.get(row.invoice_id, []), due_date=row.due_date, today=today)
        if step is not None:
            due.append((row, step))
    return due


def reminders_send(*, today: dt.date | None = None, run: str = "scheduled") -> list[PaymentReminder]:
    """The daily run: each reminder due today (`reminders_due`) claimed and sent over one connection to the mail
    server, a failure recorded on its reminder (retried by the next run) and the others going on; then Finance
    and the team rooms are told what went (`notices.reminders_tell`). The reminders it attempted."""
    from django.core.mail import get_connection

    from invoicing import notices

    today = today or clock.today()
    _steps_make()
    _stale_reminders_close()
    attempted = []
    connection = get_connection()
    try:
        for row, step in reminders_due(today=today):
            address = invoice_email(row.invoice)
            if not address:
                continue  # no address: the invoice's page says so; the next run tries again
            try:
                reminder = _claim(row.invoice, step, to=address, user=None, run=run, by_hand=False)
            except ReminderRefused:
                continue  # another worker has it
            _deliver(reminder, row.invoice, connection=connection)
            attempted.append(reminder)
    finally:
        connection.close()
    notices.reminders_tell(attempted, today=today)
    return attempted


@shared_task(name="invoicing.send_reminders", ignore_result=True, bind=True)
def reminders_send_task(self) -> None:
    reminders_send(run=str(self.request.id or "scheduled")[:64])
