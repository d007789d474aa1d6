"""The sign-in backend: Django's ModelBackend, but each request's user is read together with their role."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, QuerySet

from portal.core.access import ROLE_ORDER, remember_role


@cache
def _users_with_roles() -> QuerySet:
    """Users, each with one EXISTS column per role group (built once: a queryset is cloned, never run, here)."""
    user_model = get_user_model()
    memberships = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
    return user_model._default_manager.annotate(
        **{
            f"in_role_{role.value}": Exists(memberships.filter(group__name=role.group_name))
            for role in ROLE_ORDER
        }
    )


class UserWithRoleBackend(ModelBackend):
    """Every page reads the signed-in user (Django's `get_user`) and then their role (`access.role_of`, for the
    permission check and the navigation): here both come from one query, the role groups as EXISTS columns of
    the user's row (`python -m bench.options list` counts each page's queries)."""

    def get_user(self, user_id):
        user = _users_with_roles().filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_role(
            user, {role.group_name for role in ROLE_ORDER if getattr(user, f"in_role_{role.value}")}
        )
        return user
