"""Roles and access: the one helper every view (and list selector) uses to decide who may do what."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.utils.translation import gettext_lazy as _


class Perm(StrEnum):
    VIEW_CUSTOMERS = "core.view_customers"
    CHANGE_CUSTOMERS = "core.change_customers"
    VIEW_SUBSCRIPTIONS = "core.view_subscriptions"
    CHANGE_SUBSCRIPTIONS = "core.change_subscriptions"
    VIEW_OPTIONS = "core.view_options"
    CHANGE_OPTIONS = "core.change_options"
    VIEW_BILLING = "core.view_billing"
    CHANGE_BILLING = "core.change_billing"
    VIEW_ACTIVITY = "core.view_activity"
    VIEW_SYNC = "core.view_sync"
    RUN_SYNC = "core.run_sync"
    MANAGE_USERS = "core.manage_users"

    @property
    def codename(self) -> str:
        return self.value.split(".", 1)[1]


class Role(StrEnum):
    ACCOUNT_MANAGER = "account_manager"
    SUPPORT = "support"
    FINANCE = "finance"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])

    @property
    def group_name(self) -> str:
        return GROUP_NAMES[self]


ROLE_LABELS = {
    Role.ACCOUNT_MANAGER: _("Account manager"),
    Role.SUPPORT: _("Support"),
    Role.FINANCE: _("Finance"),
    Role.ADMIN: _("Admin"),
}
GROUP_NAMES = {
    Role.ACCOUNT_MANAGER: "Account manager",
    Role.SUPPORT: "Support",
    Role.FINANCE: "Finance",
    Role.ADMIN: "Admin",
}

_READ_ALL = {
    Perm.VIEW_CUSTOMERS,
    Perm.VIEW_SUBSCRIPTIONS,
    Perm.VIEW_OPTIONS,
    Perm.VIEW_BILLING,
    Perm.VIEW_ACTIVITY,
    Perm.VIEW_SYNC,
}
_WRITE_ALL = {Perm.CHANGE_CUSTOMERS, Perm.CHANGE_SUBSCRIPTIONS, Perm.CHANGE_OPTIONS, Perm.RUN_SYNC}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.ACCOUNT_MANAGER: frozenset(_READ_ALL | _WRITE_ALL),
    Role.SUPPORT: frozenset(
        {Perm.VIEW_CUSTOMERS, Perm.VIEW_SUBSCRIPTIONS, Perm.VIEW_OPTIONS, Perm.VIEW_ACTIVITY}
    ),
    # Finance reads the options list and catalogue: options are what is billed besides the plans.
    Role.FINANCE: frozenset({Perm.VIEW_BILLING, Perm.CHANGE_BILLING, Perm.VIEW_CUSTOMERS, Perm.VIEW_OPTIONS}),
    Role.ADMIN: frozenset(Perm),
}

#: Who signs in with a second factor (an authenticator app's code, or a recovery code): whoever can change and
#: delete customers at the partner, i.e. Admins and Account managers.
TWO_FACTOR_PERM = Perm.CHANGE_CUSTOMERS
TWO_FACTOR_ROLES = frozenset(role for role, perms in ROLE_PERMISSIONS.items() if TWO_FACTOR_PERM in perms)


def can(user, perm: Perm) -> bool:
    """True when the signed-in user holds `perm` through their role (ROLE_PERMISSIONS, which the role groups
    mirror: portal/core/roles.py). Read from the role alone, the user's one group query per request, rather than
    Django's two permission queries (user and group permissions) on every page."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    role = role_of(user)
    return role is not None and perm in ROLE_PERMISSIONS[role]


def check(user, perm: Perm) -> None:
    """Raise PermissionDenied (403) unless the user holds `perm`."""
    if not can(user, perm):
        raise PermissionDenied(_("Your role does not allow this."))


def role_of(user) -> Role | None:
    """The user's role; the strongest one if they are in several groups."""
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    # Read once per user object (a request's, whose user the sign-in backend reads with its role already:
    # portal.core.backends), as Django caches permissions on it.
    if not hasattr(user, ROLE_ATTRIBUTE):
        remember_role(user, role_in(user, user.groups.values_list("name", flat=True)))
    return getattr(user, ROLE_ATTRIBUTE)


def role_in(user, group_names: Iterable[str]) -> Role | None:
    """The role of `user`, a member of the groups named: Admin for a superuser, else the strongest role group."""
    if user.is_superuser:
        return Role.ADMIN
    names = set(group_names)
    return next((r for r in ROLE_ORDER if r.group_name in names), None)


#: The roles from the strongest: a user in several role groups has the first of them.
ROLE_ORDER = (Role.ADMIN, Role.ACCOUNT_MANAGER, Role.FINANCE, Role.SUPPORT)

#: Where `role_of` keeps a user object's role once read.
ROLE_ATTRIBUTE = "_portal_role"


def remember_role(user, role: Role | None) -> None:
    """Keep `role` on `user`, so `role_of` reads no more for it."""
    setattr(user, ROLE_ATTRIBUTE, role)


def role_value():
    """The user's role as `role_of` decides it (a superuser is an Admin; of several groups the strongest wins),
    as an SQL expression over a user row: the Role's value, "" for none. The Users page filters and sorts by
    it."""
    through = get_user_model().groups.through
    whens = [When(is_superuser=True, then=Value(Role.ADMIN.value))]
    for role in ROLE_ORDER:
        member = through.objects.filter(user_id=OuterRef("pk"), group__name=role.group_name)
        whens.append(When(Exists(member), then=Value(role.value)))
    return Case(*whens, default=Value(""), output_field=CharField())


def require(perm: Perm) -> Callable:
    """View decorator: anonymous users go to the login page; users without `perm` get a 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            check(request.user, perm)
            return view(request, *args, **kwargs)

        # Read by the tests that walk the URL resolver (functools.wraps carries it through outer decorators).
        wrapped.required_perm = perm
        return login_required(wrapped)

    return decorator
