"""Payment reminders (issue 57): by e-mail to customers whose invoices are still owed, on the schedule Finance
sets (days after the due date, each step on or off, its wording), in the customer's billing language with the
invoice's PDF, never twice for the same step (even two runs at once), not to a paused customer nor for an invoice
paid; a failed mail is retried by the next run, one cut short is left to a person. Finance and the team rooms are
told what went. The clock is the business date, pinned."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail
from django.urls import reverse

from invoicing import services
from invoicing.models import (
    CustomerBilling,
    IssuedInvoice,
    PaymentReminder,
    ReminderPause,
    ReminderStep,
    SendFailure,
)
from invoicing.selectors.reminders import steps_stored
from portal.core.access import Role
from portal.core.models import AuditEntry, Notice, NoticeChoice
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.conftest import M

#: The month's invoices are issued on 2026-11-02, due at the end of the next month.
DUE = dt.date(2026, 12, 31)


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


@pytest.fixture
def issued(month):
    """Alpha (Japanese) and Beta (English), each with an e-mail for invoices, both issued and sent."""
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id,
        bill_to_name="Beta Clinic",
        bill_to_address="Kobe",
        language="en",
        invoice_email="ap@beta.example",
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    found = {i.domain_id: i for i in IssuedInvoice.objects.all()}
    assert {i.due_date for i in found.values()} == {DUE}
    return {"alpha": found[month["alpha"].domain_id], "beta": found[month["beta"].domain_id]}


def _run_on(monkeypatch, today: dt.date) -> list[PaymentReminder]:
    pin_business_today(monkeypatch, today)
    return services.reminders_send()


def _sent() -> list[tuple[int, int, str]]:
    return sorted(
        PaymentReminder.objects.filter(outcome="sent").values_list("invoice__number", "step_id", "to")
    )


def test_each_step_goes_on_its_day_once(issued, monkeypatch):
    alpha, beta = issued["alpha"].number, issued["beta"].number
    assert _run_on(monkeypatch, day(6)) == [] and not mail.outbox
    assert len(_run_on(monkeypatch, day(7))) == 2
    assert _sent() == [(alpha, 1, "ap@alpha.example"), (beta, 1, "ap@beta.example")]
    assert _run_on(monkeypatch, day(7)) == [] and _run_on(monkeypatch, day(8)) == []
    assert len(mail.outbox) == 2
    _run_on(monkeypatch, day(21))
    assert [s for s in _sent() if s[1] == 2] == [(alpha, 2, "ap@alpha.example"), (beta, 2, "ap@beta.example")]
    _run_on(monkeypatch, day(45))
    _run_on(monkeypatch, day(80))
    assert len(mail.outbox) == 6 and len(_sent()) == 6
    reminder = PaymentReminder.objects.get(invoice__number=alpha, step=3)
    assert (reminder.days, reminder.tone, reminder.attempted_by, reminder.run) == (
        45,
        "final",
        None,
        "scheduled",
    )
    audit = AuditEntry.objects.filter(operation_id="portal.sendPaymentReminder")
    assert audit.count() == 6 and set(audit.values_list("outcome", flat=True)) == {"succeeded"}


def test_a_late_start_sends_only_the_latest_step_due(issued, monkeypatch):
    """An invoice 50 days overdue when the schedule first runs gets the final notice alone, not three mails."""
    _run_on(monkeypatch, day(50))
    assert {s[1] for s in _sent()} == {3} and len(mail.outbox) == 2


def test_a_step_turned_off_is_passed_over_and_days_changed_apply(issued, monkeypatch):
    steps = [
        {"days": 7, "enabled": False, "tone": "gentle"},
        {"days": 10, "enabled": True, "tone": "firm"},
        {"days": 45, "enabled": True, "tone": "final"},
    ]
    services.reminder_steps_set(actor=make_persona(Role.FINANCE), steps=steps)
    assert _run_on(monkeypatch, day(9)) == []
    _run_on(monkeypatch, day(10))
    assert {s[1] for s in _sent()} == {2}


def test_a_paused_customer_and_a_paid_invoice_get_none(issued, monkeypatch):
    finance = make_persona(Role.FINANCE)
    alpha, beta = issued["alpha"], issued["beta"]
    assert services.reminder_pause_set(
        actor=finance, domain_id=alpha.domain_id, paused=True, reason="In dispute"
    )
    services.payment_record(actor=finance, number=beta.number, amount=beta.total, paid_on=day(1))
    assert _run_on(monkeypatch, day(7)) == [] and not mail.outbox
    assert AuditEntry.objects.filter(operation_id="portal.pauseReminders", domain_id=alpha.domain_id).exists()
    # Resumed: the latest step due goes, not the ones missed while paused.
    services.reminder_pause_set(actor=finance, domain_id=alpha.domain_id, paused=False)
    assert not ReminderPause.objects.exists()
    _run_on(monkeypatch, day(30))
    assert _sent() == [(alpha.number, 2, "ap@alpha.example")]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_failed_mail_is_retried_by_the_next_run_and_one_that_went_out_is_not(issued, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 2
    _run_on(monkeypatch, day(7))
    failed = PaymentReminder.objects.filter(outcome="failed")
    assert failed.count() == 2 and set(failed.values_list("failure", flat=True)) == {SendFailure.UNREACHABLE}
    assert AuditEntry.objects.filter(operation_id="portal.sendPaymentReminder", outcome="failed").count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _run_on(monkeypatch, day(8))
    assert len(mail.outbox) == 2 and len(_sent()) == 2
    assert set(PaymentReminder.objects.values_list("attempts", "failure")) == {(2, "")}
    _run_on(monkeypatch, day(9))
    assert len(mail.outbox) == 2


def test_a_reminder_cut_short_is_left_to_a_person(issued, monkeypatch):
    """A worker that died while sending (its reminder still "sending" after the stale time) may have sent it: the
    next run marks it cut short and does not send it again; a person may, from the invoice's page."""
    from django.utils import timezone

    _run_on(monkeypatch, day(7))
    PaymentReminder.objects.filter(invoice=issued["alpha"]).update(
        outcome="sending", attempted_at=timezone.now() - services.SENDING_STALE * 2
    )
    _run_on(monkeypatch, day(8))
    cut = PaymentReminder.objects.get(invoice=issued["alpha"])
    assert (cut.outcome, cut.failure) == ("failed", SendFailure.INTERRUPTED) and len(mail.outbox) == 2
    reminder = services.reminder_send_now(
        user=make_persona(Role.FINANCE), number=issued["alpha"].number, step=1
    )
    assert reminder.outcome == "sent" and reminder.attempts == 2 and len(mail.outbox) == 3


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_step_once(month, monkeypatch):
    """Four workers run the day's reminders at the same moment: each invoice's step is claimed by one of them (the
    database's unique row), so each customer gets one mail. PostgreSQL: its connections run truly at once."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: PostgreSQL (SQLite serialises every write anyway)")
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id,
        bill_to_name="Beta",
        bill_to_address="Kobe",
        language="en",
        invoice_email="ap@beta.example",
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    assert IssuedInvoice.objects.count() == 2
    pin_business_today(monkeypatch, day(7))
    barrier = threading.Barrier(4)
    attempted: list[int] = []

    def send():
        barrier.wait()
        try:
            attempted.extend(r.pk for r in services.reminders_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(attempted) == 2 and len(mail.outbox) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["ap@alpha.example", "ap@beta.example"]
    assert PaymentReminder.objects.filter(outcome="sent").count() == 2


def test_the_mail_in_japanese_and_in_english_with_the_pdf(issued, monkeypatch):
    from invoicing import document

    _run_on(monkeypatch, day(7))
    by_to = {m.to[0]: m for m in mail.outbox}
    ja, en = by_to["ap@alpha.example"], by_to["ap@beta.example"]
    alpha, beta = issued["alpha"], issued["beta"]
    assert ja.subject == f"【お支払いのお願い】パートナー株式会社からの請求書 No. {alpha.number}"
    assert "Alpha K.K. 経理部 御中" in ja.body and "支払期限" in ja.body and "7,621円" in ja.body
    assert "行き違いでお支払い済みの場合" in ja.body
    assert en.subject == f"Payment reminder: invoice No. {beta.number} from パートナー株式会社"
    assert "Beta Clinic" in en.body and "friendly reminder" in en.body and "disregard" in en.body
    [(name, content, kind)] = ja.attachments
    assert (name, kind) == (f"invoice-{alpha.number}.pdf", "application/pdf")
    assert document.sha256(content) == alpha.pdf_sha256
    _run_on(monkeypatch, day(45))
    finals = {m.to[0]: m for m in mail.outbox[2:]}
    assert finals["ap@beta.example"].subject.startswith("Final notice: invoice No.")
    assert "within 7 days" in finals["ap@beta.example"].body
    assert finals["ap@alpha.example"].subject.startswith("【最終通知】")


def test_the_language_is_the_customer_s_billing_language_now(issued, monkeypatch):
    CustomerBilling.objects.filter(domain_id=issued["alpha"].domain_id).update(language="en")
    _run_on(monkeypatch, day(7))
    assert PaymentReminder.objects.get(invoice=issued["alpha"]).language == "en"
    assert {m.subject.split(":")[0] for m in mail.outbox} == {"Payment reminder"}


def test_finance_and_the_team_rooms_are_told_what_went(issued, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    finance = make_persona(Role.FINANCE, username="fin-told")
    NoticeChoice.objects.create(user=finance, kind="invoice.reminded", way="email")
    _run_on(monkeypatch, day(7))
    notice = Notice.objects.get(kind="invoice.reminded")
    assert notice.user == finance and notice.title == "Payment reminders of 2027-01-07"
    assert notice.text == "2 sent."
    _run_on(monkeypatch, day(7))
    assert Notice.objects.filter(kind="invoice.reminded").count() == 1


def test_the_daily_run_is_in_the_beat_schedule():
    from portal.core.periodic import beat_schedule

    job = beat_schedule()["invoices-payment-reminders"]
    assert job["task"] == "invoicing.send_reminders"
    from celery import current_app

    assert "invoicing.send_reminders" in current_app.tasks


# --- a reminder sent now, from the invoice's page ------------------------------------------------------------


def test_finance_sends_the_next_reminder_now_once_and_the_history_shows_it(client_as, issued, monkeypatch):
    pin_business_today(monkeypatch, day(3))
    alpha = issued["alpha"]
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert 'data-testid="remind"' in page and "Send reminder 1 (Gentle) now" in page
    url = reverse("invoicing:remind", kwargs={"number": alpha.number})
    confirm = client.get(url).content.decode()
    assert "ap@alpha.example" in confirm and 'name="step" value="1"' in confirm
    assert client.post(url, {"step": "1"}).status_code == 302
    again = client.post(url, {"step": "1"}, follow=True).content.decode()  # the double click
    assert "is sent or being sent already" in again
    assert len(mail.outbox) == 1 and _sent() == [(alpha.number, 1, "ap@alpha.example")]
    reminder = PaymentReminder.objects.get()
    assert reminder.attempted_by is not None and reminder.run == ""
    page = client.get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert "Payment reminder 1 (Gentle) sent by e-mail to ap@alpha.example" in page
    assert "Send reminder 2 (Firm) now" in page
    # The daily run does not send Alpha's step 1 again on its day (Beta's goes).
    assert [r.invoice_id for r in _run_on(monkeypatch, day(7))] == [issued["beta"].pk]
    assert PaymentReminder.objects.filter(invoice=alpha).count() == 1


def test_an_old_confirmation_sends_nothing(client_as, issued, monkeypatch):
    pin_business_today(monkeypatch, day(3))
    alpha = issued["alpha"]
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:remind", kwargs={"number": alpha.number})
    answer = client.post(url, {"step": "2"}, follow=True).content.decode()
    assert "changed since the confirmation" in answer and not mail.outbox


def test_no_reminder_now_for_an_invoice_not_overdue_paused_or_paid(client_as, issued, monkeypatch):
    finance = make_persona(Role.FINANCE)
    alpha, beta = issued["alpha"], issued["beta"]
    client = client_as(Role.FINANCE)
    pin_business_today(monkeypatch, day(0))
    page = client.get(reverse("invoicing:remind", kwargs={"number": alpha.number})).content.decode()
    assert "not overdue yet" in page and 'data-testid="remind-form"' not in page
    pin_business_today(monkeypatch, day(10))
    services.reminder_pause_set(actor=finance, domain_id=alpha.domain_id, paused=True, reason="係争中")
    page = client.get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert (
        "Payment reminders to this customer are paused: 係争中" in page and 'data-testid="remind"' not in page
    )
    answer = client.post(
        reverse("invoicing:remind", kwargs={"number": alpha.number}), {"step": "1"}, follow=True
    )
    assert "are paused" in answer.content.decode()
    services.payment_record(actor=finance, number=beta.number, amount=beta.total, paid_on=day(1))
    answer = client.post(
        reverse("invoicing:remind", kwargs={"number": beta.number}), {"step": "1"}, follow=True
    )
    assert "owes nothing" in answer.content.decode() and not mail.outbox


# --- the schedule page -------------------------------------------------------------------------------------------

SCHEDULE = {
    "enabled_1": "on",
    "days_1": "5",
    "tone_1": "gentle",
    "enabled_2": "on",
    "days_2": "15",
    "tone_2": "firm",
    "days_3": "30",
    "tone_3": "final",
}


def test_finance_sets_the_schedule_audited(client_as, month):
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:reminders")
    page = client.get(url).content.decode()
    assert 'name="days_1"' in page and 'value="7"' in page
    assert client.post(url, SCHEDULE).status_code == 302
    steps = [(s.position, s.days, s.enabled, s.tone) for s in ReminderStep.objects.order_by("position")]
    assert steps == [(1, 5, True, "gentle"), (2, 15, True, "firm"), (3, 30, False, "final")]
    entry = AuditEntry.objects.get(operation_id="portal.setReminderSchedule")
    assert entry.request_summary["after"][0] == {"days": 5, "enabled": True, "tone": "gentle"}
    assert entry.request_summary["before"][0] == {"days": 7, "enabled": True, "tone": "gentle"}
    nothing = client.post(url, SCHEDULE, follow=True).content.decode()
    assert "Nothing changed." in nothing
    assert AuditEntry.objects.filter(operation_id="portal.setReminderSchedule").count() == 1


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"days_2": "5"}, "Two steps cannot come the same number of days after the due date."),
        ({"days_2": "40"}, "Each step comes later than the one before it."),
        ({"days_1": "0"}, "greater than or equal to 1"),
        ({"days_3": "366"}, "less than or equal to 365"),
        ({"days_2": "x"}, "Enter a whole number."),
        ({"tone_1": "rude"}, "Select a valid choice."),
    ],
)
def test_a_schedule_out_of_bounds_or_order_is_refused_with_a_reason(client_as, month, change, said):
    client = client_as(Role.FINANCE)
    answer = client.post(reverse("invoicing:reminders"), SCHEDULE | change)
    assert answer.status_code == 200 and said in answer.content.decode()
    assert [step.days for step in steps_stored()] == [7, 21, 45]
    assert not AuditEntry.objects.exists()


def test_the_service_refuses_a_schedule_the_form_would(month):
    finance = make_persona(Role.FINANCE)
    steps = [{"days": d, "enabled": True, "tone": "firm"} for d in (10, 10, 20)]
    with pytest.raises(services.StepsRefused):
        services.reminder_steps_set(actor=finance, steps=steps)


def test_finance_pauses_a_customer_with_a_reason(client_as, month):
    client = client_as(Role.FINANCE)
    domain_id = month["alpha"].domain_id
    url = reverse("invoicing:reminder_pause", kwargs={"domain_id": domain_id})
    refused = client.post(url, {"paused": "on", "reason": ""}).content.decode()
    assert "Say why the reminders are paused." in refused and not ReminderPause.objects.exists()
    assert client.post(url, {"paused": "on", "reason": "In dispute"}).status_code == 302
    assert ReminderPause.objects.get(domain_id=domain_id).reason == "In dispute"
    page = client.get(reverse("invoicing:customer", kwargs={"domain_id": domain_id})).content.decode()
    assert "Payment reminders to this customer are paused: In dispute" in page
    assert client.post(url, {"reason": "ignored"}).status_code == 302
    assert not ReminderPause.objects.exists()
    assert list(AuditEntry.objects.order_by("pk").values_list("operation_id", flat=True)) == [
        "portal.pauseReminders",
        "portal.resumeReminders",
    ]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_in_the_reminders_forms_get_an_answer_not_an_error(
    client_as, issued, monkeypatch, value
):
    pin_business_today(monkeypatch, day(10))
    client = client_as(Role.FINANCE)
    alpha = issued["alpha"]
    names = [*SCHEDULE, "enabled_3", "paused", "reason", "step", "confirmed"]
    for url in (
        reverse("invoicing:reminders"),
        reverse("invoicing:reminder_pause", kwargs={"domain_id": alpha.domain_id}),
        reverse("invoicing:remind", kwargs={"number": alpha.number}),
    ):
        assert client.post(url, {name: value for name in names}).status_code < 500, url
    assert [step.days for step in steps_stored()] == [7, 21, 45]
    assert not mail.outbox


def test_a_reminder_leaves_with_its_invoice(issued, monkeypatch, django_capture_on_commit_callbacks):
    """Kept as long as its invoice (the legal minimum), removed with it by the nightly housekeeping."""
    from zoneinfo import ZoneInfo

    import time_machine

    from portal.core.retention import housekeep

    _run_on(monkeypatch, day(7))
    assert PaymentReminder.objects.count() == 2
    monkeypatch.undo()
    with (
        time_machine.travel(dt.datetime(2034, 3, 1, 3, tzinfo=ZoneInfo("Asia/Tokyo")), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        housekeep(batch_size=2)
    assert not IssuedInvoice.objects.exists() and not PaymentReminder.objects.exists()
