"""The contract's rules for subscription changes, checked before anything is sent to the Partner API.

Pure functions of what the cache holds (a subscription, its customer) and the business date (Asia/Tokyo), so
forms can refuse early and date pickers can offer only allowed days. The API stays the final judge: when it
refuses, its own reason is shown. Sources: `contract/openapi.yaml` tags subscriptions, pre-orders,
reservations, renewals, and the notes in `parts/subscriptions.notes.md`. All windows are inclusive.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from portal.core.rules import DateWindow
from portal.core.vocabulary import LICENSE_PLANS, PAID_PLANS, Plan, Product, ReservationType

DAY = dt.timedelta(days=1)
#: Licence counts may not exceed this (schemas' maximum).
MAX_LICENSES = 1_000_000
#: createSubscriptionPreOrder / updateSubscriptionPreOrder: from tomorrow up to 31 days later.
PRE_ORDER_DAYS = 31
#: START_PAID_SERVICE of a Free subscription: tomorrow to today + 60 (JP page only).
FREE_CONVERSION_DAYS = 60
#: x-unverified: the length of the Trial grace period is not documented. START_PAID_SERVICE of a Trial is
#: allowed "until the end of the Trial grace period"; the portal assumes 30 days after the Trial's end date and
#: lets the API decide beyond that.
TRIAL_GRACE_DAYS = 30

PAID_PRODUCTS = (Product.STD, Product.ADV)
#: Which plans go with which product (createSubscription).
PLANS_OF_PRODUCT: dict[str, tuple[str, ...]] = {
    Product.FR: (Plan.FREE,),
    Product.STD_T: (Plan.TRIAL,),
    Product.ADV_T: (Plan.TRIAL,),
    Product.STD: PAID_PLANS,
    Product.ADV: PAID_PLANS,
}
#: A Trial converts to the paid product of the same level.
PAID_EQUIVALENT = {Product.STD_T: Product.STD, Product.ADV_T: Product.ADV}
#: upgradeSubscription: Standard to Advanced only.
UPGRADES = {Product.STD: Product.ADV, Product.STD_T: Product.ADV_T}


def pre_order_window(today: dt.date) -> DateWindow:
    return DateWindow(today + DAY, today + dt.timedelta(days=PRE_ORDER_DAYS))


def is_paid(plan: str) -> bool:
    return plan in PAID_PLANS


def needs_licences(plan: str) -> bool:
    return plan in LICENSE_PLANS


def trial_grace_end(subscription) -> dt.date | None:
    if subscription.plan_end_date is None:
        return None
    return subscription.plan_end_date + dt.timedelta(days=TRIAL_GRACE_DAYS)


def reservation_types(subscription) -> list[str]:
    """The kinds of scheduled change the subscription can take."""
    if subscription.plan in (Plan.FREE, Plan.TRIAL):
        return [ReservationType.START_PAID_SERVICE]
    kinds = []
    if needs_licences(subscription.plan):
        kinds.append(ReservationType.ADD_LICENSE)
    if is_paid(subscription.plan):
        kinds.append(ReservationType.CANCEL)
    return kinds


def reservation_window(subscription, kind: str, today: dt.date) -> DateWindow | None:
    """Allowed dates of a scheduled change of this kind, or None when the kind does not apply."""
    if kind not in reservation_types(subscription):
        return None
    tomorrow = today + DAY
    if kind == ReservationType.START_PAID_SERVICE:
        if subscription.plan == Plan.TRIAL:
            return DateWindow(tomorrow, trial_grace_end(subscription) or tomorrow)
        return DateWindow(tomorrow, today + dt.timedelta(days=FREE_CONVERSION_DAYS))
    end = subscription.plan_end_date or today
    if kind == ReservationType.ADD_LICENSE:
        return DateWindow(tomorrow, end)
    return DateWindow(tomorrow, end + DAY)  # CANCEL: up to the day after the term ends


def advanced_needs_domain(customer, product: str) -> str | None:
    """Advanced is available only with a domain: a customer on a group name must change to a domain first."""
    if product in (Product.ADV, Product.ADV_T) and getattr(customer, "domain_type", "") == "GROUP":
        return gettext(
            "Advanced is available only with a domain. This customer uses a group name: change it to a "
            "domain first (customer page, Domain)."
        )
    return None


def convert_refusal(subscription) -> str | None:
    """Why the subscription cannot be converted to paid now, or None."""
    if subscription.plan not in (Plan.FREE, Plan.TRIAL):
        return gettext("Only a Free or Trial subscription can be converted to paid.")
    return None


def upgrade_refusal(subscription, customer) -> str | None:
    if subscription.plan == Plan.FREE:
        return gettext("A Free subscription cannot be upgraded; convert it to paid Advanced instead.")
    if subscription.status == "SUSPENDED_TRIALEND":
        return gettext("A subscription in the Trial grace period cannot be upgraded.")
    target = UPGRADES.get(subscription.product_id)
    if target is None:
        return gettext("Only Standard can be upgraded (to Advanced).")
    return advanced_needs_domain(customer, target)


def add_licences_refusal(subscription) -> str | None:
    if not needs_licences(subscription.plan):
        return gettext("Licences can be added only to an annual licence plan.")
    if (subscription.license_count or 0) >= MAX_LICENSES:
        return gettext("The subscription already has the maximum number of licences.")
    return None


def cancel_refusal(subscription) -> str | None:
    reservation = getattr(subscription, "reservation", None)
    if reservation is not None and reservation.type == ReservationType.START_PAID_SERVICE:
        return gettext(
            "A paid start is scheduled for this subscription, so it cannot be cancelled. Delete the scheduled "
            "change first."
        )
    return None


def renewal_refusal(subscription) -> str | None:
    if not is_paid(subscription.plan):
        return gettext("Only paid subscriptions have renewal settings.")
    return None


def renewal_terms(subscription, *, product: str, plan: str) -> tuple[str, str]:
    """A renewal's product and plan as sent: a value the subscription has already is not a change ("")."""
    return ("" if product == subscription.product_id else product, "" if plan == subscription.plan else plan)


def renewal_licences_below_members(subscription, customer, *, plan: str, count: int | None) -> str | None:
    """A warning, not a refusal: a renewal with changes leaving a licence-based plan with fewer licences than the
    customer has members today. The contract refuses that when converting to paid (licenseCount >= memberCount)
    and says nothing of renewals, so the renewal is allowed, and said: the members today, the licences after.
    `plan` and `count` are as sent (`renewal_terms`): empty keeps the subscription's own."""
    after = count if count is not None else subscription.license_count
    members = customer.member_count
    if not needs_licences(plan or subscription.plan) or after is None or not members or after >= members:
        return None
    return gettext(
        "Fewer licences than members: the customer has %(members)s members today and will have %(licences)s "
        "licences after the renewal."
    ) % {"members": members, "licences": after}


def renewal_change_error(subscription, customer, *, product: str, plan: str, count: int | None):
    """Why a renewal with changes (`renewal_terms` already applied) cannot be set, as (field, message), or None:
    something must change; licence-based plans need a count (this one's, unless given) and other plans take
    none; Advanced needs a domain."""
    if not (product or plan or count is not None):
        return "type", gettext(
            "Choose what changes at renewal (product, plan or licences), or renew unchanged."
        )
    if needs_licences(plan or subscription.plan):
        if count is None and subscription.license_count is None:
            return "license_count", gettext("Enter the number of licences: this plan is licence-based.")
    elif count is not None:
        return "license_count", gettext("Leave the licences empty: only annual licence plans count licences.")
    refusal = advanced_needs_domain(customer, product or subscription.product_id)
    if refusal:
        return "product_id", refusal
    return None
