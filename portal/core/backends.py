"""The sign-in backend: Django's ModelBackend, but each request's user is read together with their role."""

from __future__ import annotations

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from portal.core.access import Role, remember_role, role_value


@cache
def _users_with_role() -> QuerySet:
    """Users with `role_value` annotated (built once: a queryset is cloned, never run, here)."""
    return get_user_model()._default_manager.annotate(role_value=role_value())


class UserWithRoleBackend(ModelBackend):
    """Every page reads the signed-in user (Django's `get_user`) and then their role (`access.role_of`, for the
    permission check and the navigation): here both come from one query, the role computed in SQL by
    `access.role_value`, the expression the Users page sorts by (`python -m bench.options list` counts each
    page's queries)."""

    def get_user(self, user_id):
        user = _users_with_role().filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_role(user, Role(user.role_value) if user.role_value else None)
        return user
