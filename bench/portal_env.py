"""The portal's Partner API settings for a sandbox a benchmark started (as environment variables, set before
Django is set up)."""

from __future__ import annotations


def portal_on(sandbox, *, rate_limit: int | str) -> dict[str, str]:
    """PARTNER_API_* pointing at `sandbox`, with the client's limit of calls a minute per operation."""
    creds = sandbox.credentials
    return {
        "PARTNER_API_BASE_URL": sandbox.base_url,
        "PARTNER_API_TOKEN_URL": creds["token_url"],
        "PARTNER_API_CLIENT_ID": creds["client_id"],
        "PARTNER_API_CLIENT_SECRET": creds["client_secret"],
        "PARTNER_API_SERVICE_ACCOUNT": creds["service_account"],
        "PARTNER_API_PRIVATE_KEY_FILE": creds["private_key_file"],
        "PARTNER_API_RATE_LIMIT": str(rate_limit),
    }
