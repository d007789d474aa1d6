from portal.core.access import Perm, Role

VIEW_DEVICES = Perm("devices", "view_devices", "View devices", roles={Role.SUPPORT, Role.ACCOUNT_MANAGER})
#: Support may restart devices: the only change Support can send, so the operation page opens to Support only
#: through this declaration.
RESTART_DEVICES = Perm(
    "devices", "restart_devices", "Restart devices", roles={Role.SUPPORT}, sends_changes=True
)

PERMS = [VIEW_DEVICES, RESTART_DEVICES]
