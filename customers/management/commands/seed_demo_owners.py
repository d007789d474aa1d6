"""Who looks after the demo's customers. Run by `make run` after its first sync, with the sandbox only; never in a
real deployment (refused when DEBUG is false).

The demo Account manager (`manager`, from `seed_demo_users`) looks after two customers in three (by domainId),
and the support demo user is the support contact of about half of those; the rest stay without
an owner, so the Admin's "Customers without an owner" has work too. Only customers without an owner are given
one: a choice made on the portal's pages is kept. Each assignment is written by the service, as the demo Admin,
so the Activity page shows it like any other.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from customers.models import Customer
from customers.services import customer_owner_set


class Command(BaseCommand):
    help = "Give the demo Account manager most of the demo's customers. Development only."

    def handle(self, *args, **opts):
        if not settings.DEBUG:
            raise CommandError("Demo owners are for development only (DEBUG is false).")
        people = {
            u.username: u
            for u in get_user_model().objects.filter(username__in=("admin", "manager", "support"))
        }
        if set(people) != {"admin", "manager", "support"}:
            raise CommandError("Run `manage.py seed_demo_users` first.")
        unowned = (
            Customer.objects.filter(removed_at=None, owner__isnull=True)
            .order_by("domain_id")
            .values_list("domain_id", flat=True)
        )
        given = 0
        for domain_id in list(unowned):
            if domain_id % 3 == 2:  # by the customer, so that a later run leaves the same ones unassigned
                continue
            customer_owner_set(
                actor=people["admin"],
                domain_id=domain_id,
                account_manager_id=people["manager"].pk,
                support_contact_id=people["support"].pk if domain_id % 2 == 0 else None,
            )
            given += 1
        self.stdout.write(f"  manager looks after {given} more customers")
