"""Signing in: lockout after wrong passwords (by user name and by address) and an Admin's unlock, two-factor
sign-in for Admins and Account managers with recovery codes, idle sessions, and the Sign-ins page."""

from __future__ import annotations

import datetime as dt
import io
import re

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


def test_a_user_name_is_locked_from_the_address_that_guessed_it_and_says_so_in_japanese(settings):
    user = make_persona(Role.SUPPORT)
    client = Client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _sign_in(client, user.username, "wrong", ip="10.0.1.1")
        assert response.status_code == 200
        assert "The username or password is not right" in response.content.decode()
    # The failure that reaches the limit already answers with the lockout.
    assert _sign_in(client, user.username, "wrong", ip="10.0.1.1").status_code == 429
    response = _sign_in(client, user.username, ip="10.0.1.1")  # the right password, too late from there
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in from your address is locked after too many wrong passwords." in page
    assert "(in 15 minutes)" in page
    assert "_auth_user_id" not in client.session

    ja = Client(HTTP_ACCEPT_LANGUAGE="ja")
    response = _sign_in(ja, user.username, ip="10.0.1.1")
    assert response.status_code == 429
    assert (
        "パスワードの誤りが続いたため、このアドレスからのログインはロックされています。"
        in response.content.decode()
    )
    # From the user's own address, the user signs in.
    assert _sign_in(Client(), user.username, ip="10.0.2.1").status_code == 302


def test_a_strangers_guesses_leave_the_real_admin_able_to_sign_in(settings):
    """Five, fifty wrong passwords for `admin` from a stranger's address: the stranger is stopped, for longer
    and longer, and the real Admin signs in from their own address all along."""
    admin = make_persona(Role.ADMIN, username="admin")
    stranger = "203.0.113.66"
    waits = []
    for _round in range(4):
        for _guess in range(settings.AXES_FAILURE_LIMIT):
            _sign_in(Client(), "admin", "guess", ip=stranger)
        refused = _sign_in(Client(), "admin", ip=stranger)  # even the right password, from there
        assert refused.status_code == 429
        waits.append(int(re.search(r"\(in (\d+) minutes?\)", refused.content.decode())[1]))
        real = Client()
        assert _sign_in(real, admin.username, ip="198.51.100.7").status_code == 302
        assert real.session["_auth_user_id"] == str(admin.pk)  # then the second step, as always
    assert waits == sorted(waits) and waits[-1] > waits[0]  # each round of guessing waits longer
    assert waits[-1] <= 24 * 60


def test_one_address_is_locked_after_its_limit_whatever_the_user_names(settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 8
    victim = make_persona(Role.FINANCE)
    client = Client()
    for n in range(settings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        # Never more than one guess per name: only the address's own limit stops these.
        _sign_in(client, f"guess-{n}", "wrong", ip="192.0.2.7")
    assert _sign_in(client, victim.username, ip="192.0.2.7").status_code == 429
    # The same user from another address is not locked.
    assert _sign_in(Client(), victim.username, ip="192.0.2.8").status_code == 302


def test_behind_a_proxy_start_up_warns_when_the_client_address_header_is_missing(settings):
    from django.core.management import call_command

    from accounts.checks import client_address_header

    assert client_address_header() == []
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SIGNIN_CLIENT_IP_HEADER = ""
    warnings = client_address_header()
    assert [w.id for w in warnings] == ["accounts.W001"]
    assert "SIGNIN_CLIENT_IP_HEADER" in warnings[0].msg and "HTTP_X_FORWARDED_FOR" in warnings[0].hint
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "accounts.W001" in out.getvalue()
    settings.SIGNIN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    assert client_address_header() == []


def test_an_overlong_user_name_is_a_wrong_password_not_an_error(settings):
    """The attempt tables keep 255 characters (PostgreSQL refuses more): a longer name is counted, cut to a
    user name's length, and still locks after the limit."""
    name = "x" * 500
    for _n in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _sign_in(Client(), name, "wrong", ip="10.0.4.1")
        assert response.status_code == 200
        assert "The username or password is not right" in response.content.decode()
    assert _sign_in(Client(), name, "wrong", ip="10.0.4.1").status_code == 429
    assert {len(f.username) for f in AccessFailureLog.objects.all()} == {150}


def test_failures_and_sign_ins_are_recorded_and_an_admin_sees_them(client_as, settings):
    user = make_persona(Role.SUPPORT)
    _sign_in(Client(), user.username, "wrong")
    _sign_in(Client(), user.username)
    assert AccessFailureLog.objects.filter(username=user.username, locked_out=False).count() == 1
    assert AccessLog.objects.filter(username=user.username).count() == 1

    admin = client_as(Role.ADMIN)
    # The page lists sign-ins, as its heading says, and the failed tries with them.
    page = admin.get(reverse("accounts:signins")).content.decode()
    assert user.username in page and "Wrong password" in page and "Signed in" in page
    failed = admin.get(reverse("accounts:signins"), {"result": "failed"}).content.decode()
    assert "Wrong password" in failed and "Signed in" not in failed.split('id="results"')[1]
    page = admin.get(reverse("accounts:signins"), {"result": "succeeded"}).content.decode()
    assert user.username in page and "Signed in" in page and "Wrong password" not in page
    # The test client sends no User-Agent: the page says nothing is known, not django-axes' "<unknown>".
    assert "&lt;unknown&gt;" not in page and '<td class="muted">—</td>' in page


def test_the_sign_ins_are_counted_from_both_logs_with_the_page_s_filters_up_to_the_cap(settings):
    """The Sign-ins page's count (its pager's) counts both logs apart, each with the page's filters, and stops
    one past the lists' cap."""
    from accounts.signin import SigninFilters, signin_count

    admin_user = make_persona(Role.ADMIN)
    user = make_persona(Role.SUPPORT)
    _sign_in(Client(), user.username, "wrong")
    _sign_in(Client(), user.username, "wrong")
    _sign_in(Client(), user.username, ip="10.9.0.1")
    _sign_in(Client(), user.username, ip="10.9.0.2")

    def count(**filters) -> int:
        return signin_count(user=admin_user, filters=SigninFilters(**filters))

    assert count() == 4 and count(result="failed") == 2 and count(result="succeeded") == 2
    assert count(ip="10.9.") == 2 and count(username="nobody") == 0
    settings.LIST_COUNT_CAP = 1
    assert count() == 2 and count(result="failed") == 2  # one past the cap: "more than 1"
    settings.LIST_COUNT_CAP = 2  # neither log alone past it, both together: still one past, not their sum
    assert count() == 3


def test_a_year_on_the_housekeeping_removes_old_sign_ins_and_expired_sessions_and_keeps_the_rest(
    client_as, settings
):
    """Sign-ins and failed tries leave RETENTION_SIGNIN_DAYS after their time, sessions the day after they
    expired: the Sign-ins page then lists the last year's alone, and a session not expired yet stays. The Data
    kept page states the rules."""
    from django.contrib.sessions.models import Session

    from portal.core.retention import housekeep

    user = make_persona(Role.SUPPORT)
    with time_machine.travel(dt.datetime(2025, 11, 1, 9, tzinfo=dt.UTC), tick=False):
        _sign_in(Client(), user.username, "wrong")
        _sign_in(Client(), user.username)
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC), tick=False):
        _sign_in(Client(), user.username, "wrong", ip="10.0.0.2")
        kept = Client()
        _sign_in(kept, user.username, ip="10.0.0.2")
    # A session that expired a week ago, and the one just opened (made to expire next week).
    Session.objects.create(
        session_key="x" * 32, session_data="", expire_date=dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    )
    Session.objects.filter(session_key=kept.session.session_key).update(
        expire_date=dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    )
    with time_machine.travel(dt.datetime(2026, 11, 26, 18, tzinfo=dt.UTC), tick=False):
        removed = housekeep(batch_size=4)
        admin = client_as(Role.ADMIN)
        page = admin.get(reverse("accounts:signins")).content.decode()
        kept_page = admin.get(reverse("core:retention")).content.decode()
    assert removed["axes.AccessLog"] == 1 and removed["axes.AccessFailureLog"] == 1
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == ["10.0.0.2"]
    assert list(AccessFailureLog.objects.values_list("ip_address", flat=True)) == ["10.0.0.2"]
    assert "2025-11-01" not in page and "2026-11-20" in page
    assert not Session.objects.filter(session_key="x" * 32).exists()
    assert Session.objects.filter(session_key=kept.session.session_key).exists()
    for said in (
        "Sign-ins",
        "Failed sign-ins",
        "RETENTION_SIGNIN_DAYS",
        "365 days",
        "RETENTION_SESSION_DAYS",
    ):
        assert said in kept_page


def test_admin_unlocks_a_user_name_and_the_user_signs_in(client_as, settings):
    user = make_persona(Role.SUPPORT)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(Client(), user.username, "wrong")
    assert _sign_in(Client(), user.username).status_code == 429

    admin = client_as(Role.ADMIN)
    page = admin.get(reverse("accounts:signins")).content.decode()
    assert f"Unlock {user.username}" in page and "10.0.0.1" in page
    response = admin.post(reverse("accounts:signin_unlock"), {"ip": "10.0.0.1", "username": user.username})
    assert response.status_code == 302
    assert f"{user.username} can sign in again." in admin.get(reverse("accounts:signins")).content.decode()
    assert _sign_in(Client(), user.username).status_code == 302


def test_unlock_is_for_admins_only_and_refuses_bad_input(client_as):
    for role in (Role.SUPPORT, Role.FINANCE, Role.ACCOUNT_MANAGER):
        response = client_as(role).post(reverse("accounts:signin_unlock"), {"ip": "10.0.0.1"})
        assert response.status_code == 403
    admin = client_as(Role.ADMIN)
    assert admin.get(reverse("accounts:signin_unlock")).status_code == 405
    response = admin.post(reverse("accounts:signin_unlock"), {"ip": "not an address"}, follow=True)
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


def test_after_wrong_codes_the_page_says_tries_are_slowed_and_for_how_long():
    user = make_persona(Role.ADMIN)
    device = totp_device_for(user)
    client = Client()
    _sign_in(client, user.username)
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start, tick=False):
        first = client.post("/accounts/two-factor/", {"code": "123456"}).content.decode()
    assert "Tries are slowed down after wrong codes: wait 1 second before the next one." in first
    with time_machine.travel(start + dt.timedelta(seconds=2), tick=False):
        second = client.post("/accounts/two-factor/", {"code": "654321"}).content.decode()
    assert "wait 2 seconds before the next one." in second
    with time_machine.travel(start + dt.timedelta(seconds=3), tick=False):
        # The right code during the wait is refused too: the page says why and for how long.
        early = client.post("/accounts/two-factor/", {"code": totp_code(device)}, HTTP_ACCEPT_LANGUAGE="ja")
    assert early.status_code == 200 and "1秒" in early.content.decode()
    with time_machine.travel(start + dt.timedelta(seconds=5), tick=False):
        device.refresh_from_db()
        assert client.post("/accounts/two-factor/", {"code": totp_code(device)}).status_code == 302


@pytest.mark.parametrize("removal", ["unconfirmed", "deleted", "another user's"])
def test_a_verified_session_ends_when_its_authenticator_is_no_longer_the_users(removal):
    """The session's authenticator is checked on every page against the user's confirmed ones (read with the
    user: accounts/backends.py), with no query of its own (django-otp's middleware reads the device)."""
    user = make_persona(Role.ADMIN)
    device = totp_device_for(user)
    client = Client()
    _sign_in(client, user.username)
    assert client.post("/accounts/two-factor/", {"code": totp_code(device)}).status_code == 302
    assert client.get("/customers/").status_code == 200
    if removal == "unconfirmed":
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    elif removal == "deleted":
        device.delete()
    else:
        TOTPDevice.objects.filter(pk=device.pk).update(user=make_persona(Role.ADMIN, "another-admin"))
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor")
    assert "otp_device_id" not in client.session


def test_a_session_verified_by_a_recovery_code_stays_verified_page_after_page():
    from accounts.signin import recovery_codes_renew

    user = make_persona(Role.ACCOUNT_MANAGER)
    totp_device_for(user)
    codes = recovery_codes_renew(user=user)
    client = Client()
    _sign_in(client, user.username)
    client.post("/accounts/two-factor/", {"code": codes[0]})
    assert client.get("/customers/").status_code == 200
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
