from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "tests.planted.devices"
    label = "devices"

    def ready(self) -> None:
        from portal.core.changes import Change
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from tests.planted.devices import permissions

        contribute(
            self.label,
            nav=[NavItem("devices", "Devices", "devices:list", permissions.VIEW_DEVICES, order=60)],
            perms=permissions.PERMS,
            operation_labels=[{"restartDevice": "Restart a device"}],
            changes=[Change("restartDevice", send=lambda client, args: None)],
            urls=[("devices/", "tests.planted.devices.urls")],
        )
