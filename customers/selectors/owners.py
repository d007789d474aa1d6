"""Who looks after each customer, as the reads see it: the Owner filter every list offers (`owned_by`, `Owner`,
its choices and defaults), the portfolio rule (`portfolio_only`, `readable`), an Account manager's customers
(`managers_customers`), what a person leaving holds, and one customer's owners (its page's Owner section)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.selectors import people_with_role, person_label
from customers.models import (
    Customer,
    CustomerOwner,
    carries_customer,
)
from customers.permissions import ASSIGN_OWNERS, VIEW_CUSTOMERS
from portal.core.access import Role, can, check, role_of
from portal.core.lists import (
    planned_apart,
)
from portal.core.vocabulary import translated


class Owner:
    """The Owner filter's values besides a person's id (the lists' one filter by who looks after a customer)."""

    EVERYONE = "all"
    MINE = "mine"
    UNASSIGNED = "none"


def managers_customers(owner: str, *, user) -> QuerySet | None:
    """The keys of the customers of the Account manager the Owner filter `owner` chooses for `user` (`owned_by`'s
    rule), or None when it chooses another set (everyone, no one's, a Support user's own): what a list paged by
    customer walks its customers against (`page_by_customer(mine=...)`)."""
    manager_id = owners_manager(owner, user=user)
    if manager_id is None:
        return None
    return CustomerOwner.objects.filter(account_manager_id=manager_id).values("customer_id")


def portfolio_only(user) -> bool:
    """Whether `user` reads and changes only the customers they own: an Account manager when the setting
    `PORTFOLIO_ONLY` is on (the Owner filter is then not offered to them)."""
    return settings.PORTFOLIO_ONLY and role_of(user) == Role.ACCOUNT_MANAGER


def readable(qs: QuerySet, *, user, key: str = "customer_id") -> QuerySet:
    """Rows keyed by a customer's domainId at `key` that `user` may read at all: every read of one customer or
    its rows (its page, a subscription's or option's page, a change form) goes through it, so a customer outside
    an Account manager's portfolio (`portfolio_only`) is not found, the same as one that does not exist."""
    return owned_by(qs, owner=Owner.EVERYONE, user=user, key=key)


def owned_by(qs: QuerySet, *, owner: str, user, key: str = "customer_id", apart: bool = False) -> QuerySet:
    """Rows (customers, or anything keyed by a customer's domainId at `key`) of the customers the Owner filter
    `owner` chooses: `Owner.MINE` (those whose Account manager is `user`; for a Support user, those whose
    support contact they are), `Owner.UNASSIGNED` (no Account manager), an Account manager's id (theirs), or
    everyone ("", `Owner.EVERYONE`, or anything else). Every list's Owner
    filter is this one condition, a subquery of the owners' index (`CustomerOwner.Meta.indexes`): no join, so
    it adds no query and no row to a list, and a list keeps its own index for its order. On the customers
    themselves, what the database keeps on each (customers 0015, 0016) instead: `has_owner` for "Unassigned",
    `managed_by` for an Account manager's. `apart`: the
    subquery planned apart (`lists.planned_apart`: its keys read once into a hash, not probed for each row
    read), as the worklist's sections read (`home.worklist.WorkContext.narrow`).

    The one place of the portfolio rule: for a user who reads only their own customers (`portfolio_only`),
    every value is "Mine", so every list and every read (`readable`) keeps to them."""
    if portfolio_only(user):
        owner = Owner.MINE
    if owner == Owner.MINE and getattr(user, "pk", None) is not None and role_of(user) == Role.SUPPORT:
        supported = CustomerOwner.objects.filter(support_contact_id=user.pk).values("customer_id")
        return qs.filter(planned_apart(key, supported)) if apart else qs.filter(**{f"{key}__in": supported})
    if owner == Owner.UNASSIGNED:
        if qs.model is Customer and key in ("domain_id", "pk"):
            # The flag the database keeps (customers 0015): a range of the unowned customers' index.
            return qs.filter(has_owner=False)
        if carries_customer(qs.model, key):
            return qs.filter(customer_manager__isnull=True)  # carried on the rows (customers/carried.py)
        assigned = CustomerOwner.objects.filter(account_manager__isnull=False).values("customer_id")
        return qs.exclude(**{f"{key}__in": assigned})
    manager_id = owners_manager(owner, user=user)
    if manager_id is None:  # "Mine" of nobody signed in reads nothing; any other value, everyone's
        return qs.none() if owner == Owner.MINE else qs
    if qs.model is Customer and key in ("domain_id", "pk"):
        # The Account manager the database keeps on each customer (customers 0016): a range of their index, or
        # for a worklist's section of customers, of its manager-first twin (`Customer.Meta.indexes`: the
        # section's order after the manager), so that the section reads a page of theirs, not all of them.
        return qs.filter(managed_by=manager_id)
    if carries_customer(qs.model, key):
        # The manager carried on the rows (customers/carried.py): a range of their manager-first indexes.
        return qs.filter(customer_manager=manager_id)
    mine = CustomerOwner.objects.filter(account_manager_id=manager_id).values("customer_id")
    return qs.filter(planned_apart(key, mine)) if apart else qs.filter(**{f"{key}__in": mine})


def owners_manager(owner: str, *, user) -> int | None:
    """The Account manager whose customers the Owner filter `owner` keeps for `user` (`owned_by`'s rule), or
    None when it keeps another set (everyone, no one's, a Support user's own)."""
    if portfolio_only(user):
        owner = Owner.MINE
    if owner == Owner.MINE:
        return None if role_of(user) == Role.SUPPORT else getattr(user, "pk", None)
    if owner.isascii() and owner.isdigit() and len(owner) <= 18:
        return int(owner)
    return None


def customers_held(*, user, as_contact: bool = False) -> int:
    """How many customers `user` looks after as Account manager (or, `as_contact`, as support contact): what
    someone must take over when they are deactivated (a contributed `accounts.holdings.Holding`)."""
    role = "support_contact" if as_contact else "account_manager"
    return CustomerOwner.objects.filter(**{role: user}).count()


def adder_owns(added_by: int | None) -> bool:
    """Whether the user of id `added_by` owns a customer they add (an active Account manager), as
    `services.customer_owner_adder` decides: what the confirmation of adding one states."""
    return added_by is not None and added_by in dict(people_with_role(role=Role.ACCOUNT_MANAGER))


def owner_filter_default(user) -> str:
    """Where an Owner filter opens for `user` before they choose: an Account manager's own customers ("Mine",
    a choice they can change, never a wall), everyone's for the other roles ("": nothing is added to the
    list's query or links)."""
    return Owner.MINE if role_of(user) == Role.ACCOUNT_MANAGER else ""


def owner_views(user) -> list[tuple[str, str]]:
    """The Owner filter's values the home page offers `user`, naming nobody (home/worklist.py): an Admin the
    unassigned customers, their own or everyone's; Support their own (those whose support contact they are) or
    everyone's; nothing to the others (an Account manager's worklist is their own, Finance's everyone's)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return [
            (Owner.UNASSIGNED, str(_("Unassigned"))),
            (Owner.MINE, str(_("Mine"))),
            (Owner.EVERYONE, str(_("Everyone's"))),
        ]
    if role == Role.SUPPORT:
        return [(Owner.MINE, str(_("Mine"))), (Owner.EVERYONE, str(_("Everyone's")))]
    return []


#: The Owner filter's choices that name nobody (declared once: read once per language, `translated`).
_OWNER_VIEWS = ((Owner.EVERYONE, _("Everyone")), (Owner.MINE, _("Mine")), (Owner.UNASSIGNED, _("Unassigned")))


def owner_choices() -> list[tuple[str, str]]:
    """The Owner filter's choices: everyone, mine, unassigned, then each active Account manager (one query)."""
    people = people_with_role(role=Role.ACCOUNT_MANAGER)
    text = translated()
    return [
        *((value, text(label)) for value, label in _OWNER_VIEWS),
        *((str(pk), label) for pk, label in people),
    ]


def customer_owner_get(*, user, domain_id: int) -> CustomerOwner | None:
    """Who looks after a customer (both people read with it), or None when nobody was ever assigned."""
    check(user, VIEW_CUSTOMERS)
    return (
        CustomerOwner.objects.select_related("account_manager", "support_contact")
        .filter(customer_id=domain_id)
        .first()
    )


def customer_owner_section(*, customer: Customer, user) -> dict:
    """Context of the customer page's "Owner" section: the two people (one query) and whether this user may
    change them."""
    owner = customer_owner_get(user=user, domain_id=customer.domain_id)

    def named(person) -> str:
        if person is None:
            return ""
        return person_label(
            username=person.username, first_name=person.first_name, last_name=person.last_name
        )

    return {
        "account_manager": named(owner and owner.account_manager),
        "support_contact": named(owner and owner.support_contact),
        "can_assign": can(user, ASSIGN_OWNERS),
    }
