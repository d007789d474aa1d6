"""How long the portal keeps its history, declared by the app that owns each table (`contribute(retention=...)`),
and the nightly housekeeping that removes what no rule keeps any more.

A `Retention` names a model, the date its rows are aged by, how long they are kept (`KeepDays`: a setting in days;
or any object with the same two methods, such as the legal minimum for tax records, `KeepTaxRecords`) and why.
Rules of the same model split its rows: one with `where` covers the rows it matches, and a rule without `where`
covers the rest, so the rows a longer rule keeps (the audit entries of issued invoices) are never removed by the
shorter one.

`housekeep()` removes what is due in small batches, each its own short transaction (no long lock; a run cut short
is taken up by the next, which finds what is still due), and records its run as a `SyncRun` of kind
`housekeeping`, shown on the Sync page; first it measures each table (`portal.core.table_sizes`), last it
rebuilds the indexes of the tables whose rows come and go (`portal.core.compaction`). A rule's `roll_up` keeps a
summary of the rows before they leave (sync runs by day then month, option usage by month:
`portal.core.rollup`), in the same transaction as their removal.

A rule whose table is partitioned by month on PostgreSQL says so (`partitioned=True`; its app's migration made the
table so with `portal.core.partitions.PartitionByMonth`, which says why native partitioning). There the
housekeeping makes the coming months' partitions each night, and the rows leave by whole months: a month leaves
once it is wholly before the cutoff, by detaching and dropping its partition (its `roll_up` first, in the same
transaction), so a row stays up to a month longer than its rule says (a rule is a minimum). Were the month that
straddles the cutoff deleted day by day as the cutoff moves through it, every row would have left by DELETE before
its month could be dropped. A month holding a row another rule keeps or not removable yet is not dropped: its due
rows are deleted in batches, as are rows outside the months made (DEFAULT). On SQLite every row leaves by DELETE
as its day passes the cutoff. The run counts the rows either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Protocol

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from portal.core import clock, partitions
from portal.core.compaction import compact
from portal.core.contrib import contributions

logger = logging.getLogger(__name__)

#: The kind of the housekeeping's runs among the Sync page's runs.
HOUSEKEEPING = "housekeeping"
#: A run's error, stored in English and translated where it is read (`selectors.sync_error_text`).
UNREMOVED = gettext_noop("Some old rows could not be removed; the next run tries again.")
UNPREPARED = gettext_noop("The coming months of a table could not be prepared; the next run tries again.")
UNCOMPACTED = gettext_noop("The indexes of a table could not be rebuilt; the next run tries again.")


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
class KeepTaxRecords:
    """The legal minimum for tax records (copies of issued qualified invoices, 適格請求書の写し, and the invoices
    received): kept `years` years from the day `months_after` months after the end of the tax period of the row's
    date. The tax period is the partner's business year, ending in `TAX_YEAR_END_MONTH` (December unless set)."""

    years: int = 7
    months_after: int = 2

    @staticmethod
    def _end_month() -> int:
        return int(settings.TAX_YEAR_END_MONTH)

    def _period_year(self, day: dt.date) -> int:
        """The year in which the tax period of `day` ends."""
        return day.year if day.month <= self._end_month() else day.year + 1

    def _removal_of_period(self, end_year: int) -> dt.date:
        month = self._end_month() + 1 + self.months_after  # the day after the end, then the months after it
        year = end_year + (month - 1) // 12
        return dt.date(year + self.years, (month - 1) % 12 + 1, 1)

    def removal_date(self, day: dt.date) -> dt.date:
        return self._removal_of_period(self._period_year(day))

    def cutoff(self, today: dt.date) -> dt.date:
        """The first day of the oldest tax period still kept today: every row dated before it may go."""
        end_year = today.year - self.years - 2
        while self._removal_of_period(end_year) <= today:
            end_year += 1
        end_month = self._end_month()
        return dt.date(end_year - 1, end_month + 1, 1) if end_month < 12 else dt.date(end_year, 1, 1)

    def words(self) -> str:
        return gettext("7 years from two months after the end of the tax period of its date")


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
    on that month's rows first).
    `partitioned`: on PostgreSQL the table is partitioned by month of `date_field` (module docstring)."""

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
    partitioned: bool = False

    def __post_init__(self) -> None:
        if self.partitioned and self.remove is not None:
            raise ValueError(f"{self.model}: a month dropped whole would skip its `remove`")

    @property
    def setting(self) -> str:
        return getattr(self.keep, "setting", "")

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def _date_cutoff(self, today: dt.date, *, by_month: bool = False) -> Any:
        cutoff = self.keep.cutoff(today)
        if by_month:
            cutoff = cutoff.replace(day=1)
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

    def kept_among_due_dates(self) -> Q | None:
        """Among the rows dated before the cutoff, those this rule does not remove (another rule's, or not
        removable yet); None when there are none by declaration."""
        if self.where is not None:
            kept = [~self.where]
        else:
            kept = [
                o.where for o in rules() if o is not self and o.model == self.model and o.where is not None
            ]
        if self.removable is not None:
            kept.append(~self.removable)
        return reduce(operator.or_, kept) if kept else None

    def due(self, today: dt.date, *, by_month: bool = False) -> models.QuerySet:
        """The rows that may go today (`by_month`: only those of months wholly before the cutoff)."""
        qs = self.rows().filter(**{f"{self.date_field}__lt": self._date_cutoff(today, by_month=by_month)})
        return qs.filter(self.removable) if self.removable is not None else qs

    def removal_date(self, day: dt.date) -> dt.date:
        """The first day a row dated `day` may be removed: on a table partitioned here, the day its whole month
        may (the first day of the next month's)."""
        if self.partitioned and partitions.is_partitioned(self.model_class):
            day = partitions.next_month(day)
        return self.keep.removal_date(day)

    def oldest(self) -> dt.date | None:
        """The date of the oldest row this rule covers (None: none), read from an index: the first row of the date
        field's index (or of an index of `where`'s column and the date, value by value when `where` is one column
        among a few values, which no index walks in date order at once); on a table partitioned here, its oldest
        month holding a row (`partitions.oldest_month`: its removal date is that month's)."""
        if self.partitioned and self.where is None and partitions.is_partitioned(self.model_class):
            value = partitions.oldest_month(self.model_class, self.date_field)
        else:
            dates = self.rows().order_by(self.date_field).values_list(self.date_field, flat=True)
            among = _among(self.where)
            if among is None:
                value = dates.first()
            else:
                column, values = among
                firsts = [dates.filter(**{column: v}).first() for v in values]
                value = min((f for f in firsts if f is not None), default=None)
        if isinstance(value, dt.datetime):
            return timezone.localtime(value, clock.midnight(clock.today()).tzinfo).date()
        return value


def _among(where: Q | None) -> tuple[str, list] | None:
    """(column, values) when `where` is one column among a few values (`Q(column__in=[...])`), else None."""
    if where is None or where.negated or len(where.children) != 1:
        return None
    child = where.children[0]
    if (
        not isinstance(child, tuple)
        or not child[0].endswith("__in")
        or not isinstance(child[1], list | tuple)
    ):
        return None
    return child[0].removesuffix("__in"), list(child[1])


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


def _partitioned(declared: Sequence[Retention]) -> list[Retention]:
    """The rules declared `partitioned` whose table is partitioned here (none on SQLite)."""
    return [rule for rule in declared if rule.partitioned and partitions.is_partitioned(rule.model_class)]


def housekeep(*, batch_size: int | None = None, today: dt.date | None = None) -> dict[str, int]:
    """Remove, rule by rule, the rows no rule keeps any more, `batch_size` rows a transaction; record the run
    on the Sync page. Returns the rows removed per rule (model, and its `where` when it has one)."""
    from portal.core.models import SyncRun
    from portal.core.table_sizes import measure

    size = batch_size or settings.HOUSEKEEPING_BATCH_SIZE
    day = today or clock.today()
    run = SyncRun.objects.create(kind=HOUSEKEEPING, scope="")
    try:
        # Each table's size and last month's rows, before any of them leave (the Data kept page reads them).
        measure(day)
    except Exception:
        logger.exception("measuring the tables failed")
    removed: dict[str, int] = {}
    errors: list[dict] = []
    partitioned = _partitioned(rules())
    for rule in partitioned:
        try:
            partitions.make_ahead(rule.model_class, rule.date_field, day)
        except Exception as exc:
            logger.exception("making the coming months of %s failed", rule.model)
            errors.append({"error": UNPREPARED, "table": rule.model, "detail": str(exc)[:300]})

    def count(key: str, rows: int) -> None:
        """Add `rows` removed to the rule's count and to the run's progress."""
        removed[key] = removed.get(key, 0) + rows
        run.done = run.total = sum(removed.values())
        SyncRun.objects.filter(pk=run.pk).update(done=run.done, total=run.total)

    # Passes until one removes nothing: a row may become removable by another rule's removal in the same run (an
    # invoice once its credit note is gone, a change once its audit entries are).
    for _ in range(5):
        found = 0
        for rule in rules():
            key = rule.model if rule.where is None else f"{rule.model} ({rule.kept})"
            try:
                by_month = any(rule is p for p in partitioned)
                if by_month:
                    dropped = partitions.drop_months(
                        rule.model_class,
                        rule.date_field,
                        rule.keep.cutoff(day),
                        rule.kept_among_due_dates(),
                        before_drop=rule.roll_up,
                    )
                    if dropped:
                        found += sum(dropped.values())
                        count(key, sum(dropped.values()))
                while True:
                    due = rule.due(day, by_month=by_month)
                    ids = list(due.order_by(rule.date_field).values_list("pk", flat=True)[:size])
                    if not ids:
                        break
                    with transaction.atomic():
                        _remove(rule, ids)
                    found += len(ids)
                    count(key, len(ids))
            except Exception as exc:
                # One table's failure must not keep the others' history: said on the run, logged, and the next
                # night takes it up again.
                logger.exception("housekeeping of %s failed", rule.model)
                errors.append({"error": UNREMOVED, "table": rule.model, "detail": str(exc)[:300]})
        if not found or errors:
            break
    # Last, once the night's rows are gone: the tables whose rows come and go packed again.
    _done, uncompacted = compact()
    errors.extend({"error": UNCOMPACTED, "table": table, "detail": why} for table, why in uncompacted.items())
    run.counts = removed
    run.errors = errors
    run.finished_at = timezone.now()
    run.status = SyncRun.Status.PARTIAL if errors else SyncRun.Status.SUCCEEDED
    run.save(update_fields=["counts", "errors", "finished_at", "status", "done", "total"])
    return removed
