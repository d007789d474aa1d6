from django.http import HttpResponse

from portal.core.access import require
from tests.planted.devices.permissions import RESTART_DEVICES, VIEW_DEVICES


@require(VIEW_DEVICES)
def device_list(request):
    return HttpResponse("Devices of every customer")


@require(RESTART_DEVICES)
def device_restart(request, device_id: int):
    return HttpResponse(f"Restart device {device_id}")
