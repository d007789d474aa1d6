"""`make soak` confined: the Redis database, the ports and the database name prefix it takes come from options or
SOAK_* variables, with today's defaults, and a bad value stops it at once with a message naming its source."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def soak():
    spec = importlib.util.spec_from_file_location("soak_script", REPO / "scripts" / "soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


def test_the_defaults_are_redis_database_12_any_free_ports_and_soak_pid(soak):
    args = soak.parse_args([], environ={})
    assert (args.redis_db, args.ports, args.db_prefix) == (12, None, "soak")
    assert (args.changes, args.seed) == (1000, 2026)


def test_the_environment_sets_each_option(soak):
    environ = {"SOAK_REDIS_DB": "3", "SOAK_PORTS": "20100-20109", "SOAK_DB_PREFIX": "soak_ann"}
    args = soak.parse_args([], environ=environ)
    assert (args.redis_db, args.ports, args.db_prefix) == (3, (20100, 20109), "soak_ann")


def test_an_option_given_wins_over_the_environment(soak):
    environ = {"SOAK_REDIS_DB": "3", "SOAK_PORTS": "20100-20109", "SOAK_DB_PREFIX": "soak_ann"}
    argv = ["--redis-db", "0", "--ports", "30000-30001", "--db-prefix", "_nightly"]
    args = soak.parse_args(argv, environ=environ)
    assert (args.redis_db, args.ports, args.db_prefix) == (0, (30000, 30001), "_nightly")


def test_an_empty_variable_is_unset(soak):
    """`make soak` passes every variable, empty when not set."""
    args = soak.parse_args([], environ={"SOAK_REDIS_DB": "", "SOAK_PORTS": "", "SOAK_DB_PREFIX": ""})
    assert (args.redis_db, args.ports, args.db_prefix) == (12, None, "soak")


BAD = [
    ("--redis-db", "SOAK_REDIS_DB", "16", "Redis database 16 is outside 0-15"),
    ("--redis-db", "SOAK_REDIS_DB", "-1", "Redis database -1 is outside 0-15"),
    ("--redis-db", "SOAK_REDIS_DB", "twelve", "'twelve' is not a Redis database number (0-15)"),
    ("--ports", "SOAK_PORTS", "80-90", "port range 80-90 is outside 1024-65535"),
    ("--ports", "SOAK_PORTS", "60000-70000", "port range 60000-70000 is outside 1024-65535"),
    ("--ports", "SOAK_PORTS", "20109-20100", "port range 20109-20100 is reversed (START after END)"),
    ("--ports", "SOAK_PORTS", "20100", "'20100' is not a port range START-END"),
    ("--ports", "SOAK_PORTS", "20100:20109", "'20100:20109' is not a port range START-END"),
    ("--ports", "SOAK_PORTS", "20100-20100", "holds one port; the soak needs two"),
    ("--db-prefix", "SOAK_DB_PREFIX", "1soak", "'1soak' cannot start a PostgreSQL database name"),
    ("--db-prefix", "SOAK_DB_PREFIX", "soak-ann", "'soak-ann' cannot start a PostgreSQL database name"),
    ("--db-prefix", "SOAK_DB_PREFIX", 'soak"; DROP', "cannot start a PostgreSQL database name"),
    ("--db-prefix", "SOAK_DB_PREFIX", "s" * 56, "is longer than 55 characters"),
]


@pytest.mark.parametrize(("option", "variable", "value", "message"), BAD)
def test_a_bad_option_stops_with_a_message_naming_it(soak, capsys, option, variable, value, message):
    with pytest.raises(SystemExit) as stopped:
        soak.parse_args([option, value], environ={})
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert f"argument {option}: " in error and message in error


@pytest.mark.parametrize(("option", "variable", "value", "message"), BAD)
def test_a_bad_variable_stops_with_a_message_naming_it(soak, capsys, option, variable, value, message):
    with pytest.raises(SystemExit) as stopped:
        soak.parse_args([], environ={variable: value})
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert f"error: {variable}={value}: " in error and message in error


def test_the_longest_prefix_leaves_room_for_the_process_id(soak):
    prefix = "s" * 55
    assert soak.parse_args(["--db-prefix", prefix], environ={}).db_prefix == prefix
    assert len(f"{prefix}_{4194304}") <= 63  # Linux's largest pid; PostgreSQL's longest name


def _a_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_port_is_taken_from_the_range_only(soak):
    port = _a_free_port()
    assert soak.port_in((port, port), purpose="the portal") == port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", port))
        busy.listen()
        with pytest.raises(SystemExit, match=rf"No free port for the portal in {port}-{port} \(--ports"):
            soak.port_in((port, port), purpose="the portal")
    # A port the soak took already (the sandbox's) is not handed out again.
    with pytest.raises(SystemExit, match="No free port for the portal"):
        soak.port_in((port, port), purpose="the portal", taken={port})


def test_without_a_range_any_free_port_is_taken(soak):
    port = soak.port_in(None, purpose="the sandbox")
    assert 0 < port <= 65535


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_soak_adds_a_customer_through_the_review_step(soak, live_server, portal_sandbox, monkeypatch):
    """A new customer the soak adds is reviewed and confirmed, as a person does, and so reaches the Partner API
    (without the confirmation the portal only showed the review, and the soak counted the customer as lost)."""
    import uuid

    import requests
    from django.conf import settings

    from portal.celery import app
    from portal.core.access import Role
    from portal.core.models import Operation
    from tests.fixtures.personas import make_persona, sign_in_backend, signed_in_session

    monkeypatch.setattr(app.conf, "task_always_eager", True)  # the queued creation is sent at once
    session = signed_in_session(make_persona(Role.ACCOUNT_MANAGER), sign_in_backend())
    portal = soak.Portal(live_server.url, users=[])
    portal.local.session = requests.Session()
    portal.local.session.cookies.set(settings.SESSION_COOKIE_NAME, session.session_key)
    domain = f"sk00007{uuid.uuid4().hex[:4]}.jp"
    sent = soak.Sent(7, "createCustomer", "/partners/customers", marker=domain)

    soak.new_customer(portal, sent, domain)

    assert sent.refused_by_form == ""
    operation = Operation.objects.get(kind="createCustomer")
    assert operation.status == "succeeded", operation.error
    created = portal_sandbox.requests(operation_id="createCustomer")
    assert [r["status"] for r in created if domain in json.dumps(r)] == [201]
    assert 500 not in portal.statuses
