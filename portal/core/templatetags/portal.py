"""Template helpers shared by every page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import formats, timezone

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with some parameters replaced (None or "" removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.filter
def business_dt(value: dt.datetime | None, fmt: str = "Y-m-d H:i") -> str:
    """A stored UTC timestamp shown in the business time zone."""
    if not value:
        return ""
    local = timezone.localtime(value, ZoneInfo(settings.BUSINESS_TIME_ZONE))
    return formats.date_format(local, fmt)


@register.filter
def status_badge(value: str) -> str:
    return f"badge badge-{value}" if value else "badge"
