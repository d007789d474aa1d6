from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.core.access import Perm, require


@require(Perm.VIEW_SUBSCRIPTIONS)
def list(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/subscription_list.html", {})


@require(Perm.VIEW_SUBSCRIPTIONS)
def scheduled(request: HttpRequest) -> HttpResponse:
    return render(request, "subscriptions/scheduled_changes.html", {})
