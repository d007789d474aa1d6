"""The sign-in backend: Django's ModelBackend, but each request's user is read together with their role and
the authenticators they have confirmed."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F, FilteredRelation, Q, QuerySet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.core.access import remember_role, role_in

#: Where `get_user` keeps the persistent ids of the user's confirmed authenticators (django-otp's devices: the
#: authenticator app's, the recovery codes'), read by accounts.middleware.OTPUserMiddleware.
CONFIRMED_DEVICES = "_portal_confirmed_devices"


@cache
def _users_with_groups() -> QuerySet:
    """Users joined to their groups and their confirmed authenticators: one row per group and authenticator
    (one row with none for a user in no group and without one). Built once: a queryset is cloned, never run,
    here."""
    return get_user_model()._default_manager.annotate(
        group_name=F("groups__name"),
        confirmed_totp=FilteredRelation("totpdevice", condition=Q(totpdevice__confirmed=True)),
        confirmed_static=FilteredRelation("staticdevice", condition=Q(staticdevice__confirmed=True)),
        totp_id=F("confirmed_totp__id"),
        static_id=F("confirmed_static__id"),
    )


class UserWithRoleBackend(ModelBackend):
    """Every page reads the signed-in user (Django's `get_user`), then their role (`access.role_of`, for the
    permission check and the navigation) and which authenticator verified the session (django-otp, for the
    roles that sign in with two factors): here all three come from one query, the user joined to their groups
    and confirmed authenticators. `access.role_in` picks the role from the groups' names as `role_of` does; the
    middleware checks the session's authenticator against the confirmed ones instead of reading it (django-otp
    reads it by a query of its own on every page). The role computed in SQL instead (`access.role_value`, the
    Users page's expression: four correlated subqueries) costs both databases more to build, plan and run than
    the join, on every page, for a user who is in one group."""

    def get_user(self, user_id):
        rows = list(_users_with_groups().filter(pk=user_id))
        user = rows[0] if rows else None
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_role(user, role_in(user, (row.group_name for row in rows if row.group_name)))
        devices = {f"{TOTPDevice.model_label()}/{row.totp_id}" for row in rows if row.totp_id is not None}
        devices |= {
            f"{StaticDevice.model_label()}/{row.static_id}" for row in rows if row.static_id is not None
        }
        setattr(user, CONFIRMED_DEVICES, frozenset(devices))
        return user
