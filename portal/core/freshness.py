"""How fresh the portal's copy is at worst: the apps that keep copies of what the API said contribute
`oldest_copy` readers (each reads by index when its oldest live row was read); the Sync page and the metrics
show the oldest of them."""

from __future__ import annotations

import datetime as dt

from portal.core.contrib import contributions


def oldest_copy() -> dt.datetime | None:
    """When the oldest cached copy still in the API was read, from the apps that keep one."""
    stamps = [stamp for read in contributions("oldest_copy") if (stamp := read()) is not None]
    return min(stamps, default=None)
