"""The Admins' Event endpoints page: where the portal's events go (Standard Webhooks), each endpoint's secret
(shown once), its delivery log with "Send again", a test event; and what each event type's payload carries."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from portal.core.access import require
from portal.core.events import endpoints
from portal.core.events.forms import EndpointForm
from portal.core.events.types import event_types
from portal.core.models import EventDelivery, EventEndpoint
from portal.core.permissions import MANAGE_EVENT_ENDPOINTS

#: How many of an endpoint's latest deliveries its page lists.
LOG = 50


def _labels() -> dict[str, str]:
    return {kind.key: str(kind.label) for kind in event_types()} | {endpoints.TEST_TYPE: _("A test event")}


@require(MANAGE_EVENT_ENDPOINTS)
@require_http_methods(["GET", "POST"])
def endpoints_page(request: HttpRequest) -> HttpResponse:
    """The endpoints and the event types; a form to add one (its secret shown once, on the answer)."""
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        endpoint, secret = endpoints.endpoint_add(
            user=request.user, url=data["url"], description=data["description"], types=data["types"]
        )
        return render(
            request, "core/event_secret.html", {"endpoint": endpoint, "secret": secret, "added": True}
        )
    labels = _labels()
    found = list(EventEndpoint.objects.all())
    for endpoint in found:
        endpoint.type_names = [labels.get(key, key) for key in endpoint.types]
    return render(
        request,
        "core/event_endpoints.html",
        {"form": form, "endpoints": found, "types": event_types()},
        status=400 if form.is_bound else 200,
    )


@require(MANAGE_EVENT_ENDPOINTS)
@require_http_methods(["GET", "POST"])
def endpoint_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    """One endpoint: what it gets, on or off, its latest deliveries (each may be sent again)."""
    endpoint = get_object_or_404(EventEndpoint, pk=endpoint_id)
    initial = {"description": endpoint.description, "types": endpoint.types, "enabled": endpoint.enabled}
    form = EndpointForm(
        request.POST if request.method == "POST" else None, endpoint=endpoint, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changed = endpoints.endpoint_change(
            user=request.user,
            endpoint=endpoint,
            description=data["description"],
            types=data["types"],
            enabled=data["enabled"],
        )
        messages.success(request, _("Saved.") if changed else _("Nothing changed."))
        return redirect("core:event_endpoint", endpoint.pk)
    labels = _labels()
    log = list(
        EventDelivery.objects.filter(endpoint=endpoint)
        .select_related("event")
        .order_by("-created_at", "-pk")[:LOG]
    )
    for delivery in log:
        delivery.type_name = labels.get(delivery.event.type, delivery.event.type)
    return render(
        request,
        "core/event_endpoint.html",
        {"endpoint": endpoint, "form": form, "log": log},
        status=400 if form.is_bound else 200,
    )


@require(MANAGE_EVENT_ENDPOINTS)
@require_POST
def endpoint_secret(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(EventEndpoint, pk=endpoint_id)
    secret = endpoints.endpoint_new_secret(user=request.user, endpoint=endpoint)
    return render(request, "core/event_secret.html", {"endpoint": endpoint, "secret": secret, "added": False})


@require(MANAGE_EVENT_ENDPOINTS)
@require_POST
def endpoint_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(EventEndpoint, pk=endpoint_id)
    endpoints.endpoint_test(user=request.user, endpoint=endpoint)
    messages.success(request, _("A test event is on its way; the log below says whether it was delivered."))
    return redirect("core:event_endpoint", endpoint.pk)


@require(MANAGE_EVENT_ENDPOINTS)
@require_POST
def delivery_replay(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(EventDelivery.objects.select_related("event", "endpoint"), pk=delivery_id)
    endpoints.delivery_replay(user=request.user, delivery=delivery)
    messages.success(
        request, _("The event is sent again, with the same id: the receiver can tell it is the same.")
    )
    return redirect("core:event_endpoint", delivery.endpoint_id)


@require(MANAGE_EVENT_ENDPOINTS)
@require_http_methods(["GET", "POST"])
def endpoint_remove(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(EventEndpoint, pk=endpoint_id)
    if request.method == "POST":
        endpoints.endpoint_remove(user=request.user, endpoint=endpoint)
        messages.success(request, _("The endpoint was removed: no more events go there."))
        return redirect("core:event_endpoints")
    return render(request, "core/event_endpoint_remove.html", {"endpoint": endpoint})
