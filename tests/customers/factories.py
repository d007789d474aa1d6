"""Cached customers for tests that need rows but not the API."""

from __future__ import annotations

import itertools

from django.utils import timezone

from customers.models import Customer

_ids = itertools.count(90_000_001)


def make_customer(**fields) -> Customer:
    domain_id = fields.pop("domain_id", None) or next(_ids)
    defaults = {
        "tenant_id": domain_id,
        "domain": f"c{domain_id}.example.com",
        "domain_type": "DOMAIN",
        "company_name": f"Company {domain_id}",
        "usage_status": "ACTIVE",
        "product_id": "STD",
        "plan": "MONTHLY",
        "member_count": 10,
        "max_member_count": 50,
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    customer = Customer(domain_id=domain_id, **defaults)
    customer.save()
    return customer


def hand_every_customer_to(manager) -> None:
    """Make `manager` the Account manager of every cached customer (the owners' table written directly, as the
    cache is here: no audit entry)."""
    from customers.models import CustomerOwner

    for domain_id in Customer.objects.values_list("domain_id", flat=True):
        CustomerOwner.objects.update_or_create(customer_id=domain_id, defaults={"account_manager": manager})


def make_owner(customer: Customer, account_manager=None, support_contact=None):
    """Who looks after `customer` (the portal's own data), set directly: the service and its audit are
    tested in tests/customers/test_owners.py."""
    from customers.models import CustomerOwner

    owner, _ = CustomerOwner.objects.update_or_create(
        customer=customer,
        defaults={"account_manager": account_manager, "support_contact": support_contact},
    )
    return owner
