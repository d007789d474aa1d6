"""The current sign-in code of the demo Admin and Account manager (`make run`'s demo only)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.management.commands.seed_demo_users import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the code the demo users' authenticator shows now. Development only."

    def handle(self, *args, **opts):
        from django_otp.oath import TOTP
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if not settings.DEBUG:
            raise CommandError("Demo codes are for development only (DEBUG is false).")
        if not TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).exists():
            raise CommandError("No demo user signs in with the demo key: run `manage.py seed_demo_users`.")
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY))
        self.stdout.write(f"{totp.token():06d}  (manager and admin; a new code every 30 seconds)")
