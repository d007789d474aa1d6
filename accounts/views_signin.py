"""Signing in with a second factor (the code step and setting up an authenticator), and the Admins' Sign-ins
page with its unlock action. The password step is Django's own login view, guarded by django-axes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from accounts import signin
from accounts.forms_signin import SigninFilterForm, SigninUnlockForm, TwoFactorCodeForm, TwoFactorSetupForm
from accounts.permissions import MANAGE_USERS
from portal.core import lists
from portal.core.access import require
from portal.core.lists import Badge, Code, Column, ListSpec, ListState, Muted
from portal.core.templatetags.portal import business_dt


def _browser(attempt, page):
    # Each row is a dict of the attempt's columns (accounts.signin).
    # django-axes records "<unknown>" when the browser sent no User-Agent.
    agent = attempt["user_agent"]
    return Truncator(agent).chars(60) if agent and agent != "<unknown>" else "—"


def _result(attempt, page):
    if attempt["locked_out"]:
        return Badge(_("Refused: locked out"), "danger")
    if attempt["locked_out"] is False:
        return Badge(_("Wrong password"), "warn")
    signed_in = Badge(_("Signed in"), "ok")
    if attempt["logout_time"]:
        return signed_in, Muted(_("signed out %(when)s") % {"when": business_dt(attempt["logout_time"])})
    return signed_in


SIGNIN_LIST = ListSpec(
    form=SigninFilterForm,
    sorts=signin.SIGNIN_SORTS,
    columns=(
        Column(_lazy("Time"), sort="time", value=lambda attempt, page: business_dt(attempt["attempt_time"])),
        Column(_lazy("User name"), value=lambda attempt, page: attempt["username"] or ""),
        Column(
            _lazy("IP address"),
            value=lambda attempt, page: Code(attempt["ip_address"]) if attempt["ip_address"] else Muted("—"),
        ),
        Column(_lazy("Browser"), css="muted", value=_browser),
        Column(_lazy("Result"), value=_result),
    ),
    template="accounts/signins.html",
    page_sizes=(50,),
)


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return settings.LOGIN_REDIRECT_URL


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    if user.is_verified() or not signin.two_factor_required(user):
        return redirect(_next_url(request))
    if not signin.two_factor_set_up(user):
        return redirect("accounts:two_factor_setup")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = signin.code_verify(user=user, code=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            if device.__class__.__name__ == "StaticDevice":
                messages.warning(
                    request,
                    _("You signed in with a recovery code; %(count)d are left. Each code works only once.")
                    % {"count": signin.recovery_codes_left(user)},
                )
            return redirect(_next_url(request))
        form.add_error(
            "code",
            _(
                "That code is not right, or was used already. Wait for the app to show a new code and try again."
            ),
        )
    wait = signin.code_wait(user=user) if request.method == "POST" else 0
    if wait:
        # django-otp refuses every code, the right one too, until the wait is over: say so, and for how long.
        form.add_error(
            "code",
            ngettext(
                "Tries are slowed down after wrong codes: wait %(seconds)d second before the next one.",
                "Tries are slowed down after wrong codes: wait %(seconds)d seconds before the next one.",
                wait,
            )
            % {"seconds": wait},
        )
    return render(request, "registration/two_factor.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add the portal to an authenticator app (QR code or typed secret), confirm with a code, and get the
    recovery codes, shown once."""
    user = request.user
    if not signin.two_factor_required(user):
        return redirect(_next_url(request))
    if signin.two_factor_set_up(user):
        return redirect("accounts:two_factor")
    device = signin.totp_device_start(user=user)
    form = TwoFactorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = signin.totp_device_confirm(device=device, code=form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            return render(
                request, "registration/recovery_codes.html", {"codes": codes, "next": _next_url(request)}
            )
        form.add_error(
            "code", _("That code is not right. Check that the app shows the Partner Portal and try again.")
        )
    context = {
        "form": form,
        "next": _next_url(request),
        "qr": signin.totp_qr_data_uri(device),
        "secret": signin.totp_secret_text(device),
    }
    return render(request, "registration/two_factor_setup.html", context)


@require(MANAGE_USERS)
def signins(request: HttpRequest) -> HttpResponse:
    """Sign-ins, failures (and lockouts) for Admins, read-only, with the lockouts in force and their unlock."""
    state = ListState.from_request(request, SIGNIN_LIST)
    # Two tables' rows in one list: counted apart (a window count cannot span a UNION).
    page = lists.paginate(
        signin.signin_list(user=request.user, filters=state.filters),
        page=state.page,
        per_page=state.per_page,
        separate_count=True,
    )
    return lists.respond(
        request,
        state,
        page,
        {"succeeded": state.filters.result == "succeeded"},
        full_context=lambda: {
            "lockouts": signin.lockout_list(user=request.user),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "address_failure_limit": settings.SIGNIN_ADDRESS_FAILURE_LIMIT,
            "lockout_minutes": settings.SIGNIN_LOCKOUT_MINUTES,
        },
    )


@require(MANAGE_USERS)
@require_POST
def signin_unlock(request: HttpRequest) -> HttpResponse:
    form = SigninUnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nothing was unlocked: choose a locked user name or address on this page."))
        return redirect("accounts:signins")
    ip, username = form.cleaned_data["ip"], form.cleaned_data["username"]
    signin.signin_unlock(actor=request.user, ip=ip, username=username)
    messages.success(request, _("%(value)s can sign in again.") % {"value": username or ip})
    return redirect("accounts:signins")
