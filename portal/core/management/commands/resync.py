"""Resync the Partner API into the cache tables: `manage.py resync` (now) or `manage.py resync --enqueue`."""

from django.core.management.base import BaseCommand, CommandError

from portal.core import sync


class Command(BaseCommand):
    help = "Run a full resync now and print its figures, or hand it to a Celery worker with --enqueue."

    def add_arguments(self, parser):
        parser.add_argument("--enqueue", action="store_true", help="Queue the run for a worker and return.")
        parser.add_argument("--customer", type=int, help="Refresh only this customer (domainId).")

    def handle(self, *args, **opts):
        if opts["enqueue"]:
            if opts["customer"]:
                sync.resync_customer_request(domain_id=opts["customer"])
                self.stdout.write(f"Queued a refresh of customer {opts['customer']}.")
                return
            run, created = sync.resync_full_request(user=None)
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
