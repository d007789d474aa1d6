"""The contract's rules for customer changes, as pure functions checked before anything is sent (the API's own
refusal is still shown when it disagrees). Dates are business dates (Asia/Tokyo). Source: contract/openapi.yaml
tags customers and usage-status, and contract/parts/customers.notes.md.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from portal.core.rules import DateWindow

#: Where group names live (a name without a dot): *.by-works.com and, on the vendor's current pages, *.by-works.net.
GROUP_SUFFIXES = (".by-works.com", ".by-works.net")


def names_of(name: str) -> tuple[str, ...]:
    """The domains a name given to createCustomer or a transfer may be stored as: a domain as given; a group name
    under either suffix (which one LINE WORKS gives is not said)."""
    if "." in name:
        return (name,)
    return (name, *(f"{name}{suffix}" for suffix in GROUP_SUFFIXES))


def max_users_change_window(today: dt.date) -> DateWindow:
    """createUsageStatusRenewal / patchUsageStatusRenewal: applyDate from tomorrow to one year from today."""
    try:
        last = today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        last = today.replace(year=today.year + 1, day=28)
    return DateWindow(today + dt.timedelta(days=1), last)


def renewal_max_fixed_message(apply_date: dt.date, max_member_count: int | None) -> str:
    """One scheduled max-users change per customer, and LINE WORKS can only move its date."""
    current = _("no limit") if max_member_count is None else str(max_member_count)
    return _(
        "A change to %(max)s users is already scheduled for %(day)s, and LINE WORKS can only move its date. "
        "To schedule another maximum, delete that change first."
    ) % {"max": current, "day": apply_date.isoformat()}
