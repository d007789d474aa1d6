"""Auth flows at the wire: JWT bearer grant, authorization code, refresh, 401 retry, the refresh lock."""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from partner_api import (
    AuthenticationError,
    ConfigurationError,
    MemoryTokenStore,
    NoRateLimiter,
    OAuthConfig,
    PartnerClient,
    ServerError,
    ServiceAccountAuth,
    Token,
    TransportError,
    UserAccountAuth,
)
from tests.partner_api.conftest import AUTHORIZE_URL, BASE_URL, TOKEN_URL
from tests.partner_api.keys import key_pair

CLIENT_ID = "client-id-123"
CLIENT_SECRET = "client-secret-xyz"
SERVICE_ACCOUNT = "abcde.serviceaccount@example.com"
REDIRECT_URI = "https://portal.example.com/partner-account/callback"


def config() -> OAuthConfig:
    return OAuthConfig(
        token_url=TOKEN_URL, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, authorize_url=AUTHORIZE_URL
    )


def service_auth(store=None, scope="partner") -> ServiceAccountAuth:
    return ServiceAccountAuth(
        config(),
        service_account=SERVICE_ACCOUNT,
        private_key=key_pair()[0],
        store=store or MemoryTokenStore(),
        scope=scope,
    )


class TokenEndpoint:
    """A token endpoint that issues numbered tokens and records the form of every request."""

    def __init__(self, *, expires_in="86400", refresh=True, delay=0.0):
        self.forms: list[dict[str, str]] = []
        self.expires_in = expires_in
        self.refresh = refresh
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, request):
        with self._lock:
            self.forms.append({k: v[0] for k, v in parse_qs(request.body).items()})
            n = len(self.forms)
        if self.delay:
            time.sleep(self.delay)  # lets concurrent callers pile up behind the lock
        body = {
            "access_token": f"token-{n}",
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": "partner",
        }
        if self.refresh:
            body["refresh_token"] = f"refresh-{n}"
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


@pytest.fixture
def endpoint(rsps):
    handler = TokenEndpoint()
    rsps.add_callback("POST", TOKEN_URL, callback=handler)
    return handler


class Vault:
    def __init__(self, token: Token | None = None):
        self.token = token
        self.saved: list[Token] = []

    def load(self):
        return self.token

    def save(self, token):
        self.saved.append(token)
        self.token = token


# --- service account -------------------------------------------------------------------------------------


def test_jwt_bearer_grant_request_and_assertion(endpoint):
    before = int(time.time())
    token = service_auth().access_token()

    assert token == "token-1"
    (form,) = endpoint.forms
    assert form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert (form["client_id"], form["client_secret"], form["scope"]) == (CLIENT_ID, CLIENT_SECRET, "partner")
    assertion = form["assertion"]
    assert jwt.get_unverified_header(assertion) == {"alg": "RS256", "typ": "JWT"}
    claims = jwt.decode(
        assertion, key_pair()[1], algorithms=["RS256"], options={"require": ["iss", "sub", "iat", "exp"]}
    )
    assert claims["iss"] == CLIENT_ID and claims["sub"] == SERVICE_ACCOUNT
    assert before <= claims["iat"] <= int(time.time())
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    assert "=" not in assertion  # base64url without padding


def test_the_signature_does_not_verify_with_another_key(endpoint):
    from tests.partner_api.keys import rsa

    service_auth().access_token()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(endpoint.forms[0]["assertion"], other, algorithms=["RS256"])


def test_read_only_scope(endpoint):
    service_auth(scope="partner.read").access_token()
    assert endpoint.forms[0]["scope"] == "partner.read"


def test_token_is_cached_until_a_margin_before_expiry(endpoint):
    auth = service_auth()
    assert auth.access_token() == auth.access_token() == "token-1"
    assert len(endpoint.forms) == 1
    token = Token(access_token="t", expires_at=1000.0 + 86400)
    assert token.cache_ttl(now=1000.0) == 86400 - 300
    assert Token(access_token="t", expires_at=1000.0 + 600).cache_ttl(now=1000.0) == 540


def test_integer_expires_in_is_accepted(rsps):
    handler = TokenEndpoint(expires_in=3600)
    rsps.add_callback("POST", TOKEN_URL, callback=handler)
    store = MemoryTokenStore()
    service_auth(store).access_token()
    entry = next(iter(store._data.values()))[0]
    assert 3590 < entry["expires_at"] - time.time() <= 3600


def test_expired_token_is_refreshed_once_and_the_call_retried(rsps, endpoint):
    auth = service_auth()
    client = PartnerClient(base_url=BASE_URL, auth=auth, limiter=NoRateLimiter())
    url = BASE_URL + "/partners/customers/1/subscriptions"
    rsps.add("GET", url, json={"code": "UNAUTHORIZED", "description": "token expired"}, status=401)
    rsps.add("GET", url, json={"subscriptions": []})

    client.list_subscriptions(domain_id=1)

    api_calls = [c for c in rsps.calls if c.request.url.startswith(BASE_URL)]
    assert [c.request.headers["Authorization"] for c in api_calls] == ["Bearer token-1", "Bearer token-2"]
    assert len(endpoint.forms) == 2


def test_invalidate_keeps_a_token_another_process_already_replaced(endpoint):
    store = MemoryTokenStore()
    auth = service_auth(store)
    auth.access_token()
    auth.invalidate("some-older-token")
    assert auth.access_token() == "token-1" and len(endpoint.forms) == 1


def test_concurrent_callers_fetch_one_token(rsps):
    handler = TokenEndpoint(delay=0.05)
    rsps.add_callback("POST", TOKEN_URL, callback=handler)
    store = MemoryTokenStore()
    providers = [service_auth(store) for _ in range(8)]  # e.g. one per worker, one shared store
    barrier = threading.Barrier(len(providers))
    results: list[str] = []

    def worker(provider):
        barrier.wait()
        results.append(provider.access_token())

    threads = [threading.Thread(target=worker, args=(p,)) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(handler.forms) == 1
    assert results == ["token-1"] * 8


def test_missing_credentials_are_named():
    with pytest.raises(ConfigurationError, match="client_secret"):
        OAuthConfig(token_url=TOKEN_URL, client_id=CLIENT_ID, client_secret="")
    with pytest.raises(ConfigurationError, match="private key"):
        ServiceAccountAuth(config(), service_account=SERVICE_ACCOUNT, private_key="")


def test_unusable_private_key(endpoint):
    auth = ServiceAccountAuth(config(), service_account=SERVICE_ACCOUNT, private_key="not a key")
    with pytest.raises(ConfigurationError, match="PARTNER_API_PRIVATE_KEY_FILE"):
        auth.access_token()


def test_a_private_key_that_cannot_sign_rs256_is_named(endpoint):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    auth = ServiceAccountAuth(config(), service_account=SERVICE_ACCOUNT, private_key=pem)
    with pytest.raises(ConfigurationError, match="PARTNER_API_PRIVATE_KEY_FILE"):
        auth.access_token()
    assert endpoint.forms == []  # nothing was sent


def test_plain_http_is_refused_except_to_this_machine():
    with pytest.raises(ConfigurationError, match="https"):
        OAuthConfig(token_url="http://auth.example.com/token", client_id="a", client_secret="b")
    OAuthConfig(token_url="http://127.0.0.1:8001/oauth2/v2.0/token", client_id="a", client_secret="b")


# --- token endpoint failures ------------------------------------------------------------------------------


def test_refused_grant_is_an_authentication_error(rsps):
    rsps.add(
        "POST", TOKEN_URL, json={"error": "invalid_grant", "error_description": "JWT expired"}, status=400
    )
    with pytest.raises(AuthenticationError) as caught:
        service_auth().access_token()
    assert caught.value.code == "invalid_grant" and "JWT expired" in str(caught.value)


def test_token_endpoint_5xx_is_a_server_error(rsps):
    rsps.add("POST", TOKEN_URL, body="unavailable", status=503)
    with pytest.raises(ServerError):
        service_auth().access_token()


def test_token_endpoint_timeout_is_a_transport_error(rsps):
    rsps.add("POST", TOKEN_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransportError):
        service_auth().access_token()


def test_token_requests_have_timeouts(endpoint, rsps):
    service_auth().access_token()
    assert rsps.calls[0].request.req_kwargs["timeout"] == (5.0, 30.0)


def test_tokens_never_reach_the_logs(endpoint, caplog):
    with caplog.at_level(logging.DEBUG):
        service_auth().access_token()
    assert "token-1" not in caplog.text and "refresh-1" not in caplog.text
    assert CLIENT_SECRET not in caplog.text and "assertion" not in caplog.text
    assert any(r.name == "partner_api.auth" for r in caplog.records)


# --- user account: authorization code and refresh ---------------------------------------------------------


def test_authorization_url_carries_state_scope_and_redirect():
    url, state = UserAccountAuth(config(), scope="partner").authorization_url(redirect_uri=REDIRECT_URI)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZE_URL
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "partner",
        "state": state,
    }
    assert len(state) >= 20


def test_authorization_code_exchange(endpoint):
    vault = Vault()
    token = UserAccountAuth(config(), vault=vault).exchange_code(code="the-code", redirect_uri=REDIRECT_URI)

    form = endpoint.forms[0]
    assert form["grant_type"] == "authorization_code"
    assert (form["code"], form["client_id"], form["client_secret"]) == ("the-code", CLIENT_ID, CLIENT_SECRET)
    assert token.refresh_token == "refresh-1" and vault.saved == [token]


def test_refresh_token_grant_and_rotation(endpoint):
    vault = Vault(Token(access_token="old", expires_at=time.time() - 10, refresh_token="refresh-0"))
    auth = UserAccountAuth(config(), vault=vault)

    assert auth.access_token() == "token-1"

    form = endpoint.forms[0]
    assert form["grant_type"] == "refresh_token"
    assert (form["refresh_token"], form["client_id"], form["client_secret"]) == (
        "refresh-0",
        CLIENT_ID,
        CLIENT_SECRET,
    )
    assert vault.token.refresh_token == "refresh-1"  # rotated


def test_refresh_without_rotation_keeps_the_refresh_token(rsps):
    rsps.add_callback("POST", TOKEN_URL, callback=TokenEndpoint(refresh=False))
    vault = Vault(Token(access_token="old", expires_at=time.time() - 10, refresh_token="refresh-0"))
    UserAccountAuth(config(), vault=vault).access_token()
    assert vault.token.refresh_token == "refresh-0" and vault.token.access_token == "token-1"


def test_fresh_connected_token_is_used_until_refused(rsps, endpoint):
    vault = Vault(Token(access_token="fresh", expires_at=time.time() + 3600, refresh_token="refresh-0"))
    auth = UserAccountAuth(config(), vault=vault)
    client = PartnerClient(base_url=BASE_URL, auth=auth, limiter=NoRateLimiter())
    url = BASE_URL + "/partners/invoices"
    rsps.add("GET", url, json={"code": "UNAUTHORIZED"}, status=401)
    rsps.add("GET", url, json={"invoices": []})

    client.list_invoices(year=2026)

    api_calls = [c for c in rsps.calls if c.request.url.startswith(BASE_URL)]
    assert [c.request.headers["Authorization"] for c in api_calls] == ["Bearer fresh", "Bearer token-1"]
    assert endpoint.forms[0]["grant_type"] == "refresh_token"


def test_no_connected_account(rsps):
    with pytest.raises(AuthenticationError, match="Connect partner account"):
        UserAccountAuth(config(), vault=Vault()).access_token()
    assert len(rsps.calls) == 0
