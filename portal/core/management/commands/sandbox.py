"""``python manage.py sandbox <args>``: runs ``python -m sandbox <args>`` in its own process.

The sandbox keeps its own settings (sandbox.settings) and database; nothing of the portal's is shared.
"""

import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the Partner API sandbox CLI: serve, seed, reset, clock, credentials (see sandbox/README.md)."

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="*", help="arguments of python -m sandbox, e.g. serve --port 8001")

    def run_from_argv(self, argv):
        # Everything after "sandbox" goes to the sandbox CLI untouched (its options are not ours).
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
        done = subprocess.run([sys.executable, "-m", "sandbox", *argv[2:]], cwd=settings.BASE_DIR, env=env)
        sys.exit(done.returncode)

    def handle(self, *args, **options):
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
        done = subprocess.run([sys.executable, "-m", "sandbox", *args], cwd=settings.BASE_DIR, env=env)
        if done.returncode:
            sys.exit(done.returncode)
