"""The portal's side of `partner_api`: the client built from settings, and the stores it needs from Django.

- `get_client()`: the `PartnerClient` of this process (service account by default), with tokens cached in the
  Django cache (Redis when REDIS_URL is set) and the rate limiter in Redis (per process without Redis), calls that
  go on for long paced at PARTNER_API_SUSTAINED_SHARE of the limit (`sustained_rate()`); with
  METRICS_ENABLED its observer counts every attempt per operation (portal/core/metrics.py).
- `check_token()`: raises unless an access token can be had; `/readyz` calls it.
- The connected partner user account's tokens, kept encrypted (Fernet) in `PartnerAccountToken`
  (`DatabaseTokenVault`); the pages that connect it are the partner_account room's.

Services import `get_client` from here; views never import `partner_api` itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.cache import cache as default_cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _

from partner_api import (
    ConfigurationError,
    GivingWay,
    MemoryRateLimiter,
    OAuthConfig,
    PartnerClient,
    RedisRateLimiter,
    ServiceAccountAuth,
    TimelineLimiter,
    Token,
    TokenProvider,
    UserAccountAuth,
    constants,
)
from partner_api.messaging import SCOPE_BOT_MESSAGE, MessagingClient, post_incoming_webhook
from portal.core import metrics
from portal.core.models import PartnerAccountToken

Account = Literal["service", "user"]
ACCOUNT_LABEL = "default"
CACHE_PREFIX = "partner_api"


class PartnerConnectionError(Exception):
    """The partner account's connection failed or its stored tokens cannot be used; the message says what to
    do."""


# --- token store on the Django cache ----------------------------------------------------------------------


class DjangoCacheTokenStore:
    """partner_api's TokenStore on a Django cache. The lock is `cache.add` (SET NX with expiry on Redis), so
    web and worker processes sharing the cache refresh a token one at a time."""

    poll_interval = 0.05

    def __init__(self, cache=None) -> None:
        self.cache = cache or default_cache

    def get(self, key: str) -> dict[str, Any] | None:
        return self.cache.get(key)

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self.cache.set(key, value, timeout=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        self.cache.delete(key)

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + timeout
        acquired = self.cache.add(key, owner, timeout=max(1, int(timeout)))
        while not acquired and time.monotonic() < deadline:
            time.sleep(self.poll_interval)
            acquired = self.cache.add(key, owner, timeout=max(1, int(timeout)))
        # Past the deadline the holder is presumed dead (its lock expires too): carry on without the lock.
        try:
            yield
        finally:
            if acquired and self.cache.get(key) == owner:
                self.cache.delete(key)


# --- the connected user account's tokens, encrypted at rest -----------------------------------------------


def _fernet() -> Fernet:
    key = settings.PARTNER_API_TOKEN_ENCRYPTION_KEY
    if not key:
        digest = hashlib.sha256(b"partner-account-token:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PARTNER_API_TOKEN_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
            "make one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`."
        ) from exc


def encrypt_token(token: Token) -> bytes:
    payload = {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "expires_at": token.expires_at,
        "scope": token.scope,
    }
    return _fernet().encrypt(json.dumps(payload).encode())


def decrypt_token(data: bytes | memoryview) -> Token:
    try:
        payload = json.loads(_fernet().decrypt(bytes(data)))
    except InvalidToken as exc:
        raise PartnerConnectionError(
            _(
                "The stored partner account tokens cannot be decrypted (the encryption key changed); connect again."
            )
        ) from exc
    return Token(
        access_token=payload["access_token"],
        expires_at=float(payload["expires_at"]),
        refresh_token=payload.get("refresh_token"),
        scope=payload.get("scope") or "",
    )


class DatabaseTokenVault:
    """partner_api's RefreshTokenVault on `PartnerAccountToken` (one row per label, tokens encrypted)."""

    def __init__(self, label: str = ACCOUNT_LABEL, connected_by=None) -> None:
        self.label = label
        self.connected_by = connected_by

    def load(self) -> Token | None:
        row = PartnerAccountToken.objects.filter(label=self.label).first()
        return decrypt_token(row.encrypted_tokens) if row else None

    def save(self, token: Token) -> None:
        defaults: dict[str, Any] = {
            "encrypted_tokens": encrypt_token(token),
            "scope": token.scope[:200],
            "access_expires_at": datetime.fromtimestamp(token.expires_at, tz=UTC),
        }
        if self.connected_by is not None:
            defaults["connected_by"] = self.connected_by
        digest = (
            hashlib.sha256((token.refresh_token or "").encode()).hexdigest() if token.refresh_token else ""
        )
        known = PartnerAccountToken.objects.filter(label=self.label).values_list("refresh_digest", flat=True)
        if digest != next(iter(known), None):  # a new refresh token (a connection, or the app rotates them)
            defaults.update(refresh_digest=digest, refresh_issued_at=timezone.now() if digest else None)
        PartnerAccountToken.objects.update_or_create(label=self.label, defaults=defaults)


#: A refresh token lasts this many days after it is issued, unless the app rotates them (contract/parts/
#: common.notes.md): then the Admins must connect the account again (the notice "credential.expiring").
REFRESH_TOKEN_DAYS = 90


# --- building the client ----------------------------------------------------------------------------------

_clients: dict[tuple, PartnerClient] = {}
_messaging_clients: dict[tuple, MessagingClient] = {}
_limiters: dict[tuple, TimelineLimiter] = {}
_guard = threading.Lock()


def oauth_config() -> OAuthConfig:
    return OAuthConfig(
        token_url=settings.PARTNER_API_TOKEN_URL,
        authorize_url=settings.PARTNER_API_AUTHORIZE_URL,
        client_id=settings.PARTNER_API_CLIENT_ID,
        client_secret=settings.PARTNER_API_CLIENT_SECRET,
        connect_timeout=settings.PARTNER_API_CONNECT_TIMEOUT,
        read_timeout=settings.PARTNER_API_READ_TIMEOUT,
    )


def _scope(read_only: bool) -> str:
    return constants.SCOPE_READ if read_only else settings.PARTNER_API_SCOPE


def service_account_configured() -> bool:
    return bool(settings.PARTNER_API_SERVICE_ACCOUNT and settings.PARTNER_API_PRIVATE_KEY_FILE)


def _private_key() -> str:
    path = Path(settings.PARTNER_API_PRIVATE_KEY_FILE)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(
            f"PARTNER_API_PRIVATE_KEY_FILE cannot be read ({path}): {exc.strerror or exc}."
        ) from exc


def _auth(account: Account, scope: str) -> TokenProvider:
    store = DjangoCacheTokenStore()
    if account == "service":
        if not service_account_configured():
            raise ConfigurationError(
                "The service account is not configured: set PARTNER_API_SERVICE_ACCOUNT and "
                "PARTNER_API_PRIVATE_KEY_FILE."
            )
        return ServiceAccountAuth(
            oauth_config(),
            service_account=settings.PARTNER_API_SERVICE_ACCOUNT,
            private_key=_private_key(),
            store=store,
            scope=scope,
            cache_key=service_cache_key(scope),
        )
    return UserAccountAuth(
        oauth_config(),
        vault=DatabaseTokenVault(),
        store=store,
        scope=scope,
        cache_key=user_cache_key(scope),
    )


def _issuer() -> str:
    """Who issued a cached token: the token endpoint and the app (client id) it was issued to, as a short digest.
    A token is good only where it came from: after PARTNER_API_TOKEN_URL or PARTNER_API_CLIENT_ID change (a new
    server, another app), the cache must not hand the old one to the new server (a 401, then a new token)."""
    issuer = f"{settings.PARTNER_API_TOKEN_URL}\n{settings.PARTNER_API_CLIENT_ID}"
    return hashlib.sha256(issuer.encode()).hexdigest()[:16]


def service_cache_key(scope: str) -> str:
    """The cache key of the service account's token: its issuer, the account and the scope."""
    account = hashlib.sha256(settings.PARTNER_API_SERVICE_ACCOUNT.encode()).hexdigest()[:16]
    return f"{CACHE_PREFIX}:token:service:{_issuer()}:{account}:{scope}"


def user_cache_key(scope: str) -> str:
    """The cache key of the connected user account's token: its issuer, the account's label and the scope."""
    return f"{CACHE_PREFIX}:token:user:{_issuer()}:{ACCOUNT_LABEL}:{scope}"


def sustained_rate() -> float:
    """Calls a minute per operation once calls have gone on for PARTNER_API_SUSTAINED_MINUTES: what a continuous
    refresh or a long resync gets (the limiter's sustained pace)."""
    return settings.PARTNER_API_RATE_LIMIT * settings.PARTNER_API_SUSTAINED_SHARE


def _limiter() -> TimelineLimiter:
    key = (
        settings.REDIS_URL,
        settings.PARTNER_API_RATE_LIMIT,
        settings.PARTNER_API_SUSTAINED_SHARE,
        settings.PARTNER_API_SUSTAINED_MINUTES,
    )
    pacing: dict[str, Any] = {
        "limit": settings.PARTNER_API_RATE_LIMIT,
        # Calls that go on for long keep to a share of the limit (the vendor's guidance; ratelimit's docstring).
        "sustained_after": settings.PARTNER_API_SUSTAINED_MINUTES * 60,
        "sustained_share": settings.PARTNER_API_SUSTAINED_SHARE,
    }
    with _guard:
        if key not in _limiters:
            if settings.REDIS_URL:
                import redis

                _limiters[key] = RedisRateLimiter(
                    redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5),
                    prefix=f"{CACHE_PREFIX}:ratelimit",
                    **pacing,
                )
            else:
                _limiters[key] = MemoryRateLimiter(**pacing)
        return _limiters[key]


def _giving_way(wanted: Callable[[], bool]) -> GivingWay:
    """The limiter of calls that give way to others (the full resync's, to the refresh's): the shared limiter,
    each call first kept to RESYNC_FULL_SHARE_GIVING_WAY of its operation's rate while `wanted()`."""
    return GivingWay(_limiter(), share=settings.RESYNC_FULL_SHARE_GIVING_WAY, wanted=wanted)


def get_client(
    *,
    read_only: bool = False,
    account: Account | None = None,
    giving_way: Callable[[], bool] | None = None,
) -> PartnerClient:
    """The Partner API client of this process, built from the settings (and reused while they hold).

    `account`: "service" (JWT bearer grant; the default when PARTNER_API_SERVICE_ACCOUNT and
    PARTNER_API_PRIVATE_KEY_FILE are set) or "user" (the account connected on the "Connect partner account"
    page). `read_only=True` asks for the `partner.read` scope. `giving_way`: a client whose calls give way to others'
    while it says so (the full resync's, to the refresh's while it has customers people look at to read).
    """
    chosen: Account = account or ("service" if service_account_configured() else "user")
    scope = _scope(read_only)
    key = (
        chosen,
        scope,
        settings.PARTNER_API_BASE_URL,
        settings.PARTNER_API_TOKEN_URL,
        settings.PARTNER_API_CLIENT_ID,
        settings.PARTNER_API_CLIENT_SECRET,
        settings.PARTNER_API_SERVICE_ACCOUNT,
        settings.PARTNER_API_PRIVATE_KEY_FILE,
        settings.PARTNER_API_CONNECT_TIMEOUT,
        settings.PARTNER_API_READ_TIMEOUT,
        settings.PARTNER_API_MAX_RETRIES,
        settings.PARTNER_API_RATE_LIMIT,
        settings.PARTNER_API_SUSTAINED_SHARE,
        settings.PARTNER_API_SUSTAINED_MINUTES,
        settings.REDIS_URL,
        settings.METRICS_ENABLED,
        giving_way,
        giving_way and settings.RESYNC_FULL_SHARE_GIVING_WAY,
    )
    with _guard:
        client = _clients.get(key)
    if client is not None:
        return client
    client = PartnerClient(
        base_url=settings.PARTNER_API_BASE_URL,
        auth=_auth(chosen, scope),
        limiter=_giving_way(giving_way) if giving_way else _limiter(),
        connect_timeout=settings.PARTNER_API_CONNECT_TIMEOUT,
        read_timeout=settings.PARTNER_API_READ_TIMEOUT,
        max_retries=settings.PARTNER_API_MAX_RETRIES,
        observer=metrics.observer(),
    )
    with _guard:
        return _clients.setdefault(key, client)


def post_webhook(url: str, *, title: str, text: str) -> None:
    """postIncomingWebhook to a team room's URL through the one rate limiter, with the API's timeouts."""
    post_incoming_webhook(
        url,
        title=title,
        text=text,
        timeout=(settings.PARTNER_API_CONNECT_TIMEOUT, settings.PARTNER_API_READ_TIMEOUT),
        limiter=_limiter(),
    )


def get_messaging_client(*, account: Account | None = None) -> MessagingClient:
    """The client of the partner tenant's bot messages (`partner_api.messaging`, issue 56's notices), built from
    the same settings as `get_client` and sharing its rate limiter: the same service account (or connected user
    account), its token asked for the `bot.message` scope."""
    chosen: Account = account or ("service" if service_account_configured() else "user")
    key = (
        "messaging",
        chosen,
        settings.PARTNER_API_BASE_URL,
        settings.PARTNER_API_TOKEN_URL,
        settings.PARTNER_API_CLIENT_ID,
        settings.PARTNER_API_SERVICE_ACCOUNT,
        settings.PARTNER_API_PRIVATE_KEY_FILE,
        settings.PARTNER_API_CONNECT_TIMEOUT,
        settings.PARTNER_API_READ_TIMEOUT,
        settings.PARTNER_API_MAX_RETRIES,
        settings.PARTNER_API_RATE_LIMIT,
        settings.REDIS_URL,
    )
    with _guard:
        built = _messaging_clients.get(key)
    if built is not None:
        return built
    client = MessagingClient(
        base_url=settings.PARTNER_API_BASE_URL,
        auth=_auth(chosen, SCOPE_BOT_MESSAGE),
        limiter=_limiter(),
        connect_timeout=settings.PARTNER_API_CONNECT_TIMEOUT,
        read_timeout=settings.PARTNER_API_READ_TIMEOUT,
        max_retries=settings.PARTNER_API_MAX_RETRIES,
        observer=metrics.observer(),
    )
    with _guard:
        return _messaging_clients.setdefault(key, client)


def reset_clients() -> None:
    """Forget the built clients (tests; after settings change)."""
    with _guard:
        clients: list[PartnerClient | MessagingClient] = [*_clients.values(), *_messaging_clients.values()]
        _clients.clear()
        _messaging_clients.clear()
        _limiters.clear()
    for client in clients:
        client.close()


def check_token() -> str:
    """Raise (a PartnerApiError naming the problem) unless an access token can be had; /readyz calls this.

    Uses the cached token when there is one, so a ready check does not hit the token endpoint each time.
    """
    client = get_client()
    client.auth.access_token()
    return "service account" if isinstance(client.auth, ServiceAccountAuth) else "user account"


def forget_user_tokens() -> None:
    for scope in {settings.PARTNER_API_SCOPE, constants.SCOPE_READ, constants.SCOPE_WRITE}:
        default_cache.delete(user_cache_key(scope))
