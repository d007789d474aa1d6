"""What the partner account room tells the Admins outside the portal's pages: the connected partner account's
refresh token is about to end (the notice "credential.expiring"). A refresh token lasts
`partner.REFRESH_TOKEN_DAYS` from its issue unless the app rotates them; then the account must be connected again.
Each morning the worker tells of one that ends within 14, 7 or 1 days, each step once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from celery import shared_task
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from partner_account.permissions import CONNECT_PARTNER_ACCOUNT
from portal.core import clock, partner
from portal.core.models import PartnerAccountToken
from portal.core.notices.choices import people_who_may, tell
from portal.core.notices.content import Message
from portal.core.notices.kinds import EMAIL, NoticeKind

CREDENTIAL_EXPIRING = "credential.expiring"
#: Told when this many days or fewer are left, once each.
STEPS = (14, 7, 1)

KINDS = [
    NoticeKind(
        CREDENTIAL_EXPIRING,
        gettext_lazy("A credential of the portal is about to end"),
        gettext_lazy("The connected partner account must be connected again: told 14, 7 and 1 days before."),
        CONNECT_PARTNER_ACCOUNT,
        default=EMAIL,
        order=70,
    )
]


def ends_on(row: PartnerAccountToken) -> dt.date | None:
    """The last day the connected account's refresh token works (None: no refresh token kept)."""
    if row.refresh_issued_at is None:
        return None
    issued = row.refresh_issued_at.astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()
    return issued + dt.timedelta(days=partner.REFRESH_TOKEN_DAYS)


def expiring_tell(*, today: dt.date | None = None) -> int:
    """Tell the Admins of each connected account whose refresh token ends soon; how many were told of."""
    today = today or clock.today()
    told = 0
    for row in PartnerAccountToken.objects.exclude(refresh_issued_at=None):
        last = ends_on(row)
        left = (last - today).days
        step = min((s for s in STEPS if left <= s), default=None)
        if step is None or left < 0:
            continue
        admins = list(people_who_may(KINDS[0]))
        key = f"{row.label}:{row.refresh_digest[:16]}:{step}"
        told += bool(tell(CREDENTIAL_EXPIRING, users=admins, message=_message(last, left), key=key))
    return told


def _message(last: dt.date, left: int):
    def message() -> Message:
        return Message(
            title=ngettext(
                "The connected partner account ends in %(n)s day",
                "The connected partner account ends in %(n)s days",
                left,
            )
            % {"n": left},
            text=_(
                "Connect it again before the end of %(day)s: after that the portal can no longer call LINE WORKS "
                "with it."
            )
            % {"day": f"{last:%Y-%m-%d}"},
            url=reverse("partner_account:account"),
            label=_("Connect again"),
        )

    return message


@shared_task(name="partner_account.notices.expiring_tell", ignore_result=True)
def expiring_tell_task() -> int:
    return expiring_tell()
