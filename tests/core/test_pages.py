"""Activity filters, health endpoints, htmx behaviour and start-up checks."""

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib import messages
from django.urls import reverse

from portal.core import services
from portal.core.access import Role
from portal.core.models import AuditEntry

REPO = Path(__file__).resolve().parents[2]


def _record(user, op, outcome=AuditEntry.Outcome.SUCCEEDED, domain_id=1001):
    return services.audit_record(actor=user, operation_id=op, outcome=outcome, domain_id=domain_id)


def test_activity_lists_newest_first_and_filters(client_as, account_manager, admin_user):
    with time_machine.travel(dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        _record(account_manager, "patchCustomer")
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        _record(admin_user, "deleteCustomer", AuditEntry.Outcome.REFUSED, domain_id=2002)
    client = client_as(Role.SUPPORT)

    html = client.get(reverse("core:activity")).content.decode()
    assert html.index("deleteCustomer") < html.index("patchCustomer")

    refused = client.get(reverse("core:activity"), {"outcome": "refused"}).content.decode()
    assert "deleteCustomer" in refused and "<code>patchCustomer</code>" not in refused

    by_customer = client.get(reverse("core:activity"), {"domain_id": "1001"}).content.decode()
    assert "<code>patchCustomer</code>" in by_customer and "<code>deleteCustomer</code>" not in by_customer

    by_date = client.get(reverse("core:activity"), {"date_from": "2026-11-15", "date_to": "2026-11-21"})
    assert "<code>deleteCustomer</code>" in by_date.content.decode()
    assert "<code>patchCustomer</code>" not in by_date.content.decode()

    by_user = client.get(reverse("core:activity"), {"user": account_manager.username[:6]}).content.decode()
    assert "<code>patchCustomer</code>" in by_user and "<code>deleteCustomer</code>" not in by_user


def test_activity_bad_filter_input_is_a_form_error_not_a_500(client_as):
    response = client_as(Role.SUPPORT).get(
        reverse("core:activity"), {"domain_id": "abc", "date_from": "2026-11-20", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a whole number." in html
    assert "The end date is before the start date." in html


def test_activity_htmx_request_gets_only_the_results(client_as, account_manager):
    _record(account_manager, "patchCustomer")
    response = client_as(Role.SUPPORT).get(
        reverse("core:activity"), headers={"HX-Request": "true", "HX-Target": "results"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "<html" not in html


def test_activity_is_paginated(client_as, account_manager):
    for i in range(55):
        _record(account_manager, f"op{i:02d}")
    client = client_as(Role.SUPPORT)
    first = client.get(reverse("core:activity")).content.decode()
    assert "Page 1 of 2" in first and "<code>op54</code>" in first and "<code>op00</code>" not in first
    second = client.get(reverse("core:activity"), {"page": 2}).content.decode()
    assert "<code>op00</code>" in second


def test_messages_of_an_htmx_request_arrive_as_toasts(rf):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.http import HttpResponse

    from portal.core.middleware import HtmxMessagesMiddleware

    request = rf.get("/", headers={"HX-Request": "true"})
    request.htmx = True
    request.session = {}
    request._messages = FallbackStorage(request)
    messages.success(request, "Customer saved.")
    response = HtmxMessagesMiddleware(lambda r: HttpResponse("<p>ok</p>"))(request)
    body = response.content.decode()
    assert 'hx-swap-oob="beforeend"' in body and "Customer saved." in body


def test_healthz_and_readyz(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert "broker" in checks


def test_readyz_reports_a_broken_broker(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["status"] == "fail"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.parametrize("role", [None, Role.SUPPORT, Role.ACCOUNT_MANAGER])
def test_readyz_tells_only_ok_or_fail_to_anyone_but_an_admin(client, client_as, db, settings, role):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    caller = client if role is None else client_as(role)
    body = caller.get("/readyz").json()
    assert body["checks"], "no check was reported"
    assert body["checks"]["broker"] == {"status": "fail"}
    for check in body["checks"].values():
        assert set(check) == {"status"}
    assert "127.0.0.1" not in str(body) and "sqlite" not in str(body)


def test_readyz_shows_an_admin_why_a_check_fails(client_as, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    body = client_as(Role.ADMIN).get("/readyz").json()
    assert body["checks"]["broker"]["status"] == "fail"
    assert "error" in body["checks"]["broker"]
    from django.db import connection

    assert body["checks"]["database"]["detail"] == connection.vendor  # sqlite here, postgresql in CI


def test_production_start_up_names_every_missing_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_API_", "SECRET_KEY"))}
    env.update({"DEBUG": "false", "DJANGO_SETTINGS_MODULE": "portal.settings"})
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    for name in (
        "SECRET_KEY",
        "PARTNER_API_CLIENT_ID",
        "PARTNER_API_CLIENT_SECRET",
        "PARTNER_API_SERVICE_ACCOUNT",
        "PARTNER_API_PRIVATE_KEY_FILE",
    ):
        assert name in result.stderr


def test_demo_users_get_one_role_each(db):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from portal.core.access import role_of

    call_command("seed_demo_users", stdout=io.StringIO())
    users = {u.username: role_of(u) for u in get_user_model().objects.all()}
    assert users == {
        "manager": Role.ACCOUNT_MANAGER,
        "support": Role.SUPPORT,
        "finance": Role.FINANCE,
        "admin": Role.ADMIN,
    }


def test_create_portal_user_command(db):
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    from portal.core.access import role_of

    call_command(
        "create_portal_user", "alice", role="finance", password="long-enough-pw", stdout=io.StringIO()
    )
    user = authenticate(username="alice", password="long-enough-pw")
    assert user is not None and role_of(user) == Role.FINANCE


def test_readyz_gets_a_real_token_from_the_sandbox(client_as, portal_sandbox):
    checks = client_as(Role.ADMIN).get("/readyz").json()["checks"]
    assert checks["partner_api"]["status"] == "ok"
    assert checks["partner_api"]["detail"] == "service account"


def test_readyz_names_a_refused_credential(client, portal_sandbox, settings):
    from django.core.cache import cache

    from portal.core.partner import reset_clients

    settings.PARTNER_API_CLIENT_SECRET = "wrong-secret"
    reset_clients()
    cache.clear()  # no cached token: the check must ask the token endpoint
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["partner_api"]["status"] == "fail"
