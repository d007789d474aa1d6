"""Role x URL matrix of the billing pages. Expected roles from issue 12: Finance and Admins see everything in
billing and do what billing lets them do (fetch a month, run the check, explain a finding, edit the price book);
Account managers read; Support sees nothing of billing."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Finding, InvoiceCost, MonthClosing, PriceEntry
from portal.core.access import Role
from portal.core.models import AuditEntry, SyncRun
from tests.billing.factories import make_invoice

AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN
READ = {AM, FIN, ADM}
WRITE = {FIN, ADM}
M = {"year": 2026, "month": 10}
#: A month Finance closed (the fixture closes it): the one an Admin may reopen.
CLOSED = {"year": 2026, "month": 9}

# (url name, kwargs, method, roles allowed)
MATRIX = [
    ("billing:invoices", {}, "get", READ),
    ("billing:fetch", {}, "post", WRITE),
    ("billing:details", M, "get", READ),
    ("billing:details_export", M, "get", READ),
    ("billing:statement_export", M, "get", READ),
    ("billing:accounting_export", M, "get", READ),
    ("billing:findings", M, "get", READ),
    ("billing:findings_export", M, "get", READ),
    # The estimate follows the Invoices page: whoever reads billing reads it (its section, its CSV, against the
    # invoice).
    ("billing:estimate_invoice", M, "get", READ),
    ("billing:estimate_export", M, "get", READ),
    ("billing:check", M, "post", WRITE),
    ("billing:explain", "finding", "get", WRITE),
    ("billing:explain", "finding", "post", WRITE),
    ("billing:close", M, "post", WRITE),
    ("billing:reopen", CLOSED, "get", {ADM}),
    ("billing:reopen", CLOSED, "post", {ADM}),
    ("billing:prices", {}, "get", READ),
    ("billing:price_add", {}, "post", WRITE),
    ("billing:price_customers", {}, "get", WRITE),
    # The price book as a file (whoever reads it), and back from one (Finance's, as adding a price is).
    ("billing:prices_export", {}, "get", READ),
    ("billing:prices_import", {}, "get", WRITE),
    ("billing:prices_import", {}, "post", WRITE),
    # Costs learned from LINE WORKS' invoice: Finance's (and Admins') to accept into the price book.
    ("billing:costs", M, "get", WRITE),
    ("billing:costs_accept", M, "post", WRITE),
]
IDS = [f"{m[2]}-{m[0]}" for m in MATRIX]
#: Posts answered with their form again when sent without data.
FORM_AGAIN = {"billing:prices_import"}


@pytest.fixture
def finding(db):
    # The month has an invoice, so its journal is a file (a month without one is a page that says so, 404:
    # tests/billing/test_journal.py).
    make_invoice(**M)
    MonthClosing.objects.create(**CLOSED, closed_at=timezone.now())
    InvoiceCost.objects.create(
        **M,
        item_type="PRODUCT",
        item_id="STD",
        plan="MONTHLY",
        unit_cost=540,
        lines=1,
        learned_at=timezone.now(),
    )
    return Finding.objects.create(
        year=2026, month=10, domain_id=10000001, kind="licences", subject="1", checked_at=timezone.now()
    )


def _kwargs(kwargs, finding):
    return {"pk": finding.pk} if kwargs == "finding" else kwargs


@pytest.mark.parametrize(("name", "kwargs", "method", "allowed"), MATRIX, ids=IDS)
def test_anonymous_is_sent_to_login(client, finding, name, kwargs, method, allowed):
    response = getattr(client, method)(reverse(name, kwargs=_kwargs(kwargs, finding)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


CASES = [(n, k, m, role, role in allowed) for n, k, m, allowed in MATRIX for role in Role]


@pytest.mark.parametrize(
    ("name", "kwargs", "method", "role", "ok"), CASES, ids=[f"{c[2]}-{c[0]}-{c[3].value}" for c in CASES]
)
def test_role_access(client_as, finding, name, kwargs, method, role, ok):
    data = {
        "billing:fetch": {"year": 2026, "month": 10},
        "billing:price_add": {
            "item_id": "STD",
            "plan": "MONTHLY",
            "cost": "450",
            "price": "600",
            "effective_from": "2026-10-01",
        },
        "billing:explain": {"note": "Agreed with the vendor"},
        "billing:reopen": {"reason": "Credit note from the vendor"},
        "billing:costs_accept": {"keys": "STD||MONTHLY", "confirmed": "1"},
    }.get(name, {})
    response = getattr(client_as(role), method)(reverse(name, kwargs=_kwargs(kwargs, finding)), data)
    if not ok:
        assert response.status_code == 403
        assert (
            not PriceEntry.objects.exists()
            and not SyncRun.objects.exists()
            and not AuditEntry.objects.exists()
            and MonthClosing.objects.filter(reopened_at__isnull=True).count() == 1
        )
        return
    # Reads answer 200; the writes allowed lead back to their page (an import without a file: its form again).
    posted = 200 if name in FORM_AGAIN else 302
    assert response.status_code == (200 if method == "get" else posted), response.status_code


def test_account_managers_see_no_write_buttons(client_as, finding):
    body = client_as(AM).get(reverse("billing:invoices")).content.decode()
    assert 'data-testid="fetch-month"' not in body
    body = client_as(AM).get(reverse("billing:findings", kwargs=M)).content.decode()
    assert reverse("billing:explain", kwargs={"pk": finding.pk}) not in body
    body = client_as(FIN).get(reverse("billing:findings", kwargs=M)).content.decode()
    assert reverse("billing:explain", kwargs={"pk": finding.pk}) in body


def test_a_price_added_by_finance_takes_effect_from_its_date(client_as, db):
    client_as(FIN).post(
        reverse("billing:price_add"),
        {"item_id": "std", "plan": "", "cost": "450", "price": "600", "effective_from": "2026-11-01"},
    )
    entry = PriceEntry.objects.get()
    assert (entry.item_id, entry.plan, entry.effective_from) == ("STD", "", dt.date(2026, 11, 1))
