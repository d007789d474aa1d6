"""Reads of the people's room: the portal's users for the Users page, and the rules that keep an Admin."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.holdings import Holding, holdings
from accounts.permissions import MANAGE_USERS
from portal.core.access import Role, check, role_value
from portal.core.compiled import Compiled
from portal.core.lists import Sorts
from portal.core.vocabulary import full_name

#: The users list's sorts: by user name unless asked.
USER_SORTS = Sorts(
    {
        "username": ("username",),
        "name": ("last_name", "first_name", "username"),
        "email": ("email", "username"),
        "last_login": ("last_login", "username"),
    },
    default="username",
)
#: A role filter's value for users in no role group (made outside the portal).
NO_ROLE = "none"


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""  # a Role value, NO_ROLE, or "" for any
    status: str = ""  # "active", "inactive", or "" for both
    sort: str = USER_SORTS.default


def _users() -> QuerySet:
    """Users with `role_value` and `two_factor` (a confirmed authenticator) annotated."""
    devices = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)
    return get_user_model().objects.annotate(role_value=role_value(), two_factor=Exists(devices))


def user_list(*, user, filters: UserFilters) -> QuerySet:
    """The portal's users for the Users page: each word of the search in the user name, a name or the email."""
    check(user, MANAGE_USERS)
    qs = _users()
    for word in filters.q.split():
        qs = qs.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    if filters.role:
        qs = qs.filter(role_value="" if filters.role == NO_ROLE else filters.role)
    if filters.status:
        qs = qs.filter(is_active=filters.status == "active")
    return USER_SORTS.order(qs, filters.sort)


def user_get(*, user, user_id: int):
    """One user of the Users page (annotated as in the list), or None."""
    check(user, MANAGE_USERS)
    return _users().filter(pk=user_id).first()


def username_taken(*, username: str) -> bool:
    """Whether a user name is in use, in any case ("Alice" and "alice" would be two people signing in alike)."""
    return get_user_model().objects.filter(username__iexact=username).exists()


def active_admin_ids() -> set[int]:
    """Active users who are Admins (by group or as superusers)."""
    admins = Q(is_superuser=True) | Q(groups__name=Role.ADMIN.group_name)
    return set(get_user_model().objects.filter(admins, is_active=True).values_list("pk", flat=True))


def user_removal_refusal(*, actor, target, deactivate: bool = False, role: Role | None = None) -> str:
    """Why deactivating `target` (or moving them to `role`) must not happen, in words for the Admin; "" when
    it may. An Admin does not deactivate themselves, and the last active Admin stays one."""
    if deactivate and target.pk == actor.pk:
        return _("You cannot deactivate your own account. Another Admin can do it.")
    leaves_admins = deactivate or (role is not None and role != Role.ADMIN)
    if leaves_admins and target.is_active and active_admin_ids() == {target.pk}:
        return _(
            "%(username)s is the last active Admin. Make another user an Admin first, so that someone can "
            "still manage users."
        ) % {"username": target.username}
    return ""


def user_password_reset_refusal(*, actor, target) -> str:
    """Why the Users page does not reset this password ("" when it may): an Admin's own is changed under
    Change password, which keeps them signed in."""
    if target.pk == actor.pk:
        return _("To change your own password, use Change password in your menu.")
    return ""


def person_label(*, username: str, first_name: str = "", last_name: str = "") -> str:
    """How other pages name a portal user: their name as the reader's language writes it and their user name
    ("Aiko Sato (asato)", 「佐藤 愛子 (asato)」), or the user name."""
    name = full_name(given=first_name, family=last_name)
    return f"{name} ({username})" if name else username


def people_with_role(*, role: Role) -> list[tuple[int, str]]:
    """The active users of one role, as (id, `person_label`) in name order, in one query: the choices of a
    form or filter that names a person (a customer's Account manager or support contact). Every list of
    customers' rows draws the Account managers in its Owner filter, so each role's query is compiled once per
    connection (`portal.core.compiled`)."""
    rows = _PEOPLE[role].rows()
    return [(pk, person_label(username=u, first_name=f, last_name=la)) for pk, u, f, la in rows]


def _people_query(role: Role) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=role.group_name)
        .order_by("last_name", "first_name", "username")
        .values_list("pk", "username", "first_name", "last_name")
        .distinct()
    )


_PEOPLE = {role: Compiled(partial(_people_query, role)) for role in Role}


def user_holdings(*, user) -> list[tuple[Holding, int]]:
    """What `user` holds that someone must take over when they are deactivated (the contributed holdings), with
    how many: only those they hold some of (one query each)."""
    counted = [(holding, holding.count(user)) for holding in holdings()]
    return [(holding, n) for holding, n in counted if n]
