"""A month's issue or send run whose worker dies (issue 53, item 5) goes on without a person: its worker keeps the
change pipeline's heartbeat (`portal.core.changes.liveness`) holding the run, the reaper finds it gone at two
looks a grace apart, marks the run stopped and queues it again, and the next worker takes it up: issuing renders
the PDFs the dead worker left missing, sending sends the rest and leaves the attempt cut short to a person. The
page says when the run stopped and when it went on. A dead worker is simulated as the change engine's tests do:
its heartbeat stops and lapses."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from invoicing import document, services
from invoicing.models import CustomerBilling, InvoiceSending, IssuedInvoice, IssueRun, SendRun
from invoicing.services import sending
from portal.core import runs, tasks
from portal.core.access import Role
from portal.core.changes import liveness
from portal.core.changes.engine import STALE_QUEUED_SECONDS
from portal.core.changes.timing import timing
from portal.core.periodic import beat_schedule
from portal.core.templatetags.portal import business_dt
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

START = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


class WorkerKilled(BaseException):
    """Stands for the worker's process dying (not an error the run could record)."""


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def workers(monkeypatch):
    """Start a worker process of the test's own: this process's sender becomes it (its heartbeat in the cache)."""
    started: list[liveness.Sender] = []

    def start() -> liveness.Sender:
        worker = liveness.Sender()
        started.append(worker)
        monkeypatch.setattr(liveness, "this_sender", lambda: worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def dies(worker: liveness.Sender) -> None:
    """The worker's process is killed (kill -9): it beats no more and its heartbeat lapses (at once here)."""
    worker.stop()
    cache.delete(liveness.alive_key(worker.id))


@pytest.fixture
def queued(monkeypatch) -> list[tuple[str, int]]:
    """The runs the reaper queues again: (task, run id)."""
    sent: list[tuple[str, int]] = []
    for task in (services.month_issue_task, services.month_send_task):
        monkeypatch.setattr(task, "delay", lambda run_id, name=task.name: sent.append((name, run_id)))
    return sent


@pytest.fixture
def both_billed(month):
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id,
        bill_to_name="Beta Clinic",
        bill_to_address="Kobe",
        invoice_email="ap@beta.example",
        language="en",
    )
    return month


def _reaped_after_two_looks(clock) -> None:
    assert runs.runs_reap_stale() == 0  # a first look: its heartbeat may be written again
    clock.shift(timing().lost_grace)
    assert runs.runs_reap_stale() == 1


def test_an_issue_run_whose_worker_died_goes_on_by_itself_and_the_page_says_when_it_stopped(
    both_billed, client_as, clock, workers, queued, monkeypatch
):
    render = document.invoice_pdf
    first = workers()

    def killed(invoice):
        raise WorkerKilled

    monkeypatch.setattr(document, "invoice_pdf", killed)
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    with pytest.raises(WorkerKilled):
        services.month_issue(run_id=run.pk)  # numbered both, died rendering
    assert [i.pdf_ready for i in IssuedInvoice.objects.all()] == [False, False]
    run.refresh_from_db()
    assert run.finished_at is None and run.worker == first.id

    # While its worker lives and works on it, however long, the run is left to it.
    with first.holding(runs.held(run)):
        assert runs.runs_reap_stale() == 0
        clock.shift(timing().stale_running * 2)
        first.beat()  # as its heartbeat thread does while time passes
        assert runs.runs_reap_stale() == 0
    assert queued == []

    dies(first)
    _reaped_after_two_looks(clock)
    assert queued == [(services.month_issue_task.name, run.pk)]
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert 'data-testid="run-stopped"' in page and "no worker is working on it" in page
    assert client.get(reverse("invoicing:pdf", kwargs={"number": 1})).status_code == 409

    # The next worker takes the queued run up: no one pressed anything.
    monkeypatch.setattr(document, "invoice_pdf", render)
    clock.shift(dt.timedelta(seconds=30))
    second = workers()
    services.month_issue(run_id=run.pk)
    run.refresh_from_db()
    assert run.finished_at is not None and run.rendered == 2 and run.worker == second.id
    assert run.stopped_at is not None and run.resumed_at > run.stopped_at
    assert all(i.pdf_ready for i in IssuedInvoice.objects.all())
    assert list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert client.get(reverse("invoicing:pdf", kwargs={"number": 1}))["Content-Type"] == "application/pdf"
    page = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    stopped, resumed = business_dt(run.stopped_at), business_dt(run.resumed_at)
    assert (
        f"Issuing stopped at {stopped} when its worker was gone, and went on by itself at {resumed}." in page
    )
    assert runs.runs_reap_stale() == 0  # finished: nothing more to do


def test_a_send_run_whose_worker_died_sends_the_rest_and_leaves_the_cut_short_one_to_a_person(
    both_billed, client_as, clock, workers, queued, monkeypatch
):
    issue = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=issue.pk)
    first = workers()
    message = services.invoice_message

    def killed_while_sending(invoice, *, to):
        raise WorkerKilled  # the attempt is recorded as under way, then the worker dies

    monkeypatch.setattr(sending, "invoice_message", killed_while_sending)
    run = services.month_send_request(user=make_persona(Role.FINANCE), **M)
    with pytest.raises(WorkerKilled):
        services.month_send(run_id=run.pk)
    cut = InvoiceSending.objects.get()
    assert cut.outcome == InvoiceSending.Outcome.SENDING and cut.sender == first.id

    dies(first)
    _reaped_after_two_looks(clock)
    assert queued == [(services.month_send_task.name, run.pk)]
    cut.refresh_from_db()
    assert (cut.outcome, cut.failure) == (
        InvoiceSending.Outcome.FAILED,
        "interrupted",
    )  # at once, not in 15 min
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    assert 'data-testid="run-stopped"' in page and "no worker is working on it" in page

    monkeypatch.setattr(sending, "invoice_message", message)
    clock.shift(dt.timedelta(seconds=30))
    workers()
    services.month_send(run_id=run.pk)
    run.refresh_from_db()
    assert (run.done, run.failed) == (1, 1) and run.finished_at is not None
    # The other invoice went out; the one cut short (it may have gone out) was not sent again by itself.
    other = ({"ap@alpha.example", "ap@beta.example"} - {cut.to}).pop()
    assert [m.to for m in mail.outbox] == [[other]]
    page = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    assert "went on by itself at" in page and "it may not have gone out" in page


def test_a_run_no_worker_took_is_queued_again(month, clock, queued):
    run = IssueRun.objects.create(**M, total=1)  # queued, and its task lost with the broker's worker
    assert runs.runs_reap_stale() == 0
    clock.shift(dt.timedelta(seconds=STALE_QUEUED_SECONDS + 1))
    assert runs.runs_reap_stale() == 1 and queued == [(services.month_issue_task.name, run.pk)]
    assert runs.runs_reap_stale() == 0  # not taken yet: queued again only after as long again
    clock.shift(dt.timedelta(seconds=STALE_QUEUED_SECONDS + 1))
    assert runs.runs_reap_stale() == 1 and len(queued) == 2
    assert not SendRun.objects.exists()


def test_the_change_reapers_tick_reaps_the_runs_too(month, clock, queued):
    """One reaper: the beat's change reaper (`changes-reap-stale`) looks after the contributed runs as well."""
    run = IssueRun.objects.create(**M, total=1)
    clock.shift(dt.timedelta(seconds=STALE_QUEUED_SECONDS + 1))
    tasks.changes_reap_stale()
    assert queued == [(services.month_issue_task.name, run.pk)]
    assert beat_schedule()["changes-reap-stale"]["task"] == "portal.core.changes.reap_stale"
    assert not any(entry["task"] == "invoicing.reap_runs" for entry in beat_schedule().values())
