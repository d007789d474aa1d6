"""The change engine alone, in the fast tier: each promise of docs/writes.md proven on its own.

No sandbox, no worker: the engine drives two declared `Change`s (a real declaration, contributed to the
registry for the test and withdrawn after it) that act on a tiny in-memory service through a stub client. The
stub stands in for `PartnerClient`: it records every call and answers, or raises the real `partner_api` errors
(a timeout whose outcome is unknown, a refusal with the API's words, a 404). The engine finds it through its
one seam, `get_client`. The test process is the sender, its heartbeat in the test's own cache; a killed sender
stops beating and its heartbeat lapses (`dies`). Time is frozen and moved to each read-back's due time, as the
delayed task would run it, and to each run of the reaper. Each test asserts what a user would notice: the
operation's state and message, the audit trail, how many times the change was sent, and whether the cache was
brought up to date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from partner_api import Exchange, NotFoundError, OutcomeUnknownError, PartnerApiError, RejectedError
from partner_api.errors import ServerError
from portal.core import changes, tasks
from portal.core.changes import engine, liveness
from portal.core.changes.timing import timing
from portal.core.contrib import contribute
from portal.core.models import AuditEntry, Operation

pytestmark = pytest.mark.django_db

UPDATE, DELETE = "testUpdateProfile", "testDeleteProfile"
CUSTOMER, OTHER_CUSTOMER = 7001, 7002
START = dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC)


class WorkerKilled(BaseException):
    """The worker process died in the middle of a call (kill -9): nothing after it runs, no handler sees it."""


class StubClient:
    """Stands in for `PartnerClient`: a profile per customer, held in `api`; every call is recorded in `calls`;
    `answer_next(method, error, applied=...)` makes the next call of a method raise, before or after the
    service acted (a timeout after the change was applied: LINE WORKS has it, the portal never heard)."""

    def __init__(self, api: dict[int, dict[str, Any]]) -> None:
        self.api = api
        self.calls: list[str] = []
        self._next: dict[str, list[tuple[BaseException, bool]]] = defaultdict(list)
        self._meanwhile: dict[str, Any] = {}
        self._exchange: Exchange | None = None

    def answer_next(self, method: str, error: BaseException, *, applied: bool = False) -> None:
        self._next[method].append((error, applied))

    def meanwhile(self, method: str, happen) -> None:
        """`happen()` runs while the next call of `method` waits for its answer (a slow call)."""
        self._meanwhile[method] = happen

    def sent(self, method: str) -> int:
        return self.calls.count(method)

    def exchange(self, send) -> Exchange:
        """As `PartnerClient.exchange()`: the one write `send(self)` makes, as sent, with its answer."""
        self._exchange = None
        try:
            reply = send(self)
        except PartnerApiError as exc:
            exc.exchange = self._exchange
            raise
        assert self._exchange is not None, "a change's send makes exactly one client call"
        self._exchange.reply = reply
        return self._exchange

    # The Partner API's calls the fake changes make.

    def update_profile(self, *, domain_id: int, values: dict[str, Any]) -> dict[str, Any]:
        def act():
            self._profile(domain_id).update(values)
            return {"domainId": domain_id, **self.api[domain_id]}

        return self._call("update_profile", UPDATE, {"profile": values}, act)

    def delete_profile(self, *, domain_id: int) -> None:
        def act():
            self._profile(domain_id)
            del self.api[domain_id]

        return self._call("delete_profile", DELETE, {}, act)

    def get_profile(self, *, domain_id: int) -> dict[str, Any]:
        return self._call("get_profile", "testGetProfile", None, lambda: dict(self._profile(domain_id)))

    def _profile(self, domain_id: int) -> dict[str, Any]:
        if domain_id not in self.api:
            raise NotFoundError(status=404, code="NOT_FOUND", description="The profile does not exist.")
        return self.api[domain_id]

    def _call(self, method: str, operation_id: str, body: dict | None, act):
        self.calls.append(method)
        if body is not None:
            self._exchange = Exchange(operation_id, sent=body)
        if (happen := self._meanwhile.pop(method, None)) is not None:
            happen()
        error, applied = self._next[method].pop(0) if self._next[method] else (None, False)
        if error is not None and not applied:
            raise error
        reply = act()
        if error is not None:
            raise error
        if self._exchange is not None:
            self._exchange.status = 200
        return reply


@dataclass
class Fake:
    """The fake app: LINE WORKS' side (`api`, behind `client`) and the portal's cache of it (`cache`), which
    only the declarations' `apply` writes; `applied` lists each apply."""

    api: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {c: {"colour": "white", "size": 1} for c in (CUSTOMER, OTHER_CUSTOMER)}
    )
    cache: dict[int, dict[str, Any]] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = StubClient(self.api)
        self.cache.update({c: dict(p) for c, p in self.api.items()})

    def declarations(self) -> list[changes.Change]:
        """Declared as an app's changes.py declares its writes (no refresh: there is no customer to read)."""

        def apply_update(args, reply):
            self.applied.append(UPDATE)
            self.cache[args["domain_id"]].update(args["values"])

        def read_back_update(client, args):
            profile = client.get_profile(domain_id=args["domain_id"])
            return profile if args["values"].items() <= profile.items() else None

        def apply_delete(args, reply):
            self.applied.append(DELETE)
            self.cache.pop(args["domain_id"], None)

        def read_back_delete(client, args):
            client.get_profile(domain_id=args["domain_id"])  # a 404 here: gone
            return None

        return [
            changes.Change(
                UPDATE,
                send=lambda client, args: client.update_profile(
                    domain_id=args["domain_id"], values=args["values"]
                ),
                read_back=read_back_update,
                apply=apply_update,
                field_hints={"colour": "colour"},
                refresh=False,
                target=lambda args: frozenset(args["values"]),
            ),
            changes.Change(
                DELETE,
                send=lambda client, args: client.delete_profile(domain_id=args["domain_id"]),
                read_back=read_back_delete,
                apply=apply_delete,
                deletes=True,
                refresh=False,
            ),
        ]


@pytest.fixture
def fake(monkeypatch):
    """The fake changes contributed for this test only, and the stub client the engine gets."""
    fake = Fake()
    contribute("tests", changes=fake.declarations())
    monkeypatch.setattr(engine, "get_client", lambda **_: fake.client)
    yield fake
    contribute("tests", changes=[])


@pytest.fixture
def sender(monkeypatch):
    """This process as a sender of its own for the test (its heartbeat in the test's cache); stopped after."""
    me = liveness.Sender()
    monkeypatch.setattr(liveness, "this_sender", lambda: me)
    yield me
    me.stop()


def dies(sender: liveness.Sender) -> None:
    """The sender's process is killed (kill -9): it beats no more and its heartbeat lapses (at once here)."""
    sender.stop()
    cache.delete(liveness.alive_key(sender.id))


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tasks_sent(monkeypatch) -> list[tuple[str, dict, int | None]]:
    """The tasks the engine sends once its transaction commits: (name, kwargs, countdown)."""
    sent: list[tuple[str, dict, int | None]] = []
    monkeypatch.setattr(
        tasks.change_run, "delay", lambda **kw: sent.append((tasks.change_run.name, kw, None))
    )
    monkeypatch.setattr(
        tasks.change_reconcile,
        "apply_async",
        lambda kwargs, countdown: sent.append((tasks.change_reconcile.name, kwargs, countdown)),
    )
    return sent


def timeout() -> OutcomeUnknownError:
    return OutcomeUnknownError(operation_id=UPDATE)


def refusal(description: str) -> RejectedError:
    return RejectedError(operation_id=UPDATE, status=400, code="INVALID_PARAMETER", description=description)


def update(values: dict, *, key="a" * 32, domain_id=CUSTOMER, later=False, user=None, reason=""):
    """The update's form submitted: sent in the request (operation, apply's value), or queued (operation)."""
    submit = changes.change_later if later else changes.change_now
    args = {"domain_id": domain_id, "values": values}
    return submit(UPDATE, user=user, idempotency_key=key, domain_id=domain_id, args=args, reason=reason)


def update_lost(fake: Fake, values: dict, *, key: str, domain_id: int = CUSTOMER) -> Operation:
    """A change sent, not applied, its answer lost (a timeout): the operation the engine left unknown."""
    fake.client.answer_next("update_profile", timeout())
    with pytest.raises(changes.ChangeOutcomeUnknown) as unknown:
        update(values, key=key, domain_id=domain_id)
    assert unknown.value.operation is not None
    return unknown.value.operation


def try_when_due(operation: Operation, clock) -> bool | None:
    """The read-back the engine scheduled (kept on the operation), made at its due time, as its task would."""
    operation.refresh_from_db()
    clock.move_to(operation.check_after)
    return changes.change_reconcile(operation_pk=str(operation.pk), attempt=operation.check_attempt)


def entries(operation_id: str = UPDATE) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation_id=operation_id).order_by("id"))


# --- 1. Claimed once per idempotency key ------------------------------------------------------------------


def test_a_second_submission_of_the_same_form_finds_its_operation_and_sends_nothing(fake, clock):
    operation, _ = update({"colour": "red"})
    assert operation.status == Operation.Status.SUCCEEDED

    with pytest.raises(changes.AlreadySubmitted) as again:
        update({"colour": "red"})
    assert again.value.operation.pk == operation.pk
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.SUCCEEDED
    assert fake.client.sent("update_profile") == 1 and len(entries()) == 1 and fake.applied == [UPDATE]


def test_a_queued_change_submitted_twice_is_queued_once_and_sent_once(
    fake, clock, tasks_sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = update({"size": 5}, later=True, key="q" * 32)
    with django_capture_on_commit_callbacks(execute=True):
        second = update({"size": 5}, later=True, key="q" * 32)
    assert second.pk == first.pk and second.status == Operation.Status.QUEUED
    assert tasks_sent == [("portal.core.changes.run", {"operation_id": str(first.pk)}, None)]

    tasks.change_run(operation_id=str(first.pk))  # the worker
    tasks.change_run(operation_id=str(first.pk))  # a second copy of the task
    assert Operation.objects.get(pk=first.pk).status == Operation.Status.SUCCEEDED
    assert fake.client.sent("update_profile") == 1 and fake.cache[CUSTOMER]["size"] == 5


def test_only_a_refused_change_may_be_claimed_again_and_the_corrected_one_is_sent(fake, clock):
    fake.client.answer_next("update_profile", refusal("colour must be one of white, red, blue."))
    with pytest.raises(changes.ChangeRefused):
        update({"colour": "mauve"}, key="r" * 32)
    refused = Operation.objects.get(idempotency_key__endswith="r" * 32)
    assert refused.status == Operation.Status.FAILED

    corrected, _ = update({"colour": "blue"}, key="r" * 32)  # the same form, corrected
    assert corrected.pk == refused.pk and corrected.status == Operation.Status.SUCCEEDED
    assert corrected.error == "" and corrected.params["args"]["values"] == {"colour": "blue"}
    assert fake.client.sent("update_profile") == 2 and fake.cache[CUSTOMER]["colour"] == "blue"

    # Neither a change that succeeded nor one whose outcome is open may be claimed again.
    with pytest.raises(changes.AlreadySubmitted):
        update({"colour": "red"}, key="r" * 32)
    unknown = update_lost(fake, {"colour": "red"}, key="o" * 32)
    with pytest.raises(changes.AlreadySubmitted) as again:
        update({"colour": "red"}, key="o" * 32)
    assert again.value.operation.pk == unknown.pk
    assert Operation.objects.get(pk=unknown.pk).status == Operation.Status.UNKNOWN
    assert fake.client.sent("update_profile") == 3  # the refused, the corrected and the unknown one


# --- 2. A refusal -----------------------------------------------------------------------------------------


def test_a_refused_change_fails_with_the_apis_words_is_recorded_and_applies_nothing(
    fake, clock, account_manager
):
    fake.client.answer_next("update_profile", refusal("colour must be one of white, red, blue."))
    with pytest.raises(changes.ChangeRefused) as refused:
        update({"colour": "mauve"}, user=account_manager, reason="Ticket 42")
    assert refused.value.field == "colour"  # the form marks the field the API named

    operation = Operation.objects.get(kind=UPDATE)
    assert operation.status == Operation.Status.FAILED and operation.finished_at is not None
    assert "LINE WORKS refused the change" in operation.error
    assert "colour must be one of white, red, blue." in operation.error

    [entry] = entries()
    assert entry.outcome == AuditEntry.Outcome.REFUSED and entry.response_status == 400
    assert entry.request_summary == {"profile": {"colour": "mauve"}}
    assert entry.response_body == {
        "code": "INVALID_PARAMETER",
        "description": "colour must be one of white, red, blue.",
    }
    assert (entry.actor, entry.reason, entry.domain_id) == (account_manager, "Ticket 42", CUSTOMER)

    assert fake.applied == [] and fake.cache[CUSTOMER]["colour"] == "white"
    assert fake.client.calls == ["update_profile"]  # refused: nothing to read back


# --- 3. An unknown outcome is read back, never sent again -------------------------------------------------


def test_an_unknown_outcome_read_back_at_once_and_found_succeeds_sent_and_applied_once(fake, clock):
    fake.client.answer_next("update_profile", timeout(), applied=True)
    operation, _ = update({"colour": "red", "size": 3})

    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"] is True
    assert fake.client.calls == ["update_profile", "get_profile"]
    assert fake.applied == [UPDATE] and fake.cache[CUSTOMER] == {"colour": "red", "size": 3}
    [entry] = entries()
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN and entry.response_status is None
    assert entry.request_summary == {"profile": {"colour": "red", "size": 3}}


def test_a_change_applied_marks_its_customer_written_for_the_copies_derived_from_the_cache(fake, clock):
    from portal.core.copies import copies_changed_since

    start = timezone.now()
    operation, _ = update({"colour": "blue", "size": 1})
    assert operation.status == Operation.Status.SUCCEEDED
    assert copies_changed_since(start) == {operation.domain_id}


def test_an_unknown_outcome_not_found_yet_is_read_back_when_due_and_succeeds_when_found(
    fake, clock, tasks_sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        operation = update_lost(fake, {"colour": "red"}, key="u" * 32)
    assert operation.status == Operation.Status.UNKNOWN
    assert "may or may not have been applied" in operation.error
    assert "do not send it again until it knows" in operation.error
    first, second, _last = timing().read_backs
    assert operation.check_after == START + dt.timedelta(seconds=first)
    assert tasks_sent == [
        ("portal.core.changes.reconcile", {"operation_pk": str(operation.pk), "attempt": 0}, first)
    ]
    assert fake.applied == []

    assert try_when_due(operation, clock) is None  # 10 s later: still nothing
    operation.refresh_from_db()
    assert operation.status == Operation.Status.UNKNOWN
    assert operation.check_after == START + dt.timedelta(seconds=first + second)
    # The first try's task delivered again late: the second try is the one scheduled, nothing is read.
    assert changes.change_reconcile(operation_pk=str(operation.pk), attempt=0) is None
    assert fake.client.sent("get_profile") == 2

    fake.api[CUSTOMER]["colour"] = "red"  # LINE WORKS shows it applied now
    assert try_when_due(operation, clock) is True
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"] is True
    assert fake.client.sent("update_profile") == 1 and fake.applied == [UPDATE]
    assert fake.cache[CUSTOMER]["colour"] == "red"


def test_an_unknown_outcome_never_found_fails_after_the_last_try_and_may_then_be_sent_again(
    fake, clock, settings
):
    operation = update_lost(fake, {"colour": "red"}, key="u" * 32)
    tries = []
    for _ in timing().read_backs:
        outcome = try_when_due(operation, clock)
        tries.append((timezone.now() - START, outcome, Operation.objects.get(pk=operation.pk).status))
    unknown, failed = Operation.Status.UNKNOWN, Operation.Status.FAILED
    assert [(outcome, status) for _after, outcome, status in tries] == [
        (None, unknown),
        (None, unknown),
        (False, failed),
    ]
    # Settled as a change whose sender died is: its last read-back answered within CHANGES_SETTLE_SECONDS (two
    # minutes) of the answer that left the outcome open, not four.
    last_try = tries[-1][0].total_seconds()
    assert last_try + timing().call <= settings.CHANGES_SETTLE_SECONDS == 120

    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    assert operation.error == (
        "LINE WORKS did not apply this change (it was checked several times after the answer was lost). "
        "You can send it again."
    )
    assert fake.client.sent("update_profile") == 1 and fake.client.sent("get_profile") == 4
    assert fake.applied == [] and fake.cache[CUSTOMER]["colour"] == "white"

    again, _ = update({"colour": "red"}, key="u" * 32)  # "you can send it again": the same form
    assert again.pk == operation.pk and again.status == Operation.Status.SUCCEEDED
    assert fake.client.sent("update_profile") == 2 and fake.cache[CUSTOMER]["colour"] == "red"


def _activity_rows(client, **query) -> list[tuple[str, str]]:
    """Activity's rows as a person reads them: (outcome, the change's link or "")."""
    from django.urls import reverse

    html = client.get(reverse("core:activity"), {"owner": "all", **query}).content.decode()
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if body else []
    return [
        (
            re.search(r'<td><span class="[^"]*">([^<]*)</span></td>', row).group(1),
            (re.search(r'<a href="(/operations/[^"]+/)">', row) or re.match("()", "")).group(1),
        )
        for row in rows
    ]


def test_activity_says_what_a_change_answered_500_was_settled_as_and_links_its_page(fake, clock, client_as):
    """Activity kept "Outcome unknown · 500" for a change the portal had since settled as Failed, and its row
    had no link to the change's page, where the settled state is said."""
    from portal.core.access import Role

    fake.client.answer_next(
        "update_profile", ServerError(operation_id=UPDATE, status=500, outcome_unknown=True)
    )
    with pytest.raises(changes.ChangeOutcomeUnknown) as unknown:
        update({"colour": "red"}, key="s" * 32)
    lost = unknown.value.operation
    manager, support = client_as(Role.ACCOUNT_MANAGER), client_as(Role.SUPPORT)
    page = f"/operations/{lost.pk}/"
    assert _activity_rows(manager) == [("Outcome unknown", page)]
    # Said the same way on the change's page.
    assert 'data-testid="operation-status">Outcome unknown<' in manager.get(page).content.decode()
    for _ in timing().read_backs:
        try_when_due(lost, clock)
    assert Operation.objects.get(pk=lost.pk).status == Operation.Status.FAILED

    assert _activity_rows(manager) == [("Failed", page)]  # as its page says, with the answer it got (500)
    assert _activity_rows(manager, outcome="failed") == [("Failed", page)]
    assert _activity_rows(manager, outcome="unknown") == []
    assert _activity_rows(support) == [("Failed", "")]  # Support reads no change's page
    # The home page's recent activity says it too, beside its "Changes unknown or failed".
    home = support.get("/").content.decode()
    recent = re.search(r'<section[^>]*data-work="activity".*?</section>', home, re.S).group(0)
    assert ">Failed<" in recent and "Outcome unknown" not in recent
    # Sent again with the same form ("you can send it again"): the first attempt stays Failed.
    update({"colour": "red"}, key="s" * 32)
    assert _activity_rows(manager) == [("Succeeded", page), ("Failed", page)]
    assert [e.response_status for e in entries()] == [500, 200]


# --- 4. Superseded by a later change that sets everything it set -------------------------------------------


def test_an_unknown_change_a_later_one_covers_is_superseded_and_one_it_does_not_cover_fails(fake, clock):
    lost = update_lost(fake, {"colour": "red", "size": 2}, key="l" * 32)
    other = update_lost(fake, {"colour": "red", "size": 2}, key="l" * 32, domain_id=OTHER_CUSTOMER)
    clock.shift(1)

    partial, _ = update({"colour": "blue"}, key="p" * 32)  # sets only part of what `lost` set
    update({"colour": "blue"}, key="q" * 32, domain_id=OTHER_CUSTOMER)
    clock.shift(1)
    later, _ = update({"colour": "green", "size": 3}, key="n" * 32)  # sets all of it, and more

    for _ in timing().read_backs:
        try_when_due(lost, clock)
        try_when_due(other, clock)

    lost.refresh_from_db()
    assert lost.status == Operation.Status.SUPERSEDED and lost.is_finished and lost.error == ""
    assert lost.result["superseded_by"] == str(later.pk) != str(partial.pk)
    other.refresh_from_db()
    assert other.status == Operation.Status.FAILED and "You can send it again." in other.error
    assert fake.client.sent("update_profile") == 5  # each sent once, none again
    assert fake.cache[CUSTOMER] == {"colour": "green", "size": 3}  # the later one's, untouched since


# --- 5. The reaper: a lost sender ----------------------------------------------------------------------


def reap_until_found(clock, seconds: float) -> float:
    """The reaper at its period, on the frozen clock, until it finds something: the seconds it took."""
    waited = 0.0
    while changes.changes_reap_stale() == 0:
        assert waited < seconds, "the reaper found nothing in time"
        clock.shift(timing().reap_every)
        waited += timing().reap_every
    return waited


@pytest.mark.parametrize("applied", [True, False], ids=["applied-before-death", "never-applied"])
@pytest.mark.parametrize("sent_by", ["worker", "web"])
def test_a_running_change_whose_sender_died_is_read_back_at_the_next_reaps_never_sent_again(
    fake, clock, sender, applied, sent_by
):
    fake.client.answer_next("update_profile", WorkerKilled(), applied=applied)
    with pytest.raises(WorkerKilled):
        if sent_by == "worker":
            changes.change_run(operation_pk=str(update({"size": 9}, later=True, key="w" * 32).pk))
        else:
            update({"size": 9}, key="w" * 32)  # sent in the request: the web process dies
    operation = Operation.objects.get(kind=UPDATE)
    assert operation.worker == sender.id
    dies(sender)
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.RUNNING

    # Two looks a reaper's period apart find its heartbeat gone; the read-back follows at once.
    t = timing()
    assert reap_until_found(clock, seconds=t.settle) <= t.reap_every
    assert t.heartbeat_ttl + 2 * t.reap_every + t.call <= t.settle == 120

    operation.refresh_from_db()
    if applied:
        assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"] is True
        assert fake.applied == [UPDATE] and fake.cache[CUSTOMER]["size"] == 9
    else:
        assert operation.status == Operation.Status.UNKNOWN
        assert "The portal stopped while sending this change" in operation.error
        assert [try_when_due(operation, clock) for _ in range(2)] == [None, False]  # the tries left
        operation.refresh_from_db()
        assert operation.status == Operation.Status.FAILED and "You can send it again." in operation.error
        assert fake.applied == [] and fake.cache[CUSTOMER]["size"] == 1
    assert fake.client.sent("update_profile") == 1
    assert entries() == []  # the dead worker recorded nothing, and nothing was sent since
    assert changes.changes_reap_stale() == 0  # found once


def test_a_live_sender_whose_call_is_slow_is_never_reaped(fake, clock, sender):
    """However long the answer takes (here far longer than the client's timeouts would let it), a sender whose
    heartbeat lives and holds the change keeps it: the reaper leaves it running, and it settles as answered."""
    operation = update({"size": 6}, later=True, key="s" * 32)
    seen: list[tuple[str, int]] = []

    def reaper_meanwhile():
        for _ in range(5):
            clock.shift(timing().stale_running)
            sender.beat()  # as its heartbeat thread does while time passes (the clock is frozen here)
            seen.append((Operation.objects.get(pk=operation.pk).status, changes.changes_reap_stale()))

    fake.client.meanwhile("update_profile", reaper_meanwhile)
    changes.change_run(operation_pk=str(operation.pk))
    assert seen == [(Operation.Status.RUNNING, 0)] * 5
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED and "read_back" not in operation.result
    assert fake.client.calls == ["update_profile"] and fake.cache[CUSTOMER]["size"] == 6


def test_a_change_its_live_sender_gave_up_unsettled_is_read_back(fake, clock, sender):
    """The process lives on, but the thread sending the change left it unsettled (an error the engine did not
    expect): its heartbeat no longer holds the change, so the reaper reads it back as for a dead sender."""
    operation = update({"size": 8}, later=True, key="g" * 32)
    fake.client.answer_next("update_profile", WorkerKilled(), applied=True)
    with pytest.raises(WorkerKilled):
        changes.change_run(operation_pk=str(operation.pk))
    assert liveness.holds(sender.id, operation.pk) is False
    reap_until_found(clock, seconds=timing().settle)
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"] is True
    assert fake.client.calls == ["update_profile", "get_profile"]


def test_a_running_change_that_names_no_sender_is_reaped_after_the_longest_send(fake, clock):
    """A row claimed before senders were recorded: found only once no live sender could still be on it."""
    operation = update({"size": 2}, later=True, key="n" * 32)
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.RUNNING, worker="")
    clock.shift(timing().stale_running - 1)
    assert changes.changes_reap_stale() == 0
    clock.shift(2)
    assert changes.changes_reap_stale() == 1
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.UNKNOWN
    assert fake.client.calls == ["get_profile"]  # read back, never sent


# --- 6. A redelivered task -------------------------------------------------------------------------------


def test_a_redelivered_task_reconciles_instead_of_sending_again(fake, clock, sender, monkeypatch):
    assert tasks.change_run.acks_late and tasks.change_run.reject_on_worker_lost  # so the broker redelivers
    operation = update({"size": 4}, later=True, key="d" * 32)
    fake.client.answer_next("update_profile", WorkerKilled(), applied=True)
    with pytest.raises(WorkerKilled):
        tasks.change_run(operation_id=str(operation.pk))
    first = Operation.objects.get(pk=operation.pk).worker

    # A copy while its sender lives and holds it: nothing happens to it.
    with sender.holding(operation.pk):
        clock.shift(timing().stale_running * 2)
        sender.beat()  # as its heartbeat thread does while time passes
        tasks.change_run(operation_id=str(operation.pk))
        tasks.change_run(operation_id=str(operation.pk))
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.RUNNING

    dies(sender)  # its worker died; the copies come back from the broker to the next worker
    next_worker = liveness.Sender()
    monkeypatch.setattr(liveness, "this_sender", lambda: next_worker)
    try:
        tasks.change_run(operation_id=str(operation.pk))  # a first look finds its sender gone
        assert Operation.objects.get(pk=operation.pk).status == Operation.Status.RUNNING
        clock.shift(timing().lost_grace)
        tasks.change_run(operation_id=str(operation.pk))  # still gone: read back
    finally:
        next_worker.stop()
    operation.refresh_from_db()
    assert operation.worker == first and operation.status == Operation.Status.SUCCEEDED
    assert operation.result["read_back"] is True
    assert fake.client.calls == ["update_profile", "get_profile"]
    assert fake.applied == [UPDATE] and fake.cache[CUSTOMER]["size"] == 4


# --- 7. A delete: a 404 means done ----------------------------------------------------------------------


def delete_now(key: str, domain_id: int = CUSTOMER):
    return changes.change_now(
        DELETE, user=None, idempotency_key=key, domain_id=domain_id, args={"domain_id": domain_id}
    )


def test_a_delete_answered_404_is_done_and_the_cache_forgets_it(fake, clock):
    del fake.api[CUSTOMER]  # gone already: an earlier attempt applied it and its answer was lost
    operation, _ = delete_now("x" * 32)
    assert operation.status == Operation.Status.SUCCEEDED and operation.error == ""
    assert fake.applied == [DELETE] and CUSTOMER not in fake.cache
    [entry] = entries(DELETE)
    assert entry.response_status == 404  # the answer as it came, recorded

    # A delete whose answer was lost and whose read-back gets a 404 is done too.
    fake.client.answer_next("delete_profile", timeout(), applied=True)
    operation, _ = delete_now("y" * 32, domain_id=OTHER_CUSTOMER)
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"] is True
    assert OTHER_CUSTOMER not in fake.cache and fake.client.sent("delete_profile") == 2

    # Only for a change that deletes: an update answered 404 is refused, not done.
    with pytest.raises(changes.ChangeRefused):
        update({"colour": "red"}, key="z" * 32)
    assert Operation.objects.get(kind=UPDATE).status == Operation.Status.FAILED
    assert fake.applied == [DELETE, DELETE]
