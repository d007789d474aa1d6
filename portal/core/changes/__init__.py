"""The one change pipeline: apps declare their writes (spec.Change, contributed with
`contribute(app, changes=[...])`); the engine sends each at most once per form submission, reads back what it
cannot confirm, and keeps the audit trail; the views give every change the same two steps and operation page.
"""

from portal.core.changes.engine import (
    AlreadySubmitted,
    ChangeOutcomeUnknown,
    ChangeRefused,
    change_later,
    change_now,
    change_reconcile,
    change_run,
    changes_reap_stale,
    dump,
    field_of,
    refusal_from,
)
from portal.core.changes.spec import Change, Effect, change_for, stated_effects
from portal.core.changes.timing import Timing, timing

__all__ = [
    "AlreadySubmitted",
    "Change",
    "ChangeOutcomeUnknown",
    "ChangeRefused",
    "Timing",
    "Effect",
    "change_for",
    "change_later",
    "change_now",
    "change_reconcile",
    "change_run",
    "changes_reap_stale",
    "dump",
    "field_of",
    "refusal_from",
    "stated_effects",
    "timing",
]
