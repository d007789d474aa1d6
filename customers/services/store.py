"""The cached customer written from the API's replies: the resync's stores (the customer, its usage status, its
subscription summary, the customers gone from a complete listing) and what a declared change's `apply` writes after
the API answered (customers/changes.py). Each store is one query where it can be: update() in SQL, with the derived
columns the worklist reads (`Customer.refresh_derived`'s rules) worked out in the same statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils import timezone

from customers import events
from customers.models import (
    Customer,
    max_users_left_for,
    search_text_for,
    sort_name_for,
    usage_schedules_something,
)
from partner_api.models import wire_text
from portal.core.vocabulary import LICENSE_PLANS


def _customer_columns(remote: Any, synced_at: dt.datetime) -> dict[str, Any]:
    admin = remote.administrator
    partnership = remote.partnership
    columns = {
        "tenant_id": remote.tenant_id,
        "domain": remote.domain,
        "domain_type": wire_text(remote.domain_type),
        "company_name": remote.company_name or "",
        "phone_number": remote.phone_number or "",
        "time_zone": remote.time_zone or "",
        "locale": wire_text(remote.locale),
        "enable_active_mxrecord": bool(remote.enable_active_mxrecord),
        "enable_active_domain": bool(remote.enable_active_domain),
        "admin_last_name": (admin.last_name or "") if admin else "",
        "admin_first_name": (admin.first_name or "") if admin else "",
        "admin_user_id": (admin.id or "") if admin else "",
        "admin_email": (admin.private_email or "") if admin else "",
        "admin_cellphone": (admin.cellphone or "") if admin else "",
        "admin_country_code": (admin.country_code or "") if admin else "",
        "partnership_status": (partnership.status or "") if partnership else "",
        "customer_code": (partnership.customer_code or "") if partnership else "",
        "enable_partner_profile_display": partnership.enable_partner_profile_display if partnership else None,
        "memo": (partnership.memo or "") if partnership else "",
        "synced_at": synced_at,
        "removed_at": None,
    }
    # The LINE WORKS product: of productIds, or of the deprecated productId while an answer has no productIds.
    if remote.works_product_id:
        columns["product_id"] = wire_text(remote.works_product_id)
    columns["search_text"] = search_text_for(
        company_name=columns["company_name"],
        domain=columns["domain"],
        customer_code=columns["customer_code"],
        domain_id=remote.domain_id,
    )
    columns["sort_name"] = sort_name_for(columns["company_name"])
    return columns


def customer_store(*, remote: Any, synced_at: dt.datetime | None = None) -> int:
    """Insert or update the cached customer from a `partner_api.models.Customer` (one query when cached);
    un-removes it if needed. Returns its domainId. Usage-status and subscription columns are left alone, the
    product aside: the customer's LINE WORKS product when it has one (`works_product_id`), else none unless a main
    subscription gives one."""
    synced_at = synced_at or timezone.now()
    columns = _customer_columns(remote, synced_at)
    update = dict(columns)
    if "product_id" not in columns:
        # The API answers no LINE WORKS product when no LINE WORKS subscription is in use (after a cancellation):
        # the product is then the main subscription's while the row still has one (the subscriptions' read
        # that follows decides), else none.
        update["product_id"] = Case(
            When(main_subscription_id__isnull=False, then=F("product_id")), default=Value("")
        )
    if not Customer.objects.filter(domain_id=remote.domain_id).update(**update):
        Customer(domain_id=remote.domain_id, first_seen_at=synced_at, **columns).save()
        events.customer_added(remote.domain_id)
    return remote.domain_id


def customer_upsert(*, remote: Any, synced_at: dt.datetime | None = None) -> Customer:
    """`customer_store`, then the cached row (for services that show it)."""
    return Customer.objects.get(domain_id=customer_store(remote=remote, synced_at=synced_at))


def _usage_columns(remote: Any, synced_at: dt.datetime) -> dict[str, Any]:
    renewal = remote.renewal
    status = wire_text(remote.status)
    columns = {
        "usage_status": status,
        "member_count": remote.member_count,
        "max_member_count": remote.max_member_count,
        "max_member_unlimited": remote.max_member_count is None,
        "withdrawal_date": remote.withdrawal_date,
        "renewal_apply_date": renewal.apply_date if renewal else None,
        "renewal_max_member_count": renewal.max_member_count if renewal else None,
        "usage_synced_at": synced_at,
    }
    scheduled = usage_schedules_something(
        renewal_apply_date=columns["renewal_apply_date"],
        withdrawal_date=columns["withdrawal_date"],
        usage_status=status,
    )
    columns["max_users_left"], columns["near_max_users"] = max_users_left_for(
        members=remote.member_count, maximum=remote.max_member_count
    )
    # Licences come from the subscription summary already on the row (Customer.refresh_derived's rule in SQL).
    columns["unused_licences"] = _minus(F("license_count"), remote.member_count)
    # One UPDATE: the flag also counts the subscription summary already stored on the row.
    columns["has_scheduled_changes"] = Case(
        When(subscription_changes_scheduled=True, then=Value(True)), default=Value(scheduled)
    )
    return columns


def customer_usage_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> bool:
    """Store a `partner_api.models.UsageStatus` on the cached customer in one query (False if unknown)."""
    columns = _usage_columns(remote, synced_at or timezone.now())
    return bool(Customer.objects.filter(domain_id=domain_id).update(**columns))


def customer_usage_upsert(
    *, domain_id: int, remote: Any, synced_at: dt.datetime | None = None
) -> Customer | None:
    """`customer_usage_store`, then the cached row (None if the customer is unknown)."""
    if not customer_usage_store(domain_id=domain_id, remote=remote, synced_at=synced_at):
        return None
    return Customer.objects.get(domain_id=domain_id)


_USAGE_SCHEDULED = Q(renewal_apply_date__isnull=False) | (
    Q(withdrawal_date__isnull=False) & ~Q(usage_status=Customer.UsageState.SUSPENDED_WITHDRAWAL)
)


def _minus(left: Any, right: Any) -> Any:
    """left - right in SQL (each a column's F or a number), NULL when a number is None."""
    if left is None or right is None:
        return None
    left, right = (v if hasattr(v, "resolve_expression") else Value(v) for v in (left, right))
    return ExpressionWrapper(left - right, output_field=IntegerField())


def _summary_update(domain_id: int, columns: dict[str, Any], changes_scheduled: bool) -> bool:
    columns["subscription_changes_scheduled"] = changes_scheduled
    # Members come from the usage status already on the row (Customer.refresh_derived's rule in SQL).
    columns["unused_licences"] = _minus(columns["license_count"], F("member_count"))
    columns["has_scheduled_changes"] = Case(
        When(_USAGE_SCHEDULED, then=Value(True)), default=Value(changes_scheduled)
    )
    return bool(Customer.objects.filter(domain_id=domain_id).update(**columns))


#: A customer without any subscription: no product, no plan (the lists say "No subscription").
_NO_SUMMARY = {
    "product_id": "",
    "plan": "",
    "trial_ends_on": None,
    "main_subscription_id": None,
    "license_count": None,
}


def customer_subscription_summary_upsert(*, domain_id: int, remote: Any) -> bool:
    """Keep the list's product, plan and trial end from a `partner_api.models.SubscriptionList`.

    The LINE WORKS subscription that is active (else the first one) gives the product and plan; a trial
    ends on its plan end date; a renewal of type CHANGE or CANCEL counts as a scheduled change. One query.
    """
    subs = list(getattr(remote, "subscriptions", []) or [])
    main = next((s for s in subs if wire_text(s.status) == "ACTIVE"), subs[0] if subs else None)
    columns: dict[str, Any] = {**_NO_SUMMARY}
    if main is not None:
        columns["product_id"] = wire_text(main.product_id)
        columns["plan"] = wire_text(main.plan)
        columns["trial_ends_on"] = main.plan_end_date if columns["plan"] == "TRIAL" else None
        columns["main_subscription_id"] = main.subscription_id
        columns["license_count"] = main.license_count if columns["plan"] in LICENSE_PLANS else None
    scheduled = any(s.renewal is not None and wire_text(s.renewal.type) in ("CHANGE", "CANCEL") for s in subs)
    return _summary_update(domain_id, columns, scheduled)


def customer_subscription_summary_clear(*, domain_id: int) -> None:
    """The API has no subscriptions for this customer: clear the summary columns, the product included."""
    _summary_update(domain_id, {**_NO_SUMMARY}, False)


def customer_mark_removed(*, domain_id: int, removed_at: dt.datetime | None = None) -> bool:
    """Mark one customer as gone from the API (kept, never deleted). True if it was not marked yet."""
    removed_at = removed_at or timezone.now()
    marked = bool(Customer.objects.filter(domain_id=domain_id, removed_at=None).update(removed_at=removed_at))
    if marked:
        events.customers_removed([domain_id], removed_at=removed_at)
    return marked


def customer_mark_removed_except(*, present: set[int], removed_at: dt.datetime | None = None) -> int:
    """After a complete listing: mark every cached customer the listing did not return. Returns how many."""
    removed_at = removed_at or timezone.now()
    cached = set(Customer.objects.filter(removed_at=None).values_list("domain_id", flat=True))
    gone = sorted(cached - set(present))
    marked = 0
    for start in range(0, len(gone), 500):
        marked += Customer.objects.filter(domain_id__in=gone[start : start + 500]).update(
            removed_at=removed_at
        )
    events.customers_removed(gone, removed_at=removed_at)
    return marked


def customer_columns_of(remote: Any) -> dict[str, Any]:
    """The cache columns a `partner_api.models.Customer` gives (to compare a read-back with what was sent)."""
    return _customer_columns(remote, timezone.now())


def customer_domain_set(*, domain_id: int, domain: str) -> None:
    """The customer's domain changed (changeCustomerDomain): store it at once, search text included."""
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is not None:
        customer.domain = domain
        customer.save()  # save() recomputes the search text


def customer_renewal_clear(*, domain_id: int) -> None:
    """The scheduled max-users change is gone: clear it on the cached row (save() recomputes the flag)."""
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is not None:
        customer.renewal_apply_date = customer.renewal_max_member_count = None
        customer.save(update_fields=["renewal_apply_date", "renewal_max_member_count"])
