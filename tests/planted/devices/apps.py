from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "tests.planted.devices"
    label = "devices"

    def ready(self) -> None:
        from celery.schedules import crontab

        from portal.core.changes import Change
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from portal.core.periodic import Periodic
        from tests.planted.devices import permissions

        contribute(
            self.label,
            nav=[NavItem("devices", "Devices", "devices:list", permissions.VIEW_DEVICES, order=60)],
            perms=permissions.PERMS,
            operation_labels=[{"restartDevice": "Restart a device"}],
            changes=[Change("restartDevice", send=lambda client, args: None)],
            urls=[("devices/", "tests.planted.devices.urls")],
            periodic=[
                Periodic("devices-restart-nightly", "devices.restart", lambda: crontab(minute=0, hour=2))
            ],
        )
