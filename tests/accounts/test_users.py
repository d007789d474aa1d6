"""The Users page (issue 14, point 5): Admins add users with a role, change roles, deactivate and reactivate
them and reset passwords (and two-step sign-in) in the portal; every change is in the audit trail, without a
password; deactivating and resetting end the user's sessions."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors, services
from accounts.permissions import MANAGE_USERS
from portal.core.access import Role, holds
from portal.core.models import AuditEntry
from tests.fixtures.personas import PASSWORD, make_persona, totp_device_for

pytestmark = pytest.mark.django_db

User = get_user_model()
LOGIN = "/accounts/login/"
STRONG = "quiet-harbour-lantern-42"


@pytest.fixture
def admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    client.user = admin_user
    return client


@pytest.fixture
def member(db):
    """A Support user with a session of their own."""
    user = make_persona(Role.SUPPORT, username="miki.support")
    return user


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    return client


def _sessions_of(user) -> int:
    return sum(s.get_decoded().get("_auth_user_id") == str(user.pk) for s in Session.objects.all())


def _sign_in(username: str, password: str) -> int:
    return Client().post(LOGIN, {"username": username, "password": password}).status_code


def _audit(operation_id: str) -> AuditEntry:
    return AuditEntry.objects.get(operation_id=operation_id)


def _user_urls(user) -> list[str]:
    return [
        reverse("accounts:users"),
        reverse("accounts:user_add"),
        reverse("accounts:user", args=[user.pk]),
        reverse("accounts:user_deactivate", args=[user.pk]),
        reverse("accounts:user_reactivate", args=[user.pk]),
        reverse("accounts:user_password", args=[user.pk]),
    ]


# --- Access -------------------------------------------------------------------------------------------------


def test_only_admins_manage_users():
    assert {role for role in Role if holds(role, MANAGE_USERS)} == {Role.ADMIN}


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE], ids=lambda r: r.value)
def test_other_roles_get_403_on_every_users_url_and_change_nothing(client_as, member, role):
    client = client_as(role)
    for url in _user_urls(member):
        assert client.get(url).status_code == 403, url
        payload = {"username": "intruder", "role": "admin", "password": "", "confirmed": "1"}
        assert client.post(url, payload).status_code == 403, url
    member.refresh_from_db()
    assert member.is_active and member.check_password(PASSWORD)
    assert not User.objects.filter(username="intruder").exists()
    assert not AuditEntry.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, member):
    for url in _user_urls(member):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url


def test_admin_opens_every_users_page_and_an_unknown_user_is_404(admin, member):
    for url in _user_urls(member):
        expected = 405 if url.endswith("/reactivate/") else 200
        assert admin.get(url).status_code == expected, url
    assert admin.get(reverse("accounts:user", args=[10**9])).status_code == 404
    assert admin.get(reverse("accounts:user_password", args=[10**9])).status_code == 404


def test_the_navigation_leads_admins_to_the_users_page_not_to_djangos_admin(admin, client_as):
    home = admin.get(reverse("home")).content.decode()
    assert f'href="{reverse("accounts:users")}" data-nav="users"' in home
    assert "/admin/" not in home
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE):
        assert 'data-nav="users"' not in client_as(role).get(reverse("home")).content.decode()


# --- The list ------------------------------------------------------------------------------------------------


def _people():
    make_persona(Role.ACCOUNT_MANAGER, username="kenji.am")
    make_persona(Role.FINANCE, username="aiko.fin")
    gone = make_persona(Role.SUPPORT, username="old.support")
    gone.is_active = False
    gone.email = "old@partner.example"
    gone.save()
    User.objects.create_user(username="norole")  # made outside the portal: in no role group
    totp_device_for(User.objects.get(username="kenji.am"))


def _listed(response) -> list[str]:
    return [row.username for row in response.context["page_obj"].object_list]


def test_the_list_shows_each_user_with_role_status_last_sign_in_and_two_step(admin):
    _people()
    response = admin.get(reverse("accounts:users"))
    page = response.content.decode()
    assert _listed(response) == ["admin-persona", "aiko.fin", "kenji.am", "norole", "old.support"]
    rows = {row.username: row for row in response.context["page_obj"].object_list}
    assert rows["kenji.am"].role_value == "account_manager" and rows["kenji.am"].two_factor
    assert rows["norole"].role_value == "" and not rows["aiko.fin"].two_factor
    assert rows["admin-persona"].last_login is not None
    for text in ("Account manager", "No role", "Deactivated", "Never", "Set up", "Not set up", "5 users"):
        assert text in page


def test_the_list_searches_filters_and_sorts_with_its_state_in_the_url(admin):
    _people()
    url = reverse("accounts:users")
    assert _listed(admin.get(url, {"q": "OLD@partner"})) == ["old.support"]
    assert _listed(admin.get(url, {"q": "Finance persona"})) == ["aiko.fin"]  # first and last name
    assert _listed(admin.get(url, {"role": "account_manager"})) == ["kenji.am"]
    assert _listed(admin.get(url, {"role": "none"})) == ["norole"]
    assert _listed(admin.get(url, {"status": "inactive"})) == ["old.support"]
    assert "old.support" not in _listed(admin.get(url, {"status": "active"}))
    assert _listed(admin.get(url, {"sort": "-username"}))[0] == "old.support"
    # Empty names last, in both directions.
    assert _listed(admin.get(url, {"sort": "name"}))[-1] == "norole"
    assert _listed(admin.get(url, {"sort": "-name"}))[-1] == "norole"
    # Nonsense is ignored, not an error.
    response = admin.get(url, {"role": "king", "status": "x", "sort": "password", "page": "-3"})
    assert response.status_code == 200 and len(_listed(response)) == 5


def test_an_htmx_filter_gets_only_the_results(admin):
    _people()
    response = admin.get(
        reverse("accounts:users"), {"q": "kenji"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body
    assert "kenji.am" in body and "aiko.fin" not in body


def test_the_list_reads_a_fixed_number_of_queries_however_many_users(admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _people()
    with CaptureQueriesContext(connection) as few:
        admin.get(reverse("accounts:users"))
    for n in range(20):
        make_persona(Role.SUPPORT, username=f"many-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert admin.get(reverse("accounts:users")).status_code == 200


# --- Adding a user -------------------------------------------------------------------------------------------


def _add(admin, **fields):
    data = {"username": "hana", "first_name": "Hana", "last_name": "Sato", "email": "hana@partner.example"}
    return admin.post(reverse("accounts:user_add"), data | {"role": "support"} | fields)


def test_admin_adds_a_user_with_a_typed_password_and_they_sign_in(admin):
    response = _add(admin, password=STRONG, role="account_manager")
    user = User.objects.get(username="hana")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user", args=[user.pk])
    assert user.is_active and not user.is_staff and user.get_full_name() == "Hana Sato"
    assert list(user.groups.values_list("name", flat=True)) == ["Account manager"]
    assert "hana was added as Account manager." in admin.get(response["Location"]).content.decode()
    assert _sign_in("hana", STRONG) == 302
    entry = _audit("portal.createUser")
    assert entry.actor == admin.user and entry.outcome == "succeeded"
    assert entry.request_summary == {
        "userId": user.pk,
        "username": "hana",
        "role": "account_manager",
        "passwordMadeUp": False,
    }


def test_an_admin_added_is_staff_for_djangos_emergency_admin(admin):
    _add(admin, password=STRONG, role="admin")
    assert User.objects.get(username="hana").is_staff


def test_a_password_left_empty_is_made_up_and_shown_once(admin):
    response = _add(admin, password="")
    assert response.status_code == 200
    shown = response.context["password"]
    page = response.content.decode()
    assert shown in page and "It is shown only now" in page
    assert "no-store" in response["Cache-Control"]
    assert len(shown) == 19 and User.objects.get(username="hana").check_password(shown)
    assert _sign_in("hana", shown) == 302
    assert _audit("portal.createUser").request_summary["passwordMadeUp"] is True
    # Nowhere else: the user's page does not show it again.
    assert (
        shown
        not in admin.get(
            reverse("accounts:user", args=[User.objects.get(username="hana").pk])
        ).content.decode()
    )


def test_made_up_passwords_differ_and_pass_the_validators():
    from django.contrib.auth.password_validation import validate_password

    made = {services.password_generate() for _ in range(20)}
    assert len(made) == 20
    for password in made:
        validate_password(password)


def test_the_form_states_the_password_rules_in_both_languages(admin):
    page = admin.get(reverse("accounts:user_add")).content.decode()
    assert "Leave it empty and the portal makes up a strong password" in page
    assert "Your password must contain at least 8 characters." in page
    admin.cookies["django_language"] = "ja"
    page = admin.get(reverse("accounts:user_add")).content.decode()
    assert "空欄のままにすると" in page and "8 文字以上" in page
    assert "ユーザーを追加" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "MIKI.support"}, "username", "The user name MIKI.support is taken. Choose another."),
        ({"username": "x" * 151}, "username", "at most 150 characters"),
        ({"username": "hana sato"}, "username", "Enter a valid username"),
        ({"first_name": "x" * 151}, "first_name", "at most 150 characters"),
        ({"last_name": ""}, "last_name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"email": "a" * 250 + "@x.jp"}, "email", "at most 254 characters"),
        ({"role": "root"}, "role", "Select a valid choice."),
        ({"password": "12345678"}, "password", "This password is entirely numeric."),
        ({"password": "password"}, "password", "This password is too common."),
        ({"password": "short"}, "password", "This password is too short."),
        ({"password": "hana@partner.example"}, "password", "too similar"),
        ({"password": "x" * 129}, "password", "at most 128 characters"),
    ],
)
def test_refused_values_are_clear_errors_and_add_no_one(admin, member, fields, field, message):
    response = _add(admin, **fields)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert "Please correct the following:" in response.content.decode()
    assert not User.objects.filter(username="hana").exists()
    assert not AuditEntry.objects.exists()


def test_a_user_name_taken_meanwhile_is_a_form_error(admin, monkeypatch):
    """Between the form's check and the insert another Admin took the name: the service refuses it clearly."""
    monkeypatch.setattr("accounts.forms.username_taken", lambda **kw: False)
    make_persona(Role.SUPPORT, username="hana")
    response = _add(admin, password=STRONG)
    assert response.status_code == 200
    assert "The user name hana is taken. Choose another." in response.content.decode()
    assert not AuditEntry.objects.exists()


# --- Changing a role -----------------------------------------------------------------------------------------


def test_admin_changes_a_role(admin, member):
    url = reverse("accounts:user", args=[member.pk])
    response = admin.post(url, {"role": "admin"}, follow=True)
    assert "miki.support is now Admin." in response.content.decode()
    member.refresh_from_db()
    assert list(member.groups.values_list("name", flat=True)) == ["Admin"] and member.is_staff
    entry = _audit("portal.changeUserRole")
    assert entry.request_summary == {
        "userId": member.pk,
        "username": "miki.support",
        "role": "admin",
        "before": "support",
    }

    admin.post(url, {"role": "finance"})
    member.refresh_from_db()
    assert list(member.groups.values_list("name", flat=True)) == ["Finance"] and not member.is_staff
    # The same role again changes nothing and records nothing.
    response = admin.post(url, {"role": "finance"}, follow=True)
    assert "miki.support is Finance already." in response.content.decode()
    assert AuditEntry.objects.filter(operation_id="portal.changeUserRole").count() == 2


def test_the_last_active_admin_stays_an_admin(admin, member):
    me = admin.user
    response = admin.post(reverse("accounts:user", args=[me.pk]), {"role": "support"})
    assert response.status_code == 200
    assert "admin-persona is the last active Admin." in response.content.decode()
    assert Group.objects.get(name="Admin").user_set.filter(pk=me.pk).exists()
    assert not AuditEntry.objects.exists()

    # With a second (active) Admin, an Admin may hand over and leave the role; the page then sends them home.
    other = make_persona(Role.ADMIN, username="second.admin")
    response = admin.post(reverse("accounts:user", args=[me.pk]), {"role": "support"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert admin.get(reverse("accounts:users")).status_code == 403
    # Now `other` is the last one: an inactive Admin does not count.
    assert selectors.active_admin_ids() == {other.pk}
    second = _signed_in(other)
    response = second.post(reverse("accounts:user", args=[other.pk]), {"role": "finance"})
    assert "second.admin is the last active Admin." in response.content.decode()


def test_the_rule_also_guards_deactivating_the_last_admin():
    """Through the page an Admin cannot deactivate themselves, so the rule is checked on the selector too."""
    only = make_persona(Role.ADMIN)
    someone = make_persona(Role.SUPPORT)
    refusal = selectors.user_removal_refusal(actor=someone, target=only, deactivate=True)
    assert refusal.startswith("admin-persona is the last active Admin.")
    assert selectors.user_removal_refusal(actor=someone, target=someone, role=Role.FINANCE) == ""


def test_a_superuser_moved_to_another_role_loses_the_superuser_flag(admin):
    root = User.objects.create_superuser(username="root", password=STRONG)
    admin.post(reverse("accounts:user", args=[root.pk]), {"role": "support"})
    root.refresh_from_db()
    assert not root.is_superuser and not root.is_staff
    assert selectors.user_get(user=admin.user, user_id=root.pk).role_value == "support"


# --- Deactivating and reactivating ---------------------------------------------------------------------------


def test_deactivating_asks_first_then_ends_their_sessions(admin, member):
    theirs = _signed_in(member)
    assert _sessions_of(member) == 1
    url = reverse("accounts:user_deactivate", args=[member.pk])
    page = admin.get(url).content.decode()
    assert "Deactivate miki.support" in page and "their sessions end" in page
    assert member.__class__.objects.get(pk=member.pk).is_active  # the page alone changes nothing

    response = admin.post(url, {"confirmed": "1"}, follow=True)
    assert "miki.support is deactivated and was signed out everywhere." in response.content.decode()
    member.refresh_from_db()
    assert not member.is_active and _sessions_of(member) == 0
    assert theirs.get(reverse("home"))["Location"].startswith(LOGIN)
    assert _sign_in(member.username, PASSWORD) == 200  # refused
    assert _audit("portal.deactivateUser").request_summary == {
        "userId": member.pk,
        "username": "miki.support",
        "sessionsEnded": 1,
    }
    # Deactivated already: the page says so and records nothing more.
    response = admin.get(url, follow=True)
    assert "miki.support is deactivated already." in response.content.decode()

    response = admin.post(reverse("accounts:user_reactivate", args=[member.pk]), follow=True)
    assert "miki.support can sign in again, with the same role and password." in response.content.decode()
    member.refresh_from_db()
    assert member.is_active and _sign_in(member.username, PASSWORD) == 302
    assert AuditEntry.objects.filter(operation_id="portal.reactivateUser").count() == 1
    admin.post(reverse("accounts:user_reactivate", args=[member.pk]))
    assert AuditEntry.objects.filter(operation_id="portal.reactivateUser").count() == 1


def test_an_admin_cannot_deactivate_themselves(admin):
    me = admin.user
    url = reverse("accounts:user_deactivate", args=[me.pk])
    page = admin.get(url).content.decode()
    assert "You cannot deactivate your own account. Another Admin can do it." in page
    assert 'data-testid="confirm-deactivate"' not in page
    response = admin.post(url, {"confirmed": "1"})
    assert response.status_code == 200
    assert "You cannot deactivate your own account." in response.content.decode()
    me.refresh_from_db()
    assert me.is_active and not AuditEntry.objects.exists()
    with pytest.raises(services.UserChangeRefused):
        services.user_deactivate(actor=me, user_id=me.pk)


# --- Resetting a password ------------------------------------------------------------------------------------


def test_a_typed_password_reset_ends_their_sessions_and_keeps_two_step(admin):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    device = totp_device_for(manager)
    theirs = _signed_in(manager)
    url = reverse("accounts:user_password", args=[manager.pk])
    page = admin.get(url).content.decode()
    assert "they are signed out at once" in page and "Also reset two-step sign-in" in page
    response = admin.post(url, {"password": STRONG}, follow=True)
    assert "The password of account_manager-persona is reset" in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(STRONG) and not manager.check_password(PASSWORD)
    assert _sessions_of(manager) == 0
    assert theirs.get(reverse("home"))["Location"].startswith(LOGIN)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = _audit("portal.resetUserPassword")
    assert entry.request_summary == {
        "userId": manager.pk,
        "username": "account_manager-persona",
        "passwordMadeUp": False,
        "twoFactorReset": False,
        "sessionsEnded": 1,
    }


def test_a_made_up_password_and_a_two_step_reset(admin):
    manager = make_persona(Role.ACCOUNT_MANAGER)
    totp_device_for(manager)
    from accounts.signin import recovery_codes_renew

    recovery_codes_renew(user=manager)
    response = admin.post(
        reverse("accounts:user_password", args=[manager.pk]), {"password": "", "two_factor_reset": "on"}
    )
    assert response.status_code == 200
    shown = response.context["password"]
    assert shown in response.content.decode()
    manager.refresh_from_db()
    assert manager.check_password(shown)
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticDevice.objects.filter(user=manager).exists()
    summary = _audit("portal.resetUserPassword").request_summary
    assert summary["passwordMadeUp"] is True and summary["twoFactorReset"] is True
    # At their next sign-in they set two-step sign-in up again.
    client = Client()
    client.post(LOGIN, {"username": manager.username, "password": shown})
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:two_factor_setup"))


def test_the_two_step_box_is_offered_only_to_users_who_have_it(admin, member):
    page = admin.get(reverse("accounts:user_password", args=[member.pk])).content.decode()
    assert "Also reset two-step sign-in" not in page


def test_a_weak_reset_password_is_refused_with_the_rules(admin, member):
    response = admin.post(reverse("accounts:user_password", args=[member.pk]), {"password": "miki.support"})
    assert response.status_code == 200
    assert "too similar" in " ".join(response.context["form"].errors["password"])
    member.refresh_from_db()
    assert member.check_password(PASSWORD) and not AuditEntry.objects.exists()


def test_an_admin_resets_their_own_password_elsewhere(admin):
    me = admin.user
    url = reverse("accounts:user_password", args=[me.pk])
    page = admin.get(url).content.decode()
    assert "To change your own password, use Change password in your menu." in page
    assert 'data-testid="password-form"' not in page
    admin.post(url, {"password": STRONG})
    me.refresh_from_db()
    assert me.check_password(PASSWORD) and not AuditEntry.objects.exists()


# --- The audit trail and the languages ----------------------------------------------------------------------


def test_no_audit_entry_holds_a_password(admin, member):
    _add(admin, password=STRONG)
    made_up = _add(admin, username="ren", password="").context["password"]
    typed = "another-quiet-lantern-7"
    admin.post(reverse("accounts:user_password", args=[member.pk]), {"password": typed})
    reset = admin.post(reverse("accounts:user_password", args=[member.pk]), {"password": ""}).context[
        "password"
    ]
    entries = list(AuditEntry.objects.all())
    assert len(entries) == 4
    for entry in entries:
        stored = json.dumps([entry.request_summary, entry.response_body, entry.reason])
        for secret in (STRONG, made_up, typed, reset):
            assert secret not in stored
        assert "password" not in {key.lower() for key in entry.request_summary}


def test_the_activity_page_names_the_users_changes(admin, member):
    admin.post(reverse("accounts:user_deactivate", args=[member.pk]), {"confirmed": "1"})
    page = admin.get(reverse("core:activity")).content.decode()
    assert "Deactivate a portal user" in page


def test_the_pages_speak_japanese(admin, member):
    admin.cookies["django_language"] = "ja"
    page = admin.get(reverse("accounts:users")).content.decode()
    for text in ("ユーザー", "ロール", "最終ログイン", "2段階認証", "ユーザーを追加"):
        assert text in page, text
    page = admin.get(reverse("accounts:user_deactivate", args=[member.pk])).content.decode()
    assert "miki.support を無効にする" in page and "セッション" in page
    page = admin.get(reverse("accounts:user_password", args=[member.pk])).content.decode()
    assert "パスワードを再設定" in page
