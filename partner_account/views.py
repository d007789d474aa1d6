"""The Admin-only "Connect partner account" page: OAuth authorization-code flow for a partner user account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from partner_account import selectors, services
from partner_account.permissions import CONNECT_PARTNER_ACCOUNT
from portal.core import partner
from portal.core.access import require


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("partner_account:callback"))


@require(CONNECT_PARTNER_ACCOUNT)
@require_GET
def partner_account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "partner_account/partner_account.html",
        {
            "account": selectors.connected_account(),
            "service_account_configured": partner.service_account_configured(),
            "redirect_uri": _redirect_uri(request),
        },
    )


@require(CONNECT_PARTNER_ACCOUNT)
@require_POST
def connect(request: HttpRequest) -> HttpResponse:
    try:
        url = services.start_connection(session=request.session, redirect_uri=_redirect_uri(request))
    except partner.PartnerConnectionError as exc:
        messages.error(request, str(exc))
        return redirect("partner_account:account")
    return HttpResponseRedirect(url)


@require(CONNECT_PARTNER_ACCOUNT)
@require_GET
@never_cache
def callback(request: HttpRequest) -> HttpResponse:
    try:
        services.finish_connection(
            session=request.session,
            state=request.GET.get("state"),
            code=request.GET.get("code"),
            error=request.GET.get("error"),
            redirect_uri=_redirect_uri(request),
            user=request.user,
        )
    except partner.PartnerConnectionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The partner account is connected."))
    return redirect("partner_account:account")


@require(CONNECT_PARTNER_ACCOUNT)
@require_POST
def disconnect(request: HttpRequest) -> HttpResponse:
    if services.disconnect():
        messages.success(request, _("The partner account was disconnected and its tokens deleted."))
    else:
        messages.info(request, _("No partner account was connected."))
    return redirect("partner_account:account")
