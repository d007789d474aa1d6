"""Role x URL matrix of the options pages. Expected roles come from the issue: Account managers and Admins
change options; Support reads everything; Finance sees the catalogue and the options list read-only (and, as
a reader of options, a customer's options and usage). Every refused write answers 403 before anything is
sent to the API."""

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.customers.portfolio import check_portfolio
from tests.options.factories import make_option, make_order
from tests.subscriptions.factories import make_subscription

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
READ = {AM, SUP, FIN, ADM}
WRITE = {AM, ADM}

# (url name, object, method, roles allowed)
MATRIX = [
    ("options:list", "none", "get", READ),
    ("options:export", "none", "get", READ),
    ("options:catalogue", "none", "get", READ),
    ("options:usage", "customer", "get", READ),
    ("options:add", "customer", "get", WRITE),
    ("options:add", "customer", "post", WRITE),
    ("options:order_add", "customer", "get", WRITE),
    ("options:order_add", "customer", "post", WRITE),
    ("options:order", "order", "get", WRITE),
    ("options:order", "order", "post", WRITE),
    ("options:order_delete", "order", "post", WRITE),
    ("options:upgrade", "option", "get", WRITE),
    ("options:upgrade", "option", "post", WRITE),
    ("options:add_quantity", "option", "get", WRITE),
    ("options:add_quantity", "option", "post", WRITE),
    ("options:cancel", "option", "get", WRITE),
    ("options:cancel", "option", "post", WRITE),
    ("options:renewal", "option", "get", WRITE),
    ("options:renewal", "option", "post", WRITE),
    # Bulk changes (core's pages, one per action): Support and Finance are refused.
    ("core:bulk_new", "bulk:options.add", "get", WRITE),
    ("core:bulk_new", "bulk:options.add", "post", WRITE),
    ("core:bulk_new", "bulk:options.units", "get", WRITE),
    ("core:bulk_new", "bulk:options.units", "post", WRITE),
]
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]


@pytest.fixture
def rows(db):
    customer = make_customer()
    make_subscription(customer, product_id="STD", plan="ANNUAL_LICENSE")
    make_option(customer)
    make_order(customer)
    return {
        "none": [],
        "customer": [customer.domain_id],
        "option": [customer.domain_id, "SSTG2"],
        "order": [customer.domain_id, "SSTG2"],
        # A bulk page's chosen action and row (the query of a GET, the form of a POST).
        "bulk:options.add": {"action": "options.add", "keys": customer.domain_id},
        "bulk:options.units": {"action": "options.units", "keys": f"{customer.domain_id}.SSTG2"},
    }


def _call(client, method, name, found):
    if isinstance(found, dict):
        return getattr(client, method)(reverse(name), found)
    return getattr(client, method)(reverse(name, args=found))


@pytest.mark.parametrize(("name", "obj", "method", "allowed"), MATRIX, ids=IDS)
def test_anonymous_is_sent_to_login(client, rows, name, obj, method, allowed):
    response = _call(client, method, name, rows[obj])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


CASES = [
    (name, obj, method, role, role in allowed)
    for name, obj, method, allowed in MATRIX
    for role in Role
    if not (method == "post" and role in allowed)
]


@pytest.mark.parametrize(
    ("name", "obj", "method", "role", "ok"), CASES, ids=[f"{c[2]}-{c[0]}-{c[3].value}" for c in CASES]
)
def test_role_access(client_as, rows, name, obj, method, role, ok):
    response = _call(client_as(role), method, name, rows[obj])
    assert response.status_code == (200 if ok else 403)
    assert not AuditEntry.objects.exists() and not Operation.objects.exists()


def test_change_links_only_for_those_who_change(client_as, rows):
    domain_id = rows["customer"][0]
    detail = reverse("customers:detail", args=[domain_id])
    upgrade = reverse("options:upgrade", args=rows["option"])
    for role, shown in ((AM, True), (ADM, True), (SUP, False), (FIN, False)):
        body = client_as(role).get(detail).content.decode()
        assert "Shared Storage 10 TB" in body, role
        assert (upgrade in body) is shown, role


#: The pages of one customer an Account manager may open: with PORTFOLIO_ONLY on, only for their own customers.
PORTFOLIO = [
    (name, obj, method)
    for name, obj, method, allowed in MATRIX
    if AM in allowed and obj in ("customer", "option", "order")
]


@pytest.mark.parametrize(("name", "obj", "method"), PORTFOLIO, ids=[f"{m[2]}-{m[0]}" for m in PORTFOLIO])
def test_portfolio_only_an_account_manager_opens_only_their_customers(rows, settings, name, obj, method):
    check_portfolio(settings, reverse(name, args=rows[obj]), method)
