"""Demo users, one per role. Run by `make run` only; never in a real deployment."""

from django.core.management.base import BaseCommand

from portal.core.access import Role
from portal.core.services import user_create_with_role

DEMO_PASSWORD = "portal-demo"
DEMO_USERS = [
    ("manager", Role.ACCOUNT_MANAGER, "Aiko", "Sato"),
    ("support", Role.SUPPORT, "Ken", "Tanaka"),
    ("finance", Role.FINANCE, "Emma", "Clark"),
    ("admin", Role.ADMIN, "Hiro", "Suzuki"),
]


class Command(BaseCommand):
    help = "Create one demo user per role (password: portal-demo)."

    def handle(self, *args, **opts):
        for username, role, first, last in DEMO_USERS:
            user_create_with_role(
                username=username, password=DEMO_PASSWORD, role=role, first_name=first, last_name=last
            )
            self.stdout.write(f"  {username:<8} / {DEMO_PASSWORD}   {role.label}")
