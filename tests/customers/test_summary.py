"""The customer's subscription summary and the worklist's derived columns (customers.services): whichever of the
two resync calls lands first, unused licences and the seats left under the maximum users come out right, so the
home page's "Unused licences" and "At or near maximum users" lists can read them from an index."""

from __future__ import annotations

import datetime as dt

import pytest

from customers import services
from customers.models import Customer
from partner_api.models import SubscriptionList, UsageStatus
from tests.customers.factories import make_customer

pytestmark = pytest.mark.django_db


def _usage(domain_id: int, members: int | None, maximum: int | None) -> UsageStatus:
    return UsageStatus(domain_id=domain_id, status="ACTIVE", member_count=members, max_member_count=maximum)


def _subs(domain_id: int, *subs: tuple[int, str, str, int | None]) -> SubscriptionList:
    return SubscriptionList(
        subscriptions=[
            {
                "domainId": domain_id,
                "subscriptionId": sub_id,
                "productId": "STD",
                "plan": plan,
                "planStartDate": dt.date(2026, 4, 1),
                "planEndDate": dt.date(2027, 3, 31),
                "licenseCount": licences,
                "status": status,
            }
            for sub_id, plan, status, licences in subs
        ]
    )


def _row(domain_id: int) -> Customer:
    return Customer.objects.get(domain_id=domain_id)


@pytest.mark.parametrize("usage_first", [True, False])
def test_unused_licences_are_the_main_subscriptions_licences_minus_the_members(usage_first):
    c = make_customer(member_count=None, max_member_count=None)
    steps = [
        lambda: services.customer_usage_store(domain_id=c.domain_id, remote=_usage(c.domain_id, 40, 100)),
        lambda: services.customer_subscription_summary_upsert(
            domain_id=c.domain_id,
            remote=_subs(
                c.domain_id, (1, "ANNUAL_LICENSE", "CANCELLED", 500), (2, "ANNUAL_LICENSE", "ACTIVE", 55)
            ),
        ),
    ]
    for step in steps if usage_first else reversed(steps):
        step()
    row = _row(c.domain_id)
    assert (row.main_subscription_id, row.license_count, row.unused_licences) == (2, 55, 15)

    # Members grow: the difference follows without the subscriptions being read again.
    services.customer_usage_store(domain_id=c.domain_id, remote=_usage(c.domain_id, 52, 100))
    assert _row(c.domain_id).unused_licences == 3


def test_a_plan_without_licences_or_no_subscription_has_no_unused_licences():
    c = make_customer(member_count=10, max_member_count=50)
    services.customer_subscription_summary_upsert(
        domain_id=c.domain_id, remote=_subs(c.domain_id, (7, "MONTHLY", "ACTIVE", 80))
    )
    row = _row(c.domain_id)
    assert (row.main_subscription_id, row.license_count, row.unused_licences) == (7, None, None)
    services.customer_subscription_summary_upsert(
        domain_id=c.domain_id, remote=_subs(c.domain_id, (8, "ANNUAL_PREPAY_LICENSE", "ACTIVE", 30))
    )
    assert _row(c.domain_id).unused_licences == 20
    services.customer_subscription_summary_clear(domain_id=c.domain_id)
    row = _row(c.domain_id)
    assert (row.main_subscription_id, row.license_count, row.unused_licences) == (None, None, None)


@pytest.mark.parametrize(
    ("members", "maximum", "left", "near"),
    [
        (45, 50, 5, True),  # 90 %: near
        (44, 50, 6, False),  # 88 %
        (50, 50, 0, True),
        (53, 50, -3, True),  # over the maximum (lowered below the members)
        (10, None, None, False),  # no limit
        (None, 50, None, False),  # members unknown
    ],
)
def test_seats_left_and_near_the_maximum_follow_the_usage_status(members, maximum, left, near):
    c = make_customer()
    services.customer_usage_store(domain_id=c.domain_id, remote=_usage(c.domain_id, members, maximum))
    row = _row(c.domain_id)
    assert (row.max_users_left, row.near_max_users) == (left, near)
    # The same rule when the row is saved from Python (Customer.refresh_derived).
    row.max_users_left, row.near_max_users = 999, not near
    row.save()
    row.refresh_from_db()
    assert (row.max_users_left, row.near_max_users) == (left, near)


def _remote_customer(domain_id: int, product_id: str | None):
    from partner_api.models import Customer as RemoteCustomer

    return RemoteCustomer(
        tenant_id=domain_id + 1,
        domain_id=domain_id,
        domain=f"c{domain_id}.example.jp",
        product_id=product_id,
        company_name="Product Follows K.K.",
        phone_number="03-0000-0000",
        time_zone="Asia/Tokyo",
        locale="ja_JP",
        enable_active_mxrecord=True,
        enable_active_domain=True,
        domain_type="DOMAIN",
    )


def test_the_product_follows_the_api_to_none_when_no_subscription_is_in_use():
    """The API answers productId: null once the customer has no LINE WORKS subscription in use (after a
    cancellation): the cache follows it instead of keeping the old product, whichever read lands first."""
    c = make_customer()
    services.customer_store(remote=_remote_customer(c.domain_id, "STD"))
    services.customer_subscription_summary_upsert(
        domain_id=c.domain_id, remote=_subs(c.domain_id, (7, "MONTHLY", "ACTIVE", None))
    )
    assert _row(c.domain_id).product_id == "STD"
    # A null productId while the row still has its main subscription: the subscriptions' read decides.
    services.customer_store(remote=_remote_customer(c.domain_id, None))
    assert _row(c.domain_id).product_id == "STD"
    services.customer_subscription_summary_upsert(domain_id=c.domain_id, remote=SubscriptionList())
    assert _row(c.domain_id).product_id == ""
    # The other order: no subscription any more, then the customer read with its productId null.
    services.customer_store(remote=_remote_customer(c.domain_id, "STD"))
    services.customer_subscription_summary_clear(domain_id=c.domain_id)
    assert _row(c.domain_id).product_id == ""
    services.customer_store(remote=_remote_customer(c.domain_id, None))
    assert _row(c.domain_id).product_id == ""


def test_the_product_is_the_line_works_one_of_every_service_s_products():
    """The vendor's current answers list every service's product in productIds (productId, LINE WORKS only, is to
    be removed): the customer's product is its LINE WORKS one, not LINE WORKS Roger's or AiNote's."""
    c = make_customer()
    services_in_use = _remote_customer(c.domain_id, None).model_copy(
        update={"product_ids": ["ROG_STD", "ADV", "NTA_TM"]}
    )
    services.customer_store(remote=services_in_use)
    assert _row(c.domain_id).product_id == "ADV"
    # Only other services: no LINE WORKS product, whatever the older productId still says.
    no_works = _remote_customer(c.domain_id, "STD").model_copy(update={"product_ids": ["ROG_STD"]})
    services.customer_store(remote=no_works)
    assert _row(c.domain_id).product_id == ""
    # An answer without productIds (an older server): its productId.
    services.customer_store(remote=_remote_customer(c.domain_id, "STD"))
    assert _row(c.domain_id).product_id == "STD"
