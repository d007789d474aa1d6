"""A billed month without the sandbox: customers, the month's invoice details, the price book, and the billing
details of the partner and of the first customer."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import PriceEntry
from invoicing.models import CustomerBilling, IssuerDetails
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.portal_api import pin_business_today

M = {"year": 2026, "month": 10}
TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def issuer(db):
    return make_issuer()


def make_issuer() -> IssuerDetails:
    """The partner's billing details, as its invoices show them."""
    return IssuerDetails.objects.create(
        pk=1,
        registered_name="パートナー株式会社",
        address="東京都千代田区1-1",
        corporation=True,
        registration_number="T7000012050002",
        bank_account="みずほ銀行 本店 普通 1234567",
        payment_terms="end_of_next_month",
    )


@pytest.fixture
def month(db, issuer, monkeypatch):
    """Two customers billed in October: Alpha with billing details, Beta without; Standard at ¥600 a licence."""
    pin_business_today(monkeypatch, TODAY)
    return make_billed_month()


def make_billed_month() -> dict:
    """`month`'s October (Alpha's draft ready to issue, Beta's blocked), on any day (the partner's details made
    with `make_issuer`)."""
    alpha = make_customer(company_name="Alpha K.K.", domain_id=90_100_001)
    beta = make_customer(company_name="Beta K.K.", domain_id=90_100_002)
    make_invoice(**M)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    make_item(alpha, **M, license_count=10, amount=4_500)
    make_item(alpha, **M, license_count=3, amount=1_350, start_date=dt.date(2026, 10, 16))
    make_item(beta, **M, license_count=5, amount=2_250)
    CustomerBilling.objects.create(
        domain_id=alpha.domain_id,
        bill_to_name="Alpha K.K. 経理部",
        bill_to_address="大阪市北区1-2",
        language="ja",
    )
    return {"alpha": alpha, "beta": beta}
