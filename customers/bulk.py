"""The customer list's bulk actions (`portal.core.changes.bulk`): each row is one customer, keyed by its domainId.
Assigning an owner is the portal's own data: each row is written by `services.customer_owner_set` (its own audit
entry), no Partner API call. The maximum users is the customer's usage status: each row sends patchUsageStatus
with that field alone (its scheduled cancellation is not sent, so it stays as it is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.selectors import people_with_role, person_label
from customers import selectors, services
from customers.forms_changes import MAX_USERS_LIMIT
from customers.lists import CUSTOMER_LIST
from customers.models import Customer
from customers.permissions import ASSIGN_OWNERS, CHANGE_CUSTOMERS, VIEW_CUSTOMERS
from portal.core.access import Role, check
from portal.core.changes.bulk import BulkAction, BulkValuesForm, RowCheck
from portal.core.lists import ListState

LIST = "customers"


def select(request) -> Any:
    """Every customer the list shows with the request's filters (its query string, as the list page's)."""
    state = ListState.from_request(request, CUSTOMER_LIST)
    return selectors.customer_list(user=request.user, filters=state.filters)


def read(user, keys: Sequence[str]) -> dict[str, Customer]:
    """The customers of `keys` in the cache (a removed one may be given an owner too), with their owners."""
    check(user, VIEW_CUSTOMERS)
    ids = [int(k) for k in keys if k.isascii() and k.isdigit()]
    rows = selectors.readable(
        Customer.objects.filter(domain_id__in=ids), user=user, key="domain_id"
    ).select_related("owner__account_manager", "owner__support_contact")
    return {str(c.domain_id): c for c in rows}


class OwnerValuesForm(BulkValuesForm):
    """The Account manager every chosen customer gets (their support contacts stay as they are)."""

    account_manager = forms.TypedChoiceField(
        label=_("Account manager"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs) -> None:
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


def _managers() -> dict[str, str]:
    """Every active Account manager's id (as the batch's JSON keeps it) -> how a person names them."""
    return {str(pk): name for pk, name in people_with_role(role=Role.ACCOUNT_MANAGER)}


def prepare_owner(rows: Sequence[Customer], values: Mapping[str, Any]) -> dict[str, Any]:
    """Read the Account managers' names once for the whole dry run."""
    return {**values, "names": _managers()}


def _owner_check(c: Customer, wanted: int | None, names: Mapping[str, str]) -> RowCheck:
    owner = _owner(c)
    current = owner.account_manager if owner is not None else None
    if (current.pk if current is not None else None) == wanted:
        return RowCheck(refusal=gettext("Already so: nothing to change."))
    after = names.get(str(wanted), "") if wanted is not None else gettext("Nobody (unassigned)")
    return RowCheck(changes=[(gettext("Account manager"), _person(current), after)])


def check_owner(c: Customer, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of an owner change: before -> after; nothing to do when it is so already."""
    return _owner_check(c, values.get("account_manager"), values.get("names") or _managers())


def write_owner(actor, c: Customer, values: Mapping[str, Any]) -> bool:
    return _write(actor, c, values.get("account_manager"))


def _write(actor, c: Customer, account_manager_id: int | None) -> bool:
    owner = _owner(c)
    return services.customer_owner_set(
        actor=actor,
        domain_id=c.domain_id,
        account_manager_id=account_manager_id,
        support_contact_id=owner.support_contact_id if owner is not None else None,
    )


class ShareValuesForm(BulkValuesForm):
    """The Account managers the chosen customers are dealt out among, in turn, in the list's order."""

    account_managers = forms.TypedMultipleChoiceField(
        label=_("Account managers"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The chosen customers go to these people in turn, in the list's order, so each gets an equal share "
            "(one more for the first ones when they do not divide evenly)."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account_managers"].choices = people_with_role(role=Role.ACCOUNT_MANAGER)


def prepare_share(rows: Sequence[Customer], values: Mapping[str, Any]) -> dict[str, Any]:
    """Deal the rows out in turn among the chosen Account managers: {domainId: the one it goes to}."""
    managers = list(values["account_managers"])
    deal = {str(c.domain_id): managers[i % len(managers)] for i, c in enumerate(rows)}
    return {**values, "deal": deal, "names": _managers()}


def check_share(c: Customer, values: Mapping[str, Any]) -> RowCheck:
    return _owner_check(c, values["deal"].get(str(c.domain_id)), values["names"])


def write_share(actor, c: Customer, values: Mapping[str, Any]) -> bool:
    wanted = values["deal"].get(str(c.domain_id))
    if wanted is None:  # not among the rows dealt out at the dry run
        raise services.OwnerChangeRefused(gettext("This customer was not in the dry run: nothing changed."))
    return _write(actor, c, wanted)


def read_live(user, keys: Sequence[str]) -> dict[str, Customer]:
    """The customers of `keys` still in LINE WORKS (a removed one is left out: not sent)."""
    return {k: c for k, c in read(user, keys).items() if c.removed_at is None}


class MaxUsersValuesForm(BulkValuesForm):
    """The maximum users every chosen customer gets (blank: no limit)."""

    max_member_count = forms.IntegerField(
        label=_("Maximum users"),
        required=False,
        min_value=1,
        max_value=MAX_USERS_LIMIT,
        help_text=_("Leave blank for no limit. Each customer's scheduled cancellation stays as it is."),
    )


def _users(value: int | None) -> str:
    return gettext("No limit") if value is None else str(value)


def check_max_users(c: Customer, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of patchUsageStatus (maximum users) for one customer: its usage status read, the new maximum
    not below its members (the contract: lower is refused), and nothing to send when it is so already."""
    if c.usage_synced_at is None:
        return RowCheck(
            refusal=gettext("This customer's usage status has not been read yet; refresh the customer first.")
        )
    wanted = values.get("max_member_count")
    current = None if c.max_member_unlimited else c.max_member_count
    if wanted is not None and c.member_count is not None and wanted < c.member_count:
        return RowCheck(
            refusal=gettext(
                "The customer has %(members)d members; the maximum users cannot be lower than that."
            )
            % {"members": c.member_count}
        )
    if current == wanted:
        return RowCheck(
            refusal=gettext("Already set to %(value)s: nothing to send.") % {"value": _users(wanted)}
        )
    return RowCheck(changes=[(gettext("Maximum users"), _users(current), _users(wanted))])


def max_users_args(c: Customer, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "domain_id": c.domain_id,
        "max_member_count": values.get("max_member_count"),
        "has_renewal": c.renewal_apply_date is not None,
    }


#: What every action of the customer list shares: its rows, and how a row is keyed and named.
_on_the_list = partial(
    BulkAction,
    list_name=LIST,
    list_url="customers:list",
    select=select,
    key_of=lambda c: str(c.domain_id),
    describe=lambda c: c.company_name,
    domain_id=lambda c: c.domain_id,
)

BULK_ACTIONS = [
    _on_the_list(
        key="customers.owner",
        label=_("Assign an Account manager"),
        perm=ASSIGN_OWNERS,
        form=OwnerValuesForm,
        read=read,
        check=check_owner,
        write=write_owner,
        refused=(services.OwnerChangeRefused,),
        prepare=prepare_owner,
    ),
    _on_the_list(
        key="customers.share",
        label=_("Share out among Account managers"),
        perm=ASSIGN_OWNERS,
        form=ShareValuesForm,
        read=read,
        check=check_share,
        write=write_share,
        refused=(services.OwnerChangeRefused,),
        prepare=prepare_share,
    ),
    _on_the_list(
        key="customers.max_users",
        label=_("Maximum users"),
        perm=CHANGE_CUSTOMERS,
        form=MaxUsersValuesForm,
        read=read_live,
        check=check_max_users,
        operation_id="patchUsageStatus",
        args=max_users_args,
    ),
]
