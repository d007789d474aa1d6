"""What the customers domain's operations share: the domain names' rules and limits, the customer's JSON, its usage
status and upgrade domain as the API answers them, and the checks and endings several operations make (a domain
in use, usage periods closed, everything cancelled, a customer deleted)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    PotentialCustomer,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
    UpgradeDomain,
    UsagePeriod,
)

#: Where group names live: *.by-works.com, and *.by-works.net on the vendor's current pages; new ones get the first.
GROUP_SUFFIXES = (".by-works.com", ".by-works.net")
GROUP_SUFFIX = GROUP_SUFFIXES[0]
DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9.]|-(?!-))*[a-z0-9]$")
# Names the sandbox treats as "not allowed" for verify-domain and create (the real list is not published).
RESERVED_NAMES = frozenset({"www", "admin", "mail", "api", "partner", "works", "line", "example"})
NAME_SPECIALS = set("!@&()-_+[]{},. ")
MAX_MEMBER_LIMIT = 1_000_000
FIRST_DOMAIN_ID = 10_000_000
TENANT_OFFSET = 100_000_000


# --- serialisation ------------------------------------------------------------------------------------------


def works_products(domain_ids: list[int]) -> dict[int, str]:
    """productId (deprecated) of each customer: its LINE WORKS subscription in use, if any."""
    rows = Subscription.objects.filter(
        customer_id__in=domain_ids, product_group_id="WORKS", cancelled_on__isnull=True
    ).values_list("customer_id", "product_id")
    return dict(rows)


def customer_json(customer: Customer, product_id: str | None = None) -> dict:
    admin = {
        "lastName": customer.admin_last_name,
        "id": customer.admin_id,
        "privateEmail": customer.admin_private_email,
    }
    if customer.admin_first_name:
        admin["firstName"] = customer.admin_first_name
    if customer.admin_cellphone:
        admin["cellphone"] = customer.admin_cellphone
    if customer.admin_country_code:
        admin["countryCode"] = customer.admin_country_code
    return {
        "tenantId": customer.tenant_id,
        "domainId": customer.domain_id,
        "domain": customer.domain,
        # rule: customer.list_product_id_deprecated - LINE WORKS only, null without a subscription
        "productId": product_id,
        # rule: customer.list_product_ids - every service's product: LINE WORKS's, then the others'
        "productIds": [*([product_id] if product_id else []), *customer.other_product_ids],
        "companyName": customer.company_name,
        "phoneNumber": customer.phone_number,
        "timeZone": customer.time_zone,
        "locale": customer.locale,
        "enableActiveMxrecord": customer.enable_active_mxrecord,
        "enableActiveDomain": customer.enable_active_domain,
        "domainType": customer.domain_type,
        "administrator": admin,
        # x-unverified (CustomerPartnership): status values beyond the first ones, and the presence of
        # customerCode, enablePartnerProfileDisplay and memo in answers, are assumptions.
        "partnership": {
            "status": customer.partnership_status,
            "customerCode": customer.customer_code,
            "enablePartnerProfileDisplay": customer.enable_partner_profile_display,
            "memo": customer.memo,
        },
    }


def one_customer_json(customer: Customer) -> dict:
    return customer_json(customer, works_products([customer.domain_id]).get(customer.domain_id))


def usage_status_json(customer: Customer) -> dict:
    data = {
        "domainId": customer.domain_id,
        "status": customer.usage_status,
        "memberCount": customer.member_count,
        "maxMemberCount": customer.max_member_count,
        # rule: usage.withdrawal_date_shown - a scheduled cancellation shows here too (notes: contradiction)
        "withdrawalDate": customer.withdrawal_date,
    }
    if customer.renewal_apply_date is not None:
        # rule: usage.renewal_only_when_scheduled - x-unverified: absent (not null) when nothing is scheduled
        data["renewal"] = {
            "maxMemberCount": customer.renewal_max_member_count,
            "applyDate": customer.renewal_apply_date,
        }
    return data


def upgrade_domain_json(upgrade: UpgradeDomain) -> dict:
    return {
        "domain": upgrade.domain,
        "isActiveDomain": upgrade.is_active_domain,
        "cnameHost": upgrade.cname_host,
        "cnameTarget": upgrade.cname_target,
        "txtHost": upgrade.txt_host,
        "txtToken": upgrade.txt_token,
        "mxRecordHost": upgrade.mx_record_host,
        "mxRecordValue": {"priority10": upgrade.mx_priority10, "priority20": upgrade.mx_priority20},
    }


# --- shared checks ------------------------------------------------------------------------------------------


def is_group_name(name: str) -> bool:
    return "." not in name or name.endswith(GROUP_SUFFIXES)


def stored_domain(name: str) -> str:
    """New group names live under by-works.com; domain names are kept as given."""
    if "." not in name:
        return name + GROUP_SUFFIX
    return name


def domain_in_use(name: str, *, except_customer: int | None = None) -> bool:
    names = {name, *(name + suffix for suffix in GROUP_SUFFIXES)} if "." not in name else {name}
    customers = Customer.objects.filter(domain__in=names, deleted_on__isnull=True)
    if except_customer is not None:
        customers = customers.exclude(pk=except_customer)
    upgrades = UpgradeDomain.objects.filter(domain__in=names, customer__deleted_on__isnull=True)
    if except_customer is not None:
        upgrades = upgrades.exclude(customer_id=except_customer)
    potential = PotentialCustomer.objects.filter(domain__in=names, transferred_on__isnull=True)
    return (
        (name.split(".")[0] in RESERVED_NAMES and "." not in name)
        or customers.exists()
        or upgrades.exists()
        or potential.exists()
    )


def new_upgrade_domain(customer: Customer, domain: str) -> UpgradeDomain:
    token = hashlib.sha256(f"{customer.domain_id}:{domain}".encode()).hexdigest()[:32]
    return UpgradeDomain.asked_of(customer, domain, token)


def close_usage(customer: Customer, last_day: dt.date, *, keep_option_plus: bool = False) -> None:
    """End the customer's open usage periods on ``last_day`` (billing counts use up to that day)."""
    periods = UsagePeriod.objects.filter(customer=customer, end_date__isnull=True)
    if keep_option_plus:
        periods = periods.exclude(product_group_id="OPTION_PLUS")
    periods.update(end_date=last_day)


def cancel_everything(customer: Customer, day: dt.date) -> None:
    # rule: customer.delete_cancels_everything
    Subscription.objects.filter(customer=customer, cancelled_on__isnull=True).update(cancelled_on=day)
    OptionProduct.objects.filter(customer=customer, cancelled_on__isnull=True).update(cancelled_on=day)
    SubscriptionReservation.objects.filter(subscription__customer=customer).delete()
    SubscriptionPreOrder.objects.filter(customer=customer).delete()
    OptionProductOrder.objects.filter(customer=customer).delete()


def delete_now(customer: Customer, day: dt.date) -> None:
    cancel_everything(customer, day)
    close_usage(customer, day - dt.timedelta(days=1))
    # The domain becomes free again; billing history keeps the old name in InvoiceDetail.
    Customer.objects.filter(pk=customer.pk).update(
        deleted_on=day, domain=f"{customer.domain}~deleted-{customer.domain_id}", withdrawal_date=None
    )
    UpgradeDomain.objects.filter(customer=customer).delete()
