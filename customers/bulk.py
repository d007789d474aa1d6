"""The customer list's bulk actions (`portal.core.changes.bulk`): each row is one customer, keyed by its domainId.
Assigning an owner is the portal's own data: each row is written by `services.customer_owner_set` (its own audit
entry), no Partner API call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.selectors import people_with_role, person_label
from customers import selectors, services
from customers.lists import CUSTOMER_LIST
from customers.models import Customer
from customers.permissions import ASSIGN_OWNERS, VIEW_CUSTOMERS
from portal.core.access import Role, check
from portal.core.changes.bulk import BulkAction, RowCheck
from portal.core.formbase import PortalForm
from portal.core.lists import ListState

LIST = "customers"


def select(request) -> Any:
    """Every customer the list shows with the request's filters (its query string, as the list page's)."""
    state = ListState.from_request(request, CUSTOMER_LIST)
    return selectors.customer_list(user=request.user, filters=state.filters)


def read(user, keys: Sequence[str]) -> dict[str, Customer]:
    """The customers of `keys` in the cache (a removed one may be given an owner too), with their owners."""
    check(user, VIEW_CUSTOMERS)
    ids = [int(k) for k in keys if k.isdigit()]
    rows = selectors.readable(
        Customer.objects.filter(domain_id__in=ids), user=user, key="domain_id"
    ).select_related("owner__account_manager", "owner__support_contact")
    return {str(c.domain_id): c for c in rows}


class OwnerValuesForm(PortalForm):
    """The Account manager every chosen customer gets (their support contacts stay as they are)."""

    account_manager = forms.TypedChoiceField(
        label=_("Account manager"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account_manager"].choices = [
            ("", _("Nobody (unassigned)")),
            *people_with_role(role=Role.ACCOUNT_MANAGER),
        ]


def _person(user) -> str:
    if user is None:
        return gettext("Nobody (unassigned)")
    return person_label(username=user.username, first_name=user.first_name, last_name=user.last_name)


def _owner(c: Customer):
    owner = getattr(c, "owner", None)
    return owner


def check_owner(c: Customer, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of an owner change: before -> after; nothing to do when it is so already."""
    owner = _owner(c)
    current = owner.account_manager if owner is not None else None
    wanted = values.get("account_manager")
    if (current.pk if current is not None else None) == wanted:
        return RowCheck(refusal=gettext("Already so: nothing to change."))
    names = dict(people_with_role(role=Role.ACCOUNT_MANAGER))
    after = names.get(wanted, "") if wanted is not None else gettext("Nobody (unassigned)")
    return RowCheck(changes=[(gettext("Account manager"), _person(current), after)])


def write_owner(actor, c: Customer, values: Mapping[str, Any]) -> bool:
    owner = _owner(c)
    return services.customer_owner_set(
        actor=actor,
        domain_id=c.domain_id,
        account_manager_id=values.get("account_manager"),
        support_contact_id=owner.support_contact_id if owner is not None else None,
    )


BULK_ACTIONS = [
    BulkAction(
        key="customers.owner",
        label=_("Assign an Account manager"),
        list_name=LIST,
        list_url="customers:list",
        perm=ASSIGN_OWNERS,
        form=OwnerValuesForm,
        select=select,
        read=read,
        key_of=lambda c: str(c.domain_id),
        describe=lambda c: c.company_name,
        domain_id=lambda c: c.domain_id,
        check=check_owner,
        write=write_owner,
        refused=(services.OwnerChangeRefused,),
    ),
]
