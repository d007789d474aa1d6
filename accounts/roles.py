"""Keeps Django's permissions and the role groups in line with the permissions the apps contribute (run after
every migrate): one Django permission per contributed `Perm`, kept on core's `Access` holder, and each role
group granted the permissions its role holds."""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from portal.core.access import Role, holds, permissions


def sync_role_groups(**_: object) -> None:
    """Idempotent. Admins also get every model permission (users, groups, records)."""
    from portal.core.models import Access

    holder = ContentType.objects.get_for_model(Access, for_concrete_model=False)
    declared = permissions()
    codenames = [p.codename for p in declared]
    twice = sorted({c for c in codenames if codenames.count(c) > 1})
    if twice:
        raise ValueError(f"Two apps declare the permission codename {', '.join(twice)}: each must be unique.")
    rows = {}
    with translation.override("en"):
        for perm in declared:
            rows[perm], _created = Permission.objects.update_or_create(
                content_type=holder, codename=perm.codename, defaults={"name": str(perm.label)[:255]}
            )
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.group_name)
        if role == Role.ADMIN:
            group.permissions.set(Permission.objects.all())
        else:
            group.permissions.set([row for perm, row in rows.items() if holds(role, perm)])
