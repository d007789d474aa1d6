"""Role x URL matrix of every customers URL: anonymous -> login, wrong role -> 403, right role -> 200.

Expected roles come from the issue: Support and Finance read; only Account managers and Admins see and use the
forms; every write endpoint answers 403 to the other roles (before anything is sent to the API).
"""

import uuid

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.customers.portfolio import check_portfolio

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
READ = {AM, SUP, FIN, ADM}
WRITE = {AM, ADM}
#: Who looks after each customer is the Admins' to set (issue 31).
ADMINS = {ADM}
DOMAIN_ID = 77_000_001
OPERATION_ID = uuid.UUID("00000000-0000-0000-0000-000000000077")

# (url name, needs domain id / operation id, method, roles allowed)
MATRIX = [
    ("customers:list", None, "get", READ),
    ("customers:export", None, "get", READ),
    ("customers:detail", "domain", "get", READ),
    ("customers:refresh", "domain", "post", READ),
    ("customers:fresh", "fresh", "get", READ),
    ("customers:edit", "domain", "get", WRITE),
    ("customers:edit", "domain", "post", WRITE),
    ("customers:usage", "domain", "get", WRITE),
    ("customers:usage", "domain", "post", WRITE),
    ("customers:renewal", "domain", "post", WRITE),
    ("customers:renewal_delete", "domain", "post", WRITE),
    ("customers:delete", "domain", "get", WRITE),
    ("customers:delete", "domain", "post", WRITE),
    ("core:operation", "operation", "get", WRITE),
    ("customers:add", None, "get", WRITE),
    ("customers:add", None, "post", WRITE),
    ("customers:add_details", None, "post", WRITE),
    ("customers:transfer", None, "get", WRITE),
    ("customers:transfer", None, "post", WRITE),
    ("customers:domain", "domain", "get", WRITE),
    ("customers:domain_upgrade", "domain", "post", WRITE),
    ("customers:domain_upgrade_delete", "domain", "post", WRITE),
    ("customers:domain_change", "domain", "post", WRITE),
    ("customers:activate", "domain", "post", WRITE),
    ("customers:owner", "domain", "get", ADMINS),
    ("customers:owner", "domain", "post", ADMINS),
    # Bulk changes of the customer list (core's pages, one per action): Support and Finance are refused.
    ("core:bulk_new", "bulk:customers.owner", "get", ADMINS),
    ("core:bulk_new", "bulk:customers.owner", "post", ADMINS),
    ("core:bulk_new", "bulk:customers.max_users", "get", WRITE),
    ("core:bulk_new", "bulk:customers.max_users", "post", WRITE),
]
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]


@pytest.fixture
def rows(db):
    make_customer(domain_id=DOMAIN_ID)
    Operation.objects.create(
        pk=OPERATION_ID, idempotency_key="matrix", kind="deleteCustomer", domain_id=DOMAIN_ID
    )


def _url(name, arg):
    if arg == "fresh":  # a page opened long ago, whose refresh never came: the page's part, with why
        return reverse(name, args=[DOMAIN_ID]) + "?since=0"
    if arg == "domain":
        return reverse(name, args=[DOMAIN_ID])
    if arg == "operation":
        return reverse(name, args=[OPERATION_ID])
    return reverse(name)


def _data(arg) -> dict:
    """A bulk page's chosen action and row (the query of a GET, the form of a POST)."""
    if arg and arg.startswith("bulk:"):
        return {"action": arg.removeprefix("bulk:"), "keys": DOMAIN_ID}
    return {}


@pytest.mark.parametrize(("name", "arg", "method", "allowed"), MATRIX, ids=IDS)
def test_anonymous_is_sent_to_login(client, rows, name, arg, method, allowed):
    response = getattr(client, method)(_url(name, arg), _data(arg))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Allowed writes are exercised against the sandbox in test_lifecycle.py; here every GET and every refused POST.
CASES = [
    (name, arg, method, role, role in allowed)
    for name, arg, method, allowed in MATRIX
    for role in Role
    if not (method == "post" and role in allowed)
]


@pytest.mark.parametrize(
    ("name", "arg", "method", "role", "ok"), CASES, ids=[f"{c[2]}-{c[0]}-{c[3].value}" for c in CASES]
)
def test_role_access(client_as, rows, name, arg, method, role, ok):
    response = getattr(client_as(role), method)(_url(name, arg), _data(arg))
    assert response.status_code == (200 if ok else 403)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("role", [SUP, FIN])
def test_readers_do_not_see_the_forms(client_as, rows, role):
    body = client_as(role).get(reverse("customers:detail", args=[DOMAIN_ID])).content.decode()
    assert reverse("customers:edit", args=[DOMAIN_ID]) not in body
    assert reverse("customers:delete", args=[DOMAIN_ID]) not in body


@pytest.mark.parametrize("role", [AM, SUP, FIN])
def test_only_admins_see_the_owner_form_link(client_as, rows, role):
    body = client_as(role).get(reverse("customers:detail", args=[DOMAIN_ID])).content.decode()
    assert reverse("customers:owner", args=[DOMAIN_ID]) not in body


#: The pages of one customer an Account manager may open: with PORTFOLIO_ONLY on, only for their own customers.
PORTFOLIO = [
    (name, arg, method)
    for name, arg, method, allowed in MATRIX
    if AM in allowed and arg in ("domain", "fresh")
]


@pytest.mark.parametrize(("name", "arg", "method"), PORTFOLIO, ids=[f"{m[2]}-{m[0]}" for m in PORTFOLIO])
def test_portfolio_only_an_account_manager_opens_only_their_customers(rows, settings, name, arg, method):
    check_portfolio(settings, _url(name, arg), method)
