"""How an app declares a write: a `Change`, registered with `contribute(app_label, changes=[...])`.

A declaration says everything the pipeline needs to send a change once and settle it, and nothing about
pages: how to send it (one client call), how to find out afterwards whether it was applied (read back), how to
bring the cache up to date from the answer (apply), what else the contract says it does (side effects, stated
on the confirmation page before sending), and whether the customer should be read again afterwards.

Arguments (`args`) are a JSON-safe dict: they are stored on the Operation (the queued path and the reconcile
task read them back) and never hold a secret in clear (see `secret_args`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.core.contrib import contributions

Args = Mapping[str, Any]


@dataclass(frozen=True)
class Change:
    #: The Partner API operationId; also the Operation's and the audit entry's kind.
    operation_id: str
    #: send(client, args) -> the reply model: exactly one client call.
    send: Callable[[Any, Args], Any]
    #: read_back(client, args) -> the change's result when the API shows it applied, None when it shows it was
    #: not (yet). None here: the outcome cannot be read back, and an unknown outcome waits for a person.
    read_back: Callable[[Any, Args], Any] | None = None
    #: apply(args, reply) -> anything: the cache update from the reply (or the read-back's result).
    apply: Callable[[Args, Any], Any] | None = None
    #: side_effects(args) -> sentences: what the contract says the change also does (stated before sending).
    side_effects: Callable[[Args], list[str]] = lambda args: []
    #: Wire names in the API's error descriptions -> the form fields they belong to.
    field_hints: Mapping[str, str] = field(default_factory=dict)
    #: The change removes something: a 404 when the outcome was unknown means it is gone, i.e. done.
    deletes: bool = False
    #: Sent by a Celery worker (slow calls) instead of in the request.
    queued: bool = False
    #: Read the customer again afterwards (side effects on other tables), skipping these operationIds.
    refresh: bool = True
    refresh_skip: tuple[str, ...] = ()
    #: Arguments kept encrypted on the Operation until sent, then dropped (e.g. a new administrator's password).
    secret_args: tuple[str, ...] = ()
    #: What kind of change a second person may be asked to approve ("cancellation", "deletion", "reduction":
    #: the Admins' Approvals page); "": never held. `perm`: who may approve it (the permission its own page
    #: requires). `amount(args)`: how much of its kind the change does, which an Admin's rule asks approval over
    #: (a reduction: the licences it takes away; 0: none of it, never held); None: one, every time.
    approval: str = ""
    perm: Any = None
    amount: Callable[[Args], int] | None = None
    #: created(reply) -> the domainId of the customer the change created (adding, transferring one): the audit
    #: entry of the attempt names it, though no customer was known when it was sent.
    created: Callable[[Any], int | None] | None = None
    #: target(args) -> what the change sets on its customer, as names ({"usage"}, {"subscription:8:renewal"}).
    #: A change whose outcome stayed unknown, and whose targets a later change sent for the same customer
    #: covers, is settled SUPERSEDED (the later one is in effect) rather than "not applied, send it again":
    #: a read-back cannot tell "never applied" from "applied, then replaced". None: it is never superseded.
    target: Callable[[Args], frozenset[str]] | None = None


@dataclass(frozen=True)
class Effect:
    """What another app's change does to this app's rows (cancelling a subscription cancels its options),
    contributed by the app whose rows they are (`contribute(app, effects=[...])`), so the app that declares the
    change need not know them. The confirmation page states them after the change's own side effects."""

    #: The change it follows (declared by another app).
    operation_id: str
    #: sentences(args) -> what the change does to this app's rows, read from the cache (none: nothing).
    sentences: Callable[[Args], list[str]]


def stated_effects(operation_id: str, args: Args) -> list[str]:
    """Everything a change does besides its own write, in words: its declared side effects, then the effects
    other apps contributed for it."""
    contributed = [e for e in contributions("effects") if e.operation_id == operation_id]
    return [
        *change_for(operation_id).side_effects(args),
        *(sentence for effect in contributed for sentence in effect.sentences(args)),
    ]


def approval_amount(change: Change, args: Args) -> int:
    """How much of its approval kind the change with these arguments does (see `Change.amount`)."""
    return change.amount(args) if change.amount is not None else 1


def change_for(operation_id: str) -> Change:
    """The declared change of an operationId (every app's, through portal.core.contrib)."""
    for change in contributions("changes"):
        if change.operation_id == operation_id:
            return change
    raise KeyError(f"No change is declared for {operation_id!r}.")
