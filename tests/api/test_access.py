"""The API's role x URL matrix: every endpoint (from the URL resolver) x every level a token may have in its area
x every role. A token's level is capped by its owner's role at each call, so each token is made with the level
as it is (as if made before a role change): the call succeeds only when the level is enough and the role holds
the area's permission for it; otherwise 403 in words, before anything is read or sent.

The roles of each area are written out from the issue's roles, not read from the code; the endpoints' areas and
levels are written out too, and checked against what each endpoint declares."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import InvoiceCost, MonthClosing
from options.rules import first_of_next_month
from portal.core import clock
from portal.core.access import Role, named_urls
from portal.core.models import Operation
from tests.api.conftest import NONE, READ, WRITE, token_of_levels
from tests.core.test_url_coverage import api_operations
from tests.customers.factories import hand_every_customer_to, make_customer
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import make_billed_month, make_issuer
from tests.options.factories import make_option, make_order
from tests.search.factories import make_issued
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
ALL = {AM, SUP, FIN, ADM}

#: Each area: the roles that read it, the roles that write it (the issue's roles).
AREA_ROLES = {
    "worklists": (ALL, set()),
    "customers": (ALL, {AM, ADM}),
    "subscriptions": ({AM, SUP, ADM}, {AM, ADM}),
    "options": (ALL, {AM, ADM}),
    "schedule": ({AM, SUP, ADM}, set()),
    "billing": ({AM, FIN, ADM}, {FIN, ADM}),
    "invoicing": ({FIN, ADM}, {FIN, ADM}),
}
#: The endpoints that ask more than their area's level: the only roles that may, besides the token's level.
ONLY = {"api:billing_month_reopen": {ADM}}  # reopening a closed month: Admins only
#: Who follows changes (the operation): those who may send them.
SENDERS = {AM, ADM}
OPERATION_ID = uuid.UUID("00000000-0000-0000-0000-000000000056")
CLOSED_MONTH = {"year": 2026, "month": 9}

# (url name, object, method, area, level needed); `None` area: any area the token may write (operations).
MATRIX = [
    ("api:worklists", None, "get", "worklists", READ),
    ("api:worklist", "section", "get", "worklists", READ),
    ("api:customers", None, "get", "customers", READ),
    ("api:customer", "customer", "get", "customers", READ),
    ("api:customer_create", None, "post", "customers", WRITE),
    ("api:customer_edit", "customer", "post", "customers", WRITE),
    ("api:customer_usage", "customer", "post", "customers", WRITE),
    ("api:customer_usage_renewal", "customer", "post", "customers", WRITE),
    ("api:customer_usage_renewal_delete", "customer", "post", "customers", WRITE),
    ("api:customer_domain_upgrade", "customer", "post", "customers", WRITE),
    ("api:customer_domain_upgrade_delete", "customer", "post", "customers", WRITE),
    ("api:customer_domain_change", "customer", "post", "customers", WRITE),
    ("api:customer_activate", "customer", "post", "customers", WRITE),
    ("api:customer_delete", "customer", "post", "customers", WRITE),
    ("api:customer_transfer", None, "post", "customers", WRITE),
    ("api:subscriptions", None, "get", "subscriptions", READ),
    ("api:subscription", "annual", "get", "subscriptions", READ),
    ("api:subscription_renewal", "annual", "post", "subscriptions", WRITE),
    ("api:subscription_reservation", "annual", "post", "subscriptions", WRITE),
    ("api:subscription_reservation_date", "reserved", "post", "subscriptions", WRITE),
    ("api:subscription_reservation_delete", "reserved", "post", "subscriptions", WRITE),
    ("api:subscription_convert", "trial", "post", "subscriptions", WRITE),
    ("api:subscription_upgrade", "annual", "post", "subscriptions", WRITE),
    ("api:subscription_add_licences", "annual", "post", "subscriptions", WRITE),
    ("api:subscription_cancel", "annual", "post", "subscriptions", WRITE),
    ("api:subscription_create", "customer", "post", "subscriptions", WRITE),
    ("api:pre_order_create", "customer", "post", "subscriptions", WRITE),
    ("api:pre_order_date", "pre_order", "post", "subscriptions", WRITE),
    ("api:pre_order_delete", "pre_order", "post", "subscriptions", WRITE),
    ("api:options", None, "get", "options", READ),
    ("api:option_create", "customer", "post", "options", WRITE),
    ("api:option_upgrade", "option", "post", "options", WRITE),
    ("api:option_add_quantity", "option", "post", "options", WRITE),
    ("api:option_cancel", "option", "post", "options", WRITE),
    ("api:option_renewal", "option", "post", "options", WRITE),
    ("api:option_order_create", "customer", "post", "options", WRITE),
    ("api:option_order_date", "order", "post", "options", WRITE),
    ("api:option_order_delete", "order", "post", "options", WRITE),
    ("api:scheduled_changes", None, "get", "schedule", READ),
    ("api:billing_invoices", None, "get", "billing", READ),
    ("api:billing_items", "month", "get", "billing", READ),
    ("api:billing_price_add", None, "post", "billing", WRITE),
    ("api:billing_month_close", "month", "post", "billing", WRITE),
    ("api:billing_month_reopen", "closed_month", "post", "billing", WRITE),
    ("api:billing_costs_accept", "month", "post", "billing", WRITE),
    ("api:customer_invoices", None, "get", "invoicing", READ),
    ("api:customer_invoice_payment", "invoice", "post", "invoicing", WRITE),
    ("api:customer_invoice_send", "invoice", "post", "invoicing", WRITE),
    ("api:customer_invoices_issue", "month", "post", "invoicing", WRITE),
    ("api:operation", "operation", "get", None, WRITE),
]
#: Each endpoint of one customer: with PORTFOLIO_ONLY, an Account manager's token reads theirs, not another's.
PORTFOLIO = [
    row
    for row in MATRIX
    if row[1] in ("customer", "annual", "reserved", "trial", "pre_order", "option", "order")
]


def body_for(name: str) -> dict:
    """The body of each write, a dry run (nothing is sent): the matrix is about who may, not what is sent."""
    later = (clock.today() + dt.timedelta(days=7)).isoformat()
    sooner = (clock.today() + dt.timedelta(days=3)).isoformat()
    return {
        "api:customer_create": NEW_CUSTOMER,
        "api:customer_edit": {"company_name": "Renamed Ltd."},
        "api:customer_usage": {},  # left out: as it is
        "api:customer_usage_renewal": {"apply_date": later},  # it has one: moved
        "api:customer_usage_renewal_delete": {},
        "api:customer_domain_upgrade": {"domain": "moved.example.org"},
        "api:customer_domain_upgrade_delete": {},
        "api:customer_domain_change": {"domain": "Moved.example.org"},
        "api:customer_activate": {},
        "api:customer_delete": {"confirm_domain": MATRIX_DOMAIN},
        "api:customer_transfer": {"domain": "direct.example.com", "partner_code": "OD-1234"},
        "api:subscription_create": {"product_id": "FR", "plan": "FREE"},
        "api:pre_order_create": {"apply_date": later, "product_id": "STD", "plan": "MONTHLY"},
        "api:pre_order_date": {"apply_date": sooner},
        "api:pre_order_delete": {},
        "api:option_create": {"sub_option_id": "DRV01"},
        "api:option_upgrade": {"sub_option_id": "SSTG204"},
        "api:option_add_quantity": {"quantity": 2},
        "api:option_cancel": {"reason": "matrix"},
        "api:option_renewal": {"type": "STAY"},
        "api:option_order_create": {
            "type": "CHANGE_QUANTITY",
            "sub_option_id": "SSTG203",
            "quantity": 3,
            "apply_date": first_of_next_month(clock.today()).isoformat(),
        },
        "api:option_order_date": {"apply_date": sooner},
        "api:option_order_delete": {},
        "api:customer_invoice_payment": {"amount": 100, "paid_on": clock.today().isoformat()},
        "api:billing_price_add": {
            "item_id": "STD",
            "plan": "MONTHLY",
            "cost": 540,
            "price": 800,
            "effective_from": later,
        },
        "api:billing_month_close": {},
        "api:customer_invoice_send": {},
        "api:customer_invoices_issue": {},
        "api:billing_month_reopen": {"reason": "A credit note from the vendor"},
        "api:billing_costs_accept": {"choice": "all"},
        "api:subscription_renewal": {"type": "STAY"},
        "api:subscription_reservation": {"type": "ADD_LICENSE", "apply_date": later, "license_count": 5},
        "api:subscription_reservation_date": {"apply_date": later},
        "api:subscription_reservation_delete": {},
        "api:subscription_convert": {"product_id": "STD", "plan": "MONTHLY"},
        "api:subscription_upgrade": {},
        "api:subscription_add_licences": {"license_count": 3},
        "api:subscription_cancel": {"reason": "matrix"},
    }[name] | {"dry_run": True}


def test_the_matrix_covers_every_endpoint_as_it_declares_itself():
    declared = {}
    for name, pattern in named_urls().items():
        found = api_operations(pattern)
        for method, (area, level) in (found or {}).items():
            declared[(name, method.lower())] = (area, level)
    written = {(name, method): (area, level) for name, _obj, method, area, level in MATRIX}
    assert declared == written, "write each API endpoint in MATRIX, with its area and level"
    assert {area for area, _level in declared.values() if area} == set(AREA_ROLES)


#: The domain of the matrix's customer (a deletion is confirmed by typing it).
MATRIX_DOMAIN = "matrix-customer.example.com"

#: A new customer's body (createCustomer).
NEW_CUSTOMER = {
    "domain": "new-customer.example.com",
    "company_name": "New Customer Ltd.",
    "phone_number": "03-1234-5678",
    "time_zone": "Asia/Tokyo",
    "locale": "ja_JP",
    "admin_last_name": "Sato",
    "admin_id": "admin",
    "admin_password": "secret123",
    "admin_email": "admin@example.com",
}


def make_rows() -> dict:
    """One customer with something to change for every endpoint: subscriptions (one annual, one with a scheduled
    change, one trial), a scheduled max-users change, a pre-order, an option in use and a scheduled option
    change; and an operation to poll."""
    today = clock.today()
    customer = make_customer(
        domain=MATRIX_DOMAIN,
        phone_number="03-1234-5678",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
        renewal_apply_date=today + dt.timedelta(days=20),
        renewal_max_member_count=60,
    )
    annual = make_subscription(customer, product_id="STD", plan="ANNUAL_LICENSE")
    reserved = make_subscription(customer, product_id="STD", plan="MONTHLY", license_count=None)
    make_reservation(reserved, type="CANCEL", apply_date=today + dt.timedelta(days=10), license_count=None)
    trial = make_subscription(customer, product_id="STD_T", plan="TRIAL", license_count=None, renewal_type="")
    pre_order = make_pre_order(customer, apply_date=today + dt.timedelta(days=10))
    option = make_option(customer, option_product_id="SSTG2", sub_option_id="SSTG203", quantity=1)
    order = make_order(
        customer,
        option_product_id="BCT",
        sub_option_id="BCT01",
        type="APPLY",
        quantity=1,
        apply_date=today + dt.timedelta(days=10),
    )
    invoice = make_issued(  # ready to send: an address, its PDF
        56, domain_id=customer.domain_id, recipient={"invoice_email": "ap@example.com"}, pdf_sha256="0" * 64
    )
    make_issuer()  # invoicing: October 2026 has a draft ready to issue (tests/invoicing's)
    make_billed_month()
    # Billing: October 2026 open, with a cost its invoice says that the price book lacks; September closed.
    MonthClosing.objects.create(**CLOSED_MONTH, closed_at=timezone.now())
    InvoiceCost.objects.create(
        year=2026,
        month=10,
        item_type="PRODUCT",
        item_id="STD",
        plan="MONTHLY",
        unit_cost=540,
        lines=1,
        learned_at=timezone.now(),
    )
    Operation.objects.create(
        pk=OPERATION_ID, idempotency_key="api-matrix", kind="updateSubscriptionRenewal", domain_id=customer.pk
    )
    return {
        "invoice": invoice,
        "customer": customer,
        "annual": annual,
        "reserved": reserved,
        "trial": trial,
        "pre_order": pre_order,
        "option": option,
        "order": order,
    }


@pytest.fixture
def rows(db):
    return make_rows()


def _kwargs(name: str, obj: str | None, rows, role: Role) -> dict:
    if obj == "customer":
        return {"domain_id": rows["customer"].domain_id}
    if obj in ("annual", "reserved", "trial"):
        return {"subscription_id": rows[obj].subscription_id}
    if obj == "pre_order":
        return {"domain_id": rows["customer"].domain_id, "pre_order_id": rows[obj].pre_order_id}
    if obj in ("option", "order"):
        return {"domain_id": rows["customer"].domain_id, "option_product_id": rows[obj].option_product_id}
    if obj == "invoice":
        return {"number": rows[obj].number}
    if obj == "month":
        return {"year": 2026, "month": 10}
    if obj == "closed_month":
        return CLOSED_MONTH
    if obj == "operation":
        return {"operation_id": OPERATION_ID}
    if obj == "section":  # a section the role sees (each section has its own roles)
        return {"key": "findings" if role is FIN else "renewal-decisions"}
    return {}


def _allowed(name: str, role: Role, area: str | None, needed: str, levels: dict[str, str]) -> bool:
    if name in ONLY and role not in ONLY[name]:
        return False
    if area is None:  # operations: a token that may write where its owner's role writes, of a sender
        writes = {a for a, (_read, write) in AREA_ROLES.items() if role in write}
        return role in SENDERS and any(levels.get(a) == WRITE for a in writes)
    given = levels.get(area, NONE)
    reads, writes = AREA_ROLES[area]
    if needed == WRITE:
        return given == WRITE and role in writes
    return given in (READ, WRITE) and (role in reads or role in writes)


def _call(api, method: str, url: str, name: str):
    if method == "post":
        return api.post(url, body_for(name))
    return api.get(url)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize(("name", "obj", "method", "area", "needed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_every_endpoint_x_token_level_x_role(rows, role, name, obj, method, area, needed):
    user = make_persona(role)
    url = reverse(name, kwargs=_kwargs(name, obj, rows, role))
    scopes = [{a: level for a in AREA_ROLES} for level in (NONE, READ, WRITE)]
    if area is not None:  # the area alone at each level, every other area at the most
        scopes += [{**{a: WRITE for a in AREA_ROLES}, area: level} for level in (NONE, READ, WRITE)]
    for levels in scopes:
        response = _call(token_of_levels(user, levels), method, url, name)
        if _allowed(name, role, area, needed, levels):
            assert response.status_code == 200, (role, levels, response.content[:300])
        else:
            assert response.status_code == 403, (role, levels, response.status_code, response.content[:300])
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("name", "obj", "method", "area", "needed"), PORTFOLIO, ids=[m[0] for m in PORTFOLIO]
)
def test_an_account_managers_token_reads_only_their_customers_with_portfolio_only(
    rows, settings, name, obj, method, area, needed
):
    """Another's customer answers 404 (no hint that it exists) and nothing is written; one's own answers."""
    from portal.core.models import AuditEntry

    settings.PORTFOLIO_ONLY = True
    me = make_persona(AM, username="portfolio-me")
    other = make_persona(AM, username="portfolio-other")
    api = token_of_levels(me, {a: WRITE for a in AREA_ROLES})
    url = reverse(name, kwargs=_kwargs(name, obj, rows, AM))
    hand_every_customer_to(other)
    before = (AuditEntry.objects.count(), Operation.objects.count())
    assert _call(api, method, url, name).status_code == 404
    assert (AuditEntry.objects.count(), Operation.objects.count()) == before
    hand_every_customer_to(me)
    assert _call(api, method, url, name).status_code == 200
