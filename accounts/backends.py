"""The sign-in backend: Django's ModelBackend, but each request's user is read together with their role."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import F, QuerySet

from portal.core.access import remember_role, role_in


@cache
def _users_with_groups() -> QuerySet:
    """Users joined to their groups: one row per group a user is in (one row with no group name for a user in
    none). Built once: a queryset is cloned, never run, here."""
    return get_user_model()._default_manager.annotate(group_name=F("groups__name"))


class UserWithRoleBackend(ModelBackend):
    """Every page reads the signed-in user (Django's `get_user`) and then their role (`access.role_of`, for the
    permission check and the navigation): here both come from one query, the user joined to their groups, and
    `access.role_in` picks the role from the groups' names as `role_of` does. The role computed in SQL instead
    (`access.role_value`, the Users page's expression: four correlated subqueries) costs both databases more to
    build, plan and run than the join, on every page, for a user who is in one group."""

    def get_user(self, user_id):
        rows = list(_users_with_groups().filter(pk=user_id))
        user = rows[0] if rows else None
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_role(user, role_in(user, (row.group_name for row in rows if row.group_name)))
        return user
