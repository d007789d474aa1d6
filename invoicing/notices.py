"""What invoicing tells people outside the portal's pages: an invoice to a customer fell overdue (the notice
"invoice.overdue", to Finance and the team rooms that get it). Each morning the worker tells of the invoices that
fell due in the last `OVERDUE_LOOKBACK_DAYS` days and still ask something; each is told once (its number), so a
morning the worker missed is made up the next. After the daily run of payment reminders, what it sent and what
failed (the notice "invoice.reminded", once per run)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing import events
from invoicing.models import OpenInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core import clock
from portal.core.notices.choices import people_who_may, tell
from portal.core.notices.content import Message
from portal.core.notices.kinds import NoticeKind

INVOICE_OVERDUE = "invoice.overdue"
REMINDERS_SENT = "invoice.reminded"
#: Invoices that fell due at most this many days ago are told of (once each).
OVERDUE_LOOKBACK_DAYS = 7

KINDS = [
    NoticeKind(
        INVOICE_OVERDUE,
        gettext_lazy("An invoice to a customer is overdue"),
        gettext_lazy("The morning after its due date, when it is not paid or credited in full."),
        VIEW_INVOICING,
        order=50,
    ),
    NoticeKind(
        REMINDERS_SENT,
        gettext_lazy("Payment reminders were sent to customers"),
        gettext_lazy(
            "After the daily run of payment reminders: how many went out, and which could not be sent."
        ),
        VIEW_INVOICING,
        order=51,
    ),
]


def overdue_tell(*, today: dt.date | None = None) -> int:
    """Tell of each invoice that fell overdue lately (not told before); how many invoices were told of."""
    today = today or clock.today()
    fallen = (
        OpenInvoice.objects.filter(
            due_date__lt=today, due_date__gte=today - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS)
        )
        .select_related("invoice")
        .order_by("due_date", "number")
    )
    kind = KINDS[0]
    finance = list(people_who_may(kind))
    told = 0
    for row in fallen:
        told += bool(tell(INVOICE_OVERDUE, users=finance, message=_message(row), key=str(row.number)))
        events.invoice_overdue(row.invoice, owed=row.owed)
    return told


def _message(row: OpenInvoice):
    invoice = row.invoice

    def message() -> Message:
        return Message(
            title=_("Invoice No. %(number)s to %(customer)s is overdue")
            % {"number": row.number, "customer": invoice.customer_name},
            text=_("¥%(owed)s of ¥%(total)s was due on %(due)s and has not come in.")
            % {
                "owed": intcomma(row.owed),
                "total": intcomma(invoice.total),
                "due": f"{row.due_date:%Y-%m-%d}",
            },
            url=reverse("invoicing:issued", args=[row.number]),
            label=_("Open the invoice"),
        )

    return message


def reminders_tell(reminders: list, *, today: dt.date) -> int:
    """Tell Finance and the team rooms what the day's run of payment reminders did (nothing when it sent none
    and none failed); told once per run's reminders. How many notices were made."""
    if not reminders:
        return 0
    sent = [r for r in reminders if r.outcome == "sent"]
    failed = [r for r in reminders if r.outcome != "sent"]
    numbers = ", ".join(str(r.invoice.number) for r in failed[:10])

    def message() -> Message:
        text = _("%(sent)s sent.") % {"sent": len(sent)}
        if failed:
            text += " " + _(
                "%(failed)s could not be sent (invoices %(numbers)s): the next run tries again."
            ) % {
                "failed": len(failed),
                "numbers": numbers,
            }
        return Message(
            title=_("Payment reminders of %(day)s") % {"day": f"{today:%Y-%m-%d}"},
            text=text,
            url=reverse("invoicing:reminders"),
            label=_("Open the reminders' schedule"),
        )

    key = f"{today:%Y-%m-%d}:{max(r.pk for r in reminders)}"
    return len(tell(REMINDERS_SENT, users=people_who_may(KINDS[1]), message=message, key=key))


@shared_task(name="invoicing.notices.overdue_tell", ignore_result=True)
def overdue_tell_task() -> int:
    return overdue_tell()
