"""Who looks after each customer (`CustomerOwner`): the partner's own data, not the API's. An Admin sets its
Account manager and support contact (`customer_owner_set`), the Account manager who adds a customer owns it
(`customer_owner_adder`), and a deactivated person's customers are handed over (`customer_owners_hand_over`).
Every change is an audit entry (`portal.assignCustomerOwner`)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.selectors import people_with_role, person_label
from accounts.services import UserChangeRefused
from customers.models import Customer, CustomerOwner
from customers.permissions import ASSIGN_OWNERS
from portal.core.access import Role, check
from portal.core.models import AuditEntry
from portal.core.services import audit_record

logger = logging.getLogger(__name__)


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
