"""Personal API tokens: made on one's API tokens page (shown once, kept as a digest, levels offered up to the
role), checked at every call (revoked, expired, an owner deactivated, a role taken away since, the API off, the
rate limit), revoked by their owner or by an Admin, who sees everyone's."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.core.access import Role
from portal.core.api.tokens import token_make
from portal.core.models import ApiCall, ApiToken, AuditEntry
from tests.api.conftest import READ, WRITE, ApiClient, make_token
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/api/v1/subscriptions"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_token_is_shown_once_and_kept_only_as_its_digest():
    manager = make_persona(Role.ACCOUNT_MANAGER)
    page = _signed_in(manager)
    answer = page.post(
        reverse("core:api_tokens"),
        {
            "description": "Renewal script",
            "days": "30",
            "level_subscriptions": WRITE,
            "level_customers": READ,
        },
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    found = re.search(r'value="(ppat_[^"]+)"', html)
    assert found, html[html.find("<main") :][:3000]
    secret = found[1]
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())  # no copy of the secret kept
    assert token.levels == {"subscriptions": WRITE, "customers": READ} and token.prefix == secret[:13]
    assert token.expires_at - timezone.now() > dt.timedelta(days=29)
    assert secret not in page.get(reverse("core:api_tokens")).content.decode()  # shown once
    assert AuditEntry.objects.get(operation_id="portal.makeApiToken").actor == manager
    assert ApiClient(secret).get(SUBSCRIPTIONS).status_code == 200


def test_a_token_offers_only_what_the_role_holds():
    support = make_persona(Role.SUPPORT)
    form = _signed_in(support).get(reverse("core:api_tokens")).content.decode()
    assert 'name="level_subscriptions"' in form and 'name="level_invoicing"' not in form
    subscriptions = re.search(r'<select name="level_subscriptions".*?</select>', form, re.S)[0]
    assert 'value="read"' in subscriptions and 'value="write"' not in subscriptions
    asked = _signed_in(support).post(
        reverse("core:api_tokens"), {"description": "x", "days": "30", "level_subscriptions": WRITE}
    )
    assert asked.status_code == 200 and not ApiToken.objects.exists()
    with pytest.raises(Exception, match="role allows"):
        token_make(user=support, description="x", days=30, levels={"invoicing": READ})


def test_a_token_shrinks_when_its_owners_role_does():
    from accounts.services import user_role_change

    admin = make_persona(Role.ADMIN)
    manager = make_persona(Role.ACCOUNT_MANAGER)
    token, secret = make_token(manager)
    api = ApiClient(secret)
    body = {"type": "STAY", "dry_run": True}
    assert api.get(SUBSCRIPTIONS).status_code == 200
    user_role_change(actor=admin, user_id=manager.pk, role=Role.FINANCE)
    refused = api.get(SUBSCRIPTIONS)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert api.post(f"{SUBSCRIPTIONS}/1/renewal", body).status_code == 403
    assert api.get("/api/v1/customer-invoices").status_code == 403  # given nothing there, whatever the role


@pytest.mark.parametrize("how", ["revoked", "expired", "deactivated", "unknown", "no scheme"])
def test_a_token_that_no_longer_works_is_refused_with_why(how):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    token, secret = make_token(manager)
    headers = {"Authorization": f"Bearer {secret}"}
    if how == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(enabled=False, revoked_at=timezone.now())
    elif how == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif how == "deactivated":
        type(manager).objects.filter(pk=manager.pk).update(is_active=False)
    elif how == "unknown":
        headers = {"Authorization": "Bearer ppat_" + "x" * 43}
    else:
        headers = {"Authorization": secret}
    answer = Client().get(SUBSCRIPTIONS, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated" and answer.json()["error"]["message"]
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert not ApiCall.objects.exists()  # no token, no call of one


def test_a_session_is_not_a_way_in(client_as):
    assert client_as(Role.ADMIN).get(SUBSCRIPTIONS).status_code == 401


def test_last_used_is_noted_at_most_once_a_minute():
    token, secret = make_token(make_persona(Role.SUPPORT))
    api = ApiClient(secret)
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        api.get(SUBSCRIPTIONS)
        first = ApiToken.objects.get().last_used_at
        with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, 30, tzinfo=dt.UTC), tick=False):
            api.get(SUBSCRIPTIONS)
            assert ApiToken.objects.get().last_used_at == first
    assert first == dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
    assert ApiCall.objects.count() == 2


def test_the_api_turned_off_answers_404_and_the_page_says_so(settings):
    settings.API_ENABLED = False
    manager = make_persona(Role.ACCOUNT_MANAGER)
    _token, secret = make_token(manager)
    answer = ApiClient(secret).get(SUBSCRIPTIONS)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "api_off"
    assert 'data-testid="api-off"' in _signed_in(manager).get(reverse("core:api_tokens")).content.decode()


def test_a_token_over_its_rate_limit_is_told_when_to_come_back(settings):
    settings.API_RATE_LIMIT_PER_MINUTE, settings.API_RATE_BURST = 60, 2
    _token, secret = make_token(make_persona(Role.SUPPORT))
    api = ApiClient(secret)
    assert [api.get(SUBSCRIPTIONS).status_code for _ in range(2)] == [200, 200]
    refused = api.get(SUBSCRIPTIONS)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_requests"
    assert 1 <= int(refused["Retry-After"]) <= 2
    _other, other_secret = make_token(make_persona(Role.SUPPORT, username="other-support"))
    assert ApiClient(other_secret).get(SUBSCRIPTIONS).status_code == 200  # the limit is per token


def test_an_owner_revokes_their_token_and_not_anothers():
    manager = make_persona(Role.ACCOUNT_MANAGER)
    other = make_persona(Role.SUPPORT)
    mine, secret = make_token(manager)
    theirs, _secret = make_token(other)
    page = _signed_in(manager)
    assert page.post(reverse("core:api_token_revoke", args=[theirs.pk])).status_code == 404
    assert page.get(reverse("core:api_token_revoke", args=[mine.pk])).status_code == 405
    assert page.post(reverse("core:api_token_revoke", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert (mine.enabled, mine.revoked_by) == (False, manager)
    assert ApiClient(secret).get(SUBSCRIPTIONS).status_code == 401
    assert ApiToken.objects.get(pk=theirs.pk).enabled
    assert AuditEntry.objects.get(operation_id="portal.revokeApiToken").actor == manager
    listed = page.get(reverse("core:api_tokens")).content.decode()
    assert mine.prefix in listed and theirs.prefix not in listed


def test_admins_see_and_revoke_everyones_tokens():
    admin = make_persona(Role.ADMIN)
    theirs, secret = make_token(make_persona(Role.FINANCE))
    page = _signed_in(admin)
    listed = page.get(reverse("core:api_tokens_all")).content.decode()
    assert theirs.prefix in listed and f'data-testid="revoke-{theirs.prefix}"' in listed
    assert (
        page.get(reverse("core:api_tokens_all"), {"q": "nobody-has-this"}).content.decode().count("ppat_")
        == 0
    )
    done = page.post(
        reverse("core:api_token_revoke", args=[theirs.pk]), {"next": reverse("core:api_tokens_all")}
    )
    assert done["Location"] == reverse("core:api_tokens_all")
    assert ApiClient(secret).get("/api/v1/billing/invoices").status_code == 401
    revoked = page.get(reverse("core:api_tokens_all"), {"state": "revoked"}).content.decode()
    assert theirs.prefix in revoked


def test_only_admins_open_everyones_tokens(client_as):
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE):
        assert client_as(role).get(reverse("core:api_tokens_all")).status_code == 403


def test_the_tokens_pages_read_their_owners_roles_at_once_and_show_what_each_may_do_now():
    """What a token may do is capped by its owner's role as it is now: the pages read the owners' roles in one
    query, whatever the number of tokens listed (it was one query a token)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.services import user_role_change

    admin = make_persona(Role.ADMIN)
    manager = make_persona(Role.ACCOUNT_MANAGER)
    token, _secret = make_token(manager)
    page, url = _signed_in(admin), reverse("core:api_tokens_all")

    def row(html: str) -> str:
        return re.search(rf'<tr data-token="{token.prefix}".*?</tr>', html, re.S).group(0)

    with CaptureQueriesContext(connection) as few:
        assert "Read and write" in row(page.get(url).content.decode())
    for n in range(6):
        make_token(make_persona(Role.FINANCE, f"finance-{n}"))
    make_token(manager)
    with CaptureQueriesContext(connection) as many:
        html = page.get(url).content.decode()
    assert html.count("<tr data-token=") == 8
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    theirs = _signed_in(manager)
    theirs.get(reverse("core:api_tokens"))
    with CaptureQueriesContext(connection) as own:
        mine = theirs.get(reverse("core:api_tokens")).content.decode()
    assert mine.count("<tr data-token=") == 2 and len(own) == len(few)

    user_role_change(actor=admin, user_id=manager.pk, role=Role.SUPPORT)
    assert "Read and write" not in row(page.get(url).content.decode())
