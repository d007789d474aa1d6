"""The billing rules of the contract (tag billing) and of the partner's own bookkeeping, as pure functions.

Months are usage months in the business time zone (Asia/Tokyo): an invoice is issued on the 1st of the next
month (listInvoices), so the last closed month is the previous one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext, ngettext

from portal.core.vocabulary import LICENSE_PLANS, PAID_PLANS, item_name  # noqa: F401  (billed per licence; paid)

#: The names of billing's partner-wide walks: declared in resync.py, requested by services.month_fetch_request.
INVOICES = "billing.invoices"
INVOICE_DETAILS = "billing.invoice_details"
#: listInvoiceDetails: count is 1..20.
DETAILS_PAGE_SIZE = 20
#: A cost that differs from the price book by more than this many yen is a finding.
COST_TOLERANCE_YEN = 1


def invoices_label(params) -> str:
    """What a walk of `listInvoices` reads, in words: "Invoices 2026"."""
    return gettext("Invoices %(year)s") % {"year": params.get("year", "")}


def invoice_details_label(params) -> str:
    """What a walk of `listInvoiceDetails` reads, in words: "Invoice details 2026-10"."""
    month = gettext("%(year)d-%(month)02d") % {"year": int(params["year"]), "month": int(params["month"])}
    return gettext("Invoice details %(month)s") % {"month": month}


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def last_closed_month(today: dt.date) -> tuple[int, int]:
    """The usage month whose invoice was issued most recently (on the 1st of this month)."""
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return previous.year, previous.month


def issued_on(year: int, month: int) -> dt.date:
    """The day the invoice of a usage month is issued: the 1st of the next month (listInvoices)."""
    return month_bounds(year, month)[1] + dt.timedelta(days=1)


def months_back(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """`count` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [((i // 12), i % 12 + 1) for i in range(index - count + 1, index + 1)]


def units(*, plan: str, license_count: int | None, member_count: int | None, quantity: int | None) -> int:
    """What an item is priced by: the quantity of a quantity-based option, licences of a licence plan,
    members otherwise."""
    if quantity:
        return quantity
    if plan in LICENSE_PLANS and license_count is not None:
        return license_count
    return member_count or 0


def prorated(monthly: int, start: dt.date, end: dt.date, year: int, month: int) -> int:
    """A monthly amount for the days start..end of the month (both included), rounded to the yen
    (listInvoiceDetails: each period is charged for its own span)."""
    first, last = month_bounds(year, month)
    days_in_month = (last - first).days + 1
    days = (min(end, last) - max(start, first)).days + 1
    if days >= days_in_month:
        return monthly
    return round(monthly * days / days_in_month)


def tax_once(amount: int, rate_percent: Decimal | int) -> int:
    """Consumption tax on the sum of a rate's amounts, rounded down once per invoice (not per line): the rule
    the re-billing statement states."""
    return int((Decimal(amount) * Decimal(rate_percent) / 100).to_integral_value(rounding=ROUND_DOWN))


def month_of(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def closable(year: int, month: int, today: dt.date) -> bool:
    """Whether Finance may close a usage month: only once it has ended (the running month is still billing)."""
    return (year, month) < month_of(today)


def closed_month_touched(
    effective_from: dt.date, next_from: dt.date | None, closed: Iterable[tuple[int, int]]
) -> tuple[int, int] | None:
    """The first closed month a price in force from `effective_from` (until `next_from`, the next entry of the
    same item, plan and customer, if any) would be in force in; None when it touches no closed month. A closed
    month keeps the prices it was checked with."""
    for year, month in sorted(closed):
        first, last = month_bounds(year, month)
        if effective_from <= last and (next_from is None or next_from > first):
            return year, month
    return None


def finding_subject_name(kind: str, subject: str) -> str:
    """What within the customer a finding is about, by name: the product or option of a cost, quantity or unbilled
    product finding ("Drive"); "" for a subscription's licences or period, the customer or the invoice (the
    customer and the kind say it). The subject itself is the finding's key, never shown."""
    if kind in ("cost", "quantity", "active_not_billed"):
        return item_name(subject.split(":", 1)[0])
    return ""


def month_words(year: int, month: int) -> str:
    """A month as the pages name it (2026-10)."""
    return gettext("%(year)d-%(month)02d") % {"year": year, "month": month}


def closed_month_words(year: int, month: int) -> str:
    """Why a write of a closed month is refused, as its page and the API say it."""
    return gettext(
        "%(month)s is closed: its findings, explanations and prices are read-only. An Admin can reopen it."
    ) % {"month": month_words(year, month)}


# --- What closing a month and accepting costs say (their pages and the API's) ------------------------------------


def not_closable_words() -> str:
    return gettext("A month can be closed only once it has ended.")


def closed_now_words(year: int, month: int) -> str:
    return gettext("%(month)s is closed: its findings, explanations and prices are read-only now.") % {
        "month": month_words(year, month)
    }


def not_closed_words(year: int, month: int) -> str:
    return gettext("%(month)s is not closed.") % {"month": month_words(year, month)}


def reopened_words(year: int, month: int) -> str:
    return gettext("%(month)s is reopened: its findings, explanations and prices can be changed again.") % {
        "month": month_words(year, month)
    }


def costs_accepted_words(n: int, year: int, month: int) -> str:
    return ngettext(
        "%(n)d cost from LINE WORKS' invoice is in the price book from %(month)s.",
        "%(n)d costs from LINE WORKS' invoice are in the price book from %(month)s.",
        n,
    ) % {"n": n, "month": month_words(year, month)}


def nothing_to_accept_words() -> str:
    return gettext("Nothing was added: the price book has these costs already.")
