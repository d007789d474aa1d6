"""partner_api stays framework-free: importing it loads neither Django nor any portal app."""

from __future__ import annotations

import subprocess
import sys

from tests.partner_api.contract import REPO


def test_partner_api_imports_no_django_or_portal_app():
    code = (
        "import sys, partner_api, partner_api.client, partner_api.transport;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'portal', 'customers', 'subscriptions', 'options', 'billing', 'sandbox'});"
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
