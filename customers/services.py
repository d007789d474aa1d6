"""Writes of the customers domain: cache upserts from the API's replies, refreshes, and lifecycle changes.

Every lifecycle change calls the Partner API through `portal.core.partner.get_client()`, records an
AuditEntry (sent, reply, outcome, reason), updates the cache from the reply, and asks the resync engine to
refresh the touched customer (skipping what the reply already gave). A refusal becomes `CustomerChangeRefused`
with a message a person can act on, and the field it concerns when the API says so.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from customers.models import Customer
from portal.core import sync
from portal.core.models import SyncRun

# --- Cache upserts (called by the resync engine and after writes) ---------------------------------------


def _value(v: Any) -> str:
    """An enum member or an unknown plain string, as the stored string."""
    if v is None:
        return ""
    return str(getattr(v, "value", v))


def customer_upsert(*, remote: Any, synced_at: dt.datetime | None = None) -> Customer:
    """Insert or update the cached customer from a `partner_api.models.Customer`; un-removes it if needed."""
    synced_at = synced_at or timezone.now()
    customer = Customer.objects.filter(domain_id=remote.domain_id).first() or Customer(
        domain_id=remote.domain_id, first_seen_at=synced_at
    )
    admin = remote.administrator
    partnership = remote.partnership
    customer.tenant_id = remote.tenant_id
    customer.domain = remote.domain
    customer.domain_type = _value(remote.domain_type)
    customer.company_name = remote.company_name or ""
    customer.phone_number = remote.phone_number or ""
    customer.time_zone = remote.time_zone or ""
    customer.locale = _value(remote.locale)
    customer.enable_active_mxrecord = bool(remote.enable_active_mxrecord)
    customer.enable_active_domain = bool(remote.enable_active_domain)
    customer.admin_last_name = (admin.last_name or "") if admin else ""
    customer.admin_first_name = (admin.first_name or "") if admin else ""
    customer.admin_user_id = (admin.id or "") if admin else ""
    customer.admin_email = (admin.private_email or "") if admin else ""
    customer.admin_cellphone = (admin.cellphone or "") if admin else ""
    customer.admin_country_code = (admin.country_code or "") if admin else ""
    customer.partnership_status = (partnership.status or "") if partnership else ""
    customer.customer_code = (partnership.customer_code or "") if partnership else ""
    customer.enable_partner_profile_display = (
        partnership.enable_partner_profile_display if partnership else None
    )
    customer.memo = (partnership.memo or "") if partnership else ""
    if remote.product_id:
        customer.plan = _value(remote.product_id)
    customer.synced_at = synced_at
    customer.removed_at = None
    customer.save()
    return customer


def customer_usage_upsert(
    *, domain_id: int, remote: Any, synced_at: dt.datetime | None = None
) -> Customer | None:
    """Store a `partner_api.models.UsageStatus` on the cached customer (None if the customer is unknown)."""
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is None:
        return None
    synced_at = synced_at or timezone.now()
    customer.usage_status = _value(remote.status)
    customer.member_count = remote.member_count
    customer.max_member_count = remote.max_member_count
    customer.max_member_unlimited = remote.max_member_count is None
    customer.withdrawal_date = remote.withdrawal_date
    renewal = remote.renewal
    customer.renewal_apply_date = renewal.apply_date if renewal else None
    customer.renewal_max_member_count = renewal.max_member_count if renewal else None
    customer.usage_synced_at = synced_at
    customer.save(
        update_fields=[
            "usage_status",
            "member_count",
            "max_member_count",
            "max_member_unlimited",
            "withdrawal_date",
            "renewal_apply_date",
            "renewal_max_member_count",
            "usage_synced_at",
        ]
    )
    return customer


def customer_subscription_summary_upsert(*, domain_id: int, remote: Any) -> Customer | None:
    """Keep the list's plan, contract type and trial end from a `partner_api.models.SubscriptionList`.

    The LINE WORKS subscription that is active (else the first one) gives the plan and contract type; a trial
    ends on its plan end date; a renewal of type CHANGE or CANCEL counts as a scheduled change.
    """
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is None:
        return None
    subs = list(getattr(remote, "subscriptions", []) or [])
    main = next((s for s in subs if _value(s.status) == "ACTIVE"), subs[0] if subs else None)
    if main is not None:
        customer.plan = _value(main.product_id)
        customer.contract_type = _value(main.plan)
        customer.trial_ends_on = main.plan_end_date if customer.contract_type == "TRIAL" else None
    else:
        customer.contract_type = ""
        customer.trial_ends_on = None
    customer.subscription_changes_scheduled = any(
        s.renewal is not None and _value(s.renewal.type) in ("CHANGE", "CANCEL") for s in subs
    )
    customer.save(update_fields=["plan", "contract_type", "trial_ends_on", "subscription_changes_scheduled"])
    return customer


def customer_subscription_summary_clear(*, domain_id: int) -> None:
    """The API has no subscriptions for this customer: clear the summary columns (the plan stays)."""
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is None:
        return
    customer.contract_type = ""
    customer.trial_ends_on = None
    customer.subscription_changes_scheduled = False
    customer.save(update_fields=["contract_type", "trial_ends_on", "subscription_changes_scheduled"])


def customer_mark_removed(*, domain_id: int, removed_at: dt.datetime | None = None) -> bool:
    """Mark one customer as gone from the API (kept, never deleted). True if it was not marked yet."""
    return bool(
        Customer.objects.filter(domain_id=domain_id, removed_at=None).update(
            removed_at=removed_at or timezone.now()
        )
    )


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
    return marked


# --- Refresh -------------------------------------------------------------------------------------------


def customer_refresh(*, domain_id: int, user=None) -> SyncRun:
    """Read one customer and its per-customer data from the API now ("Refresh from API")."""
    return sync.resync_customer(domain_id=domain_id, user=user)


def customer_refresh_later(*, domain_id: int, skip: tuple[str, ...] = ()) -> None:
    """After a write: refresh the touched customer in the background, skipping what the reply already gave."""
    sync.resync_customer_request(domain_id=domain_id, skip=skip)
