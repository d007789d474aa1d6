"""Start-up checks of signing in (Django's system checks: `manage.py check`, migrate, runserver)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security)
def client_address_header(app_configs=None, **kwargs) -> list[Warning]:
    """Behind a proxy every request comes from the proxy's address unless SIGNIN_CLIENT_IP_HEADER names the
    header the proxy sets: wrong passwords would then be counted for everyone together, and one guesser would
    lock every user out. The settings tell that a proxy is in front: it passes on the scheme or the host."""
    behind = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None)) or any(
        getattr(settings, name, False) for name in ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT")
    )
    if behind and not settings.SIGNIN_CLIENT_IP_HEADER:
        return [
            Warning(
                "The portal is behind a proxy, but SIGNIN_CLIENT_IP_HEADER is not set: every sign-in seems to "
                "come from the proxy's address, so wrong passwords count for all users together and one "
                "guesser locks everyone out.",
                hint="Set SIGNIN_CLIENT_IP_HEADER to the header your proxy puts the client's address in, as "
                "Django names it (e.g. HTTP_X_FORWARDED_FOR), and make the proxy set it.",
                id="accounts.W001",
            )
        ]
    return []
