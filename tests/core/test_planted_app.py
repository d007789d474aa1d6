"""A new domain app needs no line under portal/: planted into INSTALLED_APPS (tests/planted/devices: permissions,
views, URLs, one declared change, one periodic job and one `contribute()` call), it appears in the navigation,
Django's permissions and the role groups, the URL resolver's role x URL checks, the operation page and the beat
schedule.
"""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from accounts.roles import sync_role_groups
from portal.core.access import Role, holds, permissions, role_permissions, two_factor_roles
from portal.core.contrib import KINDS, contribute
from portal.core.models import Operation


def _reload_urls() -> None:
    import portal.urls

    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.fixture
def devices(settings):
    """The planted app installed (its `ready()` contributes), and the project's URLconf read again."""
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.planted.devices"]):
        _reload_urls()
        try:
            yield importlib.import_module("tests.planted.devices.permissions")
        finally:
            contribute("devices", **{kind: [] for kind in KINDS})
    _reload_urls()


def test_its_permissions_are_known_with_the_roles_that_hold_them(devices, db):
    assert {devices.VIEW_DEVICES, devices.RESTART_DEVICES} <= set(permissions())
    assert devices.VIEW_DEVICES in role_permissions(Role.SUPPORT)
    assert devices.RESTART_DEVICES in role_permissions(Role.SUPPORT)
    assert devices.RESTART_DEVICES not in role_permissions(Role.ACCOUNT_MANAGER)
    assert devices.RESTART_DEVICES in role_permissions(Role.ADMIN)
    assert devices.VIEW_DEVICES not in role_permissions(Role.FINANCE)
    assert two_factor_roles() == {Role.ADMIN, Role.ACCOUNT_MANAGER}  # it declares no second factor


def test_the_role_groups_are_granted_its_permissions_after_migrate(devices, db):
    sync_role_groups()  # what every migrate runs (post_migrate)

    def codenames(role: Role) -> set[str]:
        return set(Group.objects.get(name=role.group_name).permissions.values_list("codename", flat=True))

    assert {"view_devices", "restart_devices"} <= codenames(Role.SUPPORT)
    assert {"view_devices"} <= codenames(Role.ACCOUNT_MANAGER) and "restart_devices" not in codenames(
        Role.ACCOUNT_MANAGER
    )
    assert {"view_devices", "restart_devices"} & codenames(Role.FINANCE) == set()
    assert {"view_devices", "restart_devices"} <= codenames(Role.ADMIN)


def test_its_navigation_item_shows_to_the_roles_with_its_permission(devices, client_as):
    assert 'data-nav="devices"' in client_as(Role.SUPPORT).get(reverse("home")).content.decode()
    assert 'data-nav="devices"' not in client_as(Role.FINANCE).get(reverse("home")).content.decode()


def test_its_pages_stand_in_the_url_checks_with_their_permissions(devices, client, client_as):
    from portal.core.access import required_perm
    from tests.core.test_url_coverage import _dummy_url, portal_urls

    urls = portal_urls()
    assert {"devices:list", "devices:restart"} <= set(urls)
    assert required_perm(urls["devices:list"]) == devices.VIEW_DEVICES
    assert required_perm(urls["devices:restart"]) == devices.RESTART_DEVICES
    for name in ("devices:list", "devices:restart"):
        url = _dummy_url(name, urls[name])
        assert client.get(url).status_code == 302  # anonymous: to the sign-in page
        for role in Role:
            expected = 200 if holds(role, required_perm(urls[name])) else 403
            assert client_as(role).get(url).status_code == expected, (name, role)


def test_its_operations_open_to_the_holders_of_its_change_permission_with_its_words(devices, client_as):
    operation = Operation.objects.create(
        pk=uuid.UUID(int=4242), idempotency_key="planted", kind="restartDevice", domain_id=None
    )
    url = reverse("core:operation", args=[operation.pk])
    page = client_as(Role.SUPPORT).get(url)  # Support sends no other change: only the planted declaration
    assert page.status_code == 200
    assert "Restart a device" in page.content.decode()
    assert client_as(Role.FINANCE).get(url).status_code == 403


def test_its_periodic_job_is_in_the_beat_schedule(devices):
    from celery.schedules import crontab

    from portal.core.periodic import beat_schedule

    assert beat_schedule()["devices-restart-nightly"] == {
        "task": "devices.restart",
        "schedule": crontab(hour=2, minute=0),
    }


def test_without_the_app_nothing_of_it_is_left(client_as):
    assert "devices" not in {str(p).split(".")[0] for p in permissions()}
    assert client_as(Role.SUPPORT).get("/devices/").status_code == 404
    operation = Operation.objects.create(idempotency_key="planted-gone", kind="restartDevice")
    assert client_as(Role.SUPPORT).get(reverse("core:operation", args=[operation.pk])).status_code == 403
