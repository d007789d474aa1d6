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

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, DateTimeField, Max, QuerySet, Sum, Value
from django.utils import timezone
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.permissions import MANAGE_USERS
from portal.core.access import can, check, permissions
from portal.core.lists import Sorts, capped_count, count_cap

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


def mark_seen(session, now: int | None = None) -> None:
    """Record in `session` the time of its user's last request, in seconds since the epoch (now by default):
    where its idle time starts (IdleSessionMiddleware). The caller saves the session, or the request does."""
    session[SEEN_SESSION_KEY] = int(timezone.now().timestamp()) if now is None else now


def session_seen_at_login(sender, request, user, **kwargs) -> None:
    """A new session starts its idle time at sign-in (receiver of `user_logged_in`)."""
    if request is not None and hasattr(request, "session"):
        mark_seen(request.session)


def lockout_response(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (django-axes' AXES_LOCKOUT_CALLABLE): why, and until when."""
    from django.shortcuts import render

    until = lockout_until(ip=getattr(request, "axes_ip_address", "") or client_ip(request))
    minutes = max(1, -(-int((until - timezone.now()).total_seconds()) // 60)) if until else None
    context = {"until": until, "lockout_minutes": minutes}
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
# Guessing is stopped where it comes from, never by the name guessed alone: wrong passwords from one address
# (whatever the user names: SIGNIN_ADDRESS_FAILURE_LIMIT) and for one user name from one address
# (SIGNIN_FAILURE_LIMIT, django-axes' own limit) lock sign-in from that address, so a stranger's guesses never
# lock a person out from their own. Tries refused while locked make the lock last longer (`cool_off`).

#: The longest a lockout lasts, however long the guessing went on.
LOCKOUT_LONGEST = dt.timedelta(days=1)
#: Refused tries counted for the growing lock: those of the last day.
STRIKES_WITHIN = dt.timedelta(days=1)


def cool_off(request=None) -> dt.timedelta:
    """How long wrong passwords from the request's address keep counting, and so how long its lockout lasts
    (django-axes' AXES_COOLOFF_TIME, asked with the request): SIGNIN_LOCKOUT_MINUTES, doubled for every
    SIGNIN_FAILURE_LIMIT tries the lockout refused from that address within the last day, at most a day. A
    person who mistyped waits the first time; someone who keeps guessing waits longer and longer."""
    base = dt.timedelta(minutes=settings.SIGNIN_LOCKOUT_MINUTES)
    ip = getattr(request, "axes_ip_address", None) if request is not None else None
    if not ip:
        return base
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    strikes = AccessFailureLog.objects.filter(
        ip_address=ip, locked_out=True, attempt_time__gte=now - STRIKES_WITHIN
    ).count()
    doublings = max(0, strikes - 1) // max(1, settings.AXES_FAILURE_LIMIT)
    return min(base * 2 ** min(doublings, 16), LOCKOUT_LONGEST)


class SigninAttempts(AxesDatabaseHandler):
    """django-axes' database handler (AXES_HANDLER) with a limit for each way it counts (its
    AXES_LOCKOUT_PARAMETERS: the address, then the user name from the address). django-axes compares one count
    with one limit: the count returned is the user name's, or the address's scaled to the same limit."""

    def get_failures(self, request, credentials=None) -> int:
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        if len(counts) != 2:
            return max(counts, default=0)
        address, name = counts
        return max(name, address * settings.AXES_FAILURE_LIMIT // settings.SIGNIN_ADDRESS_FAILURE_LIMIT)


def lockout_until(*, ip: str) -> dt.datetime | None:
    """When the lockout of an address (or of a user name from it) ends, as its counters' expiry says."""
    if not ip:
        return None
    return AccessAttempt.objects.filter(ip_address=ip, expiration__expires_at__gt=timezone.now()).aggregate(
        until=Max("expiration__expires_at")
    )["until"]


@dataclass(frozen=True)
class Lockout:
    ip: str
    username: str  # "" when the address itself is locked, whatever the user name
    failures: int
    last_attempt: dt.datetime
    until: dt.datetime


def lockout_list(*, user) -> list[Lockout]:
    """Addresses, and user names from an address, locked out now: counters not expired yet, at or above their
    limit."""
    check(user, MANAGE_USERS)
    live = AccessAttempt.objects.filter(expiration__expires_at__gt=timezone.now()).order_by()
    found = []
    for fields, limit in (
        (("ip_address",), settings.SIGNIN_ADDRESS_FAILURE_LIMIT),
        (("ip_address", "username"), settings.AXES_FAILURE_LIMIT),
    ):
        rows = (
            live.values(*fields)
            .annotate(
                failures=Sum("failures_since_start"),
                last=Max("attempt_time"),
                until=Max("expiration__expires_at"),
            )
            .filter(failures__gte=limit)
            .order_by("-last")
        )
        found += [
            Lockout(row["ip_address"], row.get("username") or "", row["failures"], row["last"], row["until"])
            for row in rows
        ]
    return found


def signin_unlock(*, actor, ip: str, username: str = "") -> int:
    """Lift the lockout of an address, or of a user name from it, now; returns how many counters were
    cleared."""
    check(actor, MANAGE_USERS)
    cleared = axes_reset(ip=ip, username=username or None)
    logger.info("sign-in lockout lifted by user %s (%s counters)", actor.pk, cleared)
    return cleared


def code_wait(*, user) -> int:
    """Seconds before the user's next second-step code may be tried: after each wrong code django-otp doubles
    the wait (1 s, 2 s, 4 s ...) and refuses any code, even the right one, until it is over. 0: now."""
    waits = []
    for device in devices_for_user(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            waits.append((data["locked_until"] - timezone.now()).total_seconds())
    return max(0, -(-int(max(waits, default=0) * 1000) // 1000))


# --- The Sign-ins page ----------------------------------------------------------------------------------

SIGNIN_SORTS = Sorts({"time": ("attempt_time", "id")}, default="-time")


@dataclass(frozen=True)
class SigninFilters:
    result: str = ""  # "" (every sign-in), "failed" or "succeeded"
    username: str = ""
    ip: str = ""
    sort: str = SIGNIN_SORTS.default


#: The columns of a row of the Sign-ins list: `locked_out` is None for a sign-in, False for a wrong password and
#: True for a try refused during a lockout; `logout_time` is a sign-in's own.
SIGNIN_FIELDS = ("id", "attempt_time", "username", "ip_address", "user_agent", "locked_out", "logout_time")


def signin_list(*, user, filters: SigninFilters) -> QuerySet:
    """Sign-ins and failed tries (wrong passwords, tries refused during a lockout), newest first; or one of the
    two. django-axes keeps them in two tables: the list is both, as rows of the same columns. Each table's index
    of its time (accounts' migration 0002) lets the database walk both newest first and stop after a page."""
    check(user, MANAGE_USERS)
    parts = [qs.values(*SIGNIN_FIELDS) for qs in _signin_parts(filters)]
    both = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return SIGNIN_SORTS.order(both, filters.sort)


def signin_count(*, user, filters: SigninFilters) -> int:
    """How many rows `signin_list` has, up to the lists' cap (`capped_count`): each table's keys counted apart
    from its own index, where a count of the union read its rows, every column, up to the cap."""
    check(user, MANAGE_USERS)
    total = 0
    for qs in _signin_parts(filters):
        total += capped_count(qs)
        if total > count_cap():
            break
    return min(total, count_cap() + 1)


def _signin_parts(filters: SigninFilters) -> list[QuerySet]:
    """The tables `filters` asks for, filtered: the sign-ins (no `locked_out`), then the failed tries (no
    `logout_time`), as rows of the same columns."""
    succeeded = AccessLog.objects.annotate(locked_out=Value(None, output_field=BooleanField(null=True)))
    failed = AccessFailureLog.objects.annotate(logout_time=Value(None, output_field=DateTimeField(null=True)))
    parts = []
    for result, qs in (("succeeded", succeeded), ("failed", failed)):
        if filters.result in ("", result):
            if filters.username:
                qs = qs.filter(username__icontains=filters.username)
            if filters.ip:
                qs = qs.filter(ip_address__startswith=filters.ip)
            parts.append(qs)
    return parts
