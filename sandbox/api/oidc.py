"""A minimal OpenID Connect provider (OpenID Connect Core 1.0, the authorization code flow, and Discovery 1.0):
the company's identity provider the portal's "Sign in with ..." talks to in development and in the tests.

    GET  /oidc/.well-known/openid-configuration   discovery (the issuer is <root>/oidc)
    GET  /oidc/authorize                           a page where the tester picks a seeded person (or cancels)
    POST /oidc/token                               code -> access token and RS256-signed ID token (PKCE S256)
    GET  /oidc/jwks                                the provider's public key
    GET  /oidc/userinfo                            the signed-in person's claims (Bearer access token)
    GET/PUT /_sandbox/oidc/people[/<sub>]          the people and their groups (tests change them)
    PUT  /_sandbox/oidc/faults                     the next ID tokens get aud, iss, exp or the key wrong on purpose

Client authentication is client_secret_basic or client_secret_post; errors are RFC 6749 section 5.2's JSON at the
token endpoint and redirects with `error` from the authorization endpoint (OIDC Core 3.1.2.6), except a wrong
client_id or redirect_uri, which are answered on the page, never redirected.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from html import escape
from urllib.parse import unquote, urlencode

import jwt
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sandbox import identity
from sandbox.api.admin import admin_view
from sandbox.api.common import ok


def issuer(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}/oidc"


def discovery(request: HttpRequest) -> JsonResponse:
    base = issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "name",
                "given_name",
                "family_name",
                "preferred_username",
                "email",
                "email_verified",
                "groups",
            ],
            "grant_types_supported": ["authorization_code"],
        }
    )


def jwks(request: HttpRequest) -> JsonResponse:
    key = identity.signing_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": identity.key_id(key), "use": "sig", "alg": "RS256"})
    return JsonResponse({"keys": [jwk]})


# --- The authorization endpoint -----------------------------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Company sign-in (sandbox)</title></head>
<body><main>
<h1>Company sign-in</h1>
<p>The sandbox's identity provider. <strong>{client}</strong> asks who you are.</p>
<form method="post">
{hidden}
<fieldset><legend>Sign in as</legend>
{people}
</fieldset>
<p><button name="decision" value="allow">Sign in</button>
<button name="decision" value="deny">Cancel</button></p>
</form>
</main></body></html>"""

AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _redirect(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    joiner = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(redirect_uri + joiner + urlencode({k: v for k, v in params.items() if v}))


def _request_error(params) -> str:
    """What is wrong with an authentication request that may be answered by a redirect ("" if nothing)."""
    if params.get("response_type") != "code":
        return "unsupported_response_type"
    if "openid" not in params.get("scope", "").split():
        return "invalid_scope"
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
    if (challenge or method) and (method != "S256" or not 43 <= len(challenge) <= 128):
        return "invalid_request"
    return ""


def _people_fields(chosen: str) -> str:
    rows = []
    for n, person in enumerate(identity.people()):
        checked = " checked" if person.sub == chosen or (not chosen and n == 0) else ""
        groups = ", ".join(person.groups) or "no groups"
        rows.append(
            f'<p><label><input type="radio" name="sub" value="{escape(person.sub)}"{checked}> '
            f"{escape(person.name)} &lt;{escape(person.email)}&gt; ({escape(groups)})</label></p>"
        )
    return "\n".join(rows)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method == "GET" else request.POST
    client_id, _secret = identity.client_credentials()
    redirect_uri, state = params.get("redirect_uri", ""), params.get("state", "")
    if params.get("client_id") != client_id:
        return HttpResponse("Unknown client_id.", status=400, content_type="text/plain")
    if not identity.redirect_uri_allowed(redirect_uri):
        return HttpResponse("redirect_uri is not registered.", status=400, content_type="text/plain")
    error = _request_error(params)
    if error:
        return _redirect(redirect_uri, error=error, state=state)
    if request.method == "POST":
        if params.get("decision") != "allow":
            return _redirect(redirect_uri, error="access_denied", state=state)
        person = identity.person(params.get("sub", ""))
        if person is not None:
            code = identity.code_issue(
                identity.Grant(
                    sub=person.sub,
                    client_id=client_id,
                    scope=params["scope"],
                    expires=time.time() + identity.CODE_LIFETIME,
                    redirect_uri=redirect_uri,
                    nonce=params.get("nonce", ""),
                    code_challenge=params.get("code_challenge", ""),
                    code_challenge_method=params.get("code_challenge_method", ""),
                    auth_time=int(time.time()),
                )
            )
            return _redirect(redirect_uri, code=code, state=state)
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{escape(params.get(k, ""))}">' for k in AUTHORIZE_PARAMS
    )
    page = PAGE.format(client="Partner Portal", hidden=hidden, people=_people_fields(params.get("sub", "")))
    return HttpResponse(page)


# --- The token endpoint ---------------------------------------------------------------------------------------


class TokenError(Exception):
    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


def _client_authenticated(request: HttpRequest) -> None:
    """client_secret_basic (RFC 6749 2.3.1: the id and secret form-encoded, then Basic) or client_secret_post."""
    given_id, given_secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
            given_id, given_secret = (unquote(part.replace("+", " ")) for part in decoded.split(":", 1))
        except (ValueError, UnicodeDecodeError):
            raise TokenError("invalid_client", "malformed Basic credentials", 401) from None
    client_id, secret = identity.client_credentials()
    if given_id != client_id or not secrets.compare_digest(given_secret.encode(), secret.encode()):
        raise TokenError("invalid_client", "unknown client or wrong client secret", 401)


def _pkce_checked(grant: identity.Grant, verifier: str) -> None:
    if not grant.code_challenge:
        return
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    if not verifier or not secrets.compare_digest(expected, grant.code_challenge):
        raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")


def _half_hash(value: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(value.encode()).digest()[:16]).decode().rstrip("=")


def id_token(request: HttpRequest, grant: identity.Grant, person: identity.Person, access_token: str) -> str:
    """The ID token (OIDC Core 2), with the person's claims; the sandbox's faults spoil one thing on purpose."""
    faults = identity.faults()
    now = int(time.time())
    claims = {
        **person.claims(),
        "iss": faults.get("iss") or issuer(request),
        "aud": faults.get("aud") or grant.client_id,
        "iat": now,
        "exp": now - 60 if faults.get("expired") else now + identity.ID_TOKEN_LIFETIME,
        "auth_time": grant.auth_time,
        "at_hash": _half_hash(access_token),
    }
    if grant.nonce:
        claims["nonce"] = grant.nonce
    key = identity.stranger_key() if faults.get("other_key") else identity.signing_key()
    return jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": identity.key_id(identity.signing_key())}
    )


@csrf_exempt
@require_http_methods(["POST"])
def token(request: HttpRequest) -> JsonResponse:
    try:
        _client_authenticated(request)
        if request.POST.get("grant_type") != "authorization_code":
            raise TokenError("unsupported_grant_type", "grant_type must be authorization_code")
        grant = identity.code_redeem(request.POST.get("code", ""))
        if grant is None or grant.redirect_uri != request.POST.get("redirect_uri"):
            raise TokenError(
                "invalid_grant", "the code is unknown, used, expired or for another redirect_uri"
            )
        _pkce_checked(grant, request.POST.get("code_verifier", ""))
        person = identity.person(grant.sub)
        if person is None:
            raise TokenError("invalid_grant", "the person is gone")
    except TokenError as exc:
        response = JsonResponse({"error": exc.error, "error_description": exc.description}, status=exc.status)
    else:
        access_token = identity.token_issue(grant)
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": identity.ACCESS_TOKEN_LIFETIME,
            "scope": grant.scope,
            "id_token": id_token(request, grant, person, access_token),
        }
        response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> JsonResponse:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    grant = identity.token_grant(header[7:]) if header.startswith("Bearer ") else None
    person = identity.person(grant.sub) if grant else None
    if person is None:
        response = JsonResponse({"error": "invalid_token"}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    return JsonResponse(person.claims())


# --- /_sandbox/oidc: the people, and faults ------------------------------------------------------------------


def _person_json(person: identity.Person) -> dict:
    return {
        "sub": person.sub,
        "username": person.username,
        "name": person.name,
        "email": person.email,
        "emailVerified": person.email_verified,
        "groups": person.groups,
    }


@admin_view("GET")
def people_view(request: HttpRequest, body: dict) -> HttpResponse:
    client_id, client_secret = identity.client_credentials()
    return ok(
        {
            "issuer": issuer(request),
            "clientId": client_id,
            "clientSecret": client_secret,
            "roleGroups": identity.ROLE_GROUPS,
            "people": [_person_json(p) for p in identity.people()],
        }
    )


@admin_view("PUT")
def person_view(request: HttpRequest, body: dict, sub: str) -> HttpResponse:
    """Add or replace a person: username, name, email, emailVerified (true), groups ([])."""
    groups = body.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ValueError("groups must be a list of strings")
    person = identity.Person(
        sub=sub,
        username=str(body.get("username") or sub),
        name=str(body.get("name") or sub),
        email=str(body.get("email") or ""),
        email_verified=bool(body.get("emailVerified", True)),
        groups=groups,
    )
    identity.person_put(person)
    return ok(_person_json(person))


@admin_view("PUT")
def faults_view(request: HttpRequest, body: dict) -> HttpResponse:
    """{aud, iss: a wrong value; expired, other_key: true}; {} clears them."""
    return ok({"faults": identity.faults_set(body)})


urlpatterns = [
    path("oidc/.well-known/openid-configuration", discovery),
    path("oidc/authorize", authorize),
    path("oidc/token", token),
    path("oidc/jwks", jwks),
    path("oidc/userinfo", userinfo),
    path("_sandbox/oidc/people", people_view),
    path("_sandbox/oidc/people/<str:sub>", person_view),
    path("_sandbox/oidc/faults", faults_view),
]
