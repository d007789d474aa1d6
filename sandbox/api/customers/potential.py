"""Potential customers (Online Direct; tag customers): get one and transfer it to the partner, with their rules."""

from __future__ import annotations

from django.db import transaction

from sandbox.api.common import ok, operation
from sandbox.api.customers.customers import start_subscription
from sandbox.api.customers.shared import is_group_name, one_customer_json
from sandbox.models import Customer, PotentialCustomer
from sandbox.rules import rule

POTENTIAL_CODE = rule("potential.partner_code_required", "getPotentialCustomer", 0, code="MISSING_PARAMETER")
POTENTIAL_MISMATCH = rule("potential.code_mismatch_400", "getPotentialCustomer", 1)
POTENTIAL_APPS = rule("potential.not_handled_apps", "getPotentialCustomer", 2)
TRANSFER_CODE = rule("transfer.code_required_match", "transferPotentialCustomer", 0)
TRANSFER_LISTED = rule("transfer.appears_in_list", "transferPotentialCustomer", 1)
TRANSFER_APPS = rule("transfer.not_handled_apps_unsupported", "transferPotentialCustomer", 2)


def _potential(domain: str, code: str, the_rule) -> PotentialCustomer:
    found = PotentialCustomer.objects.filter(domain=domain, transferred_on__isnull=True).first()
    # x-unverified: unknown domain or wrong partnerCode -> 400 (the page lists only 400 and 500)
    the_rule.check(
        found is not None and found.partner_code == code, "unknown domain or partnerCode does not match"
    )
    return found


@operation("getPotentialCustomer", field_rules={"partnerCode": POTENTIAL_CODE})
def get_potential_customer(request, domain: str):
    found = _potential(domain, request.api.query["partnerCode"], POTENTIAL_MISMATCH)
    return ok(
        {
            "tenantId": found.tenant_id,
            "domainId": found.domain_id,
            "domain": found.domain,
            "productId": found.product_id,
            # rule: potential.not_handled_apps
            "notHandledApps": list(found.not_handled_apps),
        }
    )


@operation("transferPotentialCustomer", field_rules={"partnerCode": TRANSFER_CODE})
def transfer_potential_customer(request, domain: str):
    # x-unverified (transferPotentialCustomer): partnerCode query, no body, 200 with the Customer.
    today = request.api.today
    with transaction.atomic():
        found = _potential(domain, request.api.query["partnerCode"], TRANSFER_CODE)
        group = is_group_name(found.domain)
        customer = Customer.objects.create(
            domain_id=found.domain_id,
            tenant_id=found.tenant_id,
            domain=found.domain,
            domain_type="GROUP" if group else "DOMAIN",
            company_name=found.company_name,
            phone_number=found.phone_number,
            time_zone="Asia/Tokyo",
            locale=found.locale,
            enable_active_domain=True,
            enable_active_mxrecord=True,
            admin_last_name="Admin",
            admin_id="admin",
            admin_private_email=f"admin@{found.domain}",
            admin_accepted_terms=True,
            member_count=found.member_count,
            created_on=today,
        )
        legacy = {"LT_T": "STD_T", "BS_T": "STD_T", "PRM_T": "ADV_T", "LT": "STD", "BS": "STD", "PRM": "ADV"}
        product = legacy.get(found.product_id, found.product_id)
        if product in ("FR", "STD_T", "ADV_T"):
            start_subscription(customer, product, today)
        # rule: transfer.appears_in_list; rule: transfer.not_handled_apps_unsupported - the apps the partner
        # does not handle are not carried over to the transferred customer
        found.transferred_on = today
        found.not_handled_apps = []
        found.save(update_fields=["transferred_on", "not_handled_apps"])
    return ok(one_customer_json(customer))
