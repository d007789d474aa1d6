"""The pages of payment reminders (Finance and Admins): the schedule Finance sets (its steps: days after the due
date, on or off, the mail's wording), "send a reminder now" for one overdue invoice (confirmed, the step it
sends named), and a customer's pause (with why)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from invoicing import selectors, services
from invoicing.forms import ReminderPauseForm, ReminderSendForm, ReminderStepsForm
from invoicing.permissions import CHANGE_INVOICING
from portal.core import clock
from portal.core.access import require
from portal.core.shortcuts import found_or_404


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest) -> HttpResponse:
    """The payment reminders' schedule: three steps, each on or off, so many days after the due date, in a
    wording (gentle, firm, final); saved audited."""
    steps = selectors.reminder_steps(user=request.user)
    initial = {}
    for step in steps:
        initial |= {f"enabled_{step.position}": step.enabled, f"days_{step.position}": step.days}
        initial[f"tone_{step.position}"] = step.tone
    form = ReminderStepsForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        try:
            changed = services.reminder_steps_set(actor=request.user, steps=form.steps())
        except services.StepsRefused as refused:
            form.add_error(None, str(refused))
        else:
            if changed:
                messages.success(request, _("The payment reminders' schedule is saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("invoicing:reminders")
    return render(request, "invoicing/reminders.html", {"form": form, "steps": steps})


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def remind(request: HttpRequest, number: int) -> HttpResponse:
    """Send one overdue invoice its next payment reminder now, once confirmed: the page names the step, its
    wording and the address; the confirmation carries the step, so a double click or an old page sends nothing
    more."""
    found = found_or_404(selectors.issued_detail(user=request.user, number=number))
    invoice = found.row.invoice
    state = selectors.reminder_state(user=request.user, invoice=invoice, today=clock.today())
    form = ReminderSendForm(
        request.POST if request.method == "POST" else None,
        initial={"step": state.step.position if state.step else None},
    )
    if form.is_bound and form.is_valid():
        try:
            reminder = services.reminder_send_now(
                user=request.user, number=number, step=form.cleaned_data["step"]
            )
        except services.ReminderRefused as refused:
            messages.info(request, str(refused))
        else:
            said = {"step": reminder.step_id, "number": number, "to": reminder.to}
            if reminder.outcome == reminder.Outcome.SENT:
                messages.success(
                    request, _("Reminder %(step)s of invoice No. %(number)s is sent to %(to)s.") % said
                )
            else:
                messages.error(
                    request,
                    _("Reminder %(step)s of invoice No. %(number)s could not be sent: %(reason)s")
                    % {**said, "reason": reminder.failure_sentence()},
                )
        return redirect("invoicing:issued", number=number)
    return render(
        request,
        "invoicing/remind.html",
        {"invoice": invoice, "row": found.row, "state": state, "form": form},
    )


@require(CHANGE_INVOICING)
@require_http_methods(["GET", "POST"])
def reminder_pause(request: HttpRequest, domain_id: int) -> HttpResponse:
    """Pause a customer's payment reminders (with why) or resume them; its invoices' pages show the pause."""
    found = found_or_404(selectors.customer_get(user=request.user, domain_id=domain_id))
    pause = selectors.reminder_pause_get(user=request.user, domain_id=domain_id)
    initial = {"paused": pause is not None, "reason": pause.reason if pause else ""}
    form = ReminderPauseForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        values = {"company": found.company_name}
        if not services.reminder_pause_set(
            actor=request.user,
            domain_id=domain_id,
            paused=d["paused"],
            reason=d["reason"] if d["paused"] else "",
        ):
            messages.info(request, _("Nothing changed."))
        elif d["paused"]:
            messages.success(request, _("Payment reminders to %(company)s are paused.") % values)
        else:
            messages.success(request, _("Payment reminders to %(company)s are resumed.") % values)
        return redirect("invoicing:customer", domain_id=domain_id)
    return render(request, "invoicing/reminder_pause.html", {"customer": found, "form": form, "pause": pause})
