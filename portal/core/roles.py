"""Keeps the role groups and their permissions in line with `access.ROLE_PERMISSIONS` (run after migrate)."""

from django.contrib.auth.models import Group, Permission

from portal.core.access import ROLE_PERMISSIONS, Role


def sync_role_groups(**_: object) -> None:
    """Idempotent: runs after every migrate. Admins also get every model permission (users, groups, records)."""
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="core")}
    for role, granted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role.group_name)
        wanted = [perms[p.codename] for p in granted if p.codename in perms]
        if role == Role.ADMIN:
            wanted = list(Permission.objects.all())
        group.permissions.set(wanted)
