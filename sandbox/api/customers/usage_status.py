"""Tag usage-status: the usage status (get, patch: the member cap and the withdrawal date) and its renewal (create,
patch, delete), with their rules."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation
from sandbox.api.customers.customers import DELETE_IRREVERSIBLE
from sandbox.api.customers.shared import MAX_MEMBER_LIMIT, usage_status_json
from sandbox.dates import one_year_later
from sandbox.rules import rule

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
