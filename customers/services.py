"""Writes of the customers domain to the cache: upserts from the API's replies (the resync's stores and the
`apply` of the declared changes in customers/changes.py), refreshes, and the API reads that check a change
before it is made. The changes themselves are declared in customers/changes.py and sent by the change
pipeline (portal.core.changes).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import people_with_role, person_label
from accounts.services import UserChangeRefused
from customers.models import (
    Customer,
    CustomerOwner,
    max_users_left_for,
    search_text_for,
    sort_name_for,
    usage_schedules_something,
)
from customers.permissions import ASSIGN_OWNERS
from partner_api.errors import NotFoundError, PartnerApiError
from partner_api.models import (
    wire_text,
)
from portal.core import sync
from portal.core.access import Role, check
from portal.core.changes import ChangeRefused, refusal_from  # noqa: F401 (ChangeRefused: what the reads raise)
from portal.core.models import AuditEntry, SyncRun
from portal.core.partner import get_client
from portal.core.services import audit_record
from portal.core.vocabulary import LICENSE_PLANS

logger = logging.getLogger(__name__)

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


def customer_refresh_if_old(*, customer: Customer) -> bool:
    """Opening a customer page: refresh the customer in the background when its copy is older than
    REFRESH_ON_OPEN_MINUTES (one queued refresh however many people open it), and mark it opened (the continuous
    refresh keeps its copy fresher for a while). True when a refresh is on its way."""
    from django.conf import settings

    if customer.removed_at is not None:
        return False
    sync.refresh_mark_opened(customer.domain_id)
    minutes = settings.REFRESH_ON_OPEN_MINUTES
    if not minutes:
        return False
    if customer.synced_at is not None and timezone.now() - customer.synced_at < dt.timedelta(minutes=minutes):
        return False
    sync.resync_customer_request(domain_id=customer.domain_id)
    return True


def customer_refresh_later(*, domain_id: int, skip: tuple[str, ...] = ()) -> None:
    """After a write: refresh the touched customer in the background, skipping what the reply already gave."""
    sync.resync_customer_request(domain_id=domain_id, skip=skip)


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


# --- Reads through the API that change nothing (checks before a change) --------------------------------
# Not recorded: nothing is changed. A refusal comes back as ChangeRefused with the API's reason.

#: Wire names in the API's error descriptions and the form fields they belong to.
_FIELD_HINTS = {"domain": "domain", "partnerCode": "partner_code"}


def customer_domain_verify(*, domain: str) -> str:
    """Check a domain or group name for a new customer (verifyCustomerDomain). Returns DOMAIN or GROUP.

    A check, not a change: nothing is recorded. Raises ChangeRefused with the API's reason.
    """
    try:
        reply = get_client().verify_customer_domain(domain=domain)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        refusal.field = "domain"
        raise refusal from exc
    return wire_text(reply.type)


def upgrade_domain_get(*, domain_id: int):
    """The upgrade domain and its DNS records (getUpgradeDomain), or None when none is registered."""
    try:
        return get_client().get_upgrade_domain(domain_id=domain_id)
    except NotFoundError:
        return None
    except PartnerApiError as exc:
        raise refusal_from(exc, hints=_FIELD_HINTS) from exc


def potential_customer_get(*, domain: str, partner_code: str):
    """Look up an Online Direct customer (getPotentialCustomer). A read: nothing is recorded."""
    try:
        return get_client().get_potential_customer(domain=domain, partner_code=partner_code)
    except PartnerApiError as exc:
        refusal = refusal_from(exc, hints=_FIELD_HINTS)
        if refusal.field is None:
            refusal.field = "partner_code" if exc.status == 400 else "domain"
        raise refusal from exc


# --- Owners: the partner's own data, not the API's ------------------------------------------------------------


class OwnerChangeRefused(Exception):
    """An owner change the portal refuses (the message says why, for the Admin)."""


def _owner_person(user_id: int | None, role) -> dict[str, Any] | None:
    """The chosen user as the audit entry names them, or None; refused unless an active user of `role`."""
    if user_id is None:
        return None
    found = dict(people_with_role(role=role)).get(user_id)
    if found is None:
        raise OwnerChangeRefused(
            _("That person is no longer an active %(role)s. Choose another.") % {"role": role.label}
        )
    return {"userId": user_id, "name": found}


def customer_owner_set(
    *, actor, domain_id: int, account_manager_id: int | None, support_contact_id: int | None
) -> bool:
    """Set who looks after a customer (`CustomerOwner`): its Account manager and support contact, None for
    nobody. False when they are so already (nothing is recorded). Each change is an audit entry
    (`portal.assignCustomerOwner`) naming both people, before and after, by id and name.

    The people must be active users of their role (Account manager, Support); the customer must be in the
    cache (a removed one keeps its owner and may be given another)."""
    check(actor, ASSIGN_OWNERS)
    return _owner_store(
        actor=actor,
        domain_id=domain_id,
        account_manager_id=account_manager_id,
        support_contact_id=support_contact_id,
    )


def customer_owner_adder(*, domain_id: int, added_by: int | None) -> bool:
    """The one who adds a customer owns it: an active Account manager who added one (createCustomer,
    transferPotentialCustomer: `added_by`, their id, carried in the change's arguments) becomes its Account
    manager, recorded as every owner change is (`portal.assignCustomerOwner`, by them). A customer that has an
    Account manager already keeps them; one an Admin adds is left for an Admin to assign. False when nothing
    changed."""
    adder = get_user_model().objects.filter(pk=added_by, is_active=True).first() if added_by else None
    if adder is None:
        return False
    try:
        # Whether it has an Account manager already is read under the owner row's lock (`_owner_store`), so
        # an Admin's assignment made meanwhile stands; its support contact stays as it is, whoever they are now.
        return _owner_store(
            actor=adder,
            domain_id=domain_id,
            account_manager_id=adder.pk,
            support_contact_id=_KEPT,
            unless_managed=True,
        )
    except OwnerChangeRefused:  # not an Account manager (an Admin added it): nobody is made its owner
        return False


#: `_owner_store`'s support contact: the one the customer has (not checked again: they may since have left).
_KEPT = object()


def _owner_store(
    *,
    actor,
    domain_id: int,
    account_manager_id: int | None,
    support_contact_id: int | None | object,
    unless_managed: bool = False,
) -> bool:
    """`unless_managed`: nothing changes when the customer has an Account manager (read under the lock)."""
    manager = _owner_person(account_manager_id, Role.ACCOUNT_MANAGER)
    contact = None if support_contact_id is _KEPT else _owner_person(support_contact_id, Role.SUPPORT)
    with transaction.atomic():
        if not Customer.objects.select_for_update().filter(domain_id=domain_id).exists():
            raise OwnerChangeRefused(_("This customer is not in the portal."))
        owner = (
            # Only the owner row is locked: PostgreSQL locks no row of a nullable join (the people).
            CustomerOwner.objects.select_for_update(of=("self",))
            .select_related("account_manager", "support_contact")
            .filter(customer_id=domain_id)
            .first()
        )
        before = {
            "accountManager": None,
            "supportContact": None,
        }
        if owner is not None:
            for key, person in (
                ("accountManager", owner.account_manager),
                ("supportContact", owner.support_contact),
            ):
                if person is not None:
                    before[key] = {
                        "userId": person.pk,
                        "name": person_label(
                            username=person.username, first_name=person.first_name, last_name=person.last_name
                        ),
                    }
        if unless_managed and owner is not None and owner.account_manager_id is not None:
            return False
        if support_contact_id is _KEPT:
            support_contact_id = owner.support_contact_id if owner is not None else None
            contact = before["supportContact"]
        now = (account_manager_id, support_contact_id)
        if owner is not None and (owner.account_manager_id, owner.support_contact_id) == now:
            return False
        if owner is None and now == (None, None):
            return False
        CustomerOwner.objects.update_or_create(
            customer_id=domain_id,
            defaults={"account_manager_id": account_manager_id, "support_contact_id": support_contact_id},
        )
        audit_record(
            actor=actor,
            operation_id="portal.assignCustomerOwner",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={"accountManager": manager, "supportContact": contact, "before": before},
        )
    logger.info("owner of customer %s set by user %s", domain_id, getattr(actor, "pk", None))
    return True


def customer_owners_hand_over(*, actor, user, to: int | None, as_contact: bool = False) -> int:
    """Give every customer `user` looks after as Account manager (or, `as_contact`, as support contact) to the
    user of id `to`, or to nobody (None): one `customer_owner_set` per customer, so each is its own audit entry
    (`portal.assignCustomerOwner`). A holding of the Users page (`accounts.holdings`, contributed in apps.py),
    run in the deactivation's transaction. Returns how many customers changed."""
    mine = CustomerOwner.objects.filter(**{"support_contact" if as_contact else "account_manager": user})
    changed = 0
    for domain_id, manager_id, contact_id in mine.order_by("customer_id").values_list(
        "customer_id", "account_manager_id", "support_contact_id"
    ):
        try:
            changed += customer_owner_set(
                actor=actor,
                domain_id=domain_id,
                account_manager_id=manager_id if as_contact else to,
                support_contact_id=to if as_contact else contact_id,
            )
        except OwnerChangeRefused as refused:
            raise UserChangeRefused(str(refused)) from refused
    return changed
