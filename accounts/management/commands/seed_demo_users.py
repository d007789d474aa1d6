"""Demo users, one per role. Run by `make run` only; never in a real deployment (refused when DEBUG is false).

The demo Admin and Account manager sign in with two steps like real ones; their authenticator uses the demo
key below, which the `make run` banner names, so a visitor can add it to an authenticator app, or read the
current code with `manage.py demo_code`.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import user_create_with_role
from portal.core.access import Role, two_factor_roles
from portal.core.notices.choices import line_works_id_set

DEMO_PASSWORD = "portal-demo"
DEMO_USERS = [
    ("manager", Role.ACCOUNT_MANAGER, "Aiko", "Sato"),
    ("support", Role.SUPPORT, "Ken", "Tanaka"),
    ("finance", Role.FINANCE, "Emma", "Clark"),
    ("admin", Role.ADMIN, "Hiro", "Suzuki"),
]
#: The demo users' e-mail domain (reserved for documentation, RFC 2606): the morning digest of the demo Account
#: manager is written under var/mail/ by `make run`, never sent.
DEMO_MAIL_DOMAIN = "example.com"
#: Their LINE WORKS IDs in the sandbox's partner tenant (its directory has them), for notices from its bot.
DEMO_LINE_WORKS_DOMAIN = "partner-demo.by-works.com"
#: The demo authenticators' key (hex, 20 bytes): public by design, for the local demo only.
DEMO_TOTP_KEY = b"partner-portal-demo!".hex()


def demo_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
    )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return device


class Command(BaseCommand):
    help = "Create one demo user per role (password: portal-demo). Development only."

    def handle(self, *args, **opts):
        if not settings.DEBUG:
            raise CommandError("Demo users are for development only (DEBUG is false).")
        for username, role, first, last in DEMO_USERS:
            user = user_create_with_role(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@{DEMO_MAIL_DOMAIN}",
            )
            line_works_id_set(user=user, line_works_id=f"{username}@{DEMO_LINE_WORKS_DOMAIN}")
            if role in two_factor_roles():
                demo_device(user)
            self.stdout.write(f"  {username:<8} / {DEMO_PASSWORD}   {role.label}")
