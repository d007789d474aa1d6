"""The portal's glue: client from settings, Django-cache token store and lock, encrypted user-account tokens,
check_token for /readyz, and the Admin-only "Connect partner account" page."""

from __future__ import annotations

import json
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from partner_api import (
    ConfigurationError,
    MemoryRateLimiter,
    RedisRateLimiter,
    ServiceAccountAuth,
    Token,
    UserAccountAuth,
)
from portal.core import partner
from portal.core.access import Role
from portal.core.models import PartnerAccountToken
from tests.partner_api.conftest import AUTHORIZE_URL, BASE_URL, TOKEN_URL
from tests.partner_api.keys import key_pair
from tests.partner_api.test_auth import TokenEndpoint


@pytest.fixture
def partner_settings(settings, tmp_path):
    key_file = tmp_path / "private.key"
    key_file.write_text(key_pair()[0])
    settings.PARTNER_API_BASE_URL = BASE_URL
    settings.PARTNER_API_TOKEN_URL = TOKEN_URL
    settings.PARTNER_API_AUTHORIZE_URL = AUTHORIZE_URL
    settings.PARTNER_API_CLIENT_ID = "portal-client"
    settings.PARTNER_API_CLIENT_SECRET = "portal-secret"
    settings.PARTNER_API_SERVICE_ACCOUNT = "portal.serviceaccount@example.com"
    settings.PARTNER_API_PRIVATE_KEY_FILE = str(key_file)
    settings.PARTNER_API_SCOPE = "partner"
    settings.PARTNER_API_TOKEN_ENCRYPTION_KEY = ""
    settings.REDIS_URL = ""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}
    }
    partner.reset_clients()
    yield settings
    partner.reset_clients()


@pytest.fixture
def endpoint(rsps):
    handler = TokenEndpoint()
    rsps.add_callback("POST", TOKEN_URL, callback=handler)
    return handler


# --- get_client / check_token -----------------------------------------------------------------------------


def test_get_client_uses_the_service_account_and_is_reused(partner_settings):
    client = partner.get_client()
    assert isinstance(client.auth, ServiceAccountAuth)
    assert client.auth.scope == "partner"
    assert isinstance(client.transport.limiter, MemoryRateLimiter)
    assert client.transport.limiter.limit == partner_settings.PARTNER_API_RATE_LIMIT
    assert client.transport.session.timeout == (
        partner_settings.PARTNER_API_CONNECT_TIMEOUT,
        partner_settings.PARTNER_API_READ_TIMEOUT,
    )
    assert partner.get_client() is client
    assert partner.get_client(read_only=True).auth.scope == "partner.read"
    # A new client secret (rotated credentials) is a new client, not the old one with the old secret.
    partner_settings.PARTNER_API_CLIENT_SECRET = "rotated-secret"
    assert partner.get_client() is not client


def test_get_client_falls_back_to_the_user_account(partner_settings):
    partner_settings.PARTNER_API_SERVICE_ACCOUNT = ""
    assert isinstance(partner.get_client().auth, UserAccountAuth)


@pytest.mark.integration
def test_get_client_uses_the_redis_limiter_when_redis_is_configured(partner_settings, redis_url):
    partner_settings.REDIS_URL = redis_url
    partner_settings.PARTNER_API_RATE_LIMIT = 120
    limiter = partner.get_client().transport.limiter
    assert isinstance(limiter, RedisRateLimiter) and limiter.limit == 120


def test_check_token_gets_and_caches_a_token(partner_settings, endpoint, rsps):
    assert partner.check_token() == "service account"
    assert partner.check_token() == "service account"
    assert len(endpoint.forms) == 1
    assert endpoint.forms[0]["client_id"] == "portal-client"


def test_a_service_account_token_cached_for_one_server_is_not_offered_to_another(
    partner_settings, endpoint, rsps
):
    """The cache is shared by every process and outlives a change of settings: a token issued by one token
    endpoint to one app is never handed to another server or app (which would answer 401 first)."""
    assert partner.get_client().auth.access_token() == "token-1"
    new_server = TokenEndpoint()
    rsps.add_callback("POST", "https://auth.new.test/oauth2/v2.0/token", callback=new_server)
    partner_settings.PARTNER_API_TOKEN_URL = "https://auth.new.test/oauth2/v2.0/token"
    assert partner.get_client().auth.access_token() == "token-1"  # the new server's first
    assert len(new_server.forms) == 1
    partner_settings.PARTNER_API_CLIENT_ID = "another-app"
    assert partner.get_client().auth.access_token() == "token-2"
    assert [form["client_id"] for form in new_server.forms] == ["portal-client", "another-app"]
    # Back on the first server and app: its own token, still cached, is used again without asking.
    partner_settings.PARTNER_API_TOKEN_URL = TOKEN_URL
    partner_settings.PARTNER_API_CLIENT_ID = "portal-client"
    assert partner.get_client().auth.access_token() == "token-1"
    assert len(endpoint.forms) == 1


def test_check_token_raises_with_a_reason(partner_settings):
    partner_settings.PARTNER_API_CLIENT_SECRET = ""
    with pytest.raises(ConfigurationError, match="client_secret"):
        partner.check_token()


def test_unreadable_key_file_is_named(partner_settings, tmp_path):
    partner_settings.PARTNER_API_PRIVATE_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigurationError, match="PARTNER_API_PRIVATE_KEY_FILE"):
        partner.get_client()


# --- Django cache token store -----------------------------------------------------------------------------


def _concurrent_single_fetch(cache) -> tuple[int, list[str]]:
    handler = TokenEndpoint(delay=0.05)
    import responses

    with responses.RequestsMock() as mock:
        mock.add_callback("POST", TOKEN_URL, callback=handler)
        from partner_api import OAuthConfig

        config = OAuthConfig(token_url=TOKEN_URL, client_id="c", client_secret="s")
        key = f"test:token:{uuid.uuid4().hex}"
        providers = [
            ServiceAccountAuth(
                config,
                service_account="sa",
                private_key=key_pair()[0],
                store=partner.DjangoCacheTokenStore(cache),
                cache_key=key,
            )
            for _ in range(6)
        ]
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
    return len(handler.forms), results


def test_django_cache_lock_lets_one_refresh_happen():
    fetches, results = _concurrent_single_fetch(LocMemCache(uuid.uuid4().hex, {}))
    assert fetches == 1 and results == ["token-1"] * 6


@pytest.mark.integration
def test_redis_cache_lock_lets_one_refresh_happen(redis_url):
    cache = RedisCache(redis_url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    fetches, results = _concurrent_single_fetch(cache)
    assert fetches == 1 and results == ["token-1"] * 6


def test_store_lock_excludes_and_is_released():
    store = partner.DjangoCacheTokenStore(LocMemCache(uuid.uuid4().hex, {}))
    inside = 0
    most = 0
    counter_lock = threading.Lock()

    def worker():
        nonlocal inside, most
        with store.lock("k", timeout=10):
            with counter_lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with counter_lock:
                inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    assert store.cache.get("k") is None


def test_store_set_expires_with_the_ttl():
    store = partner.DjangoCacheTokenStore(LocMemCache(uuid.uuid4().hex, {}))
    store.set("k", {"access_token": "a"}, ttl=120.7)
    assert store.get("k") == {"access_token": "a"}
    store.delete("k")
    assert store.get("k") is None


# --- encryption at rest -----------------------------------------------------------------------------------


def test_tokens_are_encrypted_at_rest(partner_settings, db):
    token = Token(access_token="secret-access", expires_at=time.time() + 3600, refresh_token="secret-refresh")
    partner.DatabaseTokenVault().save(token)

    row = PartnerAccountToken.objects.get(label="default")
    raw = bytes(row.encrypted_tokens)
    assert b"secret-access" not in raw and b"secret-refresh" not in raw
    assert partner.DatabaseTokenVault().load() == token


def test_explicit_encryption_key(partner_settings, db):
    from cryptography.fernet import Fernet

    partner_settings.PARTNER_API_TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = Token(access_token="a", expires_at=1.0, refresh_token="r")
    assert partner.decrypt_token(partner.encrypt_token(token)) == token
    partner_settings.PARTNER_API_TOKEN_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(partner.PartnerConnectionError, match="connect again"):
        partner.decrypt_token(partner.encrypt_token(token)[:-4] + b"AAAA")


# --- the page ---------------------------------------------------------------------------------------------


def test_page_is_admin_only(partner_settings, client_as):
    from django.test import Client

    for role in (Role.SUPPORT, Role.FINANCE, Role.ACCOUNT_MANAGER):
        assert client_as(role).get(reverse("partner_account:account")).status_code == 403
    response = Client().get(reverse("partner_account:account"))
    assert response.status_code == 302 and "login" in response["Location"]
    assert client_as(Role.ADMIN).post(reverse("partner_account:connect")).status_code == 302


def test_page_shows_not_connected(partner_settings, client_as):
    response = client_as(Role.ADMIN).get(reverse("partner_account:account"))
    assert response.status_code == 200
    assert "Connect partner account" in response.content.decode()
    assert "Not connected" in response.content.decode()


def test_page_labels_its_times_as_japan_time(partner_settings, client_as):
    """The connection's times read in Japan time and say so, as every page's do (they read "Nov. 2, 2026, 3 a.m.",
    in UTC, unlabelled)."""
    import datetime as dt

    row = PartnerAccountToken.objects.create(
        scope="partner", encrypted_tokens=b"", access_expires_at=dt.datetime(2026, 11, 2, 4, 0, tzinfo=dt.UTC)
    )
    PartnerAccountToken.objects.filter(pk=row.pk).update(
        connected_at=dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    )
    admin = client_as(Role.ADMIN)
    page = admin.get(reverse("partner_account:account")).content.decode()
    assert "2026-11-02 12:00 JST" in page and "2026-11-02 13:00 JST" in page
    ja = admin.get(reverse("partner_account:account"), headers={"Accept-Language": "ja"}).content.decode()
    assert "2026-11-02 12:00（日本時間）" in ja and "2026-11-02 13:00（日本時間）" in ja


def _connect(admin_client):
    response = admin_client.post(reverse("partner_account:connect"))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == AUTHORIZE_URL
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["response_type"] == "code" and query["client_id"] == "portal-client"
    assert query["scope"] == "partner"
    assert query["redirect_uri"] == "http://testserver/partner-account/callback"
    return query["state"]


def test_connect_flow_stores_encrypted_tokens(partner_settings, client_as, endpoint, admin_user):
    admin = client_as(Role.ADMIN)
    state = _connect(admin)

    response = admin.get(reverse("partner_account:callback"), {"state": state, "code": "auth-code"})

    assert response.status_code == 302 and response["Location"] == reverse("partner_account:account")
    form = endpoint.forms[0]
    assert (form["grant_type"], form["code"]) == ("authorization_code", "auth-code")
    assert form["redirect_uri"] == "http://testserver/partner-account/callback"
    row = PartnerAccountToken.objects.get(label="default")
    assert b"token-1" not in bytes(row.encrypted_tokens)
    assert row.connected_by.username == "admin-persona"
    assert row.scope == "partner"
    page = admin.get(reverse("partner_account:account")).content.decode()
    assert "The partner account is connected." in page
    assert "token-1" not in page and "refresh-1" not in page

    # The user-account client uses the stored token without asking the token endpoint again.
    assert partner.get_client(account="user").auth.access_token() == "token-1"
    assert len(endpoint.forms) == 1


def test_callback_with_a_wrong_state_stores_nothing(partner_settings, client_as, endpoint):
    admin = client_as(Role.ADMIN)
    _connect(admin)

    response = admin.get(
        reverse("partner_account:callback"), {"state": "forged", "code": "auth-code"}, follow=True
    )

    assert "state check failed" in response.content.decode()
    assert endpoint.forms == []
    assert not PartnerAccountToken.objects.exists()


def test_callback_state_is_single_use(partner_settings, client_as, endpoint):
    admin = client_as(Role.ADMIN)
    state = _connect(admin)
    admin.get(reverse("partner_account:callback"), {"state": state, "code": "c1"})
    admin.get(reverse("partner_account:callback"), {"state": state, "code": "c2"})
    assert [f["code"] for f in endpoint.forms] == ["c1"]


def test_callback_with_an_error_from_line_works(partner_settings, client_as, endpoint):
    admin = client_as(Role.ADMIN)
    state = _connect(admin)
    response = admin.get(
        reverse("partner_account:callback"), {"state": state, "error": "access_denied"}, follow=True
    )
    assert "access_denied" in response.content.decode()
    assert not PartnerAccountToken.objects.exists()


def test_refused_code_is_reported(partner_settings, client_as, rsps):
    rsps.add(
        "POST",
        TOKEN_URL,
        body=json.dumps({"error": "invalid_grant", "error_description": "code used"}),
        status=400,
    )
    admin = client_as(Role.ADMIN)
    state = _connect(admin)
    response = admin.get(reverse("partner_account:callback"), {"state": state, "code": "old"}, follow=True)
    assert "did not issue tokens" in response.content.decode()
    assert not PartnerAccountToken.objects.exists()


def test_disconnect_deletes_the_tokens(partner_settings, client_as, db):
    partner.DatabaseTokenVault().save(Token(access_token="a", expires_at=time.time() + 60, refresh_token="r"))
    admin = client_as(Role.ADMIN)
    assert admin.get(reverse("partner_account:disconnect")).status_code == 405
    response = admin.post(reverse("partner_account:disconnect"), follow=True)
    assert "disconnected" in response.content.decode()
    assert not PartnerAccountToken.objects.exists()
