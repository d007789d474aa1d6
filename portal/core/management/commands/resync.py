"""Resync the Partner API into the cache tables: `manage.py resync` (now) or `manage.py resync --enqueue`
(for a worker; with `--follow`, its progress is shown on one line until it finishes, as `make run` does).
`manage.py resync --partner-wide` (or `--billing`) makes the partner-wide walks the apps keep fresh instead
(billing: the last closed month and the running month), as beat does twice a day."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from portal.core import sync
from portal.core.models import SyncRun


class Command(BaseCommand):
    help = "Run a full resync now and print its figures, or hand it to a Celery worker with --enqueue."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the run for a worker and return.")
        parser.add_argument("--customer", type=int, help="Refresh only this customer (domainId).")
        parser.add_argument(
            "--follow", action="store_true", help="With --enqueue: show the run's progress until it finishes."
        )
        parser.add_argument(
            "--timeout", type=float, default=1800, help="With --follow: give up after so many s."
        )
        parser.add_argument(
            "--partner-wide",
            "--billing",
            dest="partner_wide",
            action="store_true",
            help="Make the partner-wide walks kept fresh (billing's last closed month and running month) now.",
        )

    def handle(self, *args, **opts):
        if opts["partner_wide"]:
            self.partner_wide()
            return
        if opts["enqueue"]:
            if opts["customer"]:
                sync.resync_customer_request(domain_id=opts["customer"])
                self.stdout.write(f"Queued a refresh of customer {opts['customer']}.")
                return
            run, created = sync.resync_full_request(user=None)
            if opts["follow"]:
                # None: a full run already holds the lock (the beat started one): follow that one.
                self.follow(run.pk if run else None, timeout=opts["timeout"])
                return
            self.stdout.write(
                "Queued a full resync." if created else "A full resync is already queued or running."
            )
            return
        try:
            run = sync.resync_customer(domain_id=opts["customer"]) if opts["customer"] else sync.resync_full()
        except sync.SyncAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{run.get_status_display()}: {run.done}/{run.total} items in {run.duration}; "
            f"counts {run.counts}; calls {run.calls}; errors {len(run.errors)}"
        )

    def partner_wide(self) -> None:
        runs = sync.resync_partner_wide_fresh()
        if not runs:
            self.stdout.write("Nothing to fetch: every walk kept fresh is already under way.")
        failed = False
        for run in runs:
            failed = failed or run.status == SyncRun.Status.FAILED
            self.stdout.write(
                f"{run.scope}: {run.get_status_display()}; {run.done} pages; counts {run.counts}; "
                f"calls {run.calls}; errors {len(run.errors)}"
            )
        if failed:
            raise CommandError("A walk failed; the Sync page shows why.")

    def follow(self, run_id: int | None, *, timeout: float) -> None:
        """One line that a terminal rewrites in place ("First sync: 120/200 customers, 60 %"), then how it
        ended. A run after an earlier full one (`make run` again on the same data) is a resync, not the first."""
        tty = self.stdout.isatty()
        deadline = time.monotonic() + timeout
        shown = ""

        def current() -> SyncRun | None:
            if run_id is not None:
                return SyncRun.objects.filter(pk=run_id).first()
            return SyncRun.objects.filter(kind=sync.FULL).order_by("-requested_at", "-id").first()

        followed = current()
        earlier = SyncRun.objects.filter(kind=sync.FULL).exclude(finished_at=None)
        if followed is not None:
            earlier = earlier.filter(
                Q(requested_at__lt=followed.requested_at)
                | Q(requested_at=followed.requested_at, pk__lt=followed.pk)
            )
        name = "Resync" if earlier.exists() else "First sync"

        while time.monotonic() < deadline:
            run = current()
            if run is not None and run.finished_at:
                break
            line = (
                f"{name}: {run.done}/{run.total} customers, {run.progress} %"
                if run is not None and run.total
                else f"{name}: waiting for the worker…"
            )
            if tty and line != shown:
                self.stdout.write(f"\r{line}\033[K", ending="")
                self.stdout.flush()
                shown = line
            time.sleep(1)
        run = current()
        if tty:
            self.stdout.write("\r\033[K", ending="")
        if run is None or not run.finished_at:
            self.stdout.write(f"{name}: still running; the Sync page shows its progress.")
            return
        seconds = run.duration.total_seconds() if run.duration else 0
        self.stdout.write(
            f"{name} {run.get_status_display().lower()}: {run.done}/{run.total} customers in {seconds:.0f} s"
            + (f", {len(run.errors)} errors (see the Sync page)" if run.errors else "")
            + "."
        )
