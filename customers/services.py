"""Writes of the customers domain: cache upserts from the API's replies, refreshes, and lifecycle changes.

Every lifecycle change calls the Partner API through `portal.core.partner.get_client()`, records an
AuditEntry (sent, reply, outcome, reason), updates the cache from the reply, and asks the resync engine to
refresh the touched customer (skipping what the reply already gave). A refusal becomes `CustomerChangeRefused`
with a message a person can act on, and the field it concerns when the API says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, search_text_for, usage_schedules_something
from partner_api.errors import NotFoundError, PartnerApiError
from partner_api.models import (
    CustomerAdministratorCreate,
    CustomerPartnershipCreate,
    CustomerPartnershipUpdate,
    wire_text,
)
from portal.core import sync
from portal.core.models import Operation, SyncRun
from portal.core.partner import get_client
from portal.core.services import operation_start, operation_update
from portal.core.writes import ChangeOutcomeUnknown, ChangeRefused, audited_call, refusal_from

# --- Cache upserts (called by the resync engine and after writes) ---------------------------------------


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
    if remote.product_id:
        columns["plan"] = wire_text(remote.product_id)
    columns["search_text"] = search_text_for(
        company_name=columns["company_name"],
        domain=columns["domain"],
        customer_code=columns["customer_code"],
        domain_id=remote.domain_id,
    )
    return columns


def customer_store(*, remote: Any, synced_at: dt.datetime | None = None) -> int:
    """Insert or update the cached customer from a `partner_api.models.Customer` (one query when cached);
    un-removes it if needed. Returns its domainId. Usage-status and subscription columns are left alone."""
    synced_at = synced_at or timezone.now()
    columns = _customer_columns(remote, synced_at)
    if not Customer.objects.filter(domain_id=remote.domain_id).update(**columns):
        Customer(domain_id=remote.domain_id, first_seen_at=synced_at, **columns).save()
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


def _summary_update(domain_id: int, columns: dict[str, Any], changes_scheduled: bool) -> bool:
    columns["subscription_changes_scheduled"] = changes_scheduled
    columns["has_scheduled_changes"] = Case(
        When(_USAGE_SCHEDULED, then=Value(True)), default=Value(changes_scheduled)
    )
    return bool(Customer.objects.filter(domain_id=domain_id).update(**columns))


def customer_subscription_summary_upsert(*, domain_id: int, remote: Any) -> bool:
    """Keep the list's plan, contract type and trial end from a `partner_api.models.SubscriptionList`.

    The LINE WORKS subscription that is active (else the first one) gives the plan and contract type; a trial
    ends on its plan end date; a renewal of type CHANGE or CANCEL counts as a scheduled change. One query.
    """
    subs = list(getattr(remote, "subscriptions", []) or [])
    main = next((s for s in subs if wire_text(s.status) == "ACTIVE"), subs[0] if subs else None)
    columns: dict[str, Any] = {"contract_type": "", "trial_ends_on": None}
    if main is not None:
        columns["plan"] = wire_text(main.product_id)
        columns["contract_type"] = wire_text(main.plan)
        columns["trial_ends_on"] = main.plan_end_date if columns["contract_type"] == "TRIAL" else None
    scheduled = any(s.renewal is not None and wire_text(s.renewal.type) in ("CHANGE", "CANCEL") for s in subs)
    return _summary_update(domain_id, columns, scheduled)


def customer_subscription_summary_clear(*, domain_id: int) -> None:
    """The API has no subscriptions for this customer: clear the summary columns (the plan stays)."""
    _summary_update(domain_id, {"contract_type": "", "trial_ends_on": None}, False)


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


# --- Lifecycle changes -----------------------------------------------------------------------------------


#: The API refused a change (or could not be reached); `field` names the form field if known.
CustomerChangeRefused = ChangeRefused
#: The change was sent but no answer came back: it may or may not have been applied.
CustomerChangeOutcomeUnknown = ChangeOutcomeUnknown

#: Wire names in the API's error descriptions and the form fields they belong to.
_FIELD_HINTS = {
    "companyName": "company_name",
    "phoneNumber": "phone_number",
    "timeZone": "time_zone",
    "customerCode": "customer_code",
    "memo": "memo",
    "maxMemberCount": "max_member_count",
    "withdrawalDate": "withdrawal_date",
    "applyDate": "apply_date",
    "domain": "domain",
}


def _sent(**fields: Any) -> dict[str, Any]:
    """What was sent, for the audit trail (dates as text; passwords never reach this)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items()}


def _write(*, user, operation_id: str, domain_id: int | None, sent: dict, reason: str, call):
    """Send one change (audited, see portal.core.writes); an unanswered one has its customer read again."""
    try:
        return audited_call(
            user=user,
            operation_id=operation_id,
            domain_id=domain_id,
            sent=sent,
            reason=reason,
            call=call,
            hints=_FIELD_HINTS,
        )
    except ChangeOutcomeUnknown:
        if domain_id:
            customer_refresh_later(domain_id=domain_id)
        raise


def customer_patch(
    *,
    user,
    domain_id: int,
    company_name: str | None = None,
    phone_number: str | None = None,
    time_zone: str | None = None,
    locale: str | None = None,
    customer_code: str | None = None,
    memo: str | None = None,
    enable_partner_profile_display: bool | None = None,
    reason: str = "",
) -> Customer:
    """Change only the given properties (patchCustomer); the cache is updated from the API's reply."""
    partnership_fields = {
        k: v
        for k, v in {
            "customer_code": customer_code,
            "memo": memo,
            "enable_partner_profile_display": enable_partner_profile_display,
        }.items()
        if v is not None
    }
    fields = {
        k: v
        for k, v in {
            "company_name": company_name,
            "phone_number": phone_number,
            "time_zone": time_zone,
            "locale": locale,
        }.items()
        if v is not None
    }
    partnership = CustomerPartnershipUpdate(**partnership_fields) if partnership_fields else None
    reply = _write(
        user=user,
        operation_id="patchCustomer",
        domain_id=domain_id,
        sent=_sent(**fields, **partnership_fields),
        reason=reason,
        call=lambda client: client.patch_customer(domain_id=domain_id, partnership=partnership, **fields),
    )
    customer = customer_upsert(remote=reply)
    customer_refresh_later(domain_id=domain_id, skip=("getCustomer",))
    return customer


def usage_status_patch(
    *,
    user,
    domain_id: int,
    max_member_count: int | None,
    withdrawal_date: dt.date | None,
    reason: str = "",
) -> Customer | None:
    """Set the maximum users (None = no limit) and the scheduled cancellation (None = none).

    Note the contract: setting the maximum also deletes a scheduled max-users change.
    """
    reply = _write(
        user=user,
        operation_id="patchUsageStatus",
        domain_id=domain_id,
        sent=_sent(maxMemberCount=max_member_count, withdrawalDate=withdrawal_date),
        reason=reason,
        call=lambda client: client.patch_usage_status(
            domain_id=domain_id, max_member_count=max_member_count, withdrawal_date=withdrawal_date
        ),
    )
    customer = customer_usage_upsert(domain_id=domain_id, remote=reply)
    customer_refresh_later(domain_id=domain_id, skip=("getUsageStatus",))
    return customer


def usage_renewal_save(
    *, user, domain_id: int, apply_date: dt.date, max_member_count: int | None, reason: str = ""
) -> Customer | None:
    """Create the scheduled max-users change, or move it when one exists with the same maximum.

    The API can only move a scheduled change's date (PATCH); a new maximum replaces it (POST).
    """
    current = Customer.objects.filter(domain_id=domain_id).first()
    move_only = (
        current is not None
        and current.renewal_apply_date is not None
        and current.renewal_max_member_count == max_member_count
    )
    if move_only:
        reply = _write(
            user=user,
            operation_id="patchUsageStatusRenewal",
            domain_id=domain_id,
            sent=_sent(applyDate=apply_date),
            reason=reason,
            call=lambda client: client.patch_usage_status_renewal(domain_id=domain_id, apply_date=apply_date),
        )
    else:
        reply = _write(
            user=user,
            operation_id="createUsageStatusRenewal",
            domain_id=domain_id,
            sent=_sent(applyDate=apply_date, maxMemberCount=max_member_count),
            reason=reason,
            call=lambda client: client.create_usage_status_renewal(
                domain_id=domain_id, apply_date=apply_date, max_member_count=max_member_count
            ),
        )
    customer = customer_usage_upsert(domain_id=domain_id, remote=reply)
    customer_refresh_later(domain_id=domain_id, skip=("getUsageStatus",))
    return customer


def usage_renewal_delete(*, user, domain_id: int, reason: str = "") -> None:
    """Cancel the scheduled max-users change; the usage status is read again."""
    _write(
        user=user,
        operation_id="deleteUsageStatusRenewal",
        domain_id=domain_id,
        sent={},
        reason=reason,
        call=lambda client: client.delete_usage_status_renewal(domain_id=domain_id),
    )
    customer = Customer.objects.filter(domain_id=domain_id).first()
    if customer is not None:
        customer.renewal_apply_date = customer.renewal_max_member_count = None
        # save() recomputes the scheduled-changes flag with the renewal gone.
        customer.save(update_fields=["renewal_apply_date", "renewal_max_member_count"])
    customer_refresh_later(domain_id=domain_id, skip=("getCustomer",))


# --- Slow changes: tracked Operations run by Celery tasks ----------------------------------------------


def customer_delete_request(*, user, domain_id: int, idempotency_key: str, reason: str = ""):
    """Queue the deletion of a customer. The same key (double click, resubmit) returns the same Operation."""
    return _start_operation(
        user=user,
        kind="deleteCustomer",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        params={"reason": reason},
        task_name="customer_delete",
    )


def customer_delete_run(*, operation_id) -> None:
    """Task body: send deleteCustomer once for this Operation and record the outcome."""

    def send(operation: Operation):
        return _write(
            user=operation.requested_by,
            operation_id="deleteCustomer",
            domain_id=operation.domain_id,
            sent={},
            reason=operation.params.get("reason", ""),
            call=lambda client: client.delete_customer(domain_id=operation.domain_id),
        )

    ran = _run_tracked(operation_id, send)
    if ran is None:
        return
    operation, pending = ran
    if not pending:
        customer_mark_removed(domain_id=operation.domain_id)
    operation_update(
        operation, status=Operation.Status.SUCCEEDED, result={"pending_withdrawal": bool(pending)}
    )
    if pending:
        customer_refresh_later(domain_id=operation.domain_id)


# --- Add a customer (wizard), domains, transfer ---------------------------------------------------------


def _fernet():
    key = settings.PARTNER_API_TOKEN_ENCRYPTION_KEY or base64.urlsafe_b64encode(
        hashlib.sha256(f"customers-wizard:{settings.SECRET_KEY}".encode()).digest()
    )
    return Fernet(key)


def customer_domain_verify(*, domain: str) -> str:
    """Check a domain or group name for a new customer (verifyCustomerDomain). Returns DOMAIN or GROUP.

    A check, not a change: nothing is recorded. Raises CustomerChangeRefused with the API's reason.
    """
    try:
        reply = get_client().verify_customer_domain(domain=domain)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        refusal.field = "domain"
        raise refusal from exc
    return wire_text(reply.type)


def _start_operation(
    *, user, kind: str, idempotency_key: str, domain_id: int | None, params: dict, task_name: str
):
    from customers import tasks

    operation, created = operation_start(
        idempotency_key=idempotency_key, kind=kind, domain_id=domain_id, user=user, params=params
    )
    if created:
        task = getattr(tasks, task_name)
        transaction.on_commit(lambda: task.delay(operation_id=str(operation.pk)))
    return operation


def customer_create_request(
    *,
    user,
    idempotency_key: str,
    domain: str,
    company_name: str,
    phone_number: str,
    time_zone: str,
    locale: str,
    admin_last_name: str,
    admin_first_name: str,
    admin_id: str,
    admin_password: str,
    admin_email: str,
    enable_partner_profile_display: bool = True,
    reason: str = "",
):
    """Queue createCustomer. The administrator's password is kept encrypted only until the task sends it."""
    params = {
        "domain": domain,
        "company_name": company_name,
        "phone_number": phone_number,
        "time_zone": time_zone,
        "locale": locale,
        "admin_last_name": admin_last_name,
        "admin_first_name": admin_first_name,
        "admin_id": admin_id,
        "admin_email": admin_email,
        "enable_partner_profile_display": enable_partner_profile_display,
        "reason": reason,
        "admin_password_encrypted": _fernet().encrypt(admin_password.encode()).decode(),
    }
    return _start_operation(
        user=user,
        kind="createCustomer",
        idempotency_key=idempotency_key,
        domain_id=None,
        params=params,
        task_name="customer_create",
    )


def _claim(operation_id) -> Operation | None:
    """Move a queued Operation to running; None when it already ran (a retried or duplicated task)."""
    claimed = Operation.objects.filter(pk=operation_id, status=Operation.Status.QUEUED).update(
        status=Operation.Status.RUNNING, progress=10, updated_at=timezone.now()
    )
    if not claimed:
        return None
    return Operation.objects.select_related("requested_by").get(pk=operation_id)


def _run_tracked(
    operation_id,
    send: Callable[[Operation], Any],
    *,
    read_back: Callable[[Operation], Any] | None = None,
) -> tuple[Operation, Any] | None:
    """The body every slow change shares: claim the Operation, send its change once, settle failures.

    Returns (operation, reply) for the caller to record success, or None when there is nothing left to do:
    the task already ran, the API refused (FAILED), or the outcome is unknown (UNKNOWN) and `read_back`
    (which looks for the change's result instead of sending it again) found nothing.
    """
    operation = _claim(operation_id)
    if operation is None:
        return None  # a retried task: the change was already sent (or is being sent)
    try:
        return operation, send(operation)
    except CustomerChangeOutcomeUnknown as exc:
        reply = read_back(operation) if read_back else None
        if reply is None:
            operation_update(operation, status=Operation.Status.UNKNOWN, error=exc.message)
            return None
        return operation, reply
    except CustomerChangeRefused as exc:
        operation_update(operation, status=Operation.Status.FAILED, error=exc.message)
        return None


def _succeeded_with_customer(operation: Operation, reply, **result: Any) -> Customer:
    """Store the customer the API answered with, link it to the Operation, and mark the Operation done."""
    customer = customer_upsert(remote=reply)
    operation.domain_id = customer.domain_id
    operation.save(update_fields=["domain_id"])
    operation_update(
        operation, status=Operation.Status.SUCCEEDED, result={"domain_id": customer.domain_id, **result}
    )
    customer_refresh_later(domain_id=customer.domain_id, skip=("getCustomer",))
    return customer


def customer_create_run(*, operation_id) -> None:
    """Task body: send createCustomer once; on a timeout, look the domain up instead of sending it again."""

    def send(operation: Operation):
        p = dict(operation.params)
        password = _fernet().decrypt(p.pop("admin_password_encrypted").encode()).decode()
        # The password is never stored past this point.
        Operation.objects.filter(pk=operation.pk).update(params=p)
        operation.params = p
        administrator = CustomerAdministratorCreate(
            last_name=p["admin_last_name"],
            first_name=p["admin_first_name"] or None,
            id=p["admin_id"],
            password=password,
            private_email=p["admin_email"],
        )
        return _write(
            user=operation.requested_by,
            operation_id="createCustomer",
            domain_id=None,
            sent={k: v for k, v in p.items() if k != "reason"},
            reason=p.get("reason", ""),
            call=lambda client: client.create_customer(
                domain=p["domain"],
                company_name=p["company_name"],
                phone_number=p["phone_number"],
                time_zone=p["time_zone"],
                locale=p["locale"],
                administrator=administrator,
                partnership=CustomerPartnershipCreate(
                    enable_partner_profile_display=p["enable_partner_profile_display"]
                ),
            ),
        )

    ran = _run_tracked(operation_id, send, read_back=lambda op: _find_by_domain(op.params["domain"]))
    if ran is None:
        return
    operation, reply = ran
    # The domain and activation come first for a custom domain that is not active yet.
    needs_dns = wire_text(reply.domain_type) == Customer.DomainType.DOMAIN and not reply.enable_active_domain
    next_url = reverse("customers:domain" if needs_dns else "customers:detail", args=[reply.domain_id])
    _succeeded_with_customer(operation, reply, needs_dns=needs_dns, next_url=next_url)


def _find_by_domain(domain: str):
    try:
        page = get_client().list_customers(domain=domain)
    except PartnerApiError:
        return None
    return next((c for c in page.customers if c.domain in (domain, f"{domain}.by-works.com")), None)


def upgrade_domain_get(*, domain_id: int):
    """The upgrade domain and its DNS records (getUpgradeDomain), or None when none is registered."""
    try:
        return get_client().get_upgrade_domain(domain_id=domain_id)
    except NotFoundError:
        return None
    except PartnerApiError as exc:
        raise refusal_from(exc, hints=_FIELD_HINTS) from exc


def upgrade_domain_create(*, user, domain_id: int, domain: str, reason: str = ""):
    reply = _write(
        user=user,
        operation_id="createUpgradeDomain",
        domain_id=domain_id,
        sent={"domain": domain},
        reason=reason,
        call=lambda client: client.create_upgrade_domain(domain_id=domain_id, domain=domain),
    )
    customer_refresh_later(domain_id=domain_id)
    return reply


def upgrade_domain_delete(*, user, domain_id: int, reason: str = "") -> None:
    _write(
        user=user,
        operation_id="deleteUpgradeDomain",
        domain_id=domain_id,
        sent={},
        reason=reason,
        call=lambda client: client.delete_upgrade_domain(domain_id=domain_id),
    )
    customer_refresh_later(domain_id=domain_id)


def customer_domain_change(*, user, domain_id: int, domain: str, reason: str = "") -> Customer | None:
    """Change a group name to the registered domain (changeCustomerDomain, 204); the customer is read again."""
    _write(
        user=user,
        operation_id="changeCustomerDomain",
        domain_id=domain_id,
        sent={"domain": domain},
        reason=reason,
        call=lambda client: client.change_customer_domain(domain_id=domain_id, domain=domain),
    )
    sync.resync_customer(domain_id=domain_id, user=user)
    return Customer.objects.filter(domain_id=domain_id).first()


def customer_activate_request(*, user, domain_id: int, idempotency_key: str, reason: str = ""):
    return _start_operation(
        user=user,
        kind="activateCustomer",
        idempotency_key=idempotency_key,
        domain_id=domain_id,
        params={"reason": reason},
        task_name="customer_activate",
    )


def customer_activate_run(*, operation_id) -> None:
    """Task body: send activateCustomer once for this Operation and record the outcome."""

    def send(operation: Operation):
        return _write(
            user=operation.requested_by,
            operation_id="activateCustomer",
            domain_id=operation.domain_id,
            sent={},
            reason=operation.params.get("reason", ""),
            call=lambda client: client.activate_customer(domain_id=operation.domain_id),
        )

    ran = _run_tracked(operation_id, send)
    if ran is not None:
        _succeeded_with_customer(*ran)


def potential_customer_get(*, domain: str, partner_code: str):
    """Look up an Online Direct customer (getPotentialCustomer). A read: nothing is recorded."""
    try:
        return get_client().get_potential_customer(domain=domain, partner_code=partner_code)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        if refusal.field is None:
            refusal.field = "partner_code" if exc.status == 400 else "domain"
        raise refusal from exc


def potential_customer_transfer_request(
    *, user, domain: str, partner_code: str, idempotency_key: str, reason: str = ""
):
    return _start_operation(
        user=user,
        kind="transferPotentialCustomer",
        idempotency_key=idempotency_key,
        domain_id=None,
        params={"domain": domain, "partner_code": partner_code, "reason": reason},
        task_name="customer_transfer",
    )


def potential_customer_transfer_run(*, operation_id) -> None:
    """Task body: send transferPotentialCustomer once; on a timeout, look the domain up instead."""

    def send(operation: Operation):
        p = operation.params
        return _write(
            user=operation.requested_by,
            operation_id="transferPotentialCustomer",
            domain_id=None,
            sent={"domain": p["domain"]},
            reason=p.get("reason", ""),
            call=lambda client: client.transfer_potential_customer(
                domain=p["domain"], partner_code=p["partner_code"]
            ),
        )

    ran = _run_tracked(operation_id, send, read_back=lambda op: _find_by_domain(op.params["domain"]))
    if ran is None:
        return
    operation, reply = ran
    _succeeded_with_customer(operation, reply, next_url=reverse("customers:detail", args=[reply.domain_id]))
