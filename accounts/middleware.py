"""Sign-in's middleware: sessions end when idle, and two-factor sign-in is enforced for the roles that need it
(accounts/signin.py)."""

from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import get_user
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from accounts.backends import CONFIRMED_DEVICES


class OTPUserMiddleware(OTPMiddleware):
    """django-otp's middleware (the user's `otp_device`, the authenticator that verified this session, and
    `is_verified()`), with two savings on every page. `request.user` is the user itself rather than a second lazy
    object around Django's: every request reads the user at once anyway (IdleSessionMiddleware, next), and every
    later read of an attribute of `request.user` (the role, each permission check, the templates) otherwise goes
    through both lazy objects. And the session's authenticator is checked against the ones the sign-in backend
    read with the user (accounts/backends.py: confirmed and theirs, as django-otp checks it) instead of being
    read by a query of its own; the device itself is read only if something uses it."""

    def __call__(self, request):
        if self._is_async or getattr(request, "user", None) is None:
            return super().__call__(request)
        user = request.user
        if isinstance(user, SimpleLazyObject):
            # AuthenticationMiddleware's: the user it reads (once per request, then kept on the request).
            user = get_user(request)
        request.user = self._verify_user_sync(request, user)
        auser = getattr(request, "auser", None)
        if auser is not None:
            request.auser = partial(self._verify_user_async_via_auser, request, auser)
        return self.get_response(request)

    def _verify_user_sync(self, request, user):
        confirmed = getattr(user, CONFIRMED_DEVICES, None)
        if confirmed is None:  # a user not read by the portal's backend
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if persistent_id:
            persistent_id = self._normalize_persistent_id(persistent_id)
            if persistent_id in confirmed:
                user.otp_device = SimpleLazyObject(partial(self._device_from_persistent_id, persistent_id))
            else:  # gone, unconfirmed or another user's: the session is no longer verified (as django-otp does)
                del request.session[DEVICE_ID_SESSION_KEY]
        return user


class IdleSessionMiddleware:
    """End a session after SESSION_IDLE_MINUTES without a request: the user is signed out and told why. The time
    of the last request is written to the session at most once a minute (the session's expiry moves with it),
    so most requests write nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from accounts.signin import SEEN_SESSION_KEY, mark_seen

        if request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            seen = request.session.get(SEEN_SESSION_KEY)
            idle = settings.SESSION_IDLE_MINUTES * 60
            if isinstance(seen, int) and now - seen > idle:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity. Please log in again.")
                    % {"minutes": settings.SESSION_IDLE_MINUTES},
                )
            elif not isinstance(seen, int) or now - seen >= min(60, idle // 10):
                mark_seen(request.session, now)
        return self.get_response(request)


#: Pages a signed-in user who still owes the second factor may open: signing in (with a password or through the
#: identity provider) and out, the two-factor pages themselves, the language switch and the health checks.
TWO_FACTOR_EXEMPT = {
    "login",
    "logout",
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:login",
    "accounts:oidc_start",
    "accounts:oidc_callback",
    "accounts:oidc_refused",
    "set_language",
    "healthz",
    "readyz",
    "admin:login",
    "admin:logout",
}


class TwoFactorMiddleware:
    """Users whose role signs in with two factors (`access.two_factor_roles()`) open no page until this session
    is verified by a code: those with an authenticator are asked for a code, the others are sent to set one up.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from accounts import oidc, signin

        user = request.user
        if not user.is_authenticated or user.is_verified() or not signin.two_factor_required(user):
            return None
        if oidc.signed_in_with_provider(request):  # the company's identity provider asked for its own
            return None
        request.two_factor_pending = True
        if request.resolver_match.view_name in TWO_FACTOR_EXEMPT:
            return None
        target = reverse(
            "accounts:two_factor" if signin.two_factor_set_up(user) else "accounts:two_factor_setup"
        )
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(target)
        return redirect(target)
