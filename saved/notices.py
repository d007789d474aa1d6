"""What saved views tell people outside the portal's pages: customers entered a group they follow (the notice
"group.entered"), as the check of followed groups finds them (`services.follow_record`), told once per check."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.core.contrib import customer_names
from portal.core.notices.choices import tell
from portal.core.notices.content import Message
from portal.core.notices.kinds import NoticeKind
from portal.core.permissions import USE_PORTAL
from saved.models import Follow

GROUP_ENTERED = "group.entered"
#: Names of customers in the notice; the rest are counted.
NAMES_MOST = 10

KINDS = [
    NoticeKind(
        GROUP_ENTERED,
        gettext_lazy("Customers entered a group you follow"),
        gettext_lazy(
            "When the check of the groups you follow finds new customers in one (they are also in your digest)."
        ),
        USE_PORTAL,
        rooms=False,
        order=60,
    )
]


def entered_tell(*, follow: Follow, entered: list[int], key: str) -> None:
    """Tell the follower which customers entered the group (`key`: the check's)."""
    if not entered:
        return
    names = customer_names(entered[:NAMES_MOST])
    shown = ", ".join(names.get(d, str(d)) for d in entered[:NAMES_MOST])
    view = follow.view

    def message() -> Message:
        more = len(entered) - NAMES_MOST
        text = shown + (
            ngettext(" and %(n)s more", " and %(n)s more", more) % {"n": more} if more > 0 else ""
        )
        return Message(
            title=ngettext(
                "%(n)s customer entered “%(group)s”", "%(n)s customers entered “%(group)s”", len(entered)
            )
            % {"n": len(entered), "group": view.name},
            text=text,
            url=view.url,
            label=_("Open the group"),
        )

    tell(GROUP_ENTERED, users=[follow.user], message=message, key=f"{follow.pk}:{key}", rooms=False)
