"""What a person holds that someone must take over when they are deactivated (issue 31: the customers they own).

The Users page names no domain app (layering): an app contributes a `Holding` (kind "holdings",
portal/core/contrib.py), and the deactivation's confirmation shows each one the person holds, with a choice of who
takes it over (another active user of the holding's `role`) or "leave unassigned". The handover and the
deactivation are one transaction (`accounts.services.user_deactivate`); each holding's `hand_over` records every
change it makes as its app's own audit entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.core.access import Role
from portal.core.contrib import contributions


@dataclass(frozen=True)
class Holding:
    key: str
    #: The field's label for `n` held: what is handed over ("Their 3 customers as Account manager go to").
    label: Callable[[int], str]
    #: Who may take it over: an active user of this role.
    role: Role
    #: How many the user holds (one query).
    count: Callable[[Any], int]
    #: Hand everything the user holds to the user of id `to` (None: to nobody), recording each change; runs in the
    #: deactivation's transaction. Returns how many changed.
    hand_over: Callable[..., int]


def holdings() -> tuple[Holding, ...]:
    return contributions("holdings")
