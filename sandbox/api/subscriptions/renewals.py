"""Tag renewals: a subscription's renewal settings (get, update), with their rules."""

from __future__ import annotations

from django.db import transaction

from sandbox.api.common import live_customer, ok, operation
from sandbox.api.subscriptions.shared import renewal_json, subscription_of
from sandbox.catalogue import LICENSE_PLANS, PAID_PLANS
from sandbox.rules import rule

RENEW_GET_SCOPE = rule("sub_renewal.get_either_scope", "getSubscriptionRenewal", 0)
RENEW_GET_PAID = rule("sub_renewal.get_paid_only", "getSubscriptionRenewal", 1)


@operation("getSubscriptionRenewal")
def get_subscription_renewal(request, domainId: int, subscriptionId: str):
    customer = live_customer(domainId)
    sub = subscription_of(customer, subscriptionId)
    # x-unverified: the error for Free/Trial is not documented; 400 (the contract lists 400 for this read)
    RENEW_GET_PAID.check(sub.plan in PAID_PLANS, "Free and Trial subscriptions have no renewal settings")
    return ok(renewal_json(sub))


RENEW_TYPE = rule("sub_renewal.type_required", "updateSubscriptionRenewal", 0)
RENEW_STAY = rule("sub_renewal.stay_keeps_terms", "updateSubscriptionRenewal", 1)
RENEW_CHANGE = rule("sub_renewal.change_terms", "updateSubscriptionRenewal", 2)
RENEW_CANCEL = rule("sub_renewal.cancel_ends_after_term", "updateSubscriptionRenewal", 3)
RENEW_LICENSES = rule("sub_renewal.license_count_annual", "updateSubscriptionRenewal", 4)
RENEW_DOMAIN = rule("sub_renewal.adv_needs_domain", "updateSubscriptionRenewal", 5)
RENEW_PAID_ONLY = rule("sub_renewal.paid_only", "updateSubscriptionRenewal", 6)
RENEW_UPGRADE_CLEARS = rule("sub_renewal.upgrade_clears_change", "updateSubscriptionRenewal", 7)


@operation("updateSubscriptionRenewal", field_rules={"type": RENEW_TYPE, "licenseCount": RENEW_LICENSES})
def update_subscription_renewal(request, domainId: int, subscriptionId: str):
    body = request.api.body
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        RENEW_PAID_ONLY.check(
            sub.plan in PAID_PLANS, "renewal settings cannot be set for Free or Trial subscriptions"
        )
        kind = body["type"]
        product, plan, licenses = body.get("productId", ""), body.get("plan", ""), body.get("licenseCount")
        if kind == "CHANGE":
            RENEW_CHANGE.check(
                bool(product or plan or licenses is not None), "CHANGE needs productId, plan or licenseCount"
            )
            new_plan = plan or sub.plan
            if new_plan in LICENSE_PLANS:
                RENEW_LICENSES.check(
                    licenses is not None or sub.license_count is not None,
                    f"licenseCount is required to renew with plan {new_plan}",
                )
                RENEW_LICENSES.check(licenses is None or licenses >= 1, "licenseCount must be at least 1")
            else:
                RENEW_LICENSES.check(licenses is None, f"licenseCount is not used with plan {new_plan}")
            RENEW_DOMAIN.check(
                not ((product or sub.product_id) == "ADV" and customer.domain_type == "GROUP"),
                "Advanced is available only using a domain (not a group name)",
            )
            # rule: sub_renewal.change_terms - productId, plan and licence count (also fewer licences)
            sub.renewal_product_id = product if product and product != sub.product_id else ""
            sub.renewal_plan = plan if plan and plan != sub.plan else ""
            sub.renewal_license_count = licenses
        else:
            # rule: sub_renewal.stay_keeps_terms; rule: sub_renewal.cancel_ends_after_term
            sub.renewal_product_id = sub.renewal_plan = ""
            sub.renewal_license_count = None
        sub.renewal_type = kind
        sub.save()
    return ok(renewal_json(sub))
