"""What the search box finds of the portal's users, for those who manage them (contributed as `finders` from
`AccountsConfig.ready()`): by user name, name or e-mail, as the Users page searches. The users are the partner's
staff, a table of tens of rows, not of customers: its words are checked on each row, and at most a few read."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.permissions import MANAGE_USERS
from accounts.selectors import UserFilters, person_label, user_list
from portal.core.finders import Finder, Found, Result, list_searched


def users_find(q: str, *, user, limit: int) -> Found:
    """The first `limit` users (by user name) with every word of `q` in their user name, name or e-mail: the
    Users page's own search (`user_list`)."""
    if not q.split():
        return Found()
    found = user_list(user=user, filters=UserFilters(q=q, sort="username"))
    rows = list(found.values_list("pk", "username", "first_name", "last_name", "email")[: limit + 1])
    results = tuple(
        Result(
            label=person_label(username=username, first_name=first, last_name=last),
            detail=email,
            url=reverse("accounts:user", args=[pk]),
        )
        for pk, username, first, last, email in rows[:limit]
    )
    return Found(results=results, more=len(rows) > limit)


FINDERS = [
    Finder(
        key="users",
        label=_("Users"),
        perm=MANAGE_USERS,
        find=users_find,
        order=90,
        more_url=list_searched("accounts:users"),
    )
]
