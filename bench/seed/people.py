"""The partner's people, by role (`PEOPLE`): the seed makes them first, the benchmarks sign in as them."""

from __future__ import annotations

#: Who works in the portal: usernames by role (the benchmarks sign in as the first of each).
PEOPLE = {
    "account_manager": [f"seed-manager-{n}" for n in range(10)],
    "support": [f"seed-support-{n}" for n in range(4)],
    "finance": [f"seed-finance-{n}" for n in range(2)],
    "admin": [f"seed-admin-{n}" for n in range(2)],
}


def ids_of(role: str) -> list[int]:
    from django.contrib.auth import get_user_model

    users = dict(get_user_model().objects.filter(username__in=PEOPLE[role]).values_list("username", "pk"))
    return [users[name] for name in PEOPLE[role]]


def user_of(role: str, n: int = 0):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=PEOPLE[role][n])


def people() -> None:
    """The partner's people, by role; the Admins are also Django's staff and superusers (the admin pages)."""
    from django.test import override_settings

    from accounts.services import user_create_with_role
    from portal.core.access import Role

    # Nobody signs in with these passwords: a fast hasher keeps the seed quick.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for role, names in PEOPLE.items():
            for n, username in enumerate(names):
                user = user_create_with_role(
                    username=username,
                    password="seed-pass-123",
                    role=Role(role),
                    first_name=f"{Role(role).label} {n + 1}",
                )
                if role == "admin":
                    user.is_staff = user.is_superuser = True
                    user.save()
