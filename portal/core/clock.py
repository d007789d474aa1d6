"""The business date: the one place that says what day it is for the contract's date rules (Asia/Tokyo by
default, `BUSINESS_TIME_ZONE`). Always called through the module (`clock.today()`), never imported by name, so
a test pins the date by patching this one attribute."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def today() -> dt.date:
    """Today's date in the business time zone."""
    return timezone.now().astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()


def midnight(day: dt.date) -> dt.datetime:
    """The first instant of a business date (an aware datetime in the business time zone)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.BUSINESS_TIME_ZONE))


def this_month() -> dict[str, int]:
    """The business month as the API's `year` and `month` arguments."""
    day = today()
    return {"year": day.year, "month": day.month}
