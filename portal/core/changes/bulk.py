"""Bulk changes: one action with one set of values over many rows of a list, checked before anything is sent.

Apps contribute `BulkAction`s (`contribute(app, bulk_actions=[...])`): the list they apply to, the form of
the action's values, `check(row, values)` (the dry run: before -> after and the side effects, or the
contract's rule that refuses the row, read from the cache, sending nothing) and what a row sends: a declared
`Change` (`operation_id` and `args`) or, for the portal's own data, a service (`write`).

A `Batch` is made as a dry run (`batch_check`); `batch_send` checks each ticked row again against the cache
and sends nothing when any changed (the rows are returned, their new check stored), else queues each row as
its own Operation through `change_later`, under a key derived from the batch and the row: the engine sends it
once, paced by the client's rate limiter, reads back an open outcome, and the reaper picks up a row whose
worker died (a QUEUED row is queued again, a RUNNING one read back once the worker's heartbeat lapsed), so no
row is sent twice or forgotten.
`batch_stop` stops the rows not sent yet (a QUEUED operation becomes STOPPED; a runner only claims QUEUED
ones); `batch_resume` checks those rows again and queues them again under their same keys (a stopped operation
was never sent); a row sent before (applied, refused, outcome unknown) is never sent again. A running batch holds its rows: another batch on them is refused, naming them.
`batch_retry` makes a new dry run of the rows that failed (sent, not applied), with the batch's values.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop, ngettext

from portal.core.access import Perm, check
from portal.core.changes.engine import change_later
from portal.core.changes.spec import stated_effects
from portal.core.contrib import contributions
from portal.core.formbase import PortalForm
from portal.core.lists import by_customer_filters
from portal.core.models import Batch, BatchRow, Operation


@dataclass(frozen=True)
class RowCheck:
    """What the dry run found for one row: (what, before, after) lines and side effects, or why it is refused."""

    changes: Sequence[tuple[str, str, str]] = ()
    side_effects: Sequence[str] = ()
    refusal: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "changes": [[str(w), str(b), str(a)] for w, b, a in self.changes],
            "side_effects": [str(s) for s in self.side_effects],
            "refusal": str(self.refusal),
        }


class BulkValuesForm(PortalForm):
    """The values a bulk action asks for once, for every chosen row (`BulkAction.form`): built with the person who
    asks (`user`, for a form that offers only what they may choose). A date chosen is kept as ISO text: the batch
    keeps its values as JSON."""

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, dt.date):
                data[name] = value.isoformat()
        return data


@dataclass(frozen=True)
class BulkAction:
    """A bulk action an app offers on one of its lists."""

    #: Unique, in URLs: "subscriptions.renewal".
    key: str
    label: str | Promise
    #: The list it applies to ("subscriptions"); that list's rows are keyed by `key_of`.
    list_name: str
    #: The URL name of that list's page (the way back).
    list_url: str
    #: Who may start it (besides core's RUN_BATCHES).
    perm: Perm
    #: The action's values: a form taking `user=` (a PortalForm); its cleaned_data must be JSON-safe.
    form: type[BulkValuesForm]
    #: select(request) -> the rows of the list filtered as the request's query (the list page's) says: "all N
    #: matching this filter".
    select: Callable[[Any], QuerySet]
    #: read(user, keys) -> {key: row} from the cache (rows gone from it are left out).
    read: Callable[[Any, Sequence[str]], Mapping[str, Any]]
    key_of: Callable[[Any], str]
    #: describe(row) -> how a person names the row ("Example Corp · Standard, 8").
    describe: Callable[[Any], str]
    domain_id: Callable[[Any], int | None]
    #: check(row, values) -> RowCheck: the dry run of one row (the app's rules.py, the cache; nothing sent).
    check: Callable[[Any, Mapping[str, Any]], RowCheck]
    #: A row sends this declared change, with args(row, values) ...
    operation_id: str | None = None
    args: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = None
    #: ... or is the portal's own data, written by write(actor, row, values) -> True (changed) / False (was so);
    #: it raises `refused` (an exception class) with a message a person can act on.
    write: Callable[[Any, Any, Mapping[str, Any]], bool] | None = None
    refused: tuple[type[Exception], ...] = field(default=())
    #: destroys(values) -> whether the rows lose something (not renewing): the dry run's Confirm is red.
    destroys: Callable[[Mapping[str, Any]], bool] = lambda values: False
    #: prepare(rows, values) -> values: read once per dry run, before the rows are checked, for what depends on
    #: the chosen rows as a whole (rows dealt out in turn) or would otherwise be read for every row (people's
    #: names). The batch keeps what it returns; its checks and sends get it as their values.
    prepare: Callable[[Sequence[Any], Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: of_customers(user, domain_ids) -> the list's rows of those customers (a queryset of their domainIds), in
    #: the list's order: what the action takes from a group of customers (a saved view of the customer list,
    #: `BulkSource.group_of`). None: the action's rows are the customers themselves (keyed by domainId), or it
    #: takes no group.
    of_customers: Callable[[Any, QuerySet], QuerySet] | None = None

    def row_check(self, row: Any, values: Mapping[str, Any]) -> RowCheck:
        """The app's check, with the declared change's own side effects added (stated once, by the change)."""
        found = self.check(row, values)
        if found.refusal or not (self.operation_id and self.args):
            return found
        return RowCheck(
            changes=found.changes,
            side_effects=[*found.side_effects, *stated_effects(self.operation_id, self.args(row, values))],
        )


@dataclass(frozen=True)
class BulkSource:
    """A page that is not the list itself but whose rows are rows of a list with bulk actions (a worklist
    section's full list holds subscriptions): its selection bar carries `source="<prefix>:<name>"`, and "all N"
    there means the page's own rows, not the list's filter."""

    prefix: str
    #: keys(request, name, action) -> the keys (of `action.list_name`'s rows) the page `name` holds for the
    #: request's query, in its order; [] when its rows are not that list's.
    keys: Callable[[Any, str, BulkAction], list[str]]
    #: back(name) -> the page's URL (the way back from the values page).
    back: Callable[[str], str]
    #: count(request, name, action) -> how many of those rows the page holds, counted up to the lists' cap
    #: (one bounded count): "all N" past what a bulk change takes is refused without reading the rows.
    count: Callable[[Any, str, BulkAction], int] | None = None
    #: The URL name of the list whose saved views are its pages (a group of customers: "customers:list"), when
    #: its pages are saved views; the Views page then offers, on each such view, the actions it takes
    #: (`takes(action)`).
    group_of: str = ""
    takes: Callable[[BulkAction], bool] = lambda action: False


def bulk_source(source: str) -> tuple[BulkSource, str] | None:
    """The contributed source a bar's `source` value names ("work:renewal-decisions"), and the page's name."""
    prefix, _colon, name = source.partition(":")
    for found in contributions("bulk_sources"):
        if found.prefix == prefix and name:
            return found, name
    return None


class BatchRefused(Exception):
    """A batch that cannot be made or sent; the message says why, in words a person can act on."""

    def __init__(self, message: str, *, rows: Sequence[BatchRow] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.rows = list(rows)


def bulk_action(key: str) -> BulkAction | None:
    for action in contributions("bulk_actions"):
        if action.key == key:
            return action
    return None


def all_actions() -> tuple[BulkAction, ...]:
    return tuple(contributions("bulk_actions"))


def bulk_actions_for_any(*, user) -> list[BulkAction]:
    """Every bulk action a user may start, whichever its list."""
    from portal.core.access import can
    from portal.core.permissions import RUN_BATCHES

    if not can(user, RUN_BATCHES):
        return []
    return [a for a in contributions("bulk_actions") if can(user, a.perm)]


def bulk_actions_for(list_name: str, *, user) -> list[BulkAction]:
    """The actions a user may start on a list."""
    return [a for a in bulk_actions_for_any(user=user) if a.list_name == list_name]


def may_start(user, action: BulkAction) -> None:
    from portal.core.permissions import RUN_BATCHES

    check(user, RUN_BATCHES)
    check(user, action.perm)


#: Operations of a running batch that still hold their row.
_OPEN = (Operation.Status.QUEUED, Operation.Status.RUNNING, Operation.Status.UNKNOWN)


def held_rows(keys: Iterable[str], *, besides: Batch | None = None) -> list[BatchRow]:
    """Rows among `keys` that a running batch holds (its operation not settled yet)."""
    qs = BatchRow.objects.filter(
        key__in=list(keys), batch__state=Batch.State.RUNNING, operation__status__in=_OPEN
    ).select_related("batch")
    if besides is not None:
        qs = qs.exclude(batch=besides)
    return list(qs)


def _held_refusal(rows: Sequence[BatchRow]) -> BatchRefused:
    names = ", ".join(r.label for r in rows[:10])
    more = len(rows) - 10
    if more > 0:
        names += " " + ngettext("and %(n)d more", "and %(n)d more", more) % {"n": more}
    return BatchRefused(
        gettext("A bulk change being sent holds these rows; wait until it ends or stop it: %(rows)s")
        % {"rows": names},
        rows=rows,
    )


def batch_check(
    *, user, action: BulkAction, values: Mapping[str, Any], keys: Sequence[str], reason: str = ""
) -> Batch:
    """The dry run: a Batch (CHECKED) whose rows hold what each would change, or why it would be refused.
    Sends nothing. Refused: no rows, more than BULK_MAX_ROWS, or rows a running batch holds."""
    may_start(user, action)
    keys = list(dict.fromkeys(keys))
    if not keys:
        raise BatchRefused(gettext("Choose at least one row."))
    if len(keys) > settings.BULK_MAX_ROWS:
        raise BatchRefused(
            gettext(
                "%(count)d rows are chosen; a bulk change takes at most %(max)d. Narrow the filter, "
                "or choose fewer rows."
            )
            % {"count": len(keys), "max": settings.BULK_MAX_ROWS}
        )
    rows = action.read(user, keys)
    if not rows:
        raise BatchRefused(
            gettext("None of the chosen rows is in the portal (any more). Choose them on the list again.")
        )
    # Among the rows the user may read: the refusal names them.
    held = held_rows(f"{action.list_name}:{k}" for k in keys if k in rows)
    if held:
        raise _held_refusal(held)
    if action.prepare is not None:
        values = action.prepare([rows[k] for k in keys if k in rows], values)
    with transaction.atomic():
        batch = Batch.objects.create(requested_by=user, action=action.key, values=dict(values), reason=reason)
        BatchRow.objects.bulk_create(
            [
                BatchRow(
                    batch=batch,
                    key=f"{action.list_name}:{key}",
                    position=i,
                    domain_id=action.domain_id(rows[key]),
                    label=action.describe(rows[key]),
                    found=_found(action, rows[key], values),
                )
                for i, key in enumerate(k for k in keys if k in rows)
            ]
        )
    return batch


def unreadable_rows(batch: Batch, *, user) -> set[int]:
    """The rows of `batch` whose customer `user` may not read (with PORTFOLIO_ONLY on, another Account manager's
    customers: the contributed customer filters at their "everyone" value keep a reader to what they may read).
    Their pages and results file show such a row without naming it."""
    named = batch.rows.exclude(domain_id=None)
    readable = by_customer_filters(named, {}, user=user, key="domain_id")
    return set(named.exclude(pk__in=readable.values("pk")).values_list("pk", flat=True))


def _row_key(action: BulkAction, row: BatchRow) -> str:
    return row.key.removeprefix(f"{action.list_name}:")


def batch_send(
    *, user, batch: Batch, ticked: Iterable[str] = (), approving: bool = False, note: str = ""
) -> Batch:
    """Confirm a dry run: check the ticked rows again against the cache and send them, each its own Operation.

    Refused (nothing sent) when the batch is not a dry run any more, no row is ticked, a running batch holds
    some rows, or a row's check changed since the dry run (`BatchRefused.rows`; the new checks are stored, so
    the page shows them and a second confirmation sends).

    Where an Admin's rule asks for a second person's approval (`approvals`), confirming marks the batch waiting
    and sends nothing; `approving` (with the approver's `note`) is that second person's confirmation: the rows
    its requester ticked are checked again and sent the same way."""
    from portal.core.changes import approvals

    action = bulk_action(batch.action)
    if action is None:
        raise BatchRefused(gettext("This bulk action is no longer offered."))
    may_start(user, action)
    ticked = set(ticked)
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.state != Batch.State.CHECKED:
            raise BatchRefused(gettext("This bulk change was sent already."))
        if approving:
            approvals.refuse_approver(user, batch)
            ticked = set(batch.rows.filter(ticked=True).values_list("key", flat=True))
        elif batch.approval == Batch.Approval.WAITING:
            raise BatchRefused(gettext("This bulk change is waiting for a second person's approval."))
        elif batch.approval == Batch.Approval.REJECTED:
            raise BatchRefused(gettext("This bulk change was rejected: start a new one to send these rows."))
        rows = list(batch.rows.all())
        for row in rows:
            row.ticked = row.key in ticked and not row.found.get("refusal")
        chosen = [r for r in rows if r.ticked]
        if not chosen:
            raise BatchRefused(gettext("No row is ticked: nothing to send."))
        held = held_rows([r.key for r in chosen], besides=batch)
        if held:
            raise _held_refusal(held)
        now, changed = _recheck(user, action, batch, chosen)
        # Stored either way: when rows changed, the page shows them as they are now, and nothing is sent.
        BatchRow.objects.bulk_update(rows, ["ticked", "found"])
    if changed:
        raise BatchRefused(
            ngettext(
                "%(n)d row changed since the dry run, so nothing was sent. Check it below and confirm again.",
                "%(n)d rows changed since the dry run, so nothing was sent. Check them below and confirm again.",
                len(changed),
            )
            % {"n": len(changed)},
            rows=changed,
        )
    with transaction.atomic():
        if not approving and approvals.needs_approval(
            action, batch.values, [now[_row_key(action, r)] for r in chosen]
        ):
            approvals.batch_ask(user=user, batch=batch, rows=len(chosen))
            batch.refresh_from_db()
            return batch
        more = approvals.approved(user=user, batch=batch, note=note) if approving else {}
        # Only a dry run starts sending, and only one still asking what this confirmation answers: of two at
        # once (two approvers, an approval and a rejection), one wins.
        asking = Batch.Approval.WAITING if approving else Batch.Approval.NONE
        started = Batch.objects.filter(pk=batch.pk, state=Batch.State.CHECKED, approval=asking).update(
            state=Batch.State.RUNNING, started_at=timezone.now(), total=len(chosen), **more
        )
        if not started:
            raise BatchRefused(gettext("This bulk change was sent already."))
        _queue(user, action, batch, chosen, now)
    batch.refresh_from_db()
    batch_settle(batch)
    return batch


def _recheck(
    user, action: BulkAction, batch: Batch, rows: Sequence[BatchRow]
) -> tuple[Mapping[str, Any], list[BatchRow]]:
    """Each row checked again against the cache: the rows as they are now, and those whose check changed since
    it was stored (their new check is set on them, not saved)."""
    now = action.read(user, [_row_key(action, r) for r in rows])
    changed = []
    for row in rows:
        current = now.get(_row_key(action, row))
        found = _found(action, current, batch.values) if current is not None else _gone(row)
        if _compared(found) != _compared(row.found):
            row.found = found
            changed.append(row)
    return now, changed


_CHECK_KEYS = ("changes", "side_effects", "refusal")


def _found(action: BulkAction, row: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """A row's check as its batch keeps it: in the words of the language in force, and under `words` in those of
    each of the portal's languages with the row's name (`label`), so that whoever reads the batch reads it in
    theirs (`in_readers_words`) and a check read in one language compares with one read in another."""
    words = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            words[code] = {**action.row_check(row, values).as_json(), "label": str(action.describe(row))}
    here = words.get(translation.get_language() or "") or action.row_check(row, values).as_json()
    return {**{k: here[k] for k in _CHECK_KEYS}, "words": words}


def _gone(row: BatchRow) -> dict[str, Any]:
    """The check of a row no longer in the cache, kept as `_found` keeps one."""
    words = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            refusal = gettext("This row is no longer in the portal.")
            words[code] = {"changes": [], "side_effects": [], "refusal": refusal, "label": row.label}
    return {
        "changes": [],
        "side_effects": [],
        "refusal": gettext("This row is no longer in the portal."),
        "words": words,
    }


def _compared(found: Mapping[str, Any]) -> Any:
    """What of a stored check is compared when its row is checked again: its words in the portal's default
    language (a check kept before `words`: itself)."""
    kept = found.get("words", {}).get(settings.LANGUAGE_CODE) or found
    return {k: kept.get(k) for k in _CHECK_KEYS}


def in_readers_words(row: BatchRow) -> BatchRow:
    """The row, its name and check in the reader's language when its batch kept them in it (for the page and
    the results file; not saved)."""
    words = row.found.get("words", {}).get(translation.get_language() or "")
    if words:
        row.label = words["label"]
        row.found = {k: words[k] for k in _CHECK_KEYS}
    return row


def _queue(user, action: BulkAction, batch: Batch, rows: Sequence[BatchRow], now: Mapping[str, Any]) -> None:
    """Send each row: the portal's own data written now, a declared change queued under the row's own key
    (a row stopped before it was sent is queued again under that same key: `change_later`)."""
    for row in rows:
        current = now[_row_key(action, row)]
        if action.write is not None:
            _write_row(user, action, batch, row, current)
        elif action.operation_id and action.args:
            row.operation = change_later(
                action.operation_id,
                user=user,
                idempotency_key=f"batch:{batch.pk}:{row.key}",
                domain_id=row.domain_id,
                args=action.args(current, batch.values),
                reason=batch.reason,
            )
            row.save(update_fields=["operation"])


def _write_row(user, action: BulkAction, batch: Batch, row: BatchRow, current: Any) -> None:
    """A row of the portal's own data: written now by the app's service (its own audit entry)."""
    assert action.write is not None
    try:
        with transaction.atomic():
            changed = action.write(user, current, batch.values)
    except action.refused as exc:
        row.outcome, row.note = "refused", str(getattr(exc, "message", exc))
    else:
        row.outcome = "applied" if changed else "unchanged"
    row.save(update_fields=["outcome", "note"])


def batch_stop(*, user, batch: Batch) -> int:
    """Stop a running batch: rows not sent yet are never sent (their QUEUED operations become STOPPED; a row
    being sent settles as usual). Returns how many rows were stopped."""
    action = bulk_action(batch.action)
    if action is not None:
        may_start(user, action)
    with transaction.atomic():
        stopped = Operation.objects.filter(
            pk__in=batch.rows.exclude(operation=None).values("operation_id"), status=Operation.Status.QUEUED
        ).update(
            status=Operation.Status.STOPPED,
            error=gettext_noop("Not sent: the bulk change was stopped."),  # Operation.error_words
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        Batch.objects.filter(pk=batch.pk, state=Batch.State.RUNNING).update(state=Batch.State.STOPPED)
    batch.refresh_from_db()
    return stopped


def never_sent(batch: Batch) -> list[BatchRow]:
    """The ticked rows of a batch that were never sent (stopped before sending) and that their last check did
    not refuse. A row applied, refused by the API, or whose outcome is unknown was sent: never sent again."""
    rows = batch.rows.filter(ticked=True, operation__status=Operation.Status.STOPPED)
    return [r for r in rows if not r.found.get("refusal")]


def resumable(batch: Batch) -> bool:
    return batch.state in (Batch.State.STOPPED, Batch.State.FINISHED) and bool(never_sent(batch))


def batch_resume(*, user, batch: Batch) -> Batch:
    """Resume a stopped batch: its rows never sent are checked again against the cache and sent, each under its
    own key again (so at most once); the rows sent before are left as they are.

    Refused (nothing sent) when no row is left to send, a running batch holds some rows, or a row's check
    changed since it was made (`BatchRefused.rows`; the new checks are stored, so the page shows them and a
    second Resume sends the rows that can be, leaving the ones now refused unsent)."""
    action = bulk_action(batch.action)
    if action is None:
        raise BatchRefused(gettext("This bulk action is no longer offered."))
    may_start(user, action)
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        rows = never_sent(batch) if batch.state != Batch.State.RUNNING else []
        if not rows:
            raise BatchRefused(
                gettext("Every row of this bulk change was sent already: nothing is left to send.")
            )
        held = held_rows([r.key for r in rows], besides=batch)
        if held:
            raise _held_refusal(held)
        now, changed = _recheck(user, action, batch, rows)
        BatchRow.objects.bulk_update(rows, ["found"])
    if changed:
        raise BatchRefused(
            ngettext(
                "%(n)d row changed since it was checked, so nothing was sent. Check it below and resume again.",
                "%(n)d rows changed since they were checked, so nothing was sent. Check them below and resume "
                "again.",
                len(changed),
            )
            % {"n": len(changed)},
            rows=changed,
        )
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(state=Batch.State.RUNNING, finished_at=None)
        _queue(user, action, batch, rows, now)
    batch.refresh_from_db()
    batch_settle(batch)
    return batch


def failed_rows(batch: Batch) -> list[BatchRow]:
    """The ticked rows of `batch` that were sent and not applied (Failed: refused, or not found by the last
    read-back), in the batch's order: what "send the failed rows again" takes."""
    failed = Q(operation__status=Operation.Status.FAILED) | Q(operation=None, outcome="refused")
    return list(batch.rows.filter(failed, ticked=True).order_by("position"))


def batch_retry(*, user, batch: Batch) -> Batch:
    """Send the failed rows again: a new batch of just those rows, with the same action, values and reason, made
    as a dry run (`batch_check`: each row checked again against the cache, nothing sent until it is confirmed).
    The batch they failed in is left as it is. Refused when no row failed."""
    action = bulk_action(batch.action)
    if action is None:
        raise BatchRefused(gettext("This bulk action is no longer offered."))
    may_start(user, action)
    rows = failed_rows(batch)
    if not rows:
        raise BatchRefused(gettext("No row of this bulk change failed: there is nothing to send again."))
    return batch_check(
        user=user,
        action=action,
        values=batch.values,
        keys=[_row_key(action, r) for r in rows],
        reason=batch.reason,
    )


#: What the batch page counts, in order: "sent" and "waiting", and the states a sent row ends in, each said in
#: the same words on its tile and on its rows (`state_words`, `row_result`).
COUNTS = ("sent", "applied", "failed", "unknown", "superseded", "stopped", "waiting")


def state_words() -> dict[str, str]:
    """The words of each state a row ends in, for its tile and its rows alike."""
    status = Operation.Status
    return {
        "applied": str(status.SUCCEEDED.label),
        "failed": str(status.FAILED.label),
        "unknown": str(status.UNKNOWN.label),
        "superseded": str(status.SUPERSEDED.label),
        "stopped": str(status.STOPPED.label),
    }


def batch_counts(batch: Batch) -> dict[str, int]:
    """How many ticked rows are in each of COUNTS, and `total` (the ticked rows), in two queries."""
    counts: Counter[str] = Counter()
    ticked = batch.rows.filter(ticked=True)
    statuses = ticked.exclude(operation=None).values_list("operation__status", flat=True)
    for status in statuses:
        counts[_COUNT_OF_STATUS[status]] += 1
        if status not in (Operation.Status.QUEUED, Operation.Status.STOPPED):
            counts["sent"] += 1
    for outcome in ticked.filter(operation=None).exclude(outcome="").values_list("outcome", flat=True):
        counts[_COUNT_OF_OUTCOME[outcome]] += 1
        counts["sent"] += 1
    result = {name: counts[name] for name in COUNTS}
    result["total"] = ticked.count() if batch.state != Batch.State.CHECKED else 0
    return result


def row_result(row: BatchRow) -> str:
    """What became of a row, in the words of its tile (a row still waiting: queued or being sent)."""
    if not row.ticked:
        return gettext("Not chosen")
    if row.operation is not None:
        state = _COUNT_OF_STATUS[row.operation.status]
        if state == "waiting":
            return str(row.operation.get_status_display())
        return state_words()[state]
    if row.outcome:
        return state_words()[_COUNT_OF_OUTCOME[row.outcome]]
    return gettext("Not sent")


_COUNT_OF_STATUS: dict[str, str] = {
    Operation.Status.QUEUED: "waiting",
    Operation.Status.RUNNING: "waiting",
    Operation.Status.SUCCEEDED: "applied",
    Operation.Status.SUPERSEDED: "superseded",
    Operation.Status.FAILED: "failed",
    Operation.Status.UNKNOWN: "unknown",
    Operation.Status.STOPPED: "stopped",
}
#: A row of the portal's own data, written at once: applied (or already so), or refused by the service.
_COUNT_OF_OUTCOME: dict[str, str] = {"applied": "applied", "unchanged": "applied", "refused": "failed"}


def batch_settle(batch: Batch) -> Batch:
    """A running batch whose every row has settled is FINISHED, its rows done and failed counted, and its
    requester told: by the worker as it settles a row, and when its page is read."""
    if (
        batch.state == Batch.State.RUNNING
        and not batch.rows.filter(ticked=True, operation__status__in=_OPEN).exists()
    ):
        counts = batch_counts(batch)
        finished = Batch.objects.filter(pk=batch.pk, state=Batch.State.RUNNING).update(
            state=Batch.State.FINISHED,
            finished_at=timezone.now(),
            done=counts["applied"] + counts["superseded"],
            failed=counts["failed"],
        )
        batch.refresh_from_db()
        if finished:  # told once: by whoever settled it (the worker of its last row, or a reader of its page)
            from portal.core.changes import events, notices

            notices.batch_finished(batch, counts)
            events.batch_finished(batch, counts)
    return batch
