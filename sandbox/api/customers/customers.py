"""Tag customers: create, list, get, put, patch and delete a customer, with their rules."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Max

from sandbox.api.common import (
    created,
    keyset_page,
    live_customer,
    no_content,
    ok,
    operation,
    page_scope,
    with_meta,
)
from sandbox.api.customers.shared import (
    FIRST_DOMAIN_ID,
    NAME_SPECIALS,
    TENANT_OFFSET,
    cancel_everything,
    close_usage,
    customer_json,
    delete_now,
    domain_in_use,
    is_group_name,
    new_upgrade_domain,
    one_customer_json,
    stored_domain,
    works_products,
)
from sandbox.dates import TRIAL_DAYS, withdrawal_date_for
from sandbox.models import Customer, Subscription
from sandbox.rules import rule

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
            new_upgrade_domain(customer, customer.domain).save()
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
    products = works_products([c.domain_id for c in rows])
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
