"""OAuth 2.0 server of the sandbox: JWT bearer, refresh token, authorization code; 401/403 on the API."""

import time
from urllib.parse import parse_qs, urlparse

import requests

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _token_post(sandbox, **data):
    return requests.post(sandbox.credentials["token_url"], data=data, timeout=10)


def _jwt_form(sandbox, assertion, scope="partner", secret=None):
    creds = sandbox.credentials
    return {
        "grant_type": JWT_GRANT,
        "assertion": assertion,
        "client_id": creds["client_id"],
        "client_secret": secret or creds["client_secret"],
        "scope": scope,
    }


def test_jwt_bearer_grant_issues_a_bearer_token(sandbox_server):
    body = _token_post(sandbox_server, **_jwt_form(sandbox_server, sandbox_server.assertion())).json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], str) and int(body["expires_in"]) > 0
    assert body["scope"] == "partner"
    assert body["access_token"] and body["refresh_token"]


def test_jwt_with_wrong_issuer_subject_or_expiry_is_refused(sandbox_server):
    for claims in ({"iss": "someone-else"}, {"sub": "other@example.com"}, {"exp": int(time.time()) - 10}):
        response = _token_post(
            sandbox_server, **_jwt_form(sandbox_server, sandbox_server.assertion(**claims))
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


def test_jwt_lifetime_over_60_minutes_is_refused(sandbox_server):
    response = _token_post(
        sandbox_server, **_jwt_form(sandbox_server, sandbox_server.assertion(lifetime=3700))
    )
    assert response.json()["error"] == "invalid_grant"


def test_jwt_signed_with_another_key_is_refused(sandbox_server):
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": sandbox_server.credentials["client_id"],
        "sub": sandbox_server.credentials["service_account"],
        "iat": now,
        "exp": now + 600,
    }
    forged = jwt.encode(claims, other, algorithm="RS256")
    response = _token_post(sandbox_server, **_jwt_form(sandbox_server, forged))
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(sandbox_server):
    response = _token_post(
        sandbox_server, **_jwt_form(sandbox_server, sandbox_server.assertion(), secret="nope")
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_unknown_grant_type_and_scope(sandbox_server):
    assert _token_post(sandbox_server, grant_type="password").json()["error"] == "unsupported_grant_type"
    form = _jwt_form(sandbox_server, sandbox_server.assertion(), scope="calendar")
    assert _token_post(sandbox_server, **form).json()["error"] == "invalid_scope"


def test_refresh_token_grant_keeps_the_refresh_token_without_rotation(sandbox_server):
    first = sandbox_server.token_response()
    creds = sandbox_server.credentials
    response = _token_post(
        sandbox_server,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
    )
    body = response.json()
    assert response.status_code == 200
    assert body["access_token"] != first["access_token"]
    assert body["refresh_token"] == first["refresh_token"]
    bad = _token_post(
        sandbox_server,
        grant_type="refresh_token",
        refresh_token="nope",
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
    )
    assert bad.json()["error"] == "invalid_grant"


def _authorize(sandbox, **overrides):
    creds = sandbox.credentials
    params = {
        "client_id": creds["client_id"],
        "redirect_uri": "http://127.0.0.1:9/callback",
        "scope": "partner.read",
        "response_type": "code",
        "state": "xyz",
        **overrides,
    }
    return params


def test_authorization_code_flow_with_login_and_consent(sandbox_server):
    creds = sandbox_server.credentials
    params = _authorize(sandbox_server)
    page = requests.get(creds["authorize_url"], params=params, timeout=10)
    assert page.status_code == 200 and "<form" in page.text
    wrong = requests.post(
        creds["authorize_url"],
        data={**params, "username": "x", "password": "y", "decision": "allow"},
        timeout=10,
    )
    assert wrong.status_code == 401
    answer = requests.post(
        creds["authorize_url"],
        data={
            **params,
            "username": "admin@partner-demo.by-works.com",
            "password": "sandbox-password",
            "decision": "allow",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302
    query = parse_qs(urlparse(answer.headers["Location"]).query)
    assert query["state"] == ["xyz"]
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    token = _token_post(sandbox_server, **form)
    assert token.status_code == 200 and token.json()["scope"] == "partner.read"
    again = _token_post(sandbox_server, **form)
    assert again.json()["error"] == "invalid_grant"  # single use


def test_authorization_denied_and_unregistered_redirect(sandbox_server):
    creds = sandbox_server.credentials
    params = _authorize(sandbox_server)
    denied = requests.post(
        creds["authorize_url"], data={**params, "decision": "deny"}, allow_redirects=False, timeout=10
    )
    assert "error=access_denied" in denied.headers["Location"]
    bad = requests.get(
        creds["authorize_url"], params=_authorize(sandbox_server, redirect_uri="ftp://evil"), timeout=10
    )
    assert bad.status_code == 400


def test_api_needs_a_valid_token(sandbox_server):
    url = sandbox_server.base_url + "/partners/customers"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401 and missing.json()["code"] == "UNAUTHORIZED"
    invalid = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert invalid.status_code == 401


def test_expired_token_is_401_and_refresh_gives_a_working_one(sandbox_server):
    sandbox_server.configure(tokenLifetime=1)
    try:
        tokens = sandbox_server.token_response()
    finally:
        sandbox_server.configure(tokenLifetime=86400)
    time.sleep(1.2)
    url = sandbox_server.base_url + "/partners/customers"
    expired = requests.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
    assert expired.status_code == 401 and "expired" in expired.json()["description"]
    creds = sandbox_server.credentials
    fresh = _token_post(
        sandbox_server,
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        client_id=creds["client_id"],
        client_secret=creds["client_secret"],
    ).json()
    ok = requests.get(url, headers={"Authorization": f"Bearer {fresh['access_token']}"}, timeout=10)
    assert ok.status_code == 200


def test_read_token_cannot_write(sandbox_read_client):
    response = sandbox_read_client.post("/partners/customers/verify-domain", json={"domain": "abc-corp"})
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert sandbox_read_client.get("/partners/customers").status_code == 200
