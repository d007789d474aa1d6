"""Tag domains: verify a domain, the upgrade domain (get, create, delete), activate a customer and change its
domain, with their rules."""

from __future__ import annotations

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation
from sandbox.api.customers.shared import (
    DOMAIN_RE,
    GROUP_SUFFIXES,
    domain_in_use,
    is_group_name,
    new_upgrade_domain,
    one_customer_json,
    upgrade_domain_json,
)
from sandbox.models import Customer, UpgradeDomain
from sandbox.rules import rule

VERIFY_LENGTH = rule("domain.verify_length", "verifyCustomerDomain", 0)
VERIFY_TYPE = rule("domain.verify_type_by_dot", "verifyCustomerDomain", 1)
VERIFY_TAKEN = rule("domain.verify_taken_rejected", "verifyCustomerDomain", 2)
VERIFY_CHARSET = rule("domain.verify_charset", "verifyCustomerDomain", 3)


@operation("verifyCustomerDomain", field_rules={"domain": VERIFY_LENGTH})
def verify_domain(request):
    name = request.api.body["domain"]
    VERIFY_CHARSET.check(
        bool(DOMAIN_RE.fullmatch(name)), "domain may hold a-z, 0-9 and '-' (not first, last or doubled)"
    )
    VERIFY_TAKEN.check(not domain_in_use(name), f"{name} is already in use or not allowed")
    # rule: domain.verify_type_by_dot - x-unverified: a name without a dot is a group name
    return ok({"domain": name, "type": "GROUP" if is_group_name(name) else "DOMAIN"})


UPGRADE_INACTIVE = rule("upgrade.inactive_until_verified", "getUpgradeDomain", 0)
UPGRADE_GET_404 = rule("upgrade.get_none_404", "getUpgradeDomain", 1, status=404, code="NOT_FOUND")
UPGRADE_REQUIRED = rule("upgrade.domain_required", "createUpgradeDomain", 0, code="MISSING_PARAMETER")
UPGRADE_NEW_INACTIVE = rule("upgrade.new_inactive", "createUpgradeDomain", 1)
UPGRADE_GROUP_ONLY = rule("upgrade.group_only", "createUpgradeDomain", 2)
UPGRADE_TAKEN = rule("upgrade.domain_taken", "createUpgradeDomain", 3)
UPGRADE_REPLACES = rule("upgrade.replaces_previous", "createUpgradeDomain", 4)
UPGRADE_DELETED = rule("upgrade.deleted_then_404", "deleteUpgradeDomain", 0, status=404, code="NOT_FOUND")
UPGRADE_DELETE_404 = rule("upgrade.delete_none_404", "deleteUpgradeDomain", 1, status=404, code="NOT_FOUND")


def _upgrade_of(customer: Customer, the_rule) -> UpgradeDomain:
    upgrade = UpgradeDomain.objects.filter(customer=customer).first()
    if upgrade is None:
        # x-unverified: no upgrade domain registered -> 404
        raise the_rule.violation(f"customer {customer.domain_id} has no upgrade domain")
    return upgrade


@operation("getUpgradeDomain")
def get_upgrade_domain(request, domainId: int):
    customer = live_customer(domainId)
    # rule: upgrade.inactive_until_verified
    return ok(upgrade_domain_json(_upgrade_of(customer, UPGRADE_GET_404)))


@operation("createUpgradeDomain", field_rules={"domain": UPGRADE_REQUIRED})
def create_upgrade_domain(request, domainId: int):
    name = request.api.body["domain"].strip().lower()
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified: only group-name customers register an upgrade domain
        UPGRADE_GROUP_ONLY.check(customer.domain_type == "GROUP", "the customer already uses a domain name")
        UPGRADE_TAKEN.check(
            bool(DOMAIN_RE.fullmatch(name)) and "." in name and not name.endswith(GROUP_SUFFIXES),
            "domain must be a domain name such as example.com",
        )
        UPGRADE_TAKEN.check(
            not domain_in_use(name, except_customer=customer.domain_id), f"{name} is already in use"
        )
        # rule: upgrade.replaces_previous - x-unverified: one per customer
        UpgradeDomain.objects.filter(customer=customer).delete()
        upgrade = new_upgrade_domain(customer, name)
        upgrade.save()  # rule: upgrade.new_inactive
    return created(upgrade_domain_json(upgrade))


@operation("deleteUpgradeDomain")
def delete_upgrade_domain(request, domainId: int):
    with transaction.atomic():
        customer = live_customer(domainId)
        upgrade = _upgrade_of(customer, UPGRADE_DELETE_404)
        # rule: upgrade.deleted_then_404
        upgrade.delete()
    # x-unverified (deleteUpgradeDomain 204)
    return no_content()


ACTIVATE_TERMS = rule("activate.needs_terms", "activateCustomer", 0)
ACTIVATE_SETS = rule("activate.sets_active_domain", "activateCustomer", 1)
ACTIVATE_DNS = rule("activate.dns_not_found", "activateCustomer", 2)
ACTIVATE_CUSTOM_ONLY = rule("activate.only_custom_domains", "activateCustomer", 3)


@operation("activateCustomer")
def activate_customer(request, domainId: int):
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified: 400 when the administrator has not accepted the terms of service yet
        ACTIVATE_TERMS.check(
            customer.admin_accepted_terms, "the administrator has not accepted the terms of service"
        )
        if customer.domain.endswith(GROUP_SUFFIXES):
            # rule: activate.only_custom_domains - nothing to activate for *.by-works.com or *.by-works.net
            return ok(one_customer_json(customer))
        upgrade = UpgradeDomain.objects.filter(customer=customer, domain=customer.domain).first()
        ACTIVATE_DNS.check(
            upgrade is not None and upgrade.dns_records_found,
            "the DNS ownership records (TXT/CNAME) were not found",
        )
        upgrade.is_active_domain = True
        upgrade.save(update_fields=["is_active_domain"])
        # rule: activate.sets_active_domain
        customer.enable_active_domain = True
        customer.enable_active_mxrecord = True
        customer.save(update_fields=["enable_active_domain", "enable_active_mxrecord"])
    return ok(one_customer_json(customer))


CHANGE_NEEDS_UPGRADE = rule("change.needs_upgrade_domain", "changeCustomerDomain", 0)
CHANGE_MATCH = rule("change.domain_must_match_upgrade", "changeCustomerDomain", 2)
CHANGE_ALREADY = rule("change.already_domain", "changeCustomerDomain", 3)
CHANGE_RESULT = rule("change.result_domain_type", "changeCustomerDomain", 4)
CHANGE_MX = rule("change.mail_mx_caution", "changeCustomerDomain", 5)


@operation("changeCustomerDomain")
def change_customer_domain(request, domainId: int):
    body = request.api.body or {}
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified: a customer already on a domain name -> 400
        CHANGE_ALREADY.check(customer.domain_type == "GROUP", "the customer already uses a domain name")
        upgrade = UpgradeDomain.objects.filter(customer=customer).first()
        CHANGE_NEEDS_UPGRADE.check(upgrade is not None, "register the domain first (POST .../upgrade-domain)")
        # x-note (ChangeDomainRequest): domain is not marked required; the registered upgrade domain is used
        wanted = (body.get("domain") or upgrade.domain).strip().lower()
        CHANGE_MATCH.check(
            wanted == upgrade.domain, f"domain must be the registered upgrade domain {upgrade.domain}"
        )
        # rule: change.result_domain_type
        customer.domain = upgrade.domain
        customer.domain_type = "DOMAIN"
        customer.enable_active_domain = upgrade.is_active_domain
        # rule: change.mail_mx_caution - MX records still have to be set for Mail: inactive until activation
        customer.enable_active_mxrecord = False
        customer.save()
    return no_content()
