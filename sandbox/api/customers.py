"""Tags customers, domains and usage-status: 19 operations, their rules and their clock effects.

Rules are named ``<area>.<what>`` and declared beside the handler that enforces them (see sandbox/rules.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Max

from sandbox import clock
from sandbox.api.common import (
    api_path,
    created,
    keyset_page,
    live_customer,
    no_content,
    ok,
    operation,
    page_scope,
    with_meta,
)
from sandbox.dates import GRACE_DAYS, TRIAL_DAYS, one_year_later, withdrawal_date_for
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
from sandbox.rules import rule

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


def _works_products(domain_ids: list[int]) -> dict[int, str]:
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
    return customer_json(customer, _works_products([customer.domain_id]).get(customer.domain_id))


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


def _new_upgrade_domain(customer: Customer, domain: str) -> UpgradeDomain:
    token = hashlib.sha256(f"{customer.domain_id}:{domain}".encode()).hexdigest()[:32]
    return UpgradeDomain(
        customer=customer,
        domain=domain,
        is_active_domain=False,
        cname_host=f"works-{token[:8]}.{domain}",
        cname_target="verify.worksmobile.com",
        txt_host=domain,
        txt_token=f"worksmobile-verification={token}",
        mx_record_host=domain,
        mx_priority10="mx1.worksmobile.com",
        mx_priority20="mx2.worksmobile.com",
    )


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


# --- verify-domain, create, list, get, put, patch, delete --------------------------------------------------

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


CREATE_JSON = rule("customer.create_json_content_type", "createCustomer", 0, code="BAD_REQUEST")
CREATE_DOMAIN = rule("customer.create_domain_format", "createCustomer", 1)
CREATE_COMPANY = rule("customer.create_company_name", "createCustomer", 2)
CREATE_PHONE = rule("customer.create_phone_number", "createCustomer", 3)
CREATE_TZ = rule("customer.create_time_zone", "createCustomer", 4)
CREATE_LOCALE = rule("customer.create_locale", "createCustomer", 5)
CREATE_PRODUCT = rule("customer.create_product_id_deprecated", "createCustomer", 6)
CREATE_ADMIN_NAMES = rule("customer.create_admin_names", "createCustomer", 7)
CREATE_PASSWORD = rule("customer.create_admin_password", "createCustomer", 8)
CREATE_ADMIN_ID = rule("customer.create_admin_id", "createCustomer", 9)
CREATE_EMAIL = rule("customer.create_admin_email", "createCustomer", 10)
CREATE_PROFILE_DEFAULT = rule("customer.create_profile_display_default", "createCustomer", 11)
CREATE_ADMIN_REQUIRED = rule("customer.create_admin_required", "createCustomer", 12, code="MISSING_PARAMETER")
CREATE_DOMAIN_USED = rule("customer.create_domain_in_use", "createCustomer", 13)
CREATE_CUSTOM_INACTIVE = rule("customer.create_custom_domain_inactive", "createCustomer", 14)
CHANGE_ADV_NEEDS_DOMAIN = rule("change.advanced_needs_domain", "changeCustomerDomain", 1)


def _check_names(last: str, first: str) -> None:
    CREATE_ADMIN_NAMES.check(
        len(last) + len(first) <= 80, "lastName and firstName together hold at most 80 characters"
    )
    for char in last + first:
        CREATE_ADMIN_NAMES.check(
            char.isalnum() or char in NAME_SPECIALS,
            f"names may not contain {char!r} (allowed: ! @ & ( ) - _ + [ ] {{ }} , .)",
        )


def _check_time_zone(value: str, the_rule) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise the_rule.violation(f"timeZone {value!r} is not a time zone code such as Asia/Tokyo") from None


def _next_domain_id() -> int:
    highest = Customer.objects.aggregate(m=Max("domain_id"))["m"] or FIRST_DOMAIN_ID
    return max(highest, FIRST_DOMAIN_ID) + 1


def start_subscription(customer: Customer, product_id: str, today: dt.date) -> Subscription:
    """A Free or Trial subscription started by the deprecated productId of createCustomer."""
    trial = product_id in ("STD_T", "ADV_T")
    return Subscription.objects.create(
        customer=customer,
        product_id=product_id,
        plan="TRIAL" if trial else "FREE",
        plan_start_date=today,
        # Subscription.planEndDate x-note: for Trial the end of the Trial (assumption for the simulator)
        plan_end_date=today + dt.timedelta(days=TRIAL_DAYS - 1) if trial else None,
        status="ACTIVE",
    )


@operation(
    "createCustomer",
    field_rules={
        "Content-Type": CREATE_JSON,
        "domain": CREATE_DOMAIN,
        "companyName": CREATE_COMPANY,
        "phoneNumber": CREATE_PHONE,
        "timeZone": CREATE_TZ,
        "locale": CREATE_LOCALE,
        "productId": CREATE_PRODUCT,
        "administrator.lastName": CREATE_ADMIN_NAMES,
        "administrator.firstName": CREATE_ADMIN_NAMES,
        "administrator.password": CREATE_PASSWORD,
        "administrator.id": CREATE_ADMIN_ID,
        "administrator.privateEmail": CREATE_EMAIL,
    },
)
def create_customer(request):
    body = request.api.body
    today = request.api.today
    admin = body.get("administrator")
    # rule: customer.create_admin_required - x-unverified: the object is not marked required on the page
    CREATE_ADMIN_REQUIRED.check(isinstance(admin, dict), "administrator is required")
    _check_time_zone(body["timeZone"], CREATE_TZ)
    _check_names(admin["lastName"], admin.get("firstName", ""))
    password = admin["password"]
    # x-unverified: the rest of the password rule is cut; letters and digits are both required here.
    CREATE_PASSWORD.check(
        any(c.isalpha() for c in password) and any(c.isdigit() for c in password),
        "password must contain letters and digits",
    )
    name = body["domain"]
    group = is_group_name(name)
    product_id = body.get("productId")
    # rule: change.advanced_needs_domain - Advanced (also Advanced Trial) needs a domain name, not a group name
    CHANGE_ADV_NEEDS_DOMAIN.check(
        not (group and product_id == "ADV_T"), "Advanced customers must use a domain name, not a group name"
    )
    with transaction.atomic():
        # rule: customer.create_domain_in_use - x-unverified: 400
        CREATE_DOMAIN_USED.check(not domain_in_use(name), f"{name} is already in use or not allowed")
        domain_id = _next_domain_id()
        partnership = body.get("partnership") or {}
        customer = Customer.objects.create(
            domain_id=domain_id,
            tenant_id=TENANT_OFFSET + domain_id,
            domain=stored_domain(name),
            domain_type="GROUP" if group else "DOMAIN",
            product_id=product_id,
            company_name=body["companyName"],
            phone_number=body["phoneNumber"],
            time_zone=body["timeZone"],
            locale=body["locale"],
            # rule: customer.create_custom_domain_inactive - by-works.com names are active at once
            enable_active_domain=group,
            enable_active_mxrecord=group,
            admin_last_name=admin["lastName"],
            admin_first_name=admin.get("firstName", ""),
            admin_id=admin["id"],
            admin_private_email=admin["privateEmail"],
            admin_cellphone=admin.get("cellphone", ""),
            admin_country_code=admin.get("countryCode", ""),
            # rule: customer.create_profile_display_default
            enable_partner_profile_display=partnership.get("enablePartnerProfileDisplay", True),
            member_count=1,
            created_on=today,
        )
        if not group:
            _new_upgrade_domain(customer, customer.domain).save()
        if product_id:
            # rule: customer.create_product_id_deprecated - still honoured: starts the Free/Trial subscription
            start_subscription(customer, product_id, today)
    # x-unverified (createCustomer 201): status and body assumed (Customer, as GET).
    return created(one_customer_json(customer))


LIST_COUNT = rule("customer.list_count_range", "listCustomers", 0, code="OUT_OF_RANGE")
LIST_ORDER = rule("customer.list_order_by", "listCustomers", 1)
LIST_ORDER_LOOSE = rule("customer.list_order_not_guaranteed", "listCustomers", 2)
LIST_PAGES = rule("customer.list_page_size_and_cursor", "listCustomers", 3)
LIST_LAST_PAGE = rule("customer.list_last_page_no_cursor", "listCustomers", 4)
LIST_OWN_ONLY = rule("customer.list_only_partner_customers", "listCustomers", 5)
LIST_PRODUCT = rule("customer.list_product_id_deprecated", "listCustomers", 6)
LIST_PRODUCT_IDS = rule("customer.list_product_ids", "listCustomers", 7)


@operation("listCustomers", field_rules={"count": LIST_COUNT, "orderBy": LIST_ORDER, "cursor": LIST_PAGES})
def list_customers(request):
    query = request.api.query
    # rule: customer.list_only_partner_customers - deleted customers and untransferred potential ones never show
    customers = Customer.objects.live()
    if query.get("domain"):
        # x-unverified: the domain filter is an exact match
        customers = customers.filter(domain=query["domain"])
    descending = query.get("orderBy", "name asc") == "name desc"
    # rule: customer.list_order_by / customer.list_order_not_guaranteed - the sandbox does keep the order
    rows, next_cursor = keyset_page(
        customers,
        keys=["company_name", "domain_id"],
        count=query["count"],
        cursor=query.get("cursor"),
        descending=descending,
        scope=page_scope("customers", query.get("domain"), descending),
    )
    products = _works_products([c.domain_id for c in rows])
    payload = {"customers": [customer_json(c, products.get(c.domain_id)) for c in rows]}
    # rule: customer.list_page_size_and_cursor / customer.list_last_page_no_cursor
    return ok(with_meta(payload, next_cursor))


GET_404 = rule("customer.get_unknown_404", "getCustomer", 0, status=404, code="NOT_FOUND")


@operation("getCustomer")
def get_customer(request, domainId: int):
    # rule: customer.get_unknown_404
    return ok(one_customer_json(live_customer(domainId)))


PUT_REQUIRED = rule("customer.put_required", "updateCustomer", 0, code="MISSING_PARAMETER")
PUT_RESETS = rule("customer.put_resets_absent", "updateCustomer", 1)
PUT_LIMITS = rule("customer.put_field_limits", "updateCustomer", 2)

PATCH_JSON = rule("customer.patch_json_content_type", "patchCustomer", 0, code="BAD_REQUEST")
PATCH_KEEPS = rule("customer.patch_keeps_absent", "patchCustomer", 1)
PATCH_COMPANY = rule("customer.patch_company_name", "patchCustomer", 2)
PATCH_PHONE = rule("customer.patch_phone", "patchCustomer", 3)
PATCH_LOCALE = rule("customer.patch_locale", "patchCustomer", 4)
PATCH_CODE_BYTES = rule("customer.patch_customer_code_bytes", "patchCustomer", 5)
PATCH_MEMO = rule("customer.patch_memo_700", "patchCustomer", 6)
PATCH_IMMUTABLE = rule("customer.patch_immutable_fields", "patchCustomer", 7)


def _apply_customer_fields(customer: Customer, body: dict, *, replace: bool, code_rule, tz_rule) -> None:
    for field, attr in (
        ("companyName", "company_name"),
        ("phoneNumber", "phone_number"),
        ("locale", "locale"),
    ):
        if field in body:
            setattr(customer, attr, body[field])
    if "timeZone" in body:
        _check_time_zone(body["timeZone"], tz_rule)
        customer.time_zone = body["timeZone"]
    partnership = body.get("partnership")
    if replace and partnership is None:
        partnership = {}
    if partnership is not None:
        code = partnership.get("customerCode")
        if code is not None:
            # customerCode is limited in bytes (UTF-8 assumed), not characters
            code_rule.check(
                len(code.encode("utf-8")) <= 200, "partnership.customerCode holds at most 200 bytes"
            )
        if replace:
            # rule: customer.put_resets_absent - x-unverified: PUT resets what it does not send
            customer.customer_code = code
            customer.memo = partnership.get("memo")
            customer.enable_partner_profile_display = partnership.get("enablePartnerProfileDisplay", True)
        else:
            if "customerCode" in partnership:
                customer.customer_code = code
            if "memo" in partnership:
                customer.memo = partnership["memo"]
            if "enablePartnerProfileDisplay" in partnership:
                customer.enable_partner_profile_display = partnership["enablePartnerProfileDisplay"]
    customer.save()


@operation(
    "updateCustomer",
    field_rules={
        "companyName": PUT_REQUIRED,
        "phoneNumber": PUT_REQUIRED,
        "timeZone": PUT_REQUIRED,
        "locale": PUT_REQUIRED,
        "partnership": PUT_LIMITS,
    },
)
def update_customer(request, domainId: int):
    # x-unverified (updateCustomer): body and answer assumed from PATCH, with create's required fields.
    with transaction.atomic():
        customer = live_customer(domainId)
        _apply_customer_fields(
            customer, request.api.body, replace=True, code_rule=PUT_LIMITS, tz_rule=PUT_LIMITS
        )
    return ok(one_customer_json(customer))


@operation(
    "patchCustomer",
    field_rules={
        "Content-Type": PATCH_JSON,
        "companyName": PATCH_COMPANY,
        "phoneNumber": PATCH_PHONE,
        "locale": PATCH_LOCALE,
        "partnership.customerCode": PATCH_CODE_BYTES,
        "partnership.memo": PATCH_MEMO,
    },
)
def patch_customer(request, domainId: int):
    with transaction.atomic():
        customer = live_customer(domainId)
        # rule: customer.patch_keeps_absent; rule: customer.patch_immutable_fields - domain, productId and
        # administrator are not in the body schema and are ignored
        _apply_customer_fields(
            customer, request.api.body, replace=False, code_rule=PATCH_CODE_BYTES, tz_rule=PATCH_COMPANY
        )
    return ok(one_customer_json(customer))


DELETE_OWN = rule("customer.delete_partner_own", "deleteCustomer", 0)
DELETE_CANCELS = rule("customer.delete_cancels_everything", "deleteCustomer", 1)
DELETE_202 = rule("customer.delete_non_realtime_app_202", "deleteCustomer", 2)
DELETE_IRREVERSIBLE = rule("customer.delete_pending_irreversible", "deleteCustomer", 3)
DELETE_DATE = rule("customer.delete_withdrawal_date_rule", "deleteCustomer", 4)
DELETE_BILLING = rule("customer.delete_billing", "deleteCustomer", 5)
DELETE_OPTION_PLUS = rule("customer.delete_pending_option_plus_only", "deleteCustomer", 6)
DELETE_THEN_404 = rule("customer.delete_then_404", "deleteCustomer", 7, status=404, code="NOT_FOUND")


@operation("deleteCustomer")
def delete_customer(request, domainId: int):
    today = request.api.today
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified (deleteCustomer): 400 assumed for the partner's own domain
        DELETE_OWN.check(not customer.is_partner_own, "the partner's own domain cannot be deleted")
        DELETE_IRREVERSIBLE.check(
            customer.usage_status != "SUSPENDED_WITHDRAWAL", "the customer is already pending cancellation"
        )
        if customer.has_non_realtime_paid_app:
            # rule: customer.delete_non_realtime_app_202; rule: customer.delete_pending_option_plus_only -
            # only Option Plus keeps accruing while the deletion is pending
            cancel_everything(customer, today)
            close_usage(customer, today - dt.timedelta(days=1), keep_option_plus=True)
            customer.usage_status = "SUSPENDED_WITHDRAWAL"
            # rule: customer.delete_withdrawal_date_rule
            customer.withdrawal_date = withdrawal_date_for(today)
            customer.renewal_apply_date = None
            customer.save()
            return no_content(202)
        # rule: customer.delete_billing - use is billed up to the day before deletion
        delete_now(customer, today)
    # x-unverified (deleteCustomer 204): immediate deletion answers 204
    return no_content(204)


# --- upgrade domain, activate, change-domain ----------------------------------------------------------------

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
        upgrade = _new_upgrade_domain(customer, name)
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


# --- potential customers (Online Direct) ------------------------------------------------------------------

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


# --- usage status -------------------------------------------------------------------------------------------

USAGE_NULL_MAX = rule("usage.null_max_means_unlimited", "getUsageStatus", 0)
USAGE_WITHDRAWAL_SHOWN = rule("usage.withdrawal_date_shown", "getUsageStatus", 1)
USAGE_RENEWAL_ONLY = rule("usage.renewal_only_when_scheduled", "getUsageStatus", 2)

PATCH_MAX_NULLABLE = rule("usage.patch_max_nullable", "patchUsageStatus", 0)
PATCH_MAX_CLEARS = rule("usage.patch_max_clears_renewal", "patchUsageStatus", 1)
PATCH_WITHDRAWAL_NULL = rule("usage.patch_withdrawal_nullable", "patchUsageStatus", 2)
PATCH_NOT_OWN = rule("usage.patch_withdrawal_not_partner_own", "patchUsageStatus", 3)
PATCH_WITHDRAWAL_BILLING = rule("usage.patch_withdrawal_billing", "patchUsageStatus", 4)
WITHDRAWAL_DELETES = rule("usage.withdrawal_deletes_customer", "patchUsageStatus", 5)
WITHDRAWAL_PENDING = rule("usage.withdrawal_pending_deletion", "patchUsageStatus", 6)
PATCH_MAX_LIMIT = rule("usage.patch_max_limit", "patchUsageStatus", 7, code="OUT_OF_RANGE")
PATCH_MAX_MEMBERS = rule("usage.patch_max_below_members", "patchUsageStatus", 8)
PATCH_WITHDRAWAL_FUTURE = rule("usage.patch_withdrawal_future", "patchUsageStatus", 9, code="OUT_OF_RANGE")
PATCH_ABSENT = rule("usage.patch_absent_unchanged", "patchUsageStatus", 10)


@operation("getUsageStatus")
def get_usage_status(request, domainId: int):
    # rule: usage.null_max_means_unlimited - maxMemberCount null = no limit
    return ok(usage_status_json(live_customer(domainId)))


@operation(
    "patchUsageStatus",
    field_rules={"maxMemberCount": PATCH_MAX_NULLABLE, "withdrawalDate": PATCH_WITHDRAWAL_NULL},
)
def patch_usage_status(request, domainId: int):
    body = request.api.body
    today = request.api.today
    with transaction.atomic():
        customer = live_customer(domainId)
        # rule: usage.patch_absent_unchanged - x-unverified: absent properties keep their value
        if "maxMemberCount" in body:
            value = body["maxMemberCount"]
            if value is not None:
                # x-unverified: maximum 1,000,000 (documented on the renewal POST)
                PATCH_MAX_LIMIT.check(value <= MAX_MEMBER_LIMIT, "maxMemberCount is at most 1000000")
                PATCH_MAX_LIMIT.check(value >= 1, "maxMemberCount is at least 1")
                # x-unverified: lower than the current number of members -> 400
                PATCH_MAX_MEMBERS.check(
                    value >= customer.member_count,
                    f"maxMemberCount must not be lower than the {customer.member_count} current members",
                )
            customer.max_member_count = value
            # rule: usage.patch_max_clears_renewal
            customer.renewal_apply_date = None
            customer.renewal_max_member_count = None
        if "withdrawalDate" in body:
            value = body["withdrawalDate"]
            DELETE_IRREVERSIBLE.check(
                customer.usage_status != "SUSPENDED_WITHDRAWAL",
                "a pending cancellation cannot be undone or moved",
            )
            if value is not None:
                PATCH_NOT_OWN.check(
                    not customer.is_partner_own, "the partner's own domain cannot be cancelled"
                )
                day = dt.date.fromisoformat(value)
                # x-unverified: the date must be tomorrow or later
                PATCH_WITHDRAWAL_FUTURE.check(day > today, "withdrawalDate must be tomorrow or later")
                customer.withdrawal_date = day
            else:
                customer.withdrawal_date = None
        customer.save()
    return ok(usage_status_json(customer))


RENEWAL_WINDOW = rule("renewal.apply_date_window", "createUsageStatusRenewal", 0, code="OUT_OF_RANGE")
RENEWAL_MAX = rule("renewal.max_limit", "createUsageStatusRenewal", 1, code="OUT_OF_RANGE")
RENEWAL_APPLIES = rule("renewal.applies_on_date", "createUsageStatusRenewal", 2)
RENEWAL_CLEARED = rule("renewal.cleared_by_patch", "createUsageStatusRenewal", 3)
RENEWAL_ONE = rule("renewal.one_only", "createUsageStatusRenewal", 4)
RENEWAL_PATCH_REQUIRED = rule(
    "renewal.patch_apply_date_required", "patchUsageStatusRenewal", 0, code="MISSING_PARAMETER"
)
RENEWAL_PATCH_ONLY_DATE = rule("renewal.patch_only_date", "patchUsageStatusRenewal", 1)
RENEWAL_PATCH_WINDOW = rule("renewal.patch_window", "patchUsageStatusRenewal", 2, code="OUT_OF_RANGE")
RENEWAL_PATCH_404 = rule("renewal.patch_none_404", "patchUsageStatusRenewal", 3, status=404, code="NOT_FOUND")
RENEWAL_DELETED = rule("renewal.deleted_absent", "deleteUsageStatusRenewal", 0)
RENEWAL_DELETE_404 = rule(
    "renewal.delete_none_404", "deleteUsageStatusRenewal", 1, status=404, code="NOT_FOUND"
)


def _check_window(day: dt.date, today: dt.date, the_rule) -> None:
    latest = one_year_later(today)
    the_rule.check(
        today < day <= latest,
        f"applyDate must be between {(today + dt.timedelta(days=1)).isoformat()} and {latest.isoformat()}",
    )


@operation(
    "createUsageStatusRenewal", field_rules={"applyDate": RENEWAL_WINDOW, "maxMemberCount": RENEWAL_MAX}
)
def create_usage_status_renewal(request, domainId: int):
    body = request.api.body
    day = dt.date.fromisoformat(body["applyDate"])
    _check_window(day, request.api.today, RENEWAL_WINDOW)
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified: one scheduled change per customer; POST when one exists -> 400
        RENEWAL_ONE.check(
            customer.renewal_apply_date is None, "a max-users change is already scheduled; PATCH it"
        )
        customer.renewal_apply_date = day
        customer.renewal_max_member_count = body.get("maxMemberCount")
        customer.save(update_fields=["renewal_apply_date", "renewal_max_member_count"])
    return created(usage_status_json(customer))


@operation("patchUsageStatusRenewal", field_rules={"applyDate": RENEWAL_PATCH_REQUIRED})
def patch_usage_status_renewal(request, domainId: int):
    day = dt.date.fromisoformat(request.api.body["applyDate"])
    with transaction.atomic():
        customer = live_customer(domainId)
        # x-unverified: nothing scheduled -> 404
        RENEWAL_PATCH_404.check(customer.renewal_apply_date is not None, "no max-users change is scheduled")
        # x-unverified: same window as POST
        _check_window(day, request.api.today, RENEWAL_PATCH_WINDOW)
        # rule: renewal.patch_only_date - maxMemberCount of the schedule is kept
        customer.renewal_apply_date = day
        customer.save(update_fields=["renewal_apply_date"])
    return ok(usage_status_json(customer))


@operation("deleteUsageStatusRenewal")
def delete_usage_status_renewal(request, domainId: int):
    with transaction.atomic():
        customer = live_customer(domainId)
        RENEWAL_DELETE_404.check(customer.renewal_apply_date is not None, "no max-users change is scheduled")
        # rule: renewal.deleted_absent
        customer.renewal_apply_date = None
        customer.renewal_max_member_count = None
        customer.save(update_fields=["renewal_apply_date", "renewal_max_member_count"])
    # x-unverified (deleteUsageStatusRenewal 204)
    return no_content()


# --- clock effects ------------------------------------------------------------------------------------------


@clock.due_effect("customers.max_member_changes", order=10)
def apply_max_member_changes(day: dt.date) -> None:
    # rule: renewal.applies_on_date
    for customer in Customer.objects.live().filter(renewal_apply_date__lte=day):
        customer.max_member_count = customer.renewal_max_member_count
        customer.renewal_apply_date = None
        customer.renewal_max_member_count = None
        customer.save(update_fields=["max_member_count", "renewal_apply_date", "renewal_max_member_count"])


@clock.due_effect("customers.trials_end", order=15)
def end_trials(day: dt.date) -> None:
    """Trial over -> grace period (SUSPENDED_TRIALEND); grace over -> the Trial subscription stops."""
    ended = day - dt.timedelta(days=1)
    Subscription.objects.filter(
        plan="TRIAL", status="ACTIVE", cancelled_on__isnull=True, plan_end_date__lte=ended
    ).update(status="SUSPENDED_TRIALEND", grace_end_date=ended + dt.timedelta(days=GRACE_DAYS))
    stopped = Subscription.objects.filter(
        plan="TRIAL", status="SUSPENDED_TRIALEND", cancelled_on__isnull=True, grace_end_date__lt=day
    )
    for sub in stopped:
        OptionProduct.objects.filter(subscription=sub, cancelled_on__isnull=True).update(cancelled_on=day)
        UsagePeriod.objects.filter(
            customer_id=sub.customer_id, subscription_id=sub.pk, end_date__isnull=True
        ).update(end_date=sub.grace_end_date)
    stopped.update(cancelled_on=day)


@clock.due_effect("customers.withdrawals", order=40)
def apply_withdrawals(day: dt.date) -> None:
    # rule: usage.withdrawal_deletes_customer; rule: usage.withdrawal_pending_deletion
    for customer in Customer.objects.live().filter(withdrawal_date__lte=day):
        if customer.usage_status == "SUSPENDED_WITHDRAWAL":
            # The pending deletion's date has come.
            delete_now(customer, day)
        elif customer.has_non_realtime_paid_app:
            cancel_everything(customer, day)
            # rule: usage.patch_withdrawal_billing - use is billed up to the withdrawal date
            close_usage(customer, day, keep_option_plus=True)
            customer.usage_status = "SUSPENDED_WITHDRAWAL"
            customer.withdrawal_date = withdrawal_date_for(day)
            customer.save(update_fields=["usage_status", "withdrawal_date"])
        else:
            close_usage(customer, day)
            delete_now(customer, day)


urlpatterns = [
    api_path("/partners/customers/verify-domain", post=verify_domain),
    api_path("/partners/customers", get=list_customers, post=create_customer),
    api_path(
        "/partners/customers/{domainId}",
        get=get_customer,
        put=update_customer,
        patch=patch_customer,
        delete=delete_customer,
    ),
    api_path(
        "/partners/customers/{domainId}/upgrade-domain",
        get=get_upgrade_domain,
        post=create_upgrade_domain,
        delete=delete_upgrade_domain,
    ),
    api_path("/partners/customers/{domainId}/activate", post=activate_customer),
    api_path("/partners/customers/{domainId}/change-domain", post=change_customer_domain),
    api_path("/partners/potential-customers/{domain}", get=get_potential_customer),
    api_path("/partners/potential-customers/{domain}/transfer", post=transfer_potential_customer),
    api_path("/partners/customers/{domainId}/usage-status", get=get_usage_status, patch=patch_usage_status),
    api_path(
        "/partners/customers/{domainId}/usage-status/renewal",
        post=create_usage_status_renewal,
        patch=patch_usage_status_renewal,
        delete=delete_usage_status_renewal,
    ),
]
