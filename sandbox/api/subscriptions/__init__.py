"""Tags subscriptions, pre-orders, reservations and renewals: 17 operations, their rules and clock effects. One
topic a module: `subscriptions`, `pre_orders`, `reservations` and `renewals` (a tag's operations each), `due`
(what falls due on the clock) and `shared` (lookups, what a subscription's changes do, the JSON).

State: ``Subscription`` (one in use per customer and product group; cancelled rows keep ``cancelled_on``),
``SubscriptionReservation`` (the one scheduled task of a subscription), ``SubscriptionPreOrder`` (a paid
subscription scheduled for a customer) and the renewal settings kept on the subscription row. Every change of
what a customer uses closes its running ``UsagePeriod`` and opens a new one, so that usages and invoices can be
rebuilt from the periods (sandbox.usage). The seed part is sandbox/seeding/subscriptions.py. Importing the
package registers every module's routes, rules and clock effects (sandbox/registry.py).
"""

from __future__ import annotations

from sandbox.api.common import api_path
from sandbox.api.subscriptions import due  # noqa: F401 (registers the clock effects)
from sandbox.api.subscriptions.pre_orders import (
    create_subscription_pre_order,
    delete_subscription_pre_order,
    list_subscription_pre_orders,
    update_subscription_pre_order,
)
from sandbox.api.subscriptions.renewals import get_subscription_renewal, update_subscription_renewal
from sandbox.api.subscriptions.reservations import (
    create_subscription_reservation,
    delete_subscription_reservation,
    get_subscription_reservation,
    update_subscription_reservation,
)
from sandbox.api.subscriptions.subscriptions import (
    add_subscription_license_count,
    cancel_subscription,
    convert_subscription_to_paid,
    create_subscription,
    get_subscription,
    list_subscriptions,
    upgrade_subscription,
)

urlpatterns = [
    # Literal segments before parameters: .../subscriptions/pre-orders before .../subscriptions/{subscriptionId}
    api_path(
        "/partners/customers/{domainId}/subscriptions", get=list_subscriptions, post=create_subscription
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/pre-orders",
        get=list_subscription_pre_orders,
        post=create_subscription_pre_order,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/pre-orders/{preOrderId}",
        patch=update_subscription_pre_order,
        delete=delete_subscription_pre_order,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}",
        get=get_subscription,
        delete=cancel_subscription,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/paid-service",
        post=convert_subscription_to_paid,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/upgrade", post=upgrade_subscription
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/add-license-count",
        post=add_subscription_license_count,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/reservation",
        get=get_subscription_reservation,
        post=create_subscription_reservation,
        patch=update_subscription_reservation,
        delete=delete_subscription_reservation,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/renewal",
        get=get_subscription_renewal,
        patch=update_subscription_renewal,
    ),
]
