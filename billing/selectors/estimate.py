"""The estimate as billing's pages read it: the Invoices page's months as kept (`estimates`), how a
month's kept estimate stands (`estimate_kept_state`), the margins kept beside it (`kept_margins`), a month's estimate (`month_estimate`) and the kept estimate
beside its invoice (`estimate_against_invoice`). The estimate itself is billing/estimate/."""

from __future__ import annotations

from django.core.paginator import Page

from billing import estimate, prices, rules
from billing.models import EstimateMonth, Invoice
from billing.permissions import VIEW_BILLING
from billing.selectors.costs import unpriced_grouped, unpriced_why
from portal.core import clock, kept
from portal.core.access import check


def estimates(*, user, top: int) -> list[dict]:
    """The Invoices page's estimates: the month the next invoice covers and the running month (one when they are
    the same), each read as kept (`estimate.estimate_summary`: totals and the `top` customers of the largest
    cost) with how its copy stands (`portal.core.kept`: a month behind is queued for the worker), what it is
    ("Next invoice", "This month") and the day its invoice is issued (a closed month's was issued on the 1st:
    when it is not in the cache, it has not been fetched, not "not issued")."""
    check(user, VIEW_BILLING)
    today = clock.today()
    invoiced = set(Invoice.objects.values_list("year", "month"))
    running = rules.month_of(today)
    months = estimate.months_estimated(today, invoiced=invoiced)
    book = prices.book_stamp()  # what both months' states compare, read once
    out = []
    for year, month in months:
        # The state first: a month behind is queued (worked out at once where the worker is eager, as in tests).
        state = kept.ask(estimate.KEPT, year, month, state=estimate.estimate_state(year, month, book=book))
        summary = estimate.estimate_summary(year=year, month=month, top=top)
        out.append(
            {
                "kept": state,
                "estimate": summary,
                # Each item without a price, and why: what the latest invoice that bills it says.
                "unpriced": unpriced_grouped(
                    unpriced_why(user=user, year=year, month=month, unpriced=summary.unpriced)
                ),
                "running": (year, month) == running,
                "next_invoice": (year, month) == months[0],
                "issued_on": rules.issued_on(year, month),
            }
        )
    return out


def estimate_kept_state(*, user, year: int, month: int) -> kept.KeptState:
    """How the month's kept estimate stands (queued for the worker when behind)."""
    check(user, VIEW_BILLING)
    return kept.ask(estimate.KEPT, year, month)


def kept_margins(*, user, year: int, month: int) -> tuple[list[dict], kept.KeptState]:
    """The month's customers of the largest billed cost with their margins, as the worker keeps them beside the
    month's estimate (`EstimateMonth.margins`: one row read, never the month's items), and how that copy stands
    (queued for the worker when behind)."""
    check(user, VIEW_BILLING)
    state = kept.ask(estimate.KEPT, year, month)
    margins = EstimateMonth.objects.filter(year=year, month=month).values_list("margins", flat=True).first()
    return margins or [], state


def month_estimate(*, user, year: int, month: int, domain_ids=None) -> estimate.Estimate:
    check(user, VIEW_BILLING)
    if domain_ids is None:
        return estimate.kept_estimate(year=year, month=month)
    return estimate.month_estimate(year=year, month=month, domain_ids=domain_ids)


def estimate_against_invoice(*, user, year: int, month: int, page, per_page: int) -> tuple[dict, Page]:
    """The month's kept estimate beside its invoice, as the worker keeps it: the month's figures and one page of
    the customers that differ (`estimate.against_invoice_page`)."""
    check(user, VIEW_BILLING)
    return estimate.against_invoice_page(year=year, month=month, page=page, per_page=per_page)
