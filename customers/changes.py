"""The customers app's writes, declared for the change pipeline (portal.core.changes).

Each `Change` says how to send one operation, how to find out afterwards whether it was applied (read back,
never send again), how the cache follows the answer (apply: the cache functions of customers/services.py), and
what else the contract says it does (side effects, stated before sending). The slow ones (creating, activating,
transferring and deleting a customer) are queued for a worker. Arguments are JSON-safe: dates as ISO text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from customers import rules, selectors, services
from customers.models import Customer
from customers.permissions import CHANGE_CUSTOMERS
from partner_api.errors import NotFoundError
from partner_api.models import (
    CustomerAdministratorCreate,
    CustomerPartnershipCreate,
    CustomerPartnershipUpdate,
    wire_text,
)
from portal.core.changes import Change

#: Wire names in the API's error descriptions and the form fields they belong to.
FIELD_HINTS = {
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
#: Partnership fields of patchCustomer (they travel in a nested object).
_PARTNERSHIP = ("customer_code", "memo", "enable_partner_profile_display")


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# --- Sending -------------------------------------------------------------------------------------------------


def _patch_customer(client, a):
    fields = {k: v for k, v in a["fields"].items() if k not in _PARTNERSHIP}
    partnership = {k: v for k, v in a["fields"].items() if k in _PARTNERSHIP}
    return client.patch_customer(
        domain_id=a["domain_id"],
        partnership=CustomerPartnershipUpdate(**partnership) if partnership else None,
        **fields,
    )


def _create_customer(client, a):
    return client.create_customer(
        domain=a["domain"],
        company_name=a["company_name"],
        phone_number=a["phone_number"],
        time_zone=a["time_zone"],
        locale=a["locale"],
        administrator=CustomerAdministratorCreate(
            last_name=a["admin_last_name"],
            first_name=a.get("admin_first_name") or None,
            id=a["admin_id"],
            password=a["admin_password"],
            private_email=a["admin_email"],
        ),
        partnership=CustomerPartnershipCreate(
            enable_partner_profile_display=a["enable_partner_profile_display"]
        ),
    )


def _create_customer_effects(a) -> list[str]:
    """What creating a customer does besides adding it to the list (stated before it is sent)."""
    effects = [
        _(
            "LINE WORKS creates the customer's tenant and its first administrator, %(admin)s, who signs in with "
            "the password typed here. The portal does not keep the password: pass it on now."
        )
        % {"admin": a.get("admin_id", "")}
    ]
    if selectors.adder_owns(a.get("added_by")):
        effects.append(
            _('You become its Account manager: it is among your customers ("Mine") from the start.')
        )
    if "." in a.get("domain", ""):
        effects.append(
            _(
                "Its users can sign in only after the domain's DNS records are set and the domain is activated."
            )
        )
    return effects


# --- Reading back ----------------------------------------------------------------------------------------------


def _rb_patch_customer(client, a):
    remote = client.get_customer(domain_id=a["domain_id"])
    columns = services.customer_columns_of(remote)
    applied = all(columns.get(k, v) == v for k, v in a["fields"].items())
    return remote if applied else None


def _rb_usage(check):
    def read(client, a):
        usage = client.get_usage_status(domain_id=a["domain_id"])
        return usage if check(usage, a) else None

    return read


#: patchUsageStatus's fields: one left out of the arguments is not sent, and keeps its value (the bulk
#: change of the maximum users sends only that).
_USAGE_FIELDS = ("max_member_count", "withdrawal_date")


def _patch_usage(client, a):
    given: dict[str, Any] = {}
    if "max_member_count" in a:
        given["max_member_count"] = a["max_member_count"]
    if "withdrawal_date" in a:
        given["withdrawal_date"] = _date(a["withdrawal_date"])
    return client.patch_usage_status(domain_id=a["domain_id"], **given)


def _usage_set(usage, a) -> bool:
    withdrawal = usage.withdrawal_date.isoformat() if usage.withdrawal_date else None
    return ("max_member_count" not in a or usage.max_member_count == a["max_member_count"]) and (
        "withdrawal_date" not in a or withdrawal == a["withdrawal_date"]
    )


def _renewal_set(usage, a) -> bool:
    renewal = usage.renewal
    return (
        renewal is not None
        and renewal.apply_date.isoformat() == a["apply_date"]
        and ("max_member_count" not in a or renewal.max_member_count == a["max_member_count"])
    )


def _rb_renewal_delete(client, a):
    usage = client.get_usage_status(domain_id=a["domain_id"])
    return {"gone": True} if usage.renewal is None else None


def _rb_upgrade_domain(client, a):
    upgrade = client.get_upgrade_domain(domain_id=a["domain_id"])
    return upgrade if upgrade.domain == a["domain"] else None


def _rb_upgrade_domain_delete(client, a):
    # A 404 (no registered domain any more) is "gone" for a change that deletes (see the engine).
    client.get_upgrade_domain(domain_id=a["domain_id"])
    return None


def _rb_domain_change(client, a):
    remote = client.get_customer(domain_id=a["domain_id"])
    return remote if remote.domain == a["domain"] else None


def _find_by_domain(client, a):
    page = client.list_customers(domain=a["domain"])
    return next((c for c in page.customers if c.domain in rules.names_of(a["domain"])), None)


def _rb_activate(client, a):
    remote = client.get_customer(domain_id=a["domain_id"])
    return remote if remote.enable_active_domain else None


def _rb_delete(client, a):
    try:
        client.get_customer(domain_id=a["domain_id"])
    except NotFoundError:
        return False  # deleted at once
    usage = client.get_usage_status(domain_id=a["domain_id"])
    # Accepted for later: the customer waits for its cancellation date.
    return True if wire_text(usage.status) == Customer.UsageState.SUSPENDED_WITHDRAWAL else None


# --- The cache after the change ----------------------------------------------------------------------------


def _customer_created(a, reply) -> dict[str, Any]:
    """createCustomer / transferPotentialCustomer answered with the customer: cache it, owned by the Account
    manager who added it (`added_by`); the operation now belongs to it, and its page leads to the DNS records first when a custom domain is not active yet."""
    customer = services.customer_upsert(remote=reply)
    services.customer_owner_adder(domain_id=customer.domain_id, added_by=a.get("added_by"))
    needs_dns = customer.domain_type == Customer.DomainType.DOMAIN and not customer.enable_active_domain
    page = "customers:domain" if needs_dns else "customers:detail"
    return {
        "domain_id": customer.domain_id,
        "needs_dns": needs_dns,
        "next_url": reverse(page, args=[customer.domain_id]),
    }


def _customer_deleted(a, reply) -> dict[str, Any]:
    """deleteCustomer: done at once (the customer is marked removed) or accepted for later (it stays, pending
    its cancellation; the refresh reads its new status)."""
    pending = reply is True
    if not pending:
        services.customer_mark_removed(domain_id=a["domain_id"])
    return {"domain_id": a["domain_id"], "pending_withdrawal": pending}


def _domain_changed(a, reply) -> None:
    """changeCustomerDomain answered 204: the customer now uses the new domain (the refresh reads the rest)."""
    services.customer_domain_set(domain_id=a["domain_id"], domain=a["domain"])


def _customer_stored(a, reply) -> None:
    services.customer_upsert(remote=reply)


def _usage_stored(a, reply) -> None:
    services.customer_usage_upsert(domain_id=a["domain_id"], remote=reply)


def _renewal_deleted(a, reply) -> None:
    services.customer_renewal_clear(domain_id=a["domain_id"])


CHANGES = [
    Change(
        operation_id="patchCustomer",
        send=_patch_customer,
        read_back=_rb_patch_customer,
        apply=_customer_stored,
        target=lambda a: frozenset(f"customer.{k}" for k in a["fields"]),
        field_hints=FIELD_HINTS,
        refresh_skip=("getCustomer",),
    ),
    Change(
        operation_id="patchUsageStatus",
        send=_patch_usage,
        read_back=_rb_usage(_usage_set),
        apply=_usage_stored,
        target=lambda a: frozenset(f"usage.{k}" for k in _USAGE_FIELDS if k in a),
        side_effects=lambda a: (
            [_("A scheduled change of the maximum users is deleted (setting the maximum replaces it).")]
            if a.get("has_renewal")
            else []
        ),
        field_hints=FIELD_HINTS,
        refresh_skip=("getUsageStatus",),
    ),
    Change(
        operation_id="createUsageStatusRenewal",
        send=lambda c, a: c.create_usage_status_renewal(
            domain_id=a["domain_id"],
            apply_date=_date(a["apply_date"]),
            max_member_count=a.get("max_member_count"),
        ),
        read_back=_rb_usage(_renewal_set),
        apply=_usage_stored,
        side_effects=lambda a: [_("On that date the maximum users changes; until then it stays as it is.")],
        field_hints=FIELD_HINTS,
        refresh_skip=("getUsageStatus",),
    ),
    Change(
        operation_id="patchUsageStatusRenewal",
        send=lambda c, a: c.patch_usage_status_renewal(
            domain_id=a["domain_id"], apply_date=_date(a["apply_date"])
        ),
        read_back=_rb_usage(_renewal_set),
        apply=_usage_stored,
        side_effects=lambda a: [_("Only the date moves; the new maximum stays as scheduled.")],
        field_hints=FIELD_HINTS,
        refresh_skip=("getUsageStatus",),
    ),
    Change(
        operation_id="deleteUsageStatusRenewal",
        send=lambda c, a: c.delete_usage_status_renewal(domain_id=a["domain_id"]),
        read_back=_rb_renewal_delete,
        apply=_renewal_deleted,
        field_hints=FIELD_HINTS,
        deletes=True,
    ),
    Change(
        operation_id="createUpgradeDomain",
        send=lambda c, a: c.create_upgrade_domain(domain_id=a["domain_id"], domain=a["domain"]),
        read_back=_rb_upgrade_domain,
        side_effects=lambda a: [
            _(
                "Nothing changes for the customer's users yet: set the DNS records, then change the group name."
            )
        ],
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="deleteUpgradeDomain",
        send=lambda c, a: c.delete_upgrade_domain(domain_id=a["domain_id"]),
        read_back=_rb_upgrade_domain_delete,
        field_hints=FIELD_HINTS,
        deletes=True,
    ),
    Change(
        operation_id="changeCustomerDomain",
        send=lambda c, a: c.change_customer_domain(domain_id=a["domain_id"], domain=a["domain"]),
        read_back=_rb_domain_change,
        apply=_domain_changed,
        side_effects=lambda a: [_("Users sign in with the new domain from now on.")],
        field_hints=FIELD_HINTS,
    ),
    Change(
        operation_id="createCustomer",
        send=_create_customer,
        read_back=_find_by_domain,
        apply=_customer_created,
        created=lambda reply: reply.domain_id,
        side_effects=_create_customer_effects,
        field_hints=FIELD_HINTS,
        queued=True,
        refresh_skip=("getCustomer",),
        secret_args=("admin_password",),
    ),
    Change(
        operation_id="activateCustomer",
        send=lambda c, a: c.activate_customer(domain_id=a["domain_id"]),
        read_back=_rb_activate,
        apply=_customer_stored,
        field_hints=FIELD_HINTS,
        queued=True,
        refresh_skip=("getCustomer",),
    ),
    Change(
        operation_id="transferPotentialCustomer",
        send=lambda c, a: c.transfer_potential_customer(domain=a["domain"], partner_code=a["partner_code"]),
        read_back=_find_by_domain,
        apply=_customer_created,
        created=lambda reply: reply.domain_id,
        field_hints=FIELD_HINTS,
        queued=True,
        refresh_skip=("getCustomer",),
    ),
    Change(
        operation_id="deleteCustomer",
        send=lambda c, a: c.delete_customer(domain_id=a["domain_id"]),
        read_back=_rb_delete,
        apply=_customer_deleted,
        side_effects=lambda a: [
            _("The customer's subscriptions and options end; this cannot be undone from the portal.")
        ],
        field_hints=FIELD_HINTS,
        queued=True,
        deletes=True,
        approval="deletion",
        perm=CHANGE_CUSTOMERS,
    ),
]
