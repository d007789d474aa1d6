"""Sign-in beyond the password: lockouts after wrong passwords (django-axes), two-factor sign-in with an
authenticator app and recovery codes (django-otp), idle sessions, and the reads of the Sign-ins page.

Who must use two-factor sign-in is a matter of role (`access.two_factor_roles()`: the roles holding a permission
declared `two_factor`, today Admins and Account managers); the middleware in portal/core/middleware.py sends those users to set it up, or to enter a code, before any other page.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import MANAGE_USERS
from portal.core.access import can, check, permissions
from portal.core.lists import Sorts

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
#: The longest user name (django.contrib.auth's User.username).
USERNAME_MAX_LENGTH = 150
#: Session key of the last request's time (IdleSessionMiddleware).
SEEN_SESSION_KEY = "portal_seen_at"


# --- Who and from where -------------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address for lockouts: the connection's, or behind a proxy the last address of the header
    SIGNIN_CLIENT_IP_HEADER names (the one the proxy itself saw; earlier ones are the client's to forge)."""
    header = settings.SIGNIN_CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get(header, "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


def attempt_username(request, credentials=None) -> str:
    """The user name a sign-in attempt is counted under (django-axes' AXES_USERNAME_CALLABLE), cut to the
    longest name a user can have: the attempt tables keep 255 characters, and a longer name typed or sent must
    count as a failure, not fail the sign-in page."""
    source = credentials if credentials else getattr(request, "POST", {})
    name = (source or {}).get("username") or ""
    return str(name)[:USERNAME_MAX_LENGTH]


def session_seen_at_login(sender, request, user, **kwargs) -> None:
    """A new session starts its idle time at sign-in (receiver of `user_logged_in`)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_SESSION_KEY] = int(timezone.now().timestamp())


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): why, and for how long."""
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "lockout_minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)


def two_factor_required(user) -> bool:
    """Whether the user holds a permission declared `two_factor` (see `access.two_factor_roles()`): the role is
    read with the user, so the check costs no query of its own."""
    return any(can(user, perm) for perm in permissions() if perm.two_factor)


def two_factor_set_up(user) -> bool:
    return user_has_device(user, confirmed=True)


# --- Two-factor devices ---------------------------------------------------------------------------------


def totp_device_start(*, user) -> TOTPDevice:
    """The authenticator being set up for `user`: a new secret, kept (unconfirmed) until a code confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_device_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows; None if the code is wrong. On success the user's other
    authenticators are removed and new recovery codes are made and returned (shown once)."""
    if not device.verify_token(_digits(code)):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        codes = recovery_codes_renew(user=device.user)
    logger.info("two-factor sign-in set up by user %s", device.user.pk)
    return codes


def recovery_codes_renew(*, user) -> list[str]:
    """Replace the user's recovery codes with new ones; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def code_verify(*, user, code: str):
    """The device (authenticator or recovery codes) that accepts `code`, or None. A recovery code is used up;
    an authenticator code cannot be used twice; repeated failures slow further tries down (django-otp)."""
    code = code.strip().replace(" ", "")
    if not code:
        return None
    return match_token(user, code)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed (base32, in groups of four)."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The authenticator's setup link as a QR code: an SVG image in a data: URI (no script, no inline style)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


def _digits(code: str) -> str:
    return code.strip().replace(" ", "")


# --- Lockouts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "ip"
    value: str
    failures: int
    last_attempt: dt.datetime
    until: dt.datetime


def lockout_list(*, user) -> list[Lockout]:
    """User names and addresses locked out now (failures within the lockout time at or above the limit)."""
    check(user, MANAGE_USERS)
    cooloff = settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff).order_by()
    found = []
    for kind, field in (("username", "username"), ("ip", "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by("-last")
        )
        found += [
            Lockout(kind, row[field], row["failures"], row["last"], row["last"] + cooloff) for row in rows
        ]
    return found


def signin_unlock(*, actor, username: str = "", ip: str = "") -> int:
    """Lift the lockout of a user name or an address now; returns how many counters were cleared."""
    check(actor, MANAGE_USERS)
    cleared = 0
    if username:
        cleared += axes_reset(username=username)
    if ip:
        cleared += axes_reset(ip=ip)
    logger.info("sign-in lockout lifted by user %s (%s counters)", actor.pk, cleared)
    return cleared


# --- The Sign-ins page ----------------------------------------------------------------------------------

SIGNIN_SORTS = Sorts({"time": ("attempt_time", "id")}, default="-time")


@dataclass(frozen=True)
class SigninFilters:
    result: str = "failed"  # "failed" or "succeeded"
    username: str = ""
    ip: str = ""
    sort: str = SIGNIN_SORTS.default


def signin_list(*, user, filters: SigninFilters) -> QuerySet:
    """Failed sign-ins (with whether they were refused for lockout) or successful ones, newest first."""
    check(user, MANAGE_USERS)
    qs = AccessLog.objects.all() if filters.result == "succeeded" else AccessFailureLog.objects.all()
    if filters.username:
        qs = qs.filter(username__icontains=filters.username)
    if filters.ip:
        qs = qs.filter(ip_address__startswith=filters.ip)
    return SIGNIN_SORTS.order(qs, filters.sort)
