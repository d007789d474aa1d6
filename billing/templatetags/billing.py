"""Template filters of the billing pages: yen amounts as people in Japan read them, usage months, a finding's
words, the address of a customer's findings."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext

from billing.rules import finding_subject_name
from billing.selectors.findings import ALL
from portal.core.vocabulary import Plan, Product, name_of

register = template.Library()


@register.filter
def yen(value) -> str:
    """An integer amount of yen with thousands separators: "1,234円" in Japanese, "¥1,234" otherwise."""
    if value is None or value == "":
        return ""
    amount = int(value)
    sign = "-" if amount < 0 else ""
    if (get_language() or "").startswith("ja"):
        return f"{sign}{abs(amount):,}円"
    return f"{sign}¥{abs(amount):,}"


@register.filter
def business_day(value: dt.datetime | None) -> str:
    """The day (YYYY-MM-DD) of a stored UTC timestamp in the business time zone, for a column whose heading
    names the zone."""
    if not value:
        return ""
    return timezone.localtime(value, ZoneInfo(settings.BUSINESS_TIME_ZONE)).date().isoformat()


@register.simple_tag
def usage_month(year: int, month: int) -> str:
    """A usage month: "2026年10月" in Japanese, "October 2026"-like "2026-10" otherwise."""
    return gettext("%(year)d-%(month)02d") % {"year": int(year), "month": int(month)}


def _kind_texts(finding) -> tuple[str, str]:
    """What a finding expected and what was billed, in the reader's language (the check stores the bare
    values: dates, counts, yen)."""
    kind, expected, billed = finding.kind, finding.expected, finding.billed
    if kind == "billed_not_active":
        shown = (
            gettext("Not billed: cancelled on %(day)s") % {"day": expected}
            if expected
            else gettext("Not billed: not a customer the portal knows")
        )
        return shown, yen(billed)
    if kind == "active_not_billed":
        # The check stores the subscription's product and plan codes ("STD MONTHLY").
        product, _space, plan = expected.partition(" ")
        terms = " ".join(p for p in (name_of(product, Product), name_of(plan, Plan)) if p)
        return gettext("Billed: %(subscription)s") % {"subscription": terms}, gettext("Not billed")
    if kind in ("licences", "quantity"):
        return expected, billed
    if kind == "period":
        return gettext("A change on %(day)s") % {"day": expected}, billed.replace("..", " – ")
    if kind in ("cost", "arithmetic"):
        return yen(expected), yen(billed)
    return expected, billed


@register.simple_tag
def finding_expected(finding) -> str:
    return _kind_texts(finding)[0]


@register.simple_tag
def finding_billed(finding) -> str:
    return _kind_texts(finding)[1]


@register.simple_tag
def finding_subject(finding) -> str:
    """What within the customer a finding is about, by name (`rules.finding_subject_name`)."""
    return finding_subject_name(finding.kind, finding.subject)


@register.simple_tag
def customer_findings_url(year, month, domain_id) -> str:
    """The month's findings of one customer, every one (those to explain first), on the findings list: where the
    invoice details' flag, the estimate beside the invoice and the customer page's Billing section lead."""
    url = reverse("billing:findings", kwargs={"year": 2000, "month": 1}).replace(
        "/2000/1/", f"/{year}/{month}/"
    )
    return f"{url}?domain_id={domain_id}&status={ALL}"
