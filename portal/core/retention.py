"""How long the portal keeps its history, declared by the app that owns each table (`contribute(retention=...)`),
and the nightly housekeeping that removes what no rule keeps any more.

A `Retention` names a model, the date its rows are aged by, how long they are kept (`KeepDays`: a setting in days;
or any object with the same two methods, such as invoicing's legal minimum) and why. Rules of the same model
split its rows: one with `where` covers the rows it matches, and a rule without `where` covers the rest, so the
rows a longer rule keeps (the audit entries of issued invoices) are never removed by the shorter one.

`housekeep()` removes what is due in small batches, each its own short transaction (no long lock; a run cut short
is taken up by the next, which finds what is still due), and records its run as a `SyncRun` of kind
`housekeeping`, shown on the Sync page. A rule's `roll_up` keeps a summary of the rows before they leave (sync runs
by day then month, option usage by month: `portal.core.rollup`), in the same transaction as their removal.
Partitioning by month is not done yet: on both databases a row leaves by DELETE.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.core import clock
from portal.core.contrib import contributions

logger = logging.getLogger(__name__)

#: The kind of the housekeeping's runs among the Sync page's runs.
HOUSEKEEPING = "housekeeping"
#: A run's error, stored in English and translated where it is read (`selectors.sync_error_text`).
UNREMOVED = gettext_noop("Some old rows could not be removed; the next run tries again.")


class Keep(Protocol):
    def cutoff(self, today: dt.date) -> dt.date:
        """Rows dated before this day may be removed today."""

    def removal_date(self, day: dt.date) -> dt.date:
        """The first day a row dated `day` may be removed."""

    def words(self) -> str:
        """For how long, in the reader's language."""


@dataclass(frozen=True)
class KeepDays:
    """Kept `setting` days (from the settings, `default` when unset) after its date."""

    setting: str
    default: int

    @property
    def days(self) -> int:
        return int(getattr(settings, self.setting, self.default))

    def cutoff(self, today: dt.date) -> dt.date:
        return today - dt.timedelta(days=self.days)

    def removal_date(self, day: dt.date) -> dt.date:
        return day + dt.timedelta(days=self.days)

    def words(self) -> str:
        from django.utils.translation import ngettext

        return ngettext("%(days)s day", "%(days)s days", self.days) % {"days": self.days}


@dataclass(frozen=True)
class Retention:
    """How long the rows of one table (or of the part `where` matches) are kept, and why.

    `model` is "app_label.ModelName"; `date_field` the date or time the rows are aged by; `kept` says in words
    what the rule keeps and `reason` why for so long; `setting` is the setting that changes it (a `KeepDays`'s;
    empty for a fixed rule such as the legal minimum).
    `table` names the table for people (the model's plural name by default). `removable` narrows the due rows to
    those that may go now (a change still referred to by an audit entry);
    `remove(model, ids)` removes one batch when a plain delete does not do (the invoice documents' files);
    `roll_up(rows)` adds what the rows about to leave say to their summaries (called first, in the same
    transaction: a way of removing rows other than `housekeep`'s, such as dropping a month's partition, calls it
    on that month's rows first)."""

    model: str
    date_field: str
    keep: Any
    kept: Any
    reason: Any
    table: Any = None
    where: Q | None = None
    removable: Q | None = None
    remove: Callable[[type[models.Model], Sequence[Any]], None] | None = None
    roll_up: Callable[[models.QuerySet], None] | None = None

    @property
    def setting(self) -> str:
        return getattr(self.keep, "setting", "")

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def _date_cutoff(self, today: dt.date) -> Any:
        cutoff = self.keep.cutoff(today)
        field = self.model_class._meta.get_field(self.date_field)
        return clock.midnight(cutoff) if isinstance(field, models.DateTimeField) else cutoff

    def rows(self) -> models.QuerySet:
        """Every row this rule covers (its `where`, or what no other rule of the model covers)."""
        qs = models.QuerySet(model=self.model_class)
        if self.where is not None:
            return qs.filter(self.where)
        for other in rules():
            if other is not self and other.model == self.model and other.where is not None:
                qs = qs.exclude(other.where)
        return qs

    def due(self, today: dt.date) -> models.QuerySet:
        qs = self.rows().filter(**{f"{self.date_field}__lt": self._date_cutoff(today)})
        return qs.filter(self.removable) if self.removable is not None else qs

    def oldest(self) -> dt.date | None:
        """The date of the oldest row this rule covers (None: none)."""
        value = self.rows().order_by(self.date_field).values_list(self.date_field, flat=True).first()
        if isinstance(value, dt.datetime):
            return timezone.localtime(value, clock.midnight(clock.today()).tzinfo).date()
        return value


def rules() -> tuple[Retention, ...]:
    return contributions("retention")


def _remove(rule: Retention, ids: Sequence[Any]) -> None:
    model = rule.model_class
    if rule.roll_up is not None:
        rule.roll_up(models.QuerySet(model=model).filter(pk__in=ids))
    if rule.remove is not None:
        rule.remove(model, ids)
    else:
        # A plain QuerySet's delete: the append-only tables refuse their own managers' delete, never this one.
        models.QuerySet(model=model).filter(pk__in=ids).delete()


def housekeep(*, batch_size: int | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Remove, rule by rule, the rows no rule keeps any more, `batch_size` rows a transaction; record the run
    on the Sync page. Returns the rows removed per rule (model, and its `where` when it has one)."""
    from portal.core.models import SyncRun

    size = batch_size or settings.HOUSEKEEPING_BATCH_SIZE
    day = today or clock.today()
    run = SyncRun.objects.create(kind=HOUSEKEEPING, scope="")
    removed: dict[str, int] = {}
    errors: list[dict] = []
    # Passes until one removes nothing: a row may become removable by another rule's removal in the same run (an
    # invoice once its credit note is gone, a change once its audit entries are).
    for _ in range(5):
        found = 0
        for rule in rules():
            key = rule.model if rule.where is None else f"{rule.model} ({rule.kept})"
            try:
                while True:
                    ids = list(rule.due(day).order_by(rule.date_field).values_list("pk", flat=True)[:size])
                    if not ids:
                        break
                    with transaction.atomic():
                        _remove(rule, ids)
                    found += len(ids)
                    removed[key] = removed.get(key, 0) + len(ids)
                    run.done = run.total = sum(removed.values())
                    SyncRun.objects.filter(pk=run.pk).update(done=run.done, total=run.total)
            except Exception as exc:
                # One table's failure must not keep the others' history: said on the run, logged, and the next
                # night takes it up again.
                logger.exception("housekeeping of %s failed", rule.model)
                errors.append({"error": UNREMOVED, "table": rule.model, "detail": str(exc)[:300]})
        if not found or errors:
            break
    run.counts = removed
    run.errors = errors
    run.finished_at = timezone.now()
    run.status = SyncRun.Status.PARTIAL if errors else SyncRun.Status.SUCCEEDED
    run.save(update_fields=["counts", "errors", "finished_at", "status", "done", "total"])
    return removed
