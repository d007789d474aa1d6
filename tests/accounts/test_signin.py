"""Signing in: lockout after wrong passwords (by user name and by address) and an Admin's unlock, two-factor
sign-in for Admins and Account managers with recovery codes, idle sessions, and the Sign-ins page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.core.access import Role
from tests.fixtures.personas import PASSWORD, make_persona, totp_code, totp_device_for

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _sign_in(client: Client, username: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_user_name_is_locked_after_the_limit_and_says_so_in_japanese(settings):
    user = make_persona(Role.SUPPORT)
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        # Each from another address: the lock follows the user name.
        response = _sign_in(client, user.username, "wrong", ip=f"10.0.1.{attempt}")
        assert response.status_code == 200
        assert "The username or password is not right" in response.content.decode()
    # The failure that reaches the limit already answers with the lockout.
    assert _sign_in(client, user.username, "wrong", ip="10.0.1.99").status_code == 429
    response = _sign_in(client, user.username, ip="10.0.2.1")  # the right password, too late
    assert response.status_code == 429
    assert "Sign-in is locked after 5 wrong passwords." in response.content.decode()
    assert "_auth_user_id" not in client.session

    ja = Client(HTTP_ACCEPT_LANGUAGE="ja")
    response = _sign_in(ja, user.username, ip="10.0.3.1")
    assert response.status_code == 429
    assert "パスワードを5回間違えたため、ログインがロックされました。" in response.content.decode()


def test_address_is_locked_whatever_the_user_name(settings):
    victim = make_persona(Role.FINANCE)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, f"guess-{n}", "wrong", ip="192.0.2.7")
    assert _sign_in(client, victim.username, ip="192.0.2.7").status_code == 429
    # The same user from another address is not locked.
    assert _sign_in(Client(), victim.username, ip="192.0.2.8").status_code == 302


def test_an_overlong_user_name_is_a_wrong_password_not_an_error(settings):
    """The attempt tables keep 255 characters (PostgreSQL refuses more): a longer name is counted, cut to a
    user name's length, and still locks after the limit."""
    name = "x" * 500
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _sign_in(Client(), name, "wrong", ip=f"10.0.4.{n}")
        assert response.status_code == 200
        assert "The username or password is not right" in response.content.decode()
    assert _sign_in(Client(), name, "wrong", ip="10.0.4.99").status_code == 429
    assert {len(f.username) for f in AccessFailureLog.objects.all()} == {150}


def test_failures_and_sign_ins_are_recorded_and_an_admin_sees_them(client_as, settings):
    user = make_persona(Role.SUPPORT)
    _sign_in(Client(), user.username, "wrong")
    _sign_in(Client(), user.username)
    assert AccessFailureLog.objects.filter(username=user.username, locked_out=False).count() == 1
    assert AccessLog.objects.filter(username=user.username).count() == 1

    admin = client_as(Role.ADMIN)
    page = admin.get(reverse("accounts:signins")).content.decode()
    assert user.username in page and "Wrong password" in page
    page = admin.get(reverse("accounts:signins"), {"result": "succeeded"}).content.decode()
    assert user.username in page and "Signed in" in page
    # The test client sends no User-Agent: the page says nothing is known, not django-axes' "<unknown>".
    assert "&lt;unknown&gt;" not in page and '<td class="muted">—</td>' in page


def test_admin_unlocks_a_user_name_and_the_user_signs_in(client_as, settings):
    user = make_persona(Role.SUPPORT)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), user.username, "wrong")
    assert _sign_in(Client(), user.username, ip="10.9.9.9").status_code == 429

    admin = client_as(Role.ADMIN)
    page = admin.get(reverse("accounts:signins")).content.decode()
    assert f"Unlock {user.username}" in page and "Unlock 10.0.0.1" in page
    response = admin.post(reverse("accounts:signin_unlock"), {"kind": "username", "value": user.username})
    assert response.status_code == 302
    assert f"{user.username} can sign in again." in admin.get(reverse("accounts:signins")).content.decode()
    assert _sign_in(Client(), user.username, ip="10.9.9.9").status_code == 302


def test_unlock_is_for_admins_only_and_refuses_bad_input(client_as):
    for role in (Role.SUPPORT, Role.FINANCE, Role.ACCOUNT_MANAGER):
        response = client_as(role).post(
            reverse("accounts:signin_unlock"), {"kind": "ip", "value": "10.0.0.1"}
        )
        assert response.status_code == 403
    admin = client_as(Role.ADMIN)
    assert admin.get(reverse("accounts:signin_unlock")).status_code == 405
    response = admin.post(
        reverse("accounts:signin_unlock"), {"kind": "ip", "value": "not an address"}, follow=True
    )
    assert "Nothing was unlocked" in response.content.decode()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ACCOUNT_MANAGER])
def test_two_factor_roles_without_a_device_are_sent_to_set_one_up(role):
    user = make_persona(role)
    client = Client()
    response = _sign_in(client, user.username)
    assert response.status_code == 302
    # Every page sends them to set up the second step first.
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/setup/?next=%2Fcustomers%2F"

    page = client.get("/accounts/two-factor/setup/?next=/customers/")
    assert page.status_code == 200 and "Set up two-step sign-in" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000", "next": "/customers/"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    # django-otp slows down guessing after a failure; the test moves past the wait.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)):
        done = client.post("/accounts/two-factor/setup/", {"code": totp_code(device), "next": "/customers/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert client.get("/customers/").status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.FINANCE])
def test_other_roles_sign_in_with_the_password_only(role):
    user = make_persona(role)
    client = Client()
    assert _sign_in(client, user.username).status_code == 302
    assert client.get("/customers/").status_code == 200
    # The two-factor pages have nothing for them.
    assert client.get("/accounts/two-factor/setup/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_wrong_code_is_refused_and_the_right_one_lets_in():
    user = make_persona(Role.ADMIN)
    device = totp_device_for(user)
    client = Client()
    _sign_in(client, user.username)
    assert client.get("/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/two-factor/?next=")
    wrong = client.post("/accounts/two-factor/", {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    assert client.get("/").status_code == 302
    device.refresh_from_db()
    # django-otp slows down guessing after a failure; the test moves past the wait.
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)):
        ok = client.post("/accounts/two-factor/", {"code": totp_code(device), "next": "/customers/"})
        assert ok.status_code == 302 and ok["Location"] == "/customers/"
        assert client.get("/").status_code == 200


def test_a_recovery_code_works_once():
    from accounts.signin import recovery_codes_renew

    user = make_persona(Role.ACCOUNT_MANAGER)
    totp_device_for(user)
    codes = recovery_codes_renew(user=user)
    first = Client()
    _sign_in(first, user.username)
    response = first.post("/accounts/two-factor/", {"code": codes[0]}, follow=True)
    assert response.status_code == 200
    assert "You signed in with a recovery code; 9 are left." in response.content.decode()

    second = Client()
    _sign_in(second, user.username)
    again = second.post("/accounts/two-factor/", {"code": codes[0]})
    assert "That code is not right" in again.content.decode()
    assert second.get("/").status_code == 302


def test_the_next_address_stays_on_the_portal():
    user = make_persona(Role.ADMIN)
    device = totp_device_for(user)
    client = Client()
    _sign_in(client, user.username)
    response = client.post(
        "/accounts/two-factor/", {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_idle_session_ends_with_a_message(settings):
    user = make_persona(Role.SUPPORT)
    client = Client()
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        _sign_in(client, user.username)
        assert client.get("/customers/").status_code == 200
    # Activity within the idle time keeps the session going.
    with time_machine.travel(start + dt.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 2), tick=False):
        assert client.get("/customers/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=2 * settings.SESSION_IDLE_MINUTES - 4), tick=False):
        assert client.get("/customers/").status_code == 200
    # Then idle for longer than the limit: signed out, and told why.
    with time_machine.travel(start + dt.timedelta(minutes=3 * settings.SESSION_IDLE_MINUTES + 1), tick=False):
        response = client.get("/customers/", follow=True)
        assert response.redirect_chain[-1][0].startswith("/accounts/login/")
        assert "You were signed out after 30 minutes without activity." in response.content.decode()


def test_forced_two_factor_covers_the_django_admin():
    user = make_persona(Role.ADMIN)
    client = Client()
    _sign_in(client, user.username)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/setup/")


def test_demo_admin_signs_in_with_the_code_demo_code_prints(settings):
    import base64
    import io
    from pathlib import Path

    from django.core.management import call_command

    from accounts.management.commands.seed_demo_users import DEMO_TOTP_KEY

    settings.DEBUG = True  # as under `make run`; the test runner turns it off
    call_command("seed_demo_users", stdout=io.StringIO())
    # The key `make run`'s banner names is the demo users' key.
    run_script = (Path(__file__).resolve().parents[2] / "scripts" / "run.py").read_text(encoding="utf-8")
    assert f'DEMO_TOTP_SECRET = "{base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()}"' in run_script
    client = Client()
    client.post(LOGIN, {"username": "admin", "password": "portal-demo"})
    out = io.StringIO()
    call_command("demo_code", stdout=out)
    response = client.post("/accounts/two-factor/", {"code": out.getvalue().split()[0]})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_demo_users_and_codes_are_refused_in_production(settings):
    import io

    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    for command in ("seed_demo_users", "demo_code"):
        with pytest.raises(CommandError, match="development only"):
            call_command(command, stdout=io.StringIO())


def test_two_factor_roles_are_admins_and_account_managers():
    from portal.core.access import two_factor_roles

    assert {Role.ADMIN, Role.ACCOUNT_MANAGER} == two_factor_roles()
