"""The portal's Partner API settings for a sandbox a benchmark started (as environment variables, set before
Django is set up)."""

from __future__ import annotations


def portal_on(sandbox, *, rate_limit: int | str) -> dict[str, str]:
    """PARTNER_API_* pointing at `sandbox`, with the client's limit of calls a minute per operation."""
    return {**sandbox.portal_settings(), "PARTNER_API_RATE_LIMIT": str(rate_limit)}
