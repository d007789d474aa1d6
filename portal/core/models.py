"""Records shared by every app: the audit trail, tracked operations, resync runs and bulk changes (each a
`portal.core.runs.Run`), and the language each user reads."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.core.runs import Run


class CarriesCustomer(models.Model):
    """Rows keyed by a customer's domainId (at `CARRIED_KEY`, its column `domain_id`) that carry whether that
    customer left the API and who its Account manager is, kept by the database's triggers that the app keeping
    the customers installs on the rows' table (customers/carried.py), never written by the portal: the rows' own
    partial indexes then hold the live customers' rows, and a twin led by the manager an Account manager's (the
    customers app's `still_in_api` and `owned_by` read them). Declared here so that core's own rows (`Operation`)
    carry them as the domain apps' rows do, without core naming an app."""

    #: The field whose column holds the customer's domainId: a foreign key `customer` on the apps' rows.
    CARRIED_KEY = "customer_id"

    #: The customer is no longer in the API (its `removed_at` is set).
    customer_removed = models.BooleanField(editable=False, default=False)
    #: The customer's Account manager (`Customer.managed_by`), or None.
    customer_manager = models.BigIntegerField(editable=False, null=True)

    class Meta:
        abstract = True


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs):
        raise PermissionDenied("Audit entries are append-only.")

    def delete(self):
        raise PermissionDenied("Audit entries are append-only.")


class AuditEntry(models.Model):
    """One write made through the portal: an attempt to send a change to the Partner API (its `change`, the
    Operation it belongs to) or a change of the portal's own data (portal.assignCustomerOwner): who, when, for
    which customer, what was sent and what came back.

    Append-only: no code path updates or deletes an entry (save() refuses an update, delete() refuses). An attempt
    whose answer was lost stays `unknown` here; what the portal settled its change as since is read from the
    change (`selectors.audit_entry_list`'s `settled`).
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        REFUSED = "refused", _("Refused by the API")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        #: Never recorded: what an unknown attempt reads as once its change was settled as replaced.
        SUPERSEDED = "superseded", _("Replaced by a later change")

    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    domain_id = models.BigIntegerField(_("customer domainId"), null=True, blank=True, db_index=True)
    operation_id = models.CharField(_("operation"), max_length=80)
    request_summary = models.JSONField(_("what was sent"), default=dict, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, db_index=True)
    reason = models.CharField(_("reason / ticket"), max_length=500, blank=True)
    # The request that made the change (or queued the task that sent it): the id of its log lines.
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    #: The change (Operation) this attempt sent, for an attempt of the change pipeline (None for the portal's own
    #: writes and for attempts recorded before it was kept). Operations are never deleted.
    change = models.ForeignKey(
        "Operation",
        verbose_name=_("change"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attempts",
    )
    #: The personal API token the write was asked with (`portal.core.api`), None for a page's.
    api_token = models.ForeignKey(
        "ApiToken",
        verbose_name=_("API token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        # The Activity page's order (time, then key, newest first) read from an index alone, whole, of the
        # Owner filter's customers (the domainId in the index: no entry visited to leave it out) or of one kind
        # of change, so a page's keys and its capped count stop after a page's entries however long the history
        # (these two serve every read by time or kind alone too); one customer's by the first. The kind beside
        # the time's (PostgreSQL, INCLUDE): the day's changes of some kinds counted from it alone, not each entry
        # of the day visited for its kind.
        indexes = [
            models.Index(fields=["domain_id", "-created_at"]),
            models.Index(
                fields=["created_at", "id", "domain_id"], include=["operation_id"], name="core_audit_time_key"
            ),
            # The customer beside each kind's entries (PostgreSQL, INCLUDE): the day's entries of the sent kinds
            # for an Account manager (home's "changes today") read from this index alone, a range of each kind,
            # not the day's every entry (a day of recorded payments among them) along the time's.
            models.Index(
                fields=["operation_id", "created_at", "id"],
                include=["domain_id"],
                name="core_audit_kind_time_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation_id} {self.domain_id or ''} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Audit entries are append-only.")

    @property
    def shown_outcome(self) -> str:
        """The outcome as it stands (`settled`, when the reading annotated it), else as recorded."""
        return getattr(self, "settled", None) or self.outcome

    def get_shown_outcome_display(self) -> str:
        return str(self.Outcome(self.shown_outcome).label)


class Operation(CarriesCustomer, Run):
    """A tracked write or slow job, polled by the page that started it: a `Run` of one item (`done` 1 once
    applied, `failed` 1 once it failed), whose `worker` is the process sending it while RUNNING.

    `idempotency_key` is unique: a double click or a retried task finds the existing operation instead of
    sending the same change twice. `unknown` means the API may or may not have applied a write (timeout,
    dropped connection) until a read-back decides.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")  # as Activity says an attempt's
        # Unconfirmed, and a later change that sets the same thing was sent since: that one is in effect.
        SUPERSEDED = "superseded", _("Replaced by a later change")
        #: A row of a stopped batch, never sent (only a QUEUED operation is stopped: a runner claims QUEUED ones).
        STOPPED = "stopped", _("Stopped before sending")
        #: Waiting for a second person's approval (an Admin's rule, `portal.core.changes.approvals`): not sent;
        #: approved, it is QUEUED for a worker; rejected, FAILED (nothing was sent).
        HELD = "held", _("Waiting for approval")

    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.SUPERSEDED, Status.STOPPED)

    #: Its customer's removal and Account manager are carried on it (`CarriesCustomer`), by its `domain_id`.
    CARRIED_KEY = "domain_id"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: The form's key (or a batch row's), prefixed by the engine with the operation and the customer: a batch
    #: row's key names its batch and row too, so it is longer than a form's.
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=80, db_index=True)
    domain_id = models.BigIntegerField(_("customer domainId"), null=True, blank=True, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(_("result"), default=dict, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    total = models.PositiveIntegerField(_("total"), default=1)
    #: An UNKNOWN operation's next read-back: which try it is and when it is due. The delayed task normally
    #: makes it; when that task was lost with its worker, the periodic reaper finds it here and makes it.
    check_attempt = models.PositiveSmallIntegerField(default=0)
    check_after = models.DateTimeField(null=True, blank=True, db_index=True)
    #: The personal API token it was asked with (`portal.core.api`), None when asked on a page: each attempt's
    #: audit entry names it too, from a queued change's worker as well.
    api_token = models.ForeignKey(
        "ApiToken",
        verbose_name=_("API token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: `worker` (Run): the process sending it while RUNNING (`portal.core.changes.liveness`); the engine's reaper
    #: reads its heartbeat to tell a slow sender from a dead one. Empty for a row claimed before senders were
    #: recorded.

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("operation")
        verbose_name_plural = _("operations")
        indexes = [
            # The home page's "in progress" figure (`selectors.operations_running_count`): the few operations
            # queued or running, counted from this index alone however many have finished.
            models.Index(
                fields=["domain_id"],
                condition=models.Q(status__in=["queued", "running"]),
                name="core_operation_open",
            ),
            # The worklist's "Changes unknown or failed" (`home.worklist_sections.open_operations`): the unknown
            # ones and the week's failed ones are two ranges of this index, read alone, however many operations
            # a year of history has finished (a scan of every operation before). It holds the columns the
            # section shows and narrows by, so each range is read from the index without visiting a row.
            models.Index(
                fields=["status", "requested_at"],
                include=["domain_id", "kind", "id"],
                condition=models.Q(status__in=["unknown", "failed"]),
                name="core_operation_unknown_failed",
            ),
            # Its twin led by the customer's Account manager, carried on the row (`CarriesCustomer`): an Account
            # manager's unknown and failed changes are two ranges of theirs, where the customers they own were
            # hashed against every unknown or failed change of the partner's.
            models.Index(
                fields=["customer_manager", "status", "requested_at"],
                include=["domain_id", "kind", "id"],
                condition=models.Q(status__in=["unknown", "failed"], customer_manager__isnull=False),
                name="core_operation_manager_unknown",
            ),
            # The changes waiting for a second person's approval (`approvals.held_waiting`: the worklist's "Changes
            # waiting for approval", home, the digest): the few HELD ones, newest first, a range of this index
            # however many operations a year has finished.
            models.Index(
                fields=["-requested_at"],
                condition=models.Q(status="held"),
                name="core_operation_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def error_words(self) -> str:
        """`error` in the reader's language: the engine's own sentences are kept in English and translated here,
        whoever's request or worker wrote them; a refusal quoting LINE WORKS stays in the words it was written
        in (its sender's)."""
        return gettext(self.error) if self.error else ""


class SyncRun(Run):
    """One resync of the Partner API into the cache tables: a `Run` over `total` customers (or pages), who asked
    for it (None: the beat), its status, counts, calls and errors. A dead resync's run is taken over through its
    lock (`portal.core.sync.running`), not the runs' reaper."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)  # indexed first in Meta.indexes
    scope = models.CharField(_("scope"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RUNNING)
    #: When it was asked for, and started (`Run.requested_at`, indexed here).
    requested_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    calls = models.JSONField(_("API calls per operation"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    #: A run of one customer (`kind` "customer"): the customer's name as the run began, so the Sync page names it
    #: without reading the customers of its fifty runs (`selectors.sync_runs_described`; a run without one, kept
    #: from before or of a customer not yet known, is named by a read).
    customer_name = models.CharField(_("customer"), max_length=200, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        # The last finished run of a kind (selectors.last_full_sync_at, on every list page) is the end of this
        # index, however long the history; it serves a filter on the kind alone too.
        indexes = [
            models.Index(fields=["kind", "finished_at"], name="core_syncrun_kind_finished"),
            # One scope's runs of a kind, latest first (a customer page's poll of the refresh it started,
            # `customers.selectors.customer_refresh_state`): a few rows of this index, where the started_at
            # index alone walks every run of every kind since then, however long the history.
            models.Index(fields=["kind", "scope", "requested_at"], name="core_syncrun_kind_scope_start"),
            # The latest partner-wide runs (billing's fetches, `billing.selectors.fetch_runs`): the end of this
            # small index, where the scope's prefix and the start order made the database read and sort every
            # such run of the history.
            models.Index(
                fields=["requested_at"], condition=models.Q(kind="partner"), name="core_syncrun_partner"
            ),
        ]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")

    def __str__(self) -> str:
        return f"{self.kind} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration(self):
        if self.finished_at:
            return self.finished_at - self.requested_at
        return None


class SyncRunSummary(models.Model):
    """What the sync runs of one kind said over a day or a month, kept after the runs themselves are removed
    (`portal.core.retention_rules`): a day's runs are summed into their day's row before they leave, and the day
    rows into their month's row when those leave in turn. A month's line of the Sync page's history."""

    class Period(models.TextChoices):
        DAY = "day", _("Day")
        MONTH = "month", _("Month")

    kind = models.CharField(_("kind"), max_length=40)
    period = models.CharField(_("period"), max_length=8, choices=Period.choices)
    #: The day, or the first day of the month, in the business time zone (of each run's start).
    start = models.DateField(_("from"))
    runs = models.PositiveIntegerField(_("runs"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    partial = models.PositiveIntegerField(_("finished with errors"), default=0)
    #: The items the runs read (customers, for most runs; rows removed, for housekeeping).
    items = models.BigIntegerField(_("items synced"), default=0)
    calls = models.BigIntegerField(_("API calls"), default=0)
    errors = models.BigIntegerField(_("errors"), default=0)
    seconds = models.BigIntegerField(_("total duration (seconds)"), default=0)

    class Meta:
        ordering = ["-start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "kind"], name="core_syncrunsummary_one_a_period"
            )
        ]
        verbose_name = _("sync run summary")
        verbose_name_plural = _("sync run summaries")

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.start}"


class TableSize(models.Model):
    """A table's rows and bytes as the nightly housekeeping last measured them (`portal.core.table_sizes`): the
    Data kept page reads these, never the tables themselves."""

    #: The table's name in the database (`db_table`).
    table = models.CharField(_("table"), max_length=100, unique=True)
    #: PostgreSQL: its planner's estimate (`reltuples`), summed over its partitions; SQLite: counted.
    rows = models.BigIntegerField(_("rows"), null=True, blank=True)
    #: PostgreSQL: `pg_total_relation_size` (indexes and TOAST included), summed over its partitions; SQLite:
    #: its pages and its indexes' (`dbstat`), None when SQLite was built without it.
    bytes = models.BigIntegerField(_("bytes"), null=True, blank=True)
    measured_at = models.DateTimeField(_("measured"))

    class Meta:
        verbose_name = _("table size")
        verbose_name_plural = _("table sizes")

    def __str__(self) -> str:
        return self.table


class TableGrowth(models.Model):
    """The rows a table gained in one month (by its retention rule's date), counted once by the housekeeping
    after the month ended, before any of them may leave."""

    table = models.CharField(_("table"), max_length=100)
    #: The first day of the month.
    month = models.DateField(_("month"))
    rows = models.BigIntegerField(_("rows"))

    class Meta:
        ordering = ["table", "month"]
        constraints = [
            models.UniqueConstraint(fields=["table", "month"], name="core_tablegrowth_one_a_month")
        ]
        verbose_name = _("table growth")
        verbose_name_plural = _("table growth")

    def __str__(self) -> str:
        return f"{self.table} {self.month:%Y-%m}"


class PartnerAccountToken(models.Model):
    """OAuth tokens of a partner user account connected by an Admin (authorization-code grant).

    Tokens are stored encrypted (Fernet); only `partner_api`'s token store reads them.
    """

    label = models.CharField(max_length=100, unique=True, default="default")
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scope = models.CharField(max_length=200, blank=True)
    encrypted_tokens = models.BinaryField()
    access_expires_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(auto_now=True)
    #: When the refresh token kept was issued (it lasts `partner.REFRESH_TOKEN_DAYS` unless the app rotates it), and
    #: its SHA-256, to tell a new one from the same one saved again.
    refresh_issued_at = models.DateTimeField(null=True, blank=True)
    refresh_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("connected partner account")
        verbose_name_plural = _("connected partner accounts")

    def __str__(self) -> str:
        return self.label


class UserLanguage(models.Model):
    """The language a user reads the portal in, remembered for what reaches them without a request of theirs in it:
    the calendar feed their calendar app polls (no session, no browser language). Set when they sign in and when
    they switch the language (portal.core.services.language_remember)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="language",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=8)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("language of a user")
        verbose_name_plural = _("languages of users")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class Access(models.Model):
    """Holds the portal's Django permissions, one per permission an app contributes (`access.Perm`): made and
    granted to the role groups after every migrate (portal/core/roles.py). No table is created."""

    class Meta:
        managed = False
        default_permissions = ()

    def __str__(self) -> str:
        return "access"


class Batch(Run):
    """A bulk change (`portal.core.changes.bulk`): one action with one set of values, over rows of a list. Made
    as a dry run (CHECKED), then sent (RUNNING: each ticked row its own Operation), STOPPED or FINISHED.

    A `Run` over its ticked rows (`total`, set when sent; `done` and `failed` counted when it finishes); each row's
    liveness is its Operation's."""

    class State(models.TextChoices):
        CHECKED = "checked", _("Dry run")
        RUNNING = "running", _("Sending")
        STOPPED = "stopped", _("Stopped")
        FINISHED = "finished", _("Finished")

    class Approval(models.TextChoices):
        """A second person's approval, where an Admin's rule asks for one (`ApprovalRule`)."""

        NONE = "", _("Not needed")
        WAITING = "waiting", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    action = models.CharField(_("action"), max_length=80)
    values = models.JSONField(_("values"), default=dict, blank=True)
    reason = models.CharField(_("reason / ticket"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.CHECKED)
    started_at = models.DateTimeField(null=True, blank=True)
    approval = models.CharField(
        _("approval"), max_length=16, choices=Approval.choices, default=Approval.NONE, blank=True
    )
    #: When its requester confirmed the dry run and asked for approval (a request expires APPROVAL_HOURS after).
    approval_asked_at = models.DateTimeField(_("approval asked"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approval_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    approval_note = models.CharField(_("approver's reason"), max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("bulk change")
        verbose_name_plural = _("bulk changes")
        # The requests waiting for approval (the worklist's section, its full list), newest first: a range of
        # this small index whatever the number of batches.
        indexes = [
            models.Index(
                fields=["-approval_asked_at"],
                name="core_batch_approval_waiting",
                condition=models.Q(approval="waiting"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        """Finished or stopped (a stopped batch may be resumed: it is running again then)."""
        return self.state in (self.State.STOPPED, self.State.FINISHED)


class ApprovalRule(models.Model):
    """An Admin's rule: a bulk change of this action over more than `over_rows` ticked rows is sent only once a
    second person has approved it (0: every one)."""

    action = models.CharField(_("action"), max_length=80, unique=True)
    over_rows = models.PositiveIntegerField(_("approval over this many rows"))

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self) -> str:
        return f"{self.action} > {self.over_rows}"


class BatchRow(models.Model):
    """One row of a batch: what the dry run found (`found`: before and after, side effects, or the refusal) and
    what became of it (its Operation, or `outcome` for the portal's own data, written by a service)."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    #: The list's name and the row's key there ("subscriptions:8"): a running batch holds it.
    key = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    domain_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(max_length=300, blank=True)
    ticked = models.BooleanField(default=True)
    found = models.JSONField(default=dict, blank=True)
    operation = models.ForeignKey(
        Operation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: For a row written by a service: "applied", "unchanged" or "refused" (with `note`).
    outcome = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["batch", "key"], name="core_batchrow_batch_key")]
        indexes = [models.Index(fields=["key"], name="core_batchrow_key")]

    def __str__(self) -> str:
        return self.key


class RefreshMark(models.Model):
    """Why a customer's copy should be read again before its turn (portal/core/sync/need.py): its page was opened
    recently, or its last read failed (a write through the portal is in the audit trail already). One row per
    customer with a reason; a page view writes it at most once per REFRESH_MARK_EVERY_SECONDS; dropped when no
    reason is left."""

    domain_id = models.BigIntegerField(primary_key=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.domain_id)


class CopyChange(models.Model):
    """When a customer's cached copy was last written (a resync's store of any of its rows, its listing page,
    a change applied through the portal): what a copy derived from the cache (billing's kept estimate) compares
    with to know it must be worked out again. And, apart, when the portal's own data of the customer was last
    written (its billing details, a price edit, an invoice issued): what only a copy made from that data too
    (invoicing's kept drafts) compares with. One row per customer, moved on by `portal.core.copies`."""

    domain_id = models.BigIntegerField(primary_key=True)
    changed_at = models.DateTimeField(db_index=True)
    own_changed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.domain_id} {self.changed_at}"


class Notice(models.Model):
    """One thing the portal tells one person, or one team room, outside its pages (portal/core/notices/): written
    by `notices.tell` in the transaction of the work it reports, delivered by the worker after that commits. Never
    sent twice: a notice whose answer was lost is `UNKNOWN`, and one whose worker died while sending it too."""

    class Way(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LINE_WORKS = "line_works", _("LINE WORKS")
        ROOM = "room", _("LINE WORKS room")

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")
        UNKNOWN = "unknown", _("Unknown")

    kind = models.CharField(_("kind"), max_length=64)
    way = models.CharField(_("way"), max_length=16, choices=Way.choices)
    #: The person told (by e-mail or the bot), or None for a team room's notice.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey("NoticeRoom", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    #: What it reports, so that the same step is never told twice to the same person or room ("" : no such rule).
    key = models.CharField(max_length=120, blank=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    #: The portal page it opens (absolute), or "".
    url = models.CharField(_("link"), max_length=500, blank=True)
    #: Its buttons, `[{"label": ..., "url": ...}]`, in the reader's language: the first opens `url`.
    links = models.JSONField(default=list, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When it is tried (again), while WAITING; when the attempt under way started, while SENDING.
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: Why the last attempt did not deliver it, in words.
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # What the worker's minute delivers, or finds stuck: the few not yet done, by time.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state__in=["waiting", "sending"]),
                name="core_notice_due",
            ),
            models.Index(fields=["user", "-created_at"], name="core_notice_user"),
            models.Index(fields=["room", "-created_at"], name="core_notice_room"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key", "user"],
                condition=~models.Q(key="") & models.Q(user__isnull=False),
                name="core_notice_once_to_person",
            ),
            models.UniqueConstraint(
                fields=["kind", "key", "room"],
                condition=~models.Q(key="") & models.Q(room__isnull=False),
                name="core_notice_once_to_room",
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(room__isnull=False),
                name="core_notice_to_someone",
            ),
        ]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return f"{self.kind} to {self.user_id} by {self.way}: {self.state}"


class ApiToken(models.Model):
    """A person's personal token for the portal's own JSON API (`portal.core.api`). The secret is shown once, when
    made, and kept only as its SHA-256 digest; `prefix` (its first characters) names it on pages and in logs.
    `levels` gives each area's level (`read`, `write`; an area left out is none), never more than the owner's
    role holds, and checked against the role again at every call, so a role taken away later shrinks the token.
    A token is never deleted: revoked, it is disabled (`enabled` false, `revoked_at`, `revoked_by`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of the token"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    description = models.CharField(_("description"), max_length=200)
    prefix = models.CharField(_("token starts with"), max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    levels = models.JSONField(_("levels by area"), default=dict, blank=True)
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="core_api_token_user")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"


class ApiCall(models.Model):
    """One call of the portal's API, by its token: every call, read or write, refused or not, as one narrow row
    (no body), so that reads cost one small insert and the Activity page, which lists writes, does not drown. A
    write's attempts are in the audit trail as well, naming the token (`AuditEntry.api_token`)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    token = models.ForeignKey(
        ApiToken, verbose_name=_("API token"), null=True, on_delete=models.SET_NULL, related_name="calls"
    )
    method = models.CharField(_("method"), max_length=8)
    #: The endpoint's route ("/subscriptions/{subscription_id}/renewal"), not the path: no customer in it.
    route = models.CharField(_("endpoint"), max_length=200)
    status = models.PositiveSmallIntegerField(_("answer status"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    operation = models.UUIDField(_("change"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        indexes = [
            models.Index(fields=["token", "-created_at"], name="core_api_call_token"),
            models.Index(fields=["created_at"], name="core_api_call_time"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status}"


class ApiIdempotency(models.Model):
    """The first answer to a write asked with an `Idempotency-Key` (per token): the same key and the same
    request get that answer again; the same key with another request is refused (`fingerprint`: the digest of
    the method, route and body). `status` is None while the first request is being answered."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="core_api_idempotency_key")]
        verbose_name = _("API idempotency key")
        verbose_name_plural = _("API idempotency keys")

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"
        return f"{self.kind} to {self.user_id or self.room_id} by {self.way}: {self.state}"


class NoticeChoice(models.Model):
    """How a person wants to be told of one kind of notice (`notices.kinds`); a kind without a row is told its
    default way."""

    class Way(models.TextChoices):
        EMAIL = "email", _("E-mail")
        LINE_WORKS = "line_works", _("LINE WORKS")
        NONE = "none", _("Not told")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)
    way = models.CharField(_("way"), max_length=16, choices=Way.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="core_notice_choice_one")]
        verbose_name = _("notice choice")
        verbose_name_plural = _("notice choices")

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.way}"


class NoticeAddress(models.Model):
    """Where the partner tenant's bot finds a person in LINE WORKS, when it is not their e-mail address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    line_works_id = models.CharField(_("LINE WORKS ID"), max_length=200)

    class Meta:
        verbose_name = _("LINE WORKS ID of a person")
        verbose_name_plural = _("LINE WORKS IDs of people")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.line_works_id}"


class NoticeRoom(models.Model):
    """A team's talk room in LINE WORKS, reached through its Incoming Webhook URL. The URL is its only secret: kept
    encrypted (`changes.sealing`), never shown again after it is added; `url_end` tells rooms apart."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    sealed_url = models.TextField()
    url_end = models.CharField(max_length=8)
    #: The kinds of notice the room gets (`notices.kinds` keys).
    kinds = models.JSONField(_("notices"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ja")
    enabled = models.BooleanField(_("enabled"), default=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team room")
        verbose_name_plural = _("team rooms")

    def __str__(self) -> str:
        return self.name


class EventEndpoint(models.Model):
    """An address of the partner's own systems that gets the portal's events (portal/core/events/), as the Standard
    Webhooks specification describes them: each signed with the endpoint's secret (kept sealed, shown once)."""

    url = models.CharField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sealed_secret = models.TextField()
    #: The event types it gets (`events.types` keys).
    types = models.JSONField(_("events"), default=list, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    #: Why the portal turned it off (a 410, or failing too long), in words; "" when a person did or it is on.
    disabled_reason = models.TextField(blank=True)
    #: Since when every delivery to it has failed (None: the last one was delivered, or none was tried).
    failing_since = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("event endpoint")
        verbose_name_plural = _("event endpoints")

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """Something that happened, written in the transaction of the work it reports (the outbox) when an endpoint
    gets its type; its id is the `webhook-id` every delivery of it carries, so a receiver tells a retry apart."""

    id = models.CharField(primary_key=True, max_length=40)
    type = models.CharField(_("type"), max_length=64)
    #: What happened, thinly: ids and the portal page to read more (the receiver reads the rest itself).
    data = models.JSONField(default=dict)
    #: What it reports, so that the same happening is one event however often the work runs ("": no such rule).
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["type", "key"], condition=~models.Q(key=""), name="core_event_once"
            )
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class EventDelivery(models.Model):
    """One event to one endpoint: tried until delivered, with back-off for about a day (`events.delivery`)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SENDING = "sending", _("Sending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(EventEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    #: The endpoint's last answer (an HTTP status), or None when it was not reached.
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    #: Why the last attempt did not deliver it, in words.
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(state__in=["waiting", "sending"]),
                name="core_eventdelivery_due",
            ),
            # An endpoint's delivery log, newest first (deliveries made at the same moment in the order made).
            models.Index(fields=["endpoint", "-created_at", "-id"], name="core_eventdelivery_log"),
        ]
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")

    def __str__(self) -> str:
        return f"{self.event_id} to {self.endpoint_id}: {self.state}"
