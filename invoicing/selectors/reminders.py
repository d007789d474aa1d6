"""Payment reminders as the pages and the daily run read them: the schedule Finance sets (`reminder_steps`), a
customer's pause (`reminder_pause_get`), an invoice's reminders (`reminders_of`) and the step a reminder is due
for (`reminder_step_due`: the schedule's, or the next one a person sends now), with why none is
(`ReminderState`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from invoicing.models import (
    REMINDER_DEFAULTS,
    CustomerBilling,
    IssuedInvoice,
    OpenInvoice,
    PaymentReminder,
    ReminderPause,
    ReminderStep,
    SendFailure,
)
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check


def steps_stored() -> list[ReminderStep]:
    """The schedule's three steps in order: the rows Finance set, or the defaults (unsaved) where a row is
    missing (a database emptied by a test: the migration makes them)."""
    found = {step.position: step for step in ReminderStep.objects.order_by("position")}
    return [
        found.get(position) or ReminderStep(position=position, days=days, tone=tone, enabled=True)
        for position, days, tone in REMINDER_DEFAULTS
    ]


def reminder_steps(*, user) -> list[ReminderStep]:
    check(user, VIEW_INVOICING)
    return steps_stored()


def reminder_pause_get(*, user, domain_id: int) -> ReminderPause | None:
    check(user, VIEW_INVOICING)
    return ReminderPause.objects.select_related("paused_by").filter(domain_id=domain_id).first()


def reminders_of(invoice: IssuedInvoice) -> list[PaymentReminder]:
    """An invoice's reminders, newest first, each with who sent it (none: the daily run)."""
    return list(invoice.reminders.select_related("attempted_by").order_by("-attempted_at", "-pk"))


def reminder_language(invoice: IssuedInvoice) -> str:
    """The customer's billing language now, else the invoice's."""
    current = (
        CustomerBilling.objects.filter(domain_id=invoice.domain_id).values_list("language", flat=True).first()
    )
    return current or invoice.language


def _done(reminder: PaymentReminder, *, by_hand: bool) -> bool:
    """A step taken: sent, being sent, or, for the schedule, cut short (it may have gone out: a person decides,
    told so on the confirmation). A failed one is still to do (retried)."""
    if reminder.outcome == PaymentReminder.Outcome.FAILED:
        return not by_hand and reminder.failure == SendFailure.INTERRUPTED
    return True


def reminder_step_due(
    steps: Iterable[ReminderStep],
    reminders: Iterable[PaymentReminder],
    *,
    due_date: dt.date,
    today: dt.date,
    by_hand: bool = False,
) -> ReminderStep | None:
    """The step a reminder of an invoice due on `due_date` is for today, or None.

    The schedule's (`by_hand` False): the latest step that is on and whose day has come, unless it, or a later
    step, was taken already (earlier steps missed, by a pause or a schedule set later, are passed over: a
    customer gets one reminder a day at most). A person's "send a reminder now": that step when it is still to
    take, else the next step on after the last one taken (the first, before any step's day came)."""
    on = [step for step in steps if step.enabled]
    taken = max((r.step_id for r in reminders if _done(r, by_hand=by_hand)), default=0)
    come = [step for step in on if due_date + dt.timedelta(days=step.days) <= today]
    if come and come[-1].position > taken:
        return come[-1]
    if not by_hand:
        return None
    return next((step for step in on if step.position > taken), None)


@dataclass(frozen=True)
class ReminderState:
    """Where an invoice stands with its reminders, as its page shows it: its reminders, the step a person may
    send now (`step`, None when none) and why not (`why`: "paused", "not_overdue", "owes_nothing", "done")."""

    reminders: list[PaymentReminder]
    step: ReminderStep | None
    why: str
    pause: ReminderPause | None

    @property
    def cut_short(self) -> bool:
        """The step to send now was attempted and cut short: it may have gone out."""
        return self.step is not None and any(
            r.step_id == self.step.position and r.failure == SendFailure.INTERRUPTED for r in self.reminders
        )


def reminder_state(*, user, invoice: IssuedInvoice, today: dt.date) -> ReminderState:
    check(user, VIEW_INVOICING)
    reminders = reminders_of(invoice)
    pause = reminder_pause_get(user=user, domain_id=invoice.domain_id)
    row = OpenInvoice.objects.filter(invoice=invoice).first()
    step = None
    if pause is not None:
        why = "paused"
    elif row is None:
        why = "owes_nothing"
    elif row.due_date >= today:
        why = "not_overdue"
    else:
        step = reminder_step_due(steps_stored(), reminders, due_date=row.due_date, today=today, by_hand=True)
        why = "" if step else "done"
    return ReminderState(reminders=reminders, step=step, why=why, pause=pause)
