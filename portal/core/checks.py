"""Start-up checks of the portal's own settings (Django's system checks; `manage.py check --deploy` runs the
deployment ones)."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings
from django.core.checks import Warning, register

#: Backends that hand the message to nobody outside this machine (development, tests).
_KEPT_HERE = ("filebased", "console", "locmem", "dummy")


@register("email", deploy=True)
def sender_address(app_configs=None, **kwargs) -> list[Warning]:
    """Mail that leaves the machine (the digest, customer invoices) from an address at localhost or at a name
    without a dot is refused or filed as spam by most mail servers: the default sender is only for `make run`."""
    if any(kept in settings.EMAIL_BACKEND for kept in _KEPT_HERE):
        return []
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2].lower()
    if "." in domain and domain != "localhost":
        return []
    return [
        Warning(
            f"Mail is sent through {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} from {settings.DEFAULT_FROM_EMAIL!r}, "
            "an address other mail servers cannot reply to: the digest and customers' invoices would be refused "
            "or filed as spam.",
            hint="Set DEFAULT_FROM_EMAIL to the partner's own address, e.g. Partner Portal <portal@example.co.jp>.",
            id="portal.W001",
        )
    ]
