"""OAuth 2.0 server: JWT bearer grant (service account), refresh token, authorization code with a login page.

x-unverified (common securitySchemes x-token-error-response): token-endpoint errors are not in the stored
reference; they are answered in the RFC 6749 section 5.2 shape ``{error, error_description}``, 400 (401 for
invalid_client). The scope separator (a space) is x-unverified too (x-scope-separator).
"""

from __future__ import annotations

import datetime as dt
import secrets
from html import escape
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox.api.common import token_hash
from sandbox.models import OAuthClient, OAuthToken

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KNOWN_SCOPES = ("partner", "partner.read", "bot", "bot.message", "bot.read")
CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ASSERTION_LIFETIME = 3600


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _error(exc: OAuthError) -> JsonResponse:
    return JsonResponse({"error": exc.error, "error_description": exc.description}, status=exc.status)


def _client(client_id: str, client_secret: str | None) -> OAuthClient:
    client = OAuthClient.objects.filter(client_id=client_id).first()
    if client is None or (
        client_secret is not None and not secrets.compare_digest(client.client_secret, client_secret)
    ):
        raise OAuthError("invalid_client", "unknown client or wrong client_secret", 401)
    return client


def _granted_scope(client: OAuthClient, requested: str) -> str:
    wanted = [s for s in requested.split() if s]
    unknown = [s for s in wanted if s not in KNOWN_SCOPES or s not in client.scopes.split()]
    if not wanted or unknown:
        raise OAuthError("invalid_scope", f"scope must be one or more of {' '.join(KNOWN_SCOPES)}")
    return " ".join(dict.fromkeys(wanted))


def issue(kind: str, client: OAuthClient, subject: str, scope: str, lifetime: int, **extra) -> str:
    value = secrets.token_urlsafe(32)
    OAuthToken.objects.create(
        kind=kind,
        token_hash=token_hash(value),
        client=client,
        subject=subject,
        scope=scope,
        expires_at=timezone.now() + dt.timedelta(seconds=lifetime),
        **extra,
    )
    return value


def _token_answer(
    client: OAuthClient, subject: str, scope: str, *, refresh: str | None = None
) -> JsonResponse:
    lifetime = settings.SANDBOX_TOKEN_LIFETIME
    body = {
        "access_token": issue(OAuthToken.ACCESS, client, subject, scope, lifetime),
        "refresh_token": refresh
        or issue(OAuthToken.REFRESH, client, subject, scope, settings.SANDBOX_REFRESH_TOKEN_LIFETIME),
        "token_type": "Bearer",
        "expires_in": str(lifetime),  # a string, as in the official samples
        "scope": scope,
    }
    return JsonResponse(body)


def _require(form, *names: str) -> list[str]:
    missing = [n for n in names if not form.get(n)]
    if missing:
        raise OAuthError("invalid_request", f"missing {', '.join(missing)}")
    return [form[n] for n in names]


def _jwt_grant(form) -> JsonResponse:
    assertion, client_id, client_secret, scope = _require(
        form, "assertion", "client_id", "client_secret", "scope"
    )
    client = _client(client_id, client_secret)
    try:
        claims = jwt.decode(
            assertion,
            client.public_key_pem,
            algorithms=["RS256"],
            options={"require": ["iss", "sub", "iat", "exp"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise OAuthError("invalid_grant", "the assertion has expired") from None
    except jwt.InvalidTokenError as exc:
        raise OAuthError("invalid_grant", f"invalid assertion: {exc}") from None
    if claims["iss"] != client.client_id:
        raise OAuthError("invalid_grant", "iss must be the client id")
    if claims["sub"] != client.service_account:
        raise OAuthError("invalid_grant", "sub must be the app's service account")
    if int(claims["exp"]) - int(claims["iat"]) > MAX_ASSERTION_LIFETIME:
        raise OAuthError("invalid_grant", "exp must be at most 60 minutes after iat")
    return _token_answer(client, client.service_account, _granted_scope(client, scope))


def _refresh_grant(form) -> JsonResponse:
    refresh, client_id, client_secret = _require(form, "refresh_token", "client_id", "client_secret")
    client = _client(client_id, client_secret)
    token = OAuthToken.objects.filter(
        token_hash=token_hash(refresh), kind=OAuthToken.REFRESH, client=client, revoked=False
    ).first()
    if token is None or token.expires_at <= timezone.now():
        raise OAuthError("invalid_grant", "the refresh token is invalid or has expired")
    if settings.SANDBOX_REFRESH_ROTATION:
        OAuthToken.objects.filter(pk=token.pk).update(revoked=True)
        return _token_answer(client, token.subject, token.scope)
    # Rotation OFF (the default): the same refresh token stays valid until its own expiry.
    return _token_answer(client, token.subject, token.scope, refresh=refresh)


def _code_grant(form) -> JsonResponse:
    code, client_id, client_secret = _require(form, "code", "client_id", "client_secret")
    client = _client(client_id, client_secret)
    token = OAuthToken.objects.filter(
        token_hash=token_hash(code), kind=OAuthToken.CODE, client=client
    ).first()
    if token is None or token.used or token.expires_at <= timezone.now():
        raise OAuthError("invalid_grant", "the authorization code is invalid, used or expired")
    updated = OAuthToken.objects.filter(pk=token.pk, used=False).update(used=True)
    if not updated:
        raise OAuthError("invalid_grant", "the authorization code was already used")
    return _token_answer(client, token.subject, token.scope)


@csrf_exempt
@require_http_methods(["POST"])
def token(request: HttpRequest) -> HttpResponse:
    form = request.POST
    grants = {JWT_GRANT: _jwt_grant, "refresh_token": _refresh_grant, "authorization_code": _code_grant}
    try:
        grant = grants.get(form.get("grant_type", ""))
        if grant is None:
            raise OAuthError("unsupported_grant_type", "grant_type must be one of " + ", ".join(grants))
        return grant(form)
    except OAuthError as exc:
        return _error(exc)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sandbox sign-in</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 3rem auto">
<h1>Partner API sandbox</h1>
<p><strong>{client}</strong> asks for access to your partner data with the scope <code>{scope}</code>.</p>
{error}
<form method="post">
{hidden}
<p><label>User ID<br><input name="username" value="{user}" autocomplete="username"></label></p>
<p><label>Password<br><input name="password" type="password" autocomplete="current-password"></label></p>
<p><button name="decision" value="allow">Sign in and allow</button>
<button name="decision" value="deny">Deny</button></p>
</form>
<p><small>Sandbox login: {user} / the password from SANDBOX_LOGIN_PASSWORD.</small></p>
</body></html>"""


def _redirect(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    joiner = "&" if "?" in redirect_uri else "?"
    response = HttpResponseRedirect(redirect_uri + joiner + urlencode({k: v for k, v in params.items() if v}))
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method == "GET" else request.POST
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    scope = params.get("scope", "")
    state = params.get("state", "")
    client = OAuthClient.objects.filter(client_id=client_id).first()
    if client is None:
        return HttpResponse("Unknown client_id.", status=400, content_type="text/plain")
    if not redirect_uri or not any(redirect_uri.startswith(p) for p in client.redirect_uri_prefixes.split()):
        return HttpResponse(
            "redirect_uri is not registered for this client.", status=400, content_type="text/plain"
        )
    if params.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    try:
        granted = _granted_scope(client, scope)
    except OAuthError as exc:
        return _redirect(redirect_uri, error=exc.error, state=state)
    error = ""
    if request.method == "POST":
        if params.get("decision") != "allow":
            return _redirect(redirect_uri, error="access_denied", state=state)
        if params.get("username") == settings.SANDBOX_LOGIN_USER and secrets.compare_digest(
            params.get("password", ""), settings.SANDBOX_LOGIN_PASSWORD
        ):
            code = issue(
                OAuthToken.CODE,
                client,
                params["username"],
                granted,
                int(CODE_LIFETIME.total_seconds()),
                redirect_uri=redirect_uri,
            )
            return _redirect(redirect_uri, code=code, state=state)
        error = '<p role="alert" style="color: #b00">Wrong user ID or password.</p>'
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(params.get(k, ""))}">'
        for k in ("client_id", "redirect_uri", "scope", "response_type", "state", "nonce")
    )
    page = PAGE.format(
        client=escape(client.name),
        scope=escape(granted),
        error=error,
        hidden=hidden,
        user=escape(settings.SANDBOX_LOGIN_USER),
    )
    return HttpResponse(page, status=200 if not error else 401)
