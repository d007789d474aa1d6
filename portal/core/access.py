"""Roles and access: the one helper every view (and list selector) uses to decide who may do what.

Core keeps the roles and the mechanics (`can`, `check`, `require`); the permissions are the apps' own
(`Perm`, contributed with `contribute(label, perms=[...])`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Exists, OuterRef, Value, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.core.contrib import contributions


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


@dataclass(frozen=True)
class Perm:
    """A permission an app declares and contributes (`contribute(label, perms=[...])`), with the roles that hold
    it. Admins hold every permission. Apps keep theirs in `<app>/permissions.py`; views require them
    (`require(perm)`), selectors check them (`check`), and the role groups are granted them after every migrate
    (portal/core/roles.py). A permission is known by its app and codename (`str(perm)`: "customers.view_customers").
    """

    app: str
    codename: str
    label: Promise | str = field(compare=False)
    #: The roles that hold it, besides Admin.
    roles: frozenset[Role] = field(default=frozenset(), compare=False)
    #: Whoever holds it signs in with a second factor (an authenticator app's code, or a recovery code).
    two_factor: bool = field(default=False, compare=False)
    #: It allows sending changes through the change pipeline: its holders follow them on the operation page.
    sends_changes: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))

    def __str__(self) -> str:
        return f"{self.app}.{self.codename}"


def permissions() -> tuple[Perm, ...]:
    """Every contributed permission, app by app."""
    return contributions("perms")


def reads_changes(user) -> bool:
    """Whether `user` may read a change's page (`core:operation`): those who may send changes."""
    return any(can(user, perm) for perm in permissions() if perm.sends_changes)


def holds(role: Role | None, perm: Perm) -> bool:
    """Whether a role holds a permission (Admins hold all)."""
    return role is Role.ADMIN or (role is not None and role in perm.roles)


def role_permissions(role: Role) -> frozenset[Perm]:
    """The permissions a role holds, of all the contributed ones."""
    return frozenset(p for p in permissions() if holds(role, p))


def two_factor_roles() -> frozenset[Role]:
    """The roles that sign in with a second factor: those holding a permission declared `two_factor`."""
    return frozenset(role for role in Role for p in permissions() if p.two_factor and holds(role, p))


def can(user, perm: Perm) -> bool:
    """True when the signed-in user holds `perm` through their role (the permission's `roles`, which the role
    groups mirror: portal/core/roles.py). Read from the role alone, the user's one group query per request, rather than
    Django's two permission queries (user and group permissions) on every page."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return holds(role_of(user), perm)


def person(actor):
    """The signed-in person behind `actor`, for a row's "by whom": None for the system (a Celery task, the bench
    seed) or anyone not signed in."""
    return actor if getattr(actor, "is_authenticated", False) else None


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


def roles_read(users) -> None:
    """Read the roles of several people in one read, kept on each (as `role_of` keeps one person's)."""
    unread = [user for user in users if not hasattr(user, ROLE_ATTRIBUTE)]
    if not unread:
        return
    membership = get_user_model().groups.through.objects.filter(user_id__in=[u.pk for u in unread])
    names: dict[int, list[str]] = {}
    for user_id, name in membership.values_list("user_id", "group__name"):
        names.setdefault(user_id, []).append(name)
    for user in unread:
        remember_role(user, role_in(user, names.get(user.pk, ())))


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

        # Read by what walks the URL resolver (`named_urls`: the access tests, the scale guard); functools.wraps
        # carries it through outer decorators.
        wrapped.required_perm = perm  # type: ignore[attr-defined]  # a function attribute, read by tests
        return login_required(wrapped)

    return decorator


def required_perm(pattern) -> Perm | None:
    """The permission the view of a URL pattern requires (`require`), None for a page that declares none."""
    return getattr(pattern.callback, "required_perm", None)


def named_urls() -> dict:
    """Every named URL pattern of the project by its namespaced name ("customers:detail"), Django's admin left
    out: the one walk of the URL resolver, for the role x URL tests and the scale guard."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace: str = ""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                yield from walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", p

    return dict(walk(get_resolver().url_patterns))
