"""How long the sign-in history is kept (portal/core/retention.py): the Sign-ins page's two logs, kept by
django-axes (sign-ins, and failed tries with those refused during a lockout), and the sessions people signed in
with, once expired (Django's `clearsessions`, done by the housekeeping). The lockouts in force (axes' counters)
are not history: a success clears a person's, and they are few."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.retention import KeepDays, Retention

_SIGNINS = KeepDays("RETENTION_SIGNIN_DAYS", 365)

RETENTION = [
    Retention(
        model="axes.AccessLog",
        date_field="attempt_time",
        keep=_SIGNINS,
        kept=_("Sign-ins: who signed in, when, from which address and browser"),
        table=_("Sign-ins"),
        reason=_(
            "A year answers a security review of who used the portal and from where; the changes people made "
            "stay in the audit entries, kept longer."
        ),
    ),
    Retention(
        model="axes.AccessFailureLog",
        date_field="attempt_time",
        keep=_SIGNINS,
        kept=_("Failed sign-ins: wrong passwords and tries refused during a lockout"),
        table=_("Failed sign-ins"),
        reason=_(
            "Kept as long as the sign-ins, so that a review sees the tries beside the sign-ins that followed; a "
            "lockout reads only the last day's."
        ),
    ),
    Retention(
        model="sessions.Session",
        date_field="expire_date",
        keep=KeepDays("RETENTION_SESSION_DAYS", 1),
        kept=_("Sessions of people signed in, once they have expired"),
        table=_("Sessions"),
        reason=_(
            "An expired session signs nobody in again: it leaves the day after. A session still open is never "
            "removed, however long ago it began."
        ),
    ),
]
