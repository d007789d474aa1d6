"""Signing in with the company's identity provider: the whole OpenID Connect code flow against the sandbox's provider
over real HTTP (its discovery, authorize page, token endpoint, JWKS and userinfo), as a browser would walk it.

The portal's test client plays the person's browser at the portal; `requests` plays it at the provider's page
(picking a person there, as a tester would). Nothing is mocked: what the portal accepts or refuses is what a real
provider's answers make it accept or refuse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from accounts.models import ProviderIdentity
from portal.core.access import Role, role_of
from portal.core.models import AuditEntry
from tests.fixtures.personas import PASSWORD, make_persona

pytestmark = pytest.mark.django_db

# The sandbox's provider returns only to loopback addresses, as a real one only to the addresses registered.
HOST = "localhost"


@pytest.fixture
def oidc_on(settings, sandbox_server):
    """The portal's "Sign in with ..." pointed at the session sandbox's identity provider."""
    for name, value in sandbox_server.oidc_settings().items():
        setattr(settings, name, value)
    yield sandbox_server
    sandbox_server.oidc_faults()


def browser() -> Client:
    return Client(HTTP_HOST=HOST)


def to_provider(client: Client, next_url: str = "") -> str:
    """Click "Sign in with ...": the address of the provider's sign-in the portal sends the browser to."""
    response = client.get(reverse("accounts:oidc_start"), {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def at_provider(authorize_url: str, sub: str, decision: str = "allow") -> str:
    """At the provider's page: pick the person `sub` and press Sign in (or Cancel); the portal address the
    provider sends the browser back to."""
    page = requests.get(authorize_url, timeout=30)
    assert page.status_code == 200 and "Company sign-in" in page.text
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    answer = requests.post(
        authorize_url.split("?")[0],
        data={**params, "sub": sub, "decision": decision},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    return answer.headers["Location"]


def refusal_shown(client: Client, response):
    """A sign-in refused is sent to the page that says why (read from the session): that page's answer."""
    if response.status_code == 302 and response["Location"] == reverse("accounts:oidc_refused"):
        return client.get(response["Location"])
    return response


def back_at_portal(client: Client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.netloc == HOST and parts.path == reverse("accounts:oidc_callback")
    return refusal_shown(client, client.get(f"{parts.path}?{parts.query}"))


def provider_sign_in(client: Client, sub: str, next_url: str = ""):
    return back_at_portal(client, at_provider(to_provider(client, next_url), sub))


def person(sandbox, sub: str, groups: list[str], **fields):
    defaults = {"username": sub, "name": f"Family {sub}", "email": f"{sub}@partner-demo.example"}
    return sandbox.oidc_person(sub, **{**defaults, **fields, "groups": groups})


def signed_in_user(client: Client):
    from django.contrib.auth import get_user_model

    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def audit(operation_id: str, username: str) -> list[dict]:
    entries = AuditEntry.objects.filter(operation_id=operation_id).order_by("pk")
    return [e.request_summary for e in entries if e.request_summary.get("username") == username]


def test_a_person_signs_in_and_lands_with_the_role_their_group_maps_to(oidc_on):
    person(oidc_on, "am-1", ["staff", "portal-account-managers"], name="Sato Hanako", username="hsato")
    client = browser()
    login_page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Sandbox IdP" in login_page

    authorize = to_provider(client, next_url="/customers/")
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(oidc_on.oidc_issuer + "/authorize?")
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    response = back_at_portal(client, at_provider(authorize, "am-1"))

    assert response.status_code == 302 and response["Location"] == "/customers/"
    user = signed_in_user(client)
    assert user.username == "hsato" and role_of(user) == Role.ACCOUNT_MANAGER
    assert (user.last_name, user.first_name, user.email) == ("Sato", "Hanako", "am-1@partner-demo.example")
    assert not user.has_usable_password()
    assert ProviderIdentity.objects.get(user=user).subject == "am-1"
    # The provider asked for its own second factor: the portal's two-step sign-in is not asked for.
    home = client.get("/")
    assert home.status_code == 200
    assert "Account manager" in home.content.decode()
    assert audit("portal.createUser", "hsato")[0]["role"] == "account_manager"
    assert audit("portal.linkUserIdentity", "hsato")


def test_an_admin_through_the_provider_opens_the_users_page_without_the_portals_code(oidc_on):
    response = provider_sign_in(browser_client := browser(), "idp-0001")  # Aoki, in portal-admins
    assert response.status_code == 302
    assert role_of(signed_in_user(browser_client)) == Role.ADMIN
    assert browser_client.get("/users/").status_code == 200


def test_the_role_follows_the_groups_at_the_next_sign_in_and_the_change_is_recorded(oidc_on):
    person(oidc_on, "mover", ["portal-support"])
    provider_sign_in(browser(), "mover")
    user = ProviderIdentity.objects.get(subject="mover").user
    assert role_of(user) == Role.SUPPORT

    person(oidc_on, "mover", ["portal-support", "portal-finance"])  # the stronger of two roles
    client = browser()
    assert provider_sign_in(client, "mover").status_code == 302
    user = signed_in_user(client)
    assert role_of(user) == Role.FINANCE
    change = audit("portal.changeUserRole", user.username)
    assert change == [
        {
            "userId": user.pk,
            "username": user.username,
            "role": "finance",
            "before": "support",
            "identityProvider": oidc_on.oidc_issuer,
        }
    ]
    entry = AuditEntry.objects.get(operation_id="portal.changeUserRole")
    assert entry.actor is None and entry.actor_name == "system"
    # The same groups again: no change, nothing recorded.
    provider_sign_in(browser(), "mover")
    assert len(audit("portal.changeUserRole", user.username)) == 1


def test_a_person_whose_groups_map_to_no_role_is_refused_with_a_clear_page(oidc_on):
    person(oidc_on, "no-role", ["staff", "sales"])
    client = browser()
    response = provider_sign_in(client, "no-role")
    assert response.status_code == 403
    page = response.content.decode()
    assert "No portal role" in page
    assert (
        "Sandbox IdP knows you as no-role@partner-demo.example, but your company account has no portal role"
        in page
    )
    assert "Ask your portal Admin" in page
    assert signed_in_user(client) is None
    assert not ProviderIdentity.objects.filter(subject="no-role").exists()
    assert client.get("/").status_code == 302  # to the log-in page

    # The page is read from the session: again, and in Japanese, without the provider's answer sent again.
    ja = client.get(reverse("accounts:oidc_refused"), HTTP_ACCEPT_LANGUAGE="ja")
    assert ja.status_code == 403 and "ポータルのロールがありません" in ja.content.decode()
    # A new sign-in forgets the refusal; with nothing to say, the page sends to the log-in page.
    to_provider(client)
    assert client.get(reverse("accounts:oidc_refused"))["Location"] == reverse("login")


def test_a_deactivated_portal_user_stays_refused(oidc_on):
    person(oidc_on, "leaver", ["portal-finance"])
    provider_sign_in(browser(), "leaver")
    user = ProviderIdentity.objects.get(subject="leaver").user
    user.is_active = False
    user.save(update_fields=["is_active"])

    client = browser()
    response = provider_sign_in(client, "leaver")
    assert response.status_code == 403
    assert "Your portal user (leaver@partner-demo.example) is deactivated" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_existing_user_is_linked_by_a_verified_email_and_never_by_an_unverified_one(oidc_on):
    known = make_persona(Role.SUPPORT, username="known")
    known.email = "known@partner-demo.example"
    known.save()
    person(oidc_on, "known-sub", ["portal-support"], email="Known@partner-demo.example", emailVerified=False)
    client = browser()
    provider_sign_in(client, "known-sub")
    stranger = signed_in_user(client)
    assert stranger.pk != known.pk and stranger.email == ""  # unverified: a new user, the address not taken

    person(oidc_on, "known-sub-2", ["portal-support"], email="Known@partner-demo.example", emailVerified=True)
    client = browser()
    provider_sign_in(client, "known-sub-2")
    assert signed_in_user(client).pk == known.pk
    assert ProviderIdentity.objects.get(subject="known-sub-2").user == known


def test_a_wrong_or_replayed_state_is_refused(oidc_on):
    person(oidc_on, "stately", ["portal-support"])
    client = browser()
    callback = at_provider(to_provider(client), "stately")
    forged = callback.replace("state=", "state=x")
    response = back_at_portal(client, forged)
    assert response.status_code == 400
    assert "Sign-in not completed" in response.content.decode()
    assert signed_in_user(client) is None

    # Another browser's answer: the state was never issued to this session.
    other = browser()
    assert back_at_portal(other, at_provider(to_provider(client), "stately")).status_code == 400

    # The answer used once cannot be used again (its state is spent, and so is its code).
    first = at_provider(to_provider(client), "stately")
    assert back_at_portal(client, first).status_code == 302
    again = browser()
    again.cookies = client.cookies
    assert back_at_portal(again, first).status_code == 400


def test_a_wrong_nonce_is_refused(oidc_on):
    """The ID token carries the nonce the portal sent; a session expecting another refuses it."""
    person(oidc_on, "noncer", ["portal-support"])
    client = browser()
    callback = at_provider(to_provider(client), "noncer")
    session = client.session
    for key, value in session.items():
        if key.startswith("_state_oidc_"):
            value["data"]["nonce"] = "not-the-nonce-sent"
            session[key] = value
    session.save()
    response = back_at_portal(client, callback)
    assert response.status_code == 400
    assert signed_in_user(client) is None


@pytest.mark.parametrize(
    "fault",
    [{"aud": "another-app"}, {"iss": "https://idp.example"}, {"expired": True}, {"other_key": True}],
    ids=["audience", "issuer", "expired", "signature"],
)
def test_an_id_token_failing_validation_is_refused(oidc_on, fault):
    person(oidc_on, "checked", ["portal-admins"])
    oidc_on.oidc_faults(**fault)
    client = browser()
    response = provider_sign_in(client, "checked")
    assert response.status_code == 400
    assert signed_in_user(client) is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        "code=abc",
        "state=abc",
        "error=access_denied&state=abc",
        "code=%00%ff&state=%00",
        "code=" + "x" * 5000 + "&state=y",
    ],
    ids=["nothing", "code-only", "state-only", "error", "garbage", "long"],
)
def test_bad_callbacks_answer_a_clear_400(oidc_on, query):
    client = browser()
    to_provider(client)  # a sign-in under way in this session
    response = refusal_shown(client, client.get(reverse("accounts:oidc_callback") + "?" + query))
    assert response.status_code == 400
    assert "Start again from the log-in page" in response.content.decode()


def test_the_person_cancelling_at_the_provider_is_told_to_start_again(oidc_on):
    client = browser()
    callback = at_provider(to_provider(client), "idp-0002", decision="deny")
    assert "error=access_denied" in callback
    assert back_at_portal(client, callback).status_code == 400


def test_the_local_admin_still_signs_in_with_a_password_and_code_while_oidc_is_on(oidc_on):
    admin = make_persona(Role.ADMIN)
    client = browser()
    response = client.post("/accounts/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").url.startswith(reverse("accounts:two_factor_setup"))  # break-glass keeps its code

    support = make_persona(Role.SUPPORT)
    refused = browser().post("/accounts/login/", {"username": support.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "Sign in with Sandbox IdP: the password form is kept for the portal's Admins." in (
        refused.content.decode()
    )


def test_everyone_may_keep_their_password_when_the_setting_says_so(oidc_on, settings):
    settings.OIDC_LOCAL_SIGNIN = "everyone"
    support = make_persona(Role.SUPPORT)
    client = browser()
    page = client.get("/accounts/login/").content.decode()
    assert "Or log in with your portal user name and password" in page
    response = client.post("/accounts/login/", {"username": support.username, "password": PASSWORD})
    assert response.status_code == 302


def test_an_unreachable_provider_is_said_on_a_page(oidc_on, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/oidc"  # nothing listens there
    client = browser()
    response = refusal_shown(client, client.get(reverse("accounts:oidc_start")))
    assert response.status_code == 503
    assert "Sign-in not available" in response.content.decode()


def test_off_by_default_nothing_changes(client, db):
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()
    assert client.get(reverse("accounts:oidc_start")).status_code == 404
    assert client.get(reverse("accounts:oidc_callback") + "?code=a&state=b").status_code == 404
    assert client.get(reverse("accounts:oidc_refused"))["Location"] == reverse("login")
    support = make_persona(Role.SUPPORT)
    response = client.post("/accounts/login/", {"username": support.username, "password": PASSWORD})
    assert response.status_code == 302


def _start_up(**oidc: str) -> str:
    """What `manage.py check` says at start-up with these OIDC_* settings (and no others)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "DJANGO_SETTINGS"))}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, **oidc},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return "" if done.returncode == 0 else done.stderr


def test_the_settings_are_parsed_strictly_at_start_up():
    complete = {
        "OIDC_ISSUER": "https://idp.example",
        "OIDC_CLIENT_ID": "portal",
        "OIDC_CLIENT_SECRET": "secret",
        "OIDC_PROVIDER_NAME": "Example IdP",
        "OIDC_ROLE_GROUPS": "admin:portal-admins, support:helpdesk,support:portal-support",
    }
    assert _start_up(**complete) == ""
    missing = _start_up(**{**complete, "OIDC_CLIENT_SECRET": "", "OIDC_PROVIDER_NAME": ""})
    assert "OIDC_ISSUER is set, so OIDC_CLIENT_SECRET, OIDC_PROVIDER_NAME must be set too." in missing
    assert "'boss:portal-admins' is not role:group" in _start_up(
        **{**complete, "OIDC_ROLE_GROUPS": "boss:portal-admins"}
    )
    assert "OIDC_LOCAL_SIGNIN must be admins or everyone" in _start_up(OIDC_LOCAL_SIGNIN="nobody")


def test_groups_map_to_the_strongest_role(settings):
    from accounts import oidc

    settings.OIDC_ROLE_GROUPS = "support:helpdesk,support:staff-support,finance:accounting,admin:it-admins"
    assert oidc.role_for(("helpdesk",)) == Role.SUPPORT
    assert oidc.role_for(("staff-support", "accounting")) == Role.FINANCE
    assert oidc.role_for(("accounting", "it-admins", "helpdesk")) == Role.ADMIN
    assert oidc.role_for(("sales", "HELPDESK")) is None  # names are matched exactly
    assert oidc.role_for(()) is None


def test_a_password_sign_in_in_the_same_session_owes_the_portals_code_again(oidc_on):
    person(oidc_on, "both-ways", ["portal-admins"])
    provider_sign_in(browser(), "both-ways")
    user = ProviderIdentity.objects.get(subject="both-ways").user
    user.set_password(PASSWORD)  # an Admin's password, as the break-glass one has
    user.save()
    client = browser()
    provider_sign_in(client, "both-ways")
    assert client.get("/").status_code == 200
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.get("/").url.startswith(reverse("accounts:two_factor_setup"))
