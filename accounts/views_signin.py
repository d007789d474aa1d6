"""Signing in: the password step (Django's login view, guarded by django-axes), the company's identity provider
(OpenID Connect: the start and the callback, when OIDC_ISSUER is set), the second factor (the code step and setting
up an authenticator), and the Admins' Sign-ins page with its unlock action."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from accounts import oidc, services, signin
from accounts.forms_signin import (
    LocalSigninForm,
    SigninFilterForm,
    SigninUnlockForm,
    TwoFactorCodeForm,
    TwoFactorSetupForm,
)
from accounts.permissions import MANAGE_USERS
from portal.core import lists
from portal.core.access import require
from portal.core.lists import Badge, Code, Column, ListSpec, ListState, Muted
from portal.core.templatetags.portal import business_dt

logger = logging.getLogger(__name__)


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


class SigninView(LoginView):
    """The sign-in page: "Sign in with <provider>" while the company's identity provider is on, beside the user
    name and password form (`LocalSigninForm`: then for the break-glass Admins only, unless OIDC_LOCAL_SIGNIN)."""

    authentication_form = LocalSigninForm

    def form_valid(self, form):
        # Signed in with a password now: the session owes the portal's own second step again.
        self.request.session.pop(oidc.SESSION_KEY, None)
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["provider_only"] = form.is_bound and form.has_error(NON_FIELD_ERRORS, "provider_only")
        if oidc.enabled():
            context["oidc_provider"] = oidc.provider_name()
            context["oidc_local_everyone"] = settings.OIDC_LOCAL_SIGNIN == "everyone"
        return context


#: The status each outcome of `oidc_refused` answers with.
REFUSAL_STATUS = {"no_role": 403, "inactive": 403, "failed": 400, "unavailable": 503}


def _provider_refusal(request: HttpRequest, kind: str, who: str = "") -> HttpResponse:
    """To the page that says why signing in through the provider signed no one in (kept in the session, so the
    page can be read again, in the other language too, without the provider's answer being replayed)."""
    request.session[oidc.REFUSAL_SESSION_KEY] = {"kind": kind, "who": who}
    return redirect("accounts:oidc_refused")


@never_cache
@require_GET
def oidc_refused(request: HttpRequest) -> HttpResponse:
    """Why the provider's sign-in did not sign anyone in: "no_role", "inactive", "failed" (start again) or
    "unavailable"; the log-in page when there is nothing to say."""
    refusal = request.session.get(oidc.REFUSAL_SESSION_KEY)
    if not isinstance(refusal, dict) or refusal.get("kind") not in REFUSAL_STATUS:
        return redirect("login")
    context = {"kind": refusal["kind"], "who": refusal.get("who", ""), "provider": oidc.provider_name()}
    return render(request, "registration/oidc_refused.html", context, status=REFUSAL_STATUS[refusal["kind"]])


@never_cache
@require_GET
def oidc_start(request: HttpRequest) -> HttpResponse:
    """To the provider's sign-in (with state, nonce and PKCE), to come back to `oidc_callback`."""
    if not oidc.enabled():
        raise Http404
    request.session.pop(oidc.REFUSAL_SESSION_KEY, None)
    request.session[oidc.NEXT_SESSION_KEY] = _next_url(request)
    callback = settings.OIDC_CALLBACK_URL or request.build_absolute_uri(reverse("accounts:oidc_callback"))
    try:
        return oidc.sign_in_redirect(request, callback_url=callback)
    except oidc.ProviderUnreachable as exc:
        logger.warning("identity provider unavailable: %s", exc)
        return _provider_refusal(request, "unavailable")


@never_cache
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider's answer: the person it names is signed in with the role their groups give, or told why not.
    A session signed in here owes no second factor to the portal: the provider asked for its own."""
    if not oidc.enabled():
        raise Http404
    try:
        identity = oidc.identity_from_callback(request)
    except oidc.SignInFailed as exc:
        logger.warning("sign-in through the identity provider refused: %s", exc)
        return _provider_refusal(request, "failed")
    except oidc.ProviderUnreachable as exc:
        logger.warning("identity provider unavailable: %s", exc)
        return _provider_refusal(request, "unavailable")
    try:
        user = services.user_for_identity(identity=identity, role=oidc.role_for(identity.groups))
    except services.SignInRefused as exc:
        logger.info("sign-in through the identity provider refused (%s)", exc.reason)
        return _provider_refusal(
            request, exc.reason, who=identity.email or identity.username or identity.subject
        )
    next_url = request.session.pop(oidc.NEXT_SESSION_KEY, "") or settings.LOGIN_REDIRECT_URL
    request.session.pop(oidc.REFUSAL_SESSION_KEY, None)
    auth_login(request, user, backend="accounts.backends.UserWithRoleBackend")
    request.session[oidc.SESSION_KEY] = identity.issuer
    return redirect(next_url)


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    user = request.user
    if user.is_verified() or not signin.two_factor_required(user) or oidc.signed_in_with_provider(request):
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
    if not signin.two_factor_required(user) or oidc.signed_in_with_provider(request):
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
    # Two tables' rows in one list: counted apart, each table from its own index (a window count cannot span a
    # UNION).
    page = lists.paginate(
        signin.signin_list(user=request.user, filters=state.filters),
        page=state.page,
        per_page=state.per_page,
        count=lambda: signin.signin_count(user=request.user, filters=state.filters),
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
