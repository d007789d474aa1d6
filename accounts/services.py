"""Writes of the people's room: users with a role and the Users page's changes, each recorded in the audit
trail."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import selectors
from accounts.holdings import holdings
from accounts.models import ProviderIdentity
from accounts.permissions import MANAGE_USERS
from portal.core.access import Role, check, role_of
from portal.core.models import AuditEntry
from portal.core.services import audit_record

logger = logging.getLogger(__name__)

User = get_user_model()


def user_create_with_role(
    *, username: str, password: str, role: Role, first_name: str = "", last_name: str = "", email: str = ""
):
    """Create (or update) a user and put them in exactly one role group."""
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_staff = role == Role.ADMIN
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role.group_name)])
    return user


# --- The Users page -------------------------------------------------------------------------------------------


class UserChangeRefused(Exception):
    """A change of a user that the portal's rules refuse (the message says why, for the Admin)."""


class UsernameTaken(UserChangeRefused):
    pass


#: Letters and digits of made-up passwords, without the look-alikes (l 1 i o 0), read out or typed by hand.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def password_generate(*, user=None) -> str:
    """A made-up password: four groups of four (about 79 bits), accepted by AUTH_PASSWORD_VALIDATORS."""
    while True:
        groups = ("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _role_set(user, role: Role) -> None:
    """Exactly one role group; Django admin (for emergencies) stays open to Admins only."""
    user.is_staff = role == Role.ADMIN
    if role != Role.ADMIN:
        user.is_superuser = False
    user.save(update_fields=["is_staff", "is_superuser"])
    user.groups.set([Group.objects.get(name=role.group_name)])


def _sessions_end(user) -> int:
    """Delete the user's sessions (the database sessions Django keeps), so they are signed out everywhere at
    once; returns how many. A deactivated user or a changed password would be refused on the next request
    anyway (Django checks both); this makes it immediate."""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if session.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    return Session.objects.filter(pk__in=mine).delete()[0]


def _locked_target(user_id: int):
    """The user to change, with every active Admin's row locked, so that two Admins changing each other at
    once cannot both pass the last-Admin rule."""
    list(User.objects.select_for_update().filter(pk__in=selectors.active_admin_ids() | {user_id}))
    target = User.objects.filter(pk=user_id).first()
    if target is None:
        raise UserChangeRefused(_("This user no longer exists."))
    return target


def _user_audit(*, actor, operation_id: str, target, **sent) -> None:
    audit_record(
        actor=actor,
        operation_id=operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"userId": target.pk, "username": target.username, **sent},
    )


def user_create(
    *,
    actor,
    username: str,
    role: Role,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str = "",
) -> tuple[Any, str]:
    """Add an active user in one role, with `password` or a made-up one; returns the user and the made-up
    password ("" when one was given), which is shown once and kept nowhere."""
    check(actor, MANAGE_USERS)
    made_up = ""
    taken = UsernameTaken(_("The user name %(username)s is taken. Choose another.") % {"username": username})
    with transaction.atomic():
        if selectors.username_taken(username=username):
            raise taken
        user = User(username=username, first_name=first_name, last_name=last_name, email=email)
        if not password:
            password = made_up = password_generate(user=user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise taken from None
        _role_set(user, role)
        _user_audit(
            actor=actor,
            operation_id="portal.createUser",
            target=user,
            role=role.value,
            passwordMadeUp=bool(made_up),
        )
    logger.info("user %s created by user %s", user.pk, actor.pk)
    return user, made_up


def user_role_change(*, actor, user_id: int, role: Role) -> bool:
    """Move a user to another role; False when they have it already. The last active Admin stays one."""
    check(actor, MANAGE_USERS)
    with transaction.atomic():
        target = _locked_target(user_id)
        groups = set(target.groups.values_list("name", flat=True))
        if groups == {role.group_name} and (role == Role.ADMIN or not target.is_superuser):
            return False
        before = role_of(target)
        refusal = selectors.user_removal_refusal(actor=actor, target=target, role=role)
        if refusal:
            raise UserChangeRefused(refusal)
        _role_set(target, role)
        _user_audit(
            actor=actor,
            operation_id="portal.changeUserRole",
            target=target,
            role=role.value,
            before=before.value if before else "",
        )
    logger.info("user %s moved to role %s by user %s", target.pk, role.value, actor.pk)
    return True


def user_deactivate(*, actor, user_id: int, handovers: Mapping[str, int | None] | None = None) -> bool:
    """Stop a user signing in and end their sessions; False when they were inactive already. Not oneself,
    not the last active Admin.

    What they hold (the contributed `accounts.holdings.Holding`s: the customers they look after) goes to the
    user `handovers[key]` names (None: to nobody), in the same transaction, each change recorded by its app;
    refused when they hold something no handover names."""
    check(actor, MANAGE_USERS)
    handovers = handovers or {}
    with transaction.atomic():
        target = _locked_target(user_id)
        if not target.is_active:
            return False
        refusal = selectors.user_removal_refusal(actor=actor, target=target, deactivate=True)
        if refusal:
            raise UserChangeRefused(refusal)
        for holding in holdings():
            if holding.key in handovers:
                holding.hand_over(actor=actor, user=target, to=handovers[holding.key])
            elif holding.count(target):
                raise UserChangeRefused(_("Choose who takes over what they look after."))
        target.is_active = False
        target.save(update_fields=["is_active"])
        ended = _sessions_end(target)
        _user_audit(actor=actor, operation_id="portal.deactivateUser", target=target, sessionsEnded=ended)
    logger.info("user %s deactivated by user %s", target.pk, actor.pk)
    return True


def user_reactivate(*, actor, user_id: int) -> bool:
    """Let a deactivated user sign in again (same role, password and two-step sign-in); False when active."""
    check(actor, MANAGE_USERS)
    with transaction.atomic():
        target = _locked_target(user_id)
        if target.is_active:
            return False
        target.is_active = True
        target.save(update_fields=["is_active"])
        _user_audit(actor=actor, operation_id="portal.reactivateUser", target=target)
    logger.info("user %s reactivated by user %s", target.pk, actor.pk)
    return True


def user_password_reset(
    *, actor, user_id: int, password: str = "", two_factor_reset: bool = False
) -> tuple[Any, str]:
    """Give a user `password` or a made-up one and end their sessions; with `two_factor_reset` also delete
    their authenticators and recovery codes, so they set two-step sign-in up again at their next sign-in.
    Returns the user and the made-up password ("" when one was given), shown once and kept nowhere."""
    check(actor, MANAGE_USERS)
    with transaction.atomic():
        target = _locked_target(user_id)
        refusal = selectors.user_password_reset_refusal(actor=actor, target=target)
        if refusal:
            raise UserChangeRefused(refusal)
        made_up = "" if password else password_generate(user=target)
        target.set_password(password or made_up)
        target.save(update_fields=["password"])
        ended = _sessions_end(target)
        if two_factor_reset:
            TOTPDevice.objects.filter(user=target).delete()
            StaticDevice.objects.filter(user=target).delete()
        _user_audit(
            actor=actor,
            operation_id="portal.resetUserPassword",
            target=target,
            passwordMadeUp=bool(made_up),
            twoFactorReset=two_factor_reset,
            sessionsEnded=ended,
        )
    logger.info("password of user %s reset by user %s", target.pk, actor.pk)
    return target, made_up


# --- Signing in through the company's identity provider (accounts/oidc.py) ---------------------------------------


class SignInRefused(Exception):
    """The identity provider vouched for the person, but the portal does not let them in: `reason` is "no_role"
    (none of their groups gives a role) or "inactive" (their portal user is deactivated)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _username_free(wanted: str) -> str:
    """`wanted` cut to a user name's length, with -2, -3, ... added when someone has it."""
    base = wanted[:140] or "user"
    name, n = base, 1
    while selectors.username_taken(username=name):
        n += 1
        name = f"{base}-{n}"
    return name


def _user_by_verified_email(identity) -> Any:
    """The one portal user whose e-mail the provider has verified as the person's, not linked to another of its
    subjects; None otherwise. An unverified address links no one: anyone can type any address at some providers."""
    if not (identity.email and identity.email_verified):
        return None
    found = list(
        User.objects.filter(email__iexact=identity.email).exclude(identities__issuer=identity.issuer)[:2]
    )
    return found[0] if len(found) == 1 else None


def _user_from_identity(identity, role: Role):
    """A new portal user for the person: no password (they sign in through the provider only), in `role`."""
    wanted = identity.username or identity.email.split("@")[0] or f"sub-{identity.subject}"
    user = User(username=_username_free(wanted), email=identity.email if identity.email_verified else "")
    user.set_unusable_password()
    user.save()
    _role_set(user, role)
    _user_audit(
        actor=None,
        operation_id="portal.createUser",
        target=user,
        role=role.value,
        identityProvider=identity.issuer,
    )
    return user


def _identity_link(user, identity) -> ProviderIdentity:
    link = ProviderIdentity.objects.create(user=user, issuer=identity.issuer, subject=identity.subject)
    _user_audit(
        actor=None,
        operation_id="portal.linkUserIdentity",
        target=user,
        identityProvider=identity.issuer,
        email=identity.email,
    )
    return link


def _role_from_provider(user, role: Role, issuer: str) -> None:
    """The role the provider's groups give, set at every sign-in (the provider is the source of truth) and
    recorded as a role change when it is one."""
    groups = set(user.groups.values_list("name", flat=True))
    if groups == {role.group_name} and (role == Role.ADMIN or not user.is_superuser):
        return
    before = role_of(user)
    _role_set(user, role)
    _user_audit(
        actor=None,
        operation_id="portal.changeUserRole",
        target=user,
        role=role.value,
        before=before.value if before else "",
        identityProvider=issuer,
    )
    logger.info("user %s moved to role %s by the identity provider", user.pk, role.value)


def user_for_identity(*, identity, role: Role | None):
    """The portal user the provider's person is, with `role` (from their groups), ready to be signed in.

    Matched by the provider's issuer and subject (`ProviderIdentity`), the id OpenID Connect never reassigns. At
    a person's first sign-in, an existing user is linked when the provider has verified their e-mail and exactly
    one user has it; otherwise a new user is made. Refused (`SignInRefused`) when their portal user is deactivated
    or no group gives them a role; then nothing is written."""
    with transaction.atomic():
        link = (
            ProviderIdentity.objects.select_for_update()
            .select_related("user")
            .filter(issuer=identity.issuer, subject=identity.subject)
            .first()
        )
        user = link.user if link else _user_by_verified_email(identity)
        if user is not None and not user.is_active:
            raise SignInRefused("inactive")
        if role is None:
            raise SignInRefused("no_role")
        if user is None:
            user = _user_from_identity(identity, role)
        else:
            _role_from_provider(user, role, identity.issuer)
        if link is None:
            link = _identity_link(user, identity)
        link.last_sign_in_at = timezone.now()
        link.save(update_fields=["last_sign_in_at"])
        _names_from_provider(user, identity)
    return user


def _names_from_provider(user, identity) -> None:
    """The person's name, and their e-mail once the provider verified it, as the provider has them now."""
    fields = {"first_name": identity.given_name[:150], "last_name": identity.family_name[:150]}
    if identity.email and identity.email_verified:
        fields["email"] = identity.email[:254]
    changed = [name for name, value in fields.items() if value and getattr(user, name) != value]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
