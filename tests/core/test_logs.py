"""The portal's logs (portal/logs.py): one structured line per request and per task, a request id that follows
a change from the browser into its Celery task and its audit entry, Partner API calls summarised at INFO and
listed at DEBUG, and no token, secret, password or personal data in any line."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import re
import uuid
from pathlib import Path

import pytest
import structlog
from django.urls import reverse

from portal import logs
from portal.core.access import Role
from portal.core.models import AuditEntry
from portal.core.services import audit_record
from tests.fixtures.browser import add_customer, login
from tests.fixtures.personas import PASSWORD, make_persona, totp_device_for


def _json_lines(text: str) -> list[dict]:
    """The JSON lines of a log (a worker's log also holds Celery's banner, which is not a log line)."""
    lines = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                lines.append(json.loads(raw))
    return lines


@pytest.fixture
def captured_logs():
    """Everything this process logs, at DEBUG, rendered as production renders it (JSON)."""
    config = logs.configure(json=True, level="DEBUG")["formatters"]["portal"]
    factory = config.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(factory(**config))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- One line per request ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_logs_one_line_with_its_id_user_and_duration_and_no_query(client_as, captured_logs):
    client = client_as(Role.SUPPORT)
    response = client.get(reverse("customers:list"), {"q": "Yamada Taro"})
    request_id = response.headers["X-Request-ID"]
    uuid.UUID(request_id)

    mine = [line for line in _json_lines(captured_logs.getvalue()) if line.get("request_id") == request_id]
    at_info = [line for line in mine if line["level"] != "debug"]
    assert [line["event"] for line in at_info] == ["request_finished"]
    finished = at_info[0]
    assert finished["request"] == "GET /customers/"  # the search stays out of the logs
    assert finished["code"] == 200 and finished["user_id"] == response.wsgi_request.user.pk
    assert finished["duration_ms"] > 0 and finished["api_calls"] == 0
    assert "Yamada" not in captured_logs.getvalue()
    assert "ip" not in finished  # a client's address is personal data


@pytest.mark.django_db
def test_each_request_has_its_own_id(client_as):
    client = client_as(Role.SUPPORT)
    ids = {client.get(reverse("customers:list")).headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.django_db
def test_a_failing_request_logs_one_error_line_with_its_traceback(client_as, captured_logs, monkeypatch):
    from customers.selectors import listing

    def broken(**kwargs):
        raise RuntimeError("the cache table is gone")

    monkeypatch.setattr(listing, "customer_list", broken)  # where the list page's selector looks it up
    client = client_as(Role.SUPPORT)
    client.raise_request_exception = False
    response = client.get(reverse("customers:list"))
    assert response.status_code == 500

    errors = [
        line for line in _json_lines(captured_logs.getvalue()) if line["level"] in ("error", "critical")
    ]
    assert [line["event"] for line in errors] == ["request_failed"]
    assert "RuntimeError: the cache table is gone" in errors[0]["exception"]


def test_secret_values_and_bearer_credentials_never_reach_a_line(captured_logs):
    logging.getLogger("portal.somewhere").info(
        "sent with Authorization: Bearer abc.DEF-123",
        extra={"client_secret": "s3cr3t", "password": "hunter2", "domain_id": 10000001},
    )
    structlog.get_logger("portal.elsewhere").info(
        "token refreshed", access_token="tok-987", refresh_token="r-1"
    )
    text = captured_logs.getvalue()
    for secret in ("abc.DEF-123", "s3cr3t", "hunter2", "tok-987", "r-1"):
        assert secret not in text
    lines = _json_lines(text)
    assert lines[0]["event"] == "sent with Authorization: Bearer [redacted]"
    assert lines[0]["domain_id"] == 10000001  # what is not secret stays
    assert lines[1]["access_token"] == logs.REDACTED


@pytest.mark.django_db
def test_an_audit_entry_keeps_the_request_id_it_was_written_under():
    structlog.contextvars.bind_contextvars(request_id="4b0c4a52-1f0e-4a7e-9d6b-0a9b7c1e2f33")
    try:
        entry = audit_record(actor=None, operation_id="updateCustomer", outcome="succeeded", domain_id=1)
    finally:
        structlog.contextvars.clear_contextvars()
    assert AuditEntry.objects.get(pk=entry.pk).request_id == "4b0c4a52-1f0e-4a7e-9d6b-0a9b7c1e2f33"
    outside = audit_record(actor=None, operation_id="updateCustomer", outcome="succeeded", domain_id=1)
    assert outside.request_id == ""


# --- A full run: browser, web, Celery worker, sandbox ---------------------------------------------------


@pytest.fixture
def worker_logs_debug_json(monkeypatch):
    """The worker process started after this logs at DEBUG, in JSON (it reads the environment)."""
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LOG_FORMAT", "json")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_change_is_followed_from_the_browser_into_its_task_and_audit_entry_and_no_secret_is_logged(
    worker_logs_debug_json, worker_on_sandbox, celery_worker_process, page, captured_logs, monkeypatch
):
    from portal.core.partner import DjangoCacheTokenStore

    tokens: list[str] = []
    keep = DjangoCacheTokenStore.set

    def spy(self, key, value, ttl):
        tokens.extend(value[k] for k in ("access_token", "refresh_token") if value.get(k))
        keep(self, key, value, ttl)

    monkeypatch.setattr(DjangoCacheTokenStore, "set", spy)

    manager = make_persona(Role.ACCOUNT_MANAGER)
    device = totp_device_for(manager)
    login(page, manager)
    personal = {
        "admin_last_name": "織田",
        "admin_first_name": "信長",
        "admin_email": "nobunaga.oda@example.net",
        "phone_number": "03-9876-5432",
        "admin_password": "Kiyosu1560x",
    }
    add_customer(
        page,
        group=f"log{uuid.uuid4().hex[:8]}",
        company_name="ログ確認株式会社",
        fields={**personal, "admin_id": "admin"},
        reason="LOG-1",
    )
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}

    web = _json_lines(captured_logs.getvalue())
    worker_text = celery_worker_process["log"].read_text()
    worker = _json_lines(worker_text)

    # One line per request at INFO, each with its own id.
    finished = [line for line in web if line["event"] in ("request_finished", "request_failed")]
    assert finished and len({line["request_id"] for line in finished}) == len(finished)
    # Two posts of the details: "Check before sending" (200), then the confirmation that queues it (302).
    (create,) = [
        line
        for line in finished
        if line["request"].startswith("POST /customers/add/details") and line.get("code") == 302
    ]
    request_id = create["request_id"]

    # The id follows the change into the task that sent it (one line at INFO, with its API calls), and into
    # what that task queued in turn (the new customer's first read)...
    followed = [
        line for line in worker if line.get("request_id") == request_id and line["event"] == "task_succeeded"
    ]
    (task,) = [line for line in followed if line["task"] == "portal.core.changes.run"]
    assert task["task"] and task["task_id"] and task["api_calls"] >= 1 and task["api_ms"] > 0
    # ...each of whose Partner API calls is listed at DEBUG under the same id...
    calls = [
        line
        for line in worker
        if line["logger"] == "partner_api.call" and line.get("request_id") == request_id
    ]
    assert calls and {line["level"] for line in calls} == {"debug"}
    assert "createCustomer" in {line["operation_id"] for line in calls}
    # ...and into its audit entry.
    entry = AuditEntry.objects.get(operation_id="createCustomer", reason="LOG-1")
    assert entry.request_id == request_id

    # Nothing secret or personal in any log of the run: the portal's, the worker's, the sandbox's.
    everything = "\n".join(
        [
            captured_logs.getvalue(),
            worker_text,
            (worker_on_sandbox.workdir / "server.log").read_text(),
        ]
    )
    assert tokens, "the web process fetched no token, so the check below would prove nothing"
    creds = worker_on_sandbox.credentials
    key_body = re.sub(r"-----[A-Z ]+-----|\s", "", Path(creds["private_key_file"]).read_text())
    forbidden = {
        "the user's password": PASSWORD,
        "the authenticator's key": device.key,
        "the authenticator's key (base32)": base64.b32encode(device.bin_key).decode(),
        "the session cookie": cookies["sessionid"],
        "the CSRF cookie": cookies["csrftoken"],
        "the client secret": creds["client_secret"],
        "the private key": key_body[40:80],
        **{f"an access or refresh token ({n})": t for n, t in enumerate(tokens)},
        **{f"the customer's {name}": value for name, value in personal.items()},
    }
    leaked = [what for what, value in forbidden.items() if value and value in everything]
    assert leaked == []
    assert not re.search(r"Bearer (?!\[redacted\])\S", everything)
