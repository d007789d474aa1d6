"""The Partner API client: the portal's only door to LINE WORKS. Framework-free (no Django imports).

    from partner_api import PartnerClient, ServiceAccountAuth, OAuthConfig
    client = PartnerClient(base_url=..., auth=ServiceAccountAuth(OAuthConfig(...), service_account=...,
                                                                   private_key=...))
    for customer in client.iter_customers():
        ...

In the portal use `portal.core.partner.get_client()`, which builds it from the settings.
"""

from partner_api import constants, models
from partner_api.auth import (
    MemoryTokenStore,
    OAuthConfig,
    RefreshTokenVault,
    ServiceAccountAuth,
    Token,
    TokenProvider,
    TokenStore,
    UserAccountAuth,
)
from partner_api.client import UNSET, PartnerClient, Unset
from partner_api.errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    PaginationError,
    PartnerApiError,
    RateLimitedError,
    RejectedError,
    ResponseFormatError,
    ServerError,
    TransportError,
)
from partner_api.exchange import Exchange
from partner_api.operations import OPERATIONS, Operation
from partner_api.ratelimit import (
    GivingWay,
    MemoryRateLimiter,
    NoRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    TimelineLimiter,
)
from partner_api.transport import CallTally, call_tally, call_tally_start, requests_sent

__all__ = [
    "OPERATIONS",
    "UNSET",
    "AuthenticationError",
    "CallTally",
    "ConfigurationError",
    "Exchange",
    "ForbiddenError",
    "GivingWay",
    "MemoryRateLimiter",
    "MemoryTokenStore",
    "NoRateLimiter",
    "NotFoundError",
    "OAuthConfig",
    "Operation",
    "OutcomeUnknownError",
    "PaginationError",
    "PartnerApiError",
    "PartnerClient",
    "RateLimitedError",
    "RateLimiter",
    "RedisRateLimiter",
    "TimelineLimiter",
    "RefreshTokenVault",
    "RejectedError",
    "ResponseFormatError",
    "ServerError",
    "ServiceAccountAuth",
    "Token",
    "TokenProvider",
    "TokenStore",
    "TransportError",
    "Unset",
    "UserAccountAuth",
    "call_tally",
    "call_tally_start",
    "constants",
    "requests_sent",
    "models",
]
