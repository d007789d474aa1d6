"""Signing in with the company's identity provider (OpenID Connect), when OIDC_ISSUER is set (docs/sign-in.md).

The protocol is Authlib's (docs/decisions.md): the provider's endpoints and keys come from its discovery document,
the authorization code flow carries `state` (kept in the session), a `nonce` and PKCE (S256), and the ID token is
validated: its signature by the provider's JWKS, its issuer (the one of OIDC_ISSUER's discovery document), its
audience (OIDC_CLIENT_ID), its expiry and issue time, the nonce and the access token's hash. Nothing here decides
who the person is to the portal: that is `accounts.services.user_for_identity`, from the `Identity` read here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

from portal.core.access import ROLE_ORDER, Role

logger = logging.getLogger(__name__)

#: Session key naming the issuer a session was signed in through (no such key: signed in with a password).
SESSION_KEY = "portal_signed_in_with"
#: The page to open after the sign-in, kept in the session between the start and the callback.
NEXT_SESSION_KEY = "portal_oidc_next"
#: Why the last sign-in through the provider signed no one in (the refusal page reads it).
REFUSAL_SESSION_KEY = "portal_oidc_refusal"
#: How long the provider's discovery document and keys are used before they are read again.
METADATA_SECONDS = 3600


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in: a wrong or replayed state, an error the provider returned,
    a refused code, an ID token that fails validation (the log says which; the person is told to start again)."""


class ProviderUnreachable(Exception):
    """The provider did not answer, or not as a provider does (its discovery document, token or keys)."""


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its issuer and subject, and the claims the portal reads."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False
    given_name: str = ""
    family_name: str = ""
    username: str = ""
    groups: tuple[str, ...] = ()


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME


def signed_in_with_provider(request: HttpRequest) -> bool:
    """Whether this session was signed in through the identity provider (which did the second factor)."""
    session = getattr(request, "session", None)
    return bool(session is not None and session.get(SESSION_KEY))


def local_signin_allowed(role: Role | None) -> bool:
    """Whether a person of `role` may sign in with a password: anyone while the provider is off; then only the
    break-glass Admins, unless OIDC_LOCAL_SIGNIN is "everyone"."""
    return not enabled() or settings.OIDC_LOCAL_SIGNIN == "everyone" or role == Role.ADMIN


def role_groups() -> dict[str, set[Role]]:
    """OIDC_ROLE_GROUPS ("role:group,role:group") as the roles each group gives (portal/settings.py checked it)."""
    mapping: dict[str, set[Role]] = {}
    for item in settings.OIDC_ROLE_GROUPS.split(","):
        role, _colon, group = (piece.strip() for piece in item.partition(":"))
        if role and group:
            mapping.setdefault(group, set()).add(Role(role))
    return mapping


def role_for(groups: tuple[str, ...]) -> Role | None:
    """The strongest role any of the person's groups gives (the order of `access.ROLE_ORDER`); None for none."""
    mapping = role_groups()
    given = {role for group in groups for role in mapping.get(group, ())}
    return next((role for role in ROLE_ORDER if role in given), None)


# --- The client ------------------------------------------------------------------------------------------------

_apps: dict[tuple, DjangoOAuth2App] = {}


def _scopes() -> str:
    scopes = settings.OIDC_SCOPES.split()
    return " ".join(scopes if "openid" in scopes else ["openid", *scopes])


def _app() -> DjangoOAuth2App:
    """The Authlib client of the settings in force, its discovery document read at most METADATA_SECONDS ago."""
    key = (
        settings.OIDC_ISSUER,
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        _scopes(),
        settings.OIDC_TIMEOUT,
    )
    app = _apps.get(key)
    if app is None or time.time() - app.server_metadata.get("_loaded_at", 0) > METADATA_SECONDS:
        app = DjangoOAuth2App(
            DjangoIntegration("oidc"),
            name="oidc",
            client_id=settings.OIDC_CLIENT_ID,
            client_secret=settings.OIDC_CLIENT_SECRET,
            server_metadata_url=settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": _scopes(),
                "code_challenge_method": "S256",
                "default_timeout": settings.OIDC_TIMEOUT,
            },
        )
        _apps.clear()
        _apps[key] = app
    return app


def _metadata(app: DjangoOAuth2App) -> dict[str, Any]:
    """The discovery document, whose issuer must be OIDC_ISSUER (OpenID Connect Discovery 1.0, 4.3)."""
    try:
        metadata = app.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnreachable(f"discovery: {exc}") from exc
    if str(metadata.get("issuer", "")).rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
        raise ProviderUnreachable(f"discovery names the issuer {metadata.get('issuer')!r}, not OIDC_ISSUER")
    return metadata


def sign_in_redirect(request: HttpRequest, *, callback_url: str) -> HttpResponse:
    """The redirect to the provider's sign-in, with a new state, nonce and PKCE verifier kept in the session."""
    app = _app()
    _metadata(app)
    try:
        return app.authorize_redirect(request, callback_url)
    except (AuthlibBaseError, RuntimeError) as exc:
        raise ProviderUnreachable(f"authorize: {exc}") from exc


def identity_from_callback(request: HttpRequest) -> Identity:
    """The person the provider's answer at the callback names, every check passed (the module's docstring)."""
    app = _app()
    metadata = _metadata(app)
    claims_options = {
        "iss": {"essential": True, "value": metadata["issuer"]},
        "aud": {"essential": True, "value": settings.OIDC_CLIENT_ID},
    }
    try:
        token = app.authorize_access_token(request, claims_options=claims_options, leeway=60)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise SignInFailed("the token answer has no ID token")
        claims = _with_userinfo(app, token, claims)
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnreachable(f"token: {exc}") from exc
    except (AuthlibBaseError, JoseError) as exc:
        raise SignInFailed(f"{type(exc).__name__}: {exc}") from exc
    return _identity(metadata["issuer"], claims)


def _with_userinfo(app: DjangoOAuth2App, token: dict, claims: dict[str, Any]) -> dict[str, Any]:
    """The ID token's claims, with the userinfo endpoint's where the ID token lacks the groups or the e-mail's
    verification (many providers send those from userinfo only); its `sub` must be the ID token's."""
    wanted = settings.OIDC_GROUPS_CLAIM.split(".")[0]
    if (wanted in claims and "email_verified" in claims) or not app.server_metadata.get("userinfo_endpoint"):
        return claims
    info = dict(app.userinfo(token=token))
    if info.get("sub") != claims.get("sub"):
        raise SignInFailed("userinfo names another subject than the ID token")
    return {**info, **claims}


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _identity(issuer: str, claims: dict[str, Any]) -> Identity:
    groups = _claim(claims, settings.OIDC_GROUPS_CLAIM)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        groups = []
    verified = claims.get("email_verified")
    return Identity(
        issuer=issuer,
        subject=str(claims["sub"]),
        email=str(claims.get("email") or "").strip(),
        # Only a JSON true (some providers send the string "true").
        email_verified=verified is True or verified == "true",
        # A provider that sends only `name` has it kept whole as the given name.
        given_name=str(claims.get("given_name") or "").strip() or str(claims.get("name") or "").strip(),
        family_name=str(claims.get("family_name") or "").strip() if claims.get("given_name") else "",
        username=str(claims.get("preferred_username") or "").strip(),
        groups=tuple(str(g) for g in groups if isinstance(g, str | int)),
    )
