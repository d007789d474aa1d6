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
from django.utils import translation

from portal.core import services
from portal.core.access import Role
from portal.core.models import AuditEntry

REPO = Path(__file__).resolve().parents[2]


def _record(user, op, outcome=AuditEntry.Outcome.SUCCEEDED, domain_id=1001):
    return services.audit_record(actor=user, operation_id=op, outcome=outcome, domain_id=domain_id)


def test_changes_sent_today_counts_only_what_was_sent_to_line_works_and_activity_says_what_it_lists(
    client_as, account_manager
):
    """Home's "Changes sent today" counted owner assignments, billing details and invoices, which the portal keeps
    to itself; Activity lists those too, and its lead and empty list say so."""
    import re

    support = client_as(Role.SUPPORT)
    assert (
        "No change has been made through the portal yet."
        in support.get(reverse("core:activity")).content.decode()
    )
    _record(account_manager, "patchCustomer")
    _record(account_manager, "deleteCustomer", AuditEntry.Outcome.REFUSED)  # sent, and refused
    for local in ("portal.assignCustomerOwner", "portal.setCustomerBilling", "portal.issueCustomerInvoice"):
        _record(account_manager, local)
    _record(account_manager, "billing.explainFinding", domain_id=None)
    home = support.get(reverse("home")).content.decode()
    figure = re.search(
        r'data-figure="audit_today">.*?<div class="figure">(\d+)<.*?<div class="label">(?:<a [^>]*>)?([^<]*)<',
        home,
        re.S,
    )
    assert figure.groups() == ("2", "Changes sent to LINE WORKS today")
    activity = support.get(reverse("core:activity")).content.decode()
    assert "Every change made through the portal, newest first" in activity
    assert activity.count('class="operation"') == 6


def test_activity_lists_newest_first_and_filters(client_as, account_manager, admin_user):
    with time_machine.travel(dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        _record(account_manager, "patchCustomer")
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        _record(admin_user, "deleteCustomer", AuditEntry.Outcome.REFUSED, domain_id=2002)
    client = client_as(Role.SUPPORT)

    html = client.get(reverse("core:activity")).content.decode()
    assert html.index("deleteCustomer") < html.index("patchCustomer")

    refused = client.get(reverse("core:activity"), {"outcome": "refused"}).content.decode()
    assert "deleteCustomer" in refused and 'data-operation="patchCustomer"' not in refused

    by_customer = client.get(reverse("core:activity"), {"domain_id": "1001"}).content.decode()
    assert (
        'data-operation="patchCustomer"' in by_customer
        and 'data-operation="deleteCustomer"' not in by_customer
    )

    by_date = client.get(reverse("core:activity"), {"date_from": "2026-11-15", "date_to": "2026-11-21"})
    assert 'data-operation="deleteCustomer"' in by_date.content.decode()
    assert 'data-operation="patchCustomer"' not in by_date.content.decode()

    by_user = client.get(reverse("core:activity"), {"user": account_manager.username[:6]}).content.decode()
    assert 'data-operation="patchCustomer"' in by_user and 'data-operation="deleteCustomer"' not in by_user


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
    assert (
        "Page 1 of 2" in first and 'data-operation="op54"' in first and 'data-operation="op00"' not in first
    )
    second = client.get(reverse("core:activity"), {"page": 2}).content.decode()
    assert 'data-operation="op00"' in second


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
    assert 'data-hx-swap-oob="beforeend"' in body and "Customer saved." in body


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


def test_demo_users_get_one_role_each(db, settings):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from portal.core.access import role_of

    settings.DEBUG = True  # as under `make run`; the test runner turns it off
    call_command("seed_demo_users", stdout=io.StringIO())
    users = {u.username: role_of(u) for u in get_user_model().objects.all()}
    assert users == {
        "manager": Role.ACCOUNT_MANAGER,
        "support": Role.SUPPORT,
        "finance": Role.FINANCE,
        "admin": Role.ADMIN,
    }


def test_the_demo_account_manager_gets_the_morning_digest_under_var_mail(db, settings, tmp_path):
    """Under `make run` mail is written to var/mail/: the demo Account manager and Admin have addresses, and the
    demo Account manager looks after the demo's first customer, so the morning digest of its decisions shows up
    there."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from home.digest import digest_send_all
    from tests.customers.factories import make_customer
    from tests.subscriptions.factories import make_subscription

    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    call_command("seed_demo_users", stdout=io.StringIO())
    users = {u.username: u.email for u in get_user_model().objects.all()}
    assert users["manager"] and users["admin"], users
    customer = make_customer(
        company_name="Digest Demo K.K.", domain_id=90_009_000
    )  # one the demo manager gets
    make_subscription(customer, plan="MONTHLY", plan_end_date=dt.date(2026, 11, 25), renewal_type="STAY")
    call_command("seed_demo_owners", stdout=io.StringIO())  # after the first sync, as `make run` does
    with time_machine.travel(dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.UTC), tick=False):
        assert digest_send_all() == 1
    written = "".join(path.read_text() for path in tmp_path.iterdir())
    assert f"To: {users['manager']}" in written


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_operation_page_says_sent_only_once_the_change_was_sent(client_as, account_manager, language):
    from portal.core.models import Operation

    operation = Operation.objects.create(
        idempotency_key="waiting", kind="createCustomer", requested_by=account_manager, params={}
    )
    client = client_as(Role.ACCOUNT_MANAGER)
    client.cookies["django_language"] = language
    html = client.get(reverse("core:operation", args=[operation.pk])).content.decode()
    import re

    headings = re.search(r"<title>(.*?)</title>", html, re.S)[1] + re.search(r"<h1>(.*?)</h1>", html, re.S)[1]
    assert {"en": "sent", "ja": "送信"}[language] not in headings
    assert {"en": "waiting for its turn", "ja": "順番"}[language] in html


def test_create_portal_user_command(db):
    from django.contrib.auth import authenticate
    from django.core.management import call_command

    from portal.core.access import role_of

    call_command(
        "create_portal_user", "alice", role="finance", password="long-enough-pw", stdout=io.StringIO()
    )
    # django-axes checks every sign-in, so authenticate() takes the request, as the login form passes it.
    from django.test import RequestFactory

    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username="alice", password="long-enough-pw")
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


def test_activity_shows_company_names_and_changes_in_words_and_filters_by_kind(client_as, account_manager):
    from tests.customers.factories import make_customer

    customer = make_customer(company_name="株式会社ことば")
    _record(account_manager, "patchUsageStatus", domain_id=customer.domain_id)
    _record(account_manager, "createSubscription", domain_id=customer.domain_id)
    client = client_as(Role.SUPPORT)

    html = client.get(reverse("core:activity")).content.decode()
    assert "株式会社ことば" in html and f"<code>{customer.domain_id}</code>" not in html
    assert (
        '<span class="operation" data-operation="patchUsageStatus">Change maximum users or cancellation</span>'
        in html
    )
    assert '<option value="createSubscription">Add a subscription</option>' in html

    ja = client.get(reverse("core:activity"), headers={"Accept-Language": "ja"}).content.decode()
    assert 'data-operation="patchUsageStatus">最大利用人数・解約予約の変更</span>' in ja

    only = client.get(reverse("core:activity"), {"operation": "createSubscription"}).content.decode()
    assert 'data-operation="createSubscription"' in only and 'data-operation="patchUsageStatus"' not in only


def test_every_operation_of_the_contract_is_named_in_words_in_both_languages(client_as, account_manager):
    """An operationId without a name is shown raw (`patchUsageStatus`); every one the contract has, and the
    portal's own, reads as words in English and in Japanese, and the Activity filter offers each kind the audit
    trail records by its name."""
    import re

    from portal.core.operations import operation_label, operation_labels
    from portal.core.selectors import audit_operation_ids
    from tests.partner_api.contract import spec

    contract = spec()
    ids = {
        op["operationId"]
        for path in contract["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    labels = operation_labels()
    assert len(ids) > 40 and sorted(ids - set(labels)) == []
    japanese = {}
    for operation_id in labels:
        english = operation_label(operation_id)
        with translation.override("ja"):
            japanese[operation_id] = operation_label(operation_id)
        assert english != operation_id and " " in english, operation_id
        assert japanese[operation_id] != english and not re.search("[A-Za-z]", japanese[operation_id]), (
            operation_id
        )
    # What the audit trail records: each declared change's operation and the portal's own writes (reads and
    # checks such as verifyCustomerDomain are not recorded); the filter offers each, by its name.
    recorded = audit_operation_ids()
    assert {"createCustomer", "portal.assignCustomerOwner", "portal.issueCustomerInvoice"} <= set(recorded)
    for operation_id in recorded:
        _record(account_manager, operation_id)
    ja = (
        client_as(Role.SUPPORT)
        .get(reverse("core:activity"), headers={"Accept-Language": "ja"})
        .content.decode()
    )
    for operation_id in recorded:
        assert f'<option value="{operation_id}">{japanese[operation_id]}</option>' in ja, operation_id


def test_sync_page_shows_durations_in_seconds_and_minutes_and_times_in_japan_time(client_as):
    from portal.core.models import SyncRun

    start = dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC)
    for seconds in (51.010474, 185.2):
        with time_machine.travel(start, tick=False):
            run = SyncRun.objects.create(kind="full", status="succeeded")
        SyncRun.objects.filter(pk=run.pk).update(finished_at=start + dt.timedelta(seconds=seconds))
    html = client_as(Role.ADMIN).get(reverse("core:sync")).content.decode()
    assert "51 s" in html and "3 min 5 s" in html and "0:00:51" not in html
    assert "2026-11-02 12:00 JST" in html
    ja = client_as(Role.ADMIN).get(reverse("core:sync"), headers={"Accept-Language": "ja"}).content.decode()
    assert "51秒" in ja and "3分5秒" in ja and "2026-11-02 12:00（日本時間）" in ja


def test_the_demo_owners_give_the_manager_two_customers_in_three_and_keep_a_choice_made_before(db, settings):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from customers.models import CustomerOwner
    from tests.customers.factories import make_customer, make_owner

    settings.DEBUG = True
    call_command("seed_demo_users", stdout=io.StringIO())
    people = {u.username: u for u in get_user_model().objects.all()}
    chosen = make_customer(company_name="A Chosen K.K.")
    make_owner(chosen, account_manager=None)  # left unassigned on purpose, on the owner page
    for n in range(6):
        make_customer(company_name=f"Demo {n} K.K.", domain_id=90_009_000 + n)
    call_command("seed_demo_owners", stdout=io.StringIO())
    managed = CustomerOwner.objects.filter(account_manager=people["manager"]).count()
    assert managed == 4
    assert CustomerOwner.objects.get(customer=chosen).account_manager is None
    call_command("seed_demo_owners", stdout=io.StringIO())  # a later `make run`: nothing more to give
    assert CustomerOwner.objects.filter(account_manager=people["manager"]).count() == managed


def test_changes_sent_today_as_an_account_manager_counts_their_customers_only(client_as, account_manager):
    """An Account manager's "Changes sent today" counts the changes sent today to their own customers: today's
    changes read first, then whose they are (`lists.count_read_first`; on PostgreSQL a materialized read of today's
    changes), not yesterday's, not another manager's customers', not the portal's own writes."""
    import re

    from tests.customers.factories import make_customer, make_owner

    mine, theirs = make_customer(company_name="Mine KK"), make_customer(company_name="Theirs KK")
    make_owner(mine, account_manager)
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=2), tick=False):
        _record(account_manager, "patchCustomer", domain_id=mine.domain_id)
    for _ in range(2):
        _record(account_manager, "patchCustomer", domain_id=mine.domain_id)
    _record(account_manager, "patchCustomer", domain_id=theirs.domain_id)
    _record(account_manager, "portal.assignCustomerOwner", domain_id=mine.domain_id)
    home = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    figure = re.search(r'data-figure="audit_today">.*?<div class="figure">(\d+)<', home, re.S)
    assert figure.group(1) == "2"


def test_changes_sent_today_as_an_admin_are_counted_up_to_the_cap(client_as, account_manager, settings):
    """Everyone's "Changes sent today" (an Admin's home) is counted up to one past the lists' cap, as a day's
    changes grow with the partner's customers: past it the figure says "More than N", and the count stops
    there (a LIMIT), never reading every change of the day."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.customers.factories import make_customer

    customer = make_customer(company_name="Busy KK")
    for _ in range(3):
        _record(account_manager, "patchCustomer", domain_id=customer.domain_id)
    client = client_as(Role.ADMIN)
    settings.LIST_COUNT_CAP = 5
    home = client.get(reverse("home"), {"owner": "all"}).content.decode()
    assert re.search(r'data-figure="audit_today">.*?<div class="figure">(\d+)<', home, re.S).group(1) == "3"
    settings.LIST_COUNT_CAP = 2
    with CaptureQueriesContext(connection) as captured:
        home = client.get(reverse("home"), {"owner": "all"}).content.decode()
    figure = re.search(r'data-figure="audit_today">.*?<div class="figure">([^<]*)<', home, re.S)
    assert figure.group(1) == "More than 2"
    counts = [
        q["sql"] for q in captured if "COUNT(" in q["sql"] and '"core_auditentry"."created_at" >=' in q["sql"]
    ]
    assert counts and all("LIMIT 3" in sql for sql in counts), counts
