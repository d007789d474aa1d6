"""Access tokens for the Partner API, obtained with requests-oauthlib and cached for every process.

Two providers, both behind `TokenProvider.access_token()`:

- `ServiceAccountAuth`: the JWT bearer grant (RFC 7523). A JWT about the service account (iss = client id,
  sub = service account, iat/exp) is signed RS256 with the app's private key and exchanged for a token.
  The default for the portal and its workers.
- `UserAccountAuth`: a partner user account connected once through the authorization-code grant
  (`authorization_url()` then `exchange_code()`); afterwards access tokens come from the refresh_token grant.
  Its refresh token lives in a `RefreshTokenVault` supplied by the application (the portal keeps it
  encrypted in its database).

Access tokens are cached in a `TokenStore` (the portal uses the Django cache, i.e. Redis when configured) and
leave the cache a margin before the server's expiry. A new token is obtained under the store's lock, so that
concurrent processes do not all ask at once: the first one fetches, the others find its token in the store.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import jwt
import requests
from oauthlib.oauth2 import Client as OAuthLibClient
from oauthlib.oauth2 import OAuth2Error, WebApplicationClient
from oauthlib.oauth2.rfc6749.parameters import prepare_token_request

from partner_api import constants
from partner_api.errors import (
    AuthenticationError,
    ConfigurationError,
    PartnerApiError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from partner_api.session import PartnerSession

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

logger = logging.getLogger("partner_api.auth")
TOKEN_OPERATION = "oauth2Token"


class _DropBelowWarning(logging.Filter):
    """requests-oauthlib logs tokens and token responses at DEBUG level; those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


for _name in ("requests_oauthlib.oauth2_session", "oauthlib"):
    logging.getLogger(_name).addFilter(_DropBelowWarning())


@dataclass(frozen=True, slots=True)
class Token:
    """An issued token. `expires_at` is the server's expiry in UNIX seconds."""

    access_token: str = field(repr=False)
    expires_at: float
    refresh_token: str | None = field(default=None, repr=False)
    scope: str = ""

    @classmethod
    def from_oauth(cls, data: dict[str, Any], *, now: float | None = None) -> Token:
        now = time.time() if now is None else now
        expires_in = float(data.get("expires_in") or 3600)
        scope = data.get("scope") or ""
        if isinstance(scope, list | tuple):
            scope = constants.SCOPE_SEPARATOR.join(scope)
        return cls(
            access_token=data["access_token"],
            expires_at=now + expires_in,
            refresh_token=data.get("refresh_token") or None,
            scope=scope,
        )

    def cache_ttl(self, now: float | None = None) -> float:
        """Seconds this token may stay cached: its remaining life less a safety margin."""
        now = time.time() if now is None else now
        remaining = self.expires_at - now
        margin = min(constants.TOKEN_EXPIRY_MARGIN_SECONDS, remaining * 0.1)
        return max(0.0, remaining - margin)


class TokenStore(Protocol):
    """Where access tokens are cached, shared by every process that should share them."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def lock(self, key: str, timeout: float) -> AbstractContextManager[None]:
        """A context manager held by one caller at a time (for at most `timeout` seconds)."""
        ...


class MemoryTokenStore:
    """A per-process token store (threads share it)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[dict[str, Any], float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        item = self._data.get(key)
        if item is None or item[1] <= time.monotonic():
            return None
        return dict(item[0])

    def set(self, key: str, value: dict[str, Any], ttl: float) -> None:
        self._data[key] = (dict(value), time.monotonic() + ttl)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        acquired = lock.acquire(timeout=timeout)
        try:
            yield
        finally:
            if acquired:
                lock.release()


class RefreshTokenVault(Protocol):
    """Durable storage of a user account's tokens (the refresh token must survive cache loss)."""

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...


@dataclass(frozen=True)
class OAuthConfig:
    """The app registered in the LINE WORKS Developer Console and its token endpoint."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    authorize_url: str = ""
    connect_timeout: float = constants.DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = constants.DEFAULT_READ_TIMEOUT

    def __post_init__(self) -> None:
        missing = [name for name in ("token_url", "client_id", "client_secret") if not getattr(self, name)]
        if missing:
            raise ConfigurationError(
                "Partner API credentials are incomplete; missing: " + ", ".join(missing) + "."
            )
        allow_plain_http_for_loopback(self.token_url)


def allow_plain_http_for_loopback(url: str) -> None:
    """Refuse plain http except to this machine (the local sandbox), which oauthlib then accepts."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}:
        # oauthlib refuses non-https token URLs unless this is set; only ever for loopback addresses.
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        return
    raise ConfigurationError(f"The Partner API URL {url!r} must use https.")


class JwtBearerClient(OAuthLibClient):
    """oauthlib client for the JWT bearer grant with an assertion built by the caller."""

    grant_type = constants.JWT_BEARER_GRANT_TYPE

    def prepare_request_body(
        self,
        body: str = "",
        assertion: str = "",
        scope: str | None = None,
        include_client_id: bool = True,
        **kwargs: Any,
    ) -> str:
        kwargs.pop("code", None)
        kwargs.pop("redirect_uri", None)
        kwargs["client_id"] = self.client_id
        return prepare_token_request(
            self.grant_type,
            body=body,
            assertion=assertion,
            scope=scope,
            include_client_id=include_client_id,
            **kwargs,
        )


class TokenProvider(ABC):
    """Gives a valid access token from the store, obtaining a new one under the store's lock when needed."""

    lock_timeout = 30.0

    def __init__(self, config: OAuthConfig, *, store: TokenStore, scope: str, cache_key: str) -> None:
        self.config = config
        self.store = store
        self.scope = scope
        self.cache_key = cache_key
        self._refused: set[str] = set()

    def access_token(self) -> str:
        cached = self._cached()
        if cached:
            return cached
        with self.store.lock(self.cache_key + ":lock", self.lock_timeout):
            cached = self._cached()
            if cached:
                return cached
            token = self.obtain()
            ttl = token.cache_ttl()
            if ttl > 0:
                self.store.set(
                    self.cache_key,
                    {
                        "access_token": token.access_token,
                        "expires_at": token.expires_at,
                        "scope": token.scope,
                    },
                    ttl,
                )
            return token.access_token

    def invalidate(self, access_token: str) -> None:
        """Forget `access_token` (refused with 401) unless another process already replaced it."""
        self._refused.add(access_token)
        with self.store.lock(self.cache_key + ":lock", self.lock_timeout):
            entry = self.store.get(self.cache_key)
            if entry and entry.get("access_token") == access_token:
                self.store.delete(self.cache_key)

    def _cached(self) -> str | None:
        entry = self.store.get(self.cache_key)
        if entry and entry.get("expires_at", 0) > time.time():
            token: str = entry["access_token"]
            return token
        return None

    @abstractmethod
    def obtain(self) -> Token:
        """Ask the token endpoint for a new token."""

    # -- token endpoint plumbing ---------------------------------------------------------------------------

    def _session(self, client: OAuthLibClient | None = None, **kwargs: Any) -> PartnerSession:
        session = PartnerSession(
            client_id=self.config.client_id,
            client=client,
            timeout=(self.config.connect_timeout, self.config.read_timeout),
            **kwargs,
        )
        session.register_compliance_hook("access_token_response", _check_token_response)
        session.register_compliance_hook("refresh_token_response", _check_token_response)
        return session

    def _call_token_endpoint(self, grant: str, call: Callable[[], Mapping[str, Any]]) -> Token:
        started = time.perf_counter()
        status: int | str = "error"
        try:
            data = call()
            status = 200
            return Token.from_oauth(dict(data))
        except PartnerApiError as exc:
            status = exc.status or "error"
            raise
        except OAuth2Error as exc:
            status = exc.status_code
            raise AuthenticationError(
                f"The token endpoint refused the {grant} grant ({exc.error}: {exc.description}). "
                + AuthenticationError.hint,
                operation_id=TOKEN_OPERATION,
                status=exc.status_code,
                code=exc.error or "",
                description=exc.description or "",
            ) from exc
        except Warning as exc:  # oauthlib: the granted scope differs from the requested one
            raise AuthenticationError(
                f"The token endpoint granted another scope than {self.scope!r}: {exc}",
                operation_id=TOKEN_OPERATION,
            ) from exc
        except requests.Timeout as exc:
            raise TransportError(
                f"The token endpoint did not answer in time ({grant} grant). " + TransportError.hint,
                operation_id=TOKEN_OPERATION,
            ) from exc
        except requests.RequestException as exc:
            raise TransportError(
                f"The token endpoint could not be reached ({grant} grant). " + TransportError.hint,
                operation_id=TOKEN_OPERATION,
            ) from exc
        finally:
            logger.debug(
                "partner_api token grant=%s status=%s duration_ms=%.1f",
                grant,
                status,
                (time.perf_counter() - started) * 1000,
                extra={"operation_id": TOKEN_OPERATION, "grant": grant, "status": status},
            )


def _check_token_response(response: requests.Response) -> requests.Response:
    """Turn 5xx/429 answers of the token endpoint into our errors before oauthlib parses the body."""
    if response.status_code == 429:
        raise RateLimitedError(operation_id=TOKEN_OPERATION, status=429, code="TOO_MANY_REQUESTS")
    if response.status_code >= 500:
        raise ServerError(operation_id=TOKEN_OPERATION, status=response.status_code)
    return response


@functools.lru_cache(maxsize=8)
def _signing_key(pem: str | bytes) -> RSAPrivateKey:
    """The RSA private key of a PEM, loaded once per process: loading checks the key's arithmetic, which costs more
    than the signing itself, and every token a process obtains is signed with the same key. A key of another kind
    cannot sign RS256 (TypeError)."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError(f"an RS256 signature needs an RSA key, not {type(key).__name__}")
    return key


class ServiceAccountAuth(TokenProvider):
    """Tokens for the app's service account through the JWT bearer grant."""

    def __init__(
        self,
        config: OAuthConfig,
        *,
        service_account: str,
        private_key: str | bytes,
        store: TokenStore | None = None,
        scope: str = constants.SCOPE_WRITE,
        cache_key: str | None = None,
    ) -> None:
        if not service_account or not private_key:
            raise ConfigurationError(
                "The service account and its private key are required for the JWT bearer grant."
            )
        super().__init__(
            config,
            store=store if store is not None else MemoryTokenStore(),
            scope=scope,
            cache_key=cache_key or f"partner_api:token:sa:{config.client_id}:{service_account}:{scope}",
        )
        self.service_account = service_account
        self.private_key = private_key

    def assertion(self, now: float | None = None) -> str:
        """The signed JWT: iss = client id, sub = service account, iat and exp as UNIX seconds."""
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.config.client_id,
            "sub": self.service_account,
            "iat": issued,
            "exp": issued + constants.JWT_ASSERTION_LIFETIME_SECONDS,
        }
        try:
            return jwt.encode(
                claims, _signing_key(self.private_key), algorithm="RS256", headers={"typ": "JWT"}
            )
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise ConfigurationError(
                "The service account's private key cannot sign the JWT; check PARTNER_API_PRIVATE_KEY_FILE "
                "(PKCS#8 PEM from the Developer Console)."
            ) from exc

    def obtain(self) -> Token:
        session = self._session(client=JwtBearerClient(self.config.client_id))
        return self._call_token_endpoint(
            "jwt-bearer",
            lambda: session.fetch_token(
                self.config.token_url,
                assertion=self.assertion(),
                scope=self.scope,
                include_client_id=True,
                client_secret=self.config.client_secret,
            ),
        )


class UserAccountAuth(TokenProvider):
    """Tokens for a connected partner user account: authorization code once, then refresh_token grants."""

    def __init__(
        self,
        config: OAuthConfig,
        *,
        vault: RefreshTokenVault | None = None,
        store: TokenStore | None = None,
        scope: str = constants.SCOPE_WRITE,
        cache_key: str | None = None,
    ) -> None:
        super().__init__(
            config,
            store=store if store is not None else MemoryTokenStore(),
            scope=scope,
            cache_key=cache_key or f"partner_api:token:user:{config.client_id}:{scope}",
        )
        self.vault = vault

    def authorization_url(self, *, redirect_uri: str, state: str | None = None) -> tuple[str, str]:
        """The URL to send the Admin's browser to, and the `state` to check on the way back."""
        if not self.config.authorize_url:
            raise ConfigurationError("PARTNER_API_AUTHORIZE_URL is not set.")
        allow_plain_http_for_loopback(self.config.authorize_url)
        session = self._session(redirect_uri=redirect_uri, scope=self.scope, state=state)
        return session.authorization_url(self.config.authorize_url)

    def exchange_code(self, *, code: str, redirect_uri: str) -> Token:
        """Exchange the authorization code for tokens; saves them in the vault when there is one."""
        session = self._session(client=WebApplicationClient(self.config.client_id), redirect_uri=redirect_uri)
        token = self._call_token_endpoint(
            "authorization_code",
            lambda: session.fetch_token(
                self.config.token_url,
                code=code,
                include_client_id=True,
                client_secret=self.config.client_secret,
            ),
        )
        if self.vault is not None:
            self.vault.save(token)
        return token

    def refresh(self, refresh_token: str) -> Token:
        """The refresh_token grant. Keeps the old refresh token unless the server rotated it."""
        session = self._session(client=WebApplicationClient(self.config.client_id))
        token = self._call_token_endpoint(
            "refresh_token",
            lambda: session.refresh_token(
                self.config.token_url,
                refresh_token=refresh_token,
                client_id=self.config.client_id,
                client_secret=self.config.client_secret,
            ),
        )
        if not token.refresh_token:
            token = Token(token.access_token, token.expires_at, refresh_token, token.scope)
        return token

    def obtain(self) -> Token:
        stored = self.vault.load() if self.vault is not None else None
        if stored is not None and stored.cache_ttl() > 0 and stored.access_token not in self._refused:
            return stored  # issued recently (e.g. just connected) and still good
        if stored is None or not stored.refresh_token:
            raise AuthenticationError(
                "No partner user account is connected: an Admin must connect it on the "
                "“Connect partner account” page.",
                operation_id=TOKEN_OPERATION,
            )
        token = self.refresh(stored.refresh_token)
        if self.vault is not None:
            self.vault.save(token)
        return token
