"""Role x URL matrix of the subscription pages with an object: anonymous -> login, wrong role -> 403, right
role -> 200. Expected roles come from the issue: Support reads everything; only Account managers and Admins see
and use the forms, and every write answers 403 to the other roles before anything is sent to the API. (The
pages without an object are in tests/core/test_access_matrix.py.)"""

import uuid

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import make_customer
from tests.customers.portfolio import check_portfolio
from tests.subscriptions.factories import make_pre_order, make_subscription

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
READ = {AM, SUP, ADM}
WRITE = {AM, ADM}
OPERATION_ID = uuid.UUID("00000000-0000-0000-0000-000000000066")

# (url name, object, method, roles allowed)
MATRIX = [
    ("subscriptions:detail", "annual", "get", READ),
    ("subscriptions:reservation", "annual", "get", WRITE),
    ("subscriptions:reservation", "annual", "post", WRITE),
    ("subscriptions:reservation_delete", "annual", "post", WRITE),
    ("subscriptions:renewal", "annual", "get", WRITE),
    ("subscriptions:renewal", "annual", "post", WRITE),
    ("subscriptions:convert", "trial", "get", WRITE),
    ("subscriptions:convert", "trial", "post", WRITE),
    ("subscriptions:upgrade", "annual", "get", WRITE),
    ("subscriptions:upgrade", "annual", "post", WRITE),
    ("subscriptions:add_licences", "annual", "get", WRITE),
    ("subscriptions:add_licences", "annual", "post", WRITE),
    ("subscriptions:cancel", "annual", "get", WRITE),
    ("subscriptions:cancel", "annual", "post", WRITE),
    ("subscriptions:add", "customer", "get", WRITE),
    ("subscriptions:add", "customer", "post", WRITE),
    ("subscriptions:pre_order_add", "customer", "get", WRITE),
    ("subscriptions:pre_order_add", "customer", "post", WRITE),
    ("subscriptions:pre_order", "pre_order", "get", WRITE),
    ("subscriptions:pre_order", "pre_order", "post", WRITE),
    ("subscriptions:pre_order_delete", "pre_order", "post", WRITE),
    # Bulk changes of the subscription list (core's pages, one per action): Support and Finance are refused.
    *(
        ("core:bulk_new", f"bulk:subscriptions.{action}", method, WRITE)
        for action in ("renewal", "cancellation", "licences", "reservation_date")
        for method in ("get", "post")
    ),
]
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]


@pytest.fixture
def rows(db):
    customer = make_customer()
    annual = make_subscription(customer, product_id="STD", plan="ANNUAL_LICENSE")
    trial = make_subscription(
        make_customer(), product_id="STD_T", plan="TRIAL", license_count=None, renewal_type=""
    )
    pre_order = make_pre_order(customer)
    Operation.objects.create(pk=OPERATION_ID, idempotency_key="sub-matrix", kind="createSubscriptionPreOrder")
    return {
        "annual": [annual.subscription_id],
        "trial": [trial.subscription_id],
        "customer": [customer.domain_id],
        "pre_order": [customer.domain_id, pre_order.pre_order_id],
        "operation": [OPERATION_ID],
        # A bulk page's chosen action and row (the query of a GET, the form of a POST).
        **{
            f"bulk:subscriptions.{action}": {
                "action": f"subscriptions.{action}",
                "keys": annual.subscription_id,
            }
            for action in ("renewal", "cancellation", "licences", "reservation_date")
        },
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


# Allowed writes are sent to the sandbox in test_changes.py; here every GET and every refused POST.
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
    assert not AuditEntry.objects.exists() and Operation.objects.count() == 1


def test_forms_are_linked_only_for_those_who_change(client_as, rows):
    annual = rows["annual"][0]
    detail = reverse("subscriptions:detail", args=[annual])
    for role, shown in ((AM, True), (ADM, True), (SUP, False)):
        body = client_as(role).get(detail).content.decode()
        assert (reverse("subscriptions:renewal", args=[annual]) in body) is shown, role
        assert (reverse("subscriptions:cancel", args=[annual]) in body) is shown, role


#: The pages of one customer an Account manager may open: with PORTFOLIO_ONLY on, only for their own customers.
PORTFOLIO = [
    (name, obj, method)
    for name, obj, method, allowed in MATRIX
    if AM in allowed and obj in ("annual", "trial", "customer", "pre_order")
]


@pytest.mark.parametrize(("name", "obj", "method"), PORTFOLIO, ids=[f"{m[2]}-{m[0]}" for m in PORTFOLIO])
def test_portfolio_only_an_account_manager_opens_only_their_customers(rows, settings, name, obj, method):
    check_portfolio(settings, reverse(name, args=rows[obj]), method)
