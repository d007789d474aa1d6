"""The business clock (Asia/Tokyo by default) and the registry of due effects.

The clock is the real time shifted by a whole number of days (``SandboxState.clock_offset_days``). Moving it
forward, or simply reaching a new business day, applies every registered *due effect* once per day, in date
order: for each day ``d`` from the day after ``applied_through`` up to today, each effect runs in registration
order (``order`` breaks ties) as ``effect(d)``. An effect applies what falls due **on** ``d``.

    from sandbox.clock import due_effect

    @due_effect("subscriptions.pre_orders_start", order=20)
    def start_pre_orders(day: date) -> None:
        ...
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from sandbox.models import SandboxState
from sandbox.prepared import Prepared


@dataclass(frozen=True)
class DueEffect:
    name: str
    order: int
    func: Callable[[dt.date], None]


_EFFECTS: dict[str, DueEffect] = {}
_lock = threading.Lock()


def due_effect(
    name: str, *, order: int = 50
) -> Callable[[Callable[[dt.date], None]], Callable[[dt.date], None]]:
    """Register ``func(day)`` to run for each business day the clock passes. Lower ``order`` runs first."""

    def register(func: Callable[[dt.date], None]) -> Callable[[dt.date], None]:
        _EFFECTS[name] = DueEffect(name, order, func)
        return func

    return register


def effects() -> list[DueEffect]:
    return sorted(_EFFECTS.values(), key=lambda e: (e.order, e.name))


def business_tz() -> ZoneInfo:
    return ZoneInfo(settings.SANDBOX_TIME_ZONE)


def state() -> SandboxState:
    obj, _ = SandboxState.objects.get_or_create(pk=1)
    return obj


def _real_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def now(offset_days: int | None = None) -> dt.datetime:
    """The business now, as an aware UTC datetime."""
    if offset_days is None:
        offset_days = state().clock_offset_days
    return _real_now() + dt.timedelta(days=offset_days)


def today(offset_days: int | None = None) -> dt.date:
    """The business date in the business time zone."""
    return now(offset_days).astimezone(business_tz()).date()


def tomorrow() -> dt.date:
    return today() + dt.timedelta(days=1)


_STATE = Prepared(
    lambda pk: SandboxState.objects.filter(pk=pk).values_list("clock_offset_days", "applied_through"), -1
)


def catch_up() -> dt.date:
    """Apply every due effect up to today; cheap when nothing is due. Returns today."""
    found = _STATE.rows(1)
    if found:
        offset_days, applied_through = found[0]
    else:
        current = state()
        offset_days, applied_through = current.clock_offset_days, current.applied_through
    day = today(offset_days)
    if applied_through is not None and applied_through >= day:
        return day
    with _lock:
        _apply_until(day)
    return day


def _apply_until(target: dt.date) -> None:
    current = state()
    if current.applied_through is None:
        # A fresh database starts "applied" through today: nothing is due retroactively.
        SandboxState.objects.filter(pk=1).update(applied_through=target)
        return
    day = current.applied_through
    while day < target:
        day += dt.timedelta(days=1)
        with transaction.atomic():
            # Another process (the CLI, another thread) may have applied this day meanwhile.
            if SandboxState.objects.get(pk=1).applied_through >= day:
                continue
            for effect in effects():
                effect.func(day)
            SandboxState.objects.filter(pk=1).update(applied_through=day)


def advance(days: int) -> dt.date:
    if days < 0:
        raise ValueError("the business clock only moves forward")
    catch_up()
    SandboxState.objects.filter(pk=1).update(clock_offset_days=state().clock_offset_days + days)
    return catch_up()


def set_date(target: dt.date) -> dt.date:
    current = today()
    if target < current:
        raise ValueError(f"the business clock only moves forward (today is {current.isoformat()})")
    return advance((target - current).days)


def parse_advance(text: str) -> int:
    """'1d', '2w' or '3' (days) -> a number of days."""
    text = text.strip().lower()
    units = {"d": 1, "w": 7}
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)
