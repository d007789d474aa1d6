"""Secrets a change carries before it is sent (a new administrator's password), encrypted with one key.

The engine keeps them sealed on the Operation until sent (`Change.secret_args`); the two-step change page carries
a password field sealed from the form to its confirmation, so the page that asks "Check before sending" never
holds the password in clear and the browser posts back what it cannot read.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

#: How long a password carried to the confirmation page stays good (then it is typed again).
CARRIED_SECONDS = 3600


def fernet() -> Fernet:
    key = settings.PARTNER_API_TOKEN_ENCRYPTION_KEY or base64.urlsafe_b64encode(
        hashlib.sha256(f"portal-changes:{settings.SECRET_KEY}".encode()).digest()
    )
    return Fernet(key)


def seal(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def unseal(token: str, *, max_age: int | None = None) -> str | None:
    """The sealed value, or None when the token is not one of ours, was altered or is older than `max_age` s."""
    try:
        return fernet().decrypt(token.encode(), ttl=max_age).decode()
    except (InvalidToken, UnicodeError, ValueError):
        return None
