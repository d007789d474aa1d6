"""Create a portal user with a role, for real deployments: manage.py create_portal_user alice --role support"""

import getpass

from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_create_with_role
from portal.core.access import Role


class Command(BaseCommand):
    help = "Create (or update) a portal user and give them one role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password", help="Asked for interactively when omitted.")

    def handle(self, *args, **opts):
        password = opts["password"]
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if len(password) < 8:
            raise CommandError("Use a password of at least 8 characters.")
        user = user_create_with_role(
            username=opts["username"],
            password=password,
            role=Role(opts["role"]),
            email=opts["email"],
            first_name=opts["first_name"],
            last_name=opts["last_name"],
        )
        self.stdout.write(
            self.style.SUCCESS(f"User {user.username} has the role {Role(opts['role']).label}.")
        )
