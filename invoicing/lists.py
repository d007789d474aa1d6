"""The issued-invoice search, declared for `portal.core.lists` (issue 33: found by date, amount and customer)."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.templatetags.billing import usage_month, yen
from invoicing.forms import DraftFilterForm, IssuedFilterForm, MonthIssuedFilterForm
from invoicing.models import DocumentKind
from invoicing.selectors import ISSUED_SORTS, MONTH_ISSUED_SORTS
from portal.core import constant_urls
from portal.core.lists import Badge, Button, Column, Items, Link, ListSpec, Muted, Sorts
from portal.core.templatetags.portal import business_dt

CSV_COLUMNS = (
    ("number", _("Invoice number")),
    ("kind", _("Kind"), (DocumentKind,)),
    ("original_number", _("Original invoice")),
    ("original_issue_date", _("Original invoice date")),
    ("issue_date", _("Date of issue")),
    ("year", _("Year")),
    ("month", _("Month")),
    ("domain_id", _("Domain ID")),
    ("customer_name", _("Company")),
    ("subtotal", _("Subtotal (JPY)")),
    ("tax", _("Consumption tax (JPY)")),
    ("total", _("Total (JPY, tax included)")),
    ("due_date", _("Due date")),
    ("pdf_sha256", _("PDF SHA-256")),
)


def _urls(context) -> dict:
    """The URL patterns the rows of an invoicing list's page fill in, made once for the page: a reverse() for
    each link, up to three a row, was most of a row's drawing."""
    patterns = {
        name: constant_urls.pattern(f"invoicing:{name}") for name in ("issued", "pdf", "customer", "send")
    }
    return {**patterns, "draft": constant_urls.pattern("invoicing:draft", 3)}


def _day(day) -> str:
    """A date as the lists print it (YYYY-MM-DD), or nothing."""
    return day.isoformat() if day else ""


def _issued_page(context) -> dict:
    """What every row of a page of issued documents shares: the kinds' words, the sentences the rows fill in and
    the URL patterns."""
    return {
        **_urls(context),
        "kinds": {
            "credit_note": Badge(gettext("Credit note"), "warn"),
            "corrected": Badge(gettext("Corrected invoice")),
            "invoice": gettext("Invoice"),
        },
        "original_of": gettext("No. %(number)s of %(date)s"),
        "pdf_of": gettext("PDF of No. %(number)s"),
    }


def _original(row, page):
    if not row.original_number:
        return None
    said = page["original_of"] % {"number": row.original_number, "date": _day(row.original_issue_date)}
    return Link(said, page["issued"].format(row.original_number))


ISSUED_LIST = ListSpec(
    form=IssuedFilterForm,
    sorts=ISSUED_SORTS,
    columns=(
        Column(
            _("Number"),
            sort="number",
            numeric=True,
            value="number",
            link=lambda row, page: page["issued"].format(row.number),
        ),
        Column(_("Kind"), value=lambda row, page: page["kinds"].get(row.kind) or page["kinds"]["invoice"]),
        Column(_("Customer"), sort="customer", value="customer_name"),
        Column(_("Date of issue"), sort="date", value=lambda row, page: _day(row.issue_date)),
        Column(_("Transaction period"), value=lambda row, page: usage_month(row.year, row.month)),
        Column(_("Total"), sort="total", numeric=True, value=lambda row, page: yen(row.total)),
        Column(_("Original invoice"), value=_original),
        Column(
            "",
            value=lambda row, page: Link(
                page["pdf_of"] % {"number": row.number}, page["pdf"].format(row.number)
            ),
        ),
    ),
    page=_issued_page,
    template="invoicing/issued_list.html",
    row_attrs=(("data-number", "number"),),
    csv_columns=CSV_COLUMNS,
    page_sizes=(50, 100, 200),
)


def _next(url: str, page) -> str:
    """`url` coming back to this page after its form (`?next=`)."""
    return f"{url}?next={quote(page['request'].path, safe='/')}"


def _dash_or_yen(value):
    return Muted("—") if value is None else yen(value)


def _draft_state(row, page):
    parts: tuple
    if row.issued_number:
        preparing = row.issued_number in page["found"].preparing
        parts = (
            Badge(gettext("Issued No. %(number)s") % {"number": row.issued_number}, "ok"),
            Muted(gettext("PDF being prepared"), testid="pdf-preparing")
            if preparing
            else Link("PDF", page["pdf"].format(row.issued_number)),
            Link(gettext("Issued document"), page["issued"].format(row.issued_number)),
        )
    elif row.blocked:
        parts = (Badge(gettext("Blocked"), "warn"), Items(tuple(row.blocked), testid="blocked-reasons"))
    else:
        parts = (Badge(gettext("Ready")),)
    if row.edited:
        parts += (Badge(gettext("Prices changed"), "warn"),)
    if row.stale_edits:
        parts += (Badge(gettext("A price change no longer applies"), "warn"),)
    return parts


def _draft_action(row, page):
    if not page.get("can_change") or row.issued_number:
        return None
    return Link(gettext("Billing details"), _next(page["customer"].format(row.domain_id), page))


DRAFTS_LIST = ListSpec(
    form=DraftFilterForm,
    # The drafts come in the month's items' order (by customer name); the list offers no other.
    sorts=Sorts({"customer": ()}, default="customer"),
    columns=(
        Column(
            _("Customer"),
            value=lambda row, page: row.customer_name or row.domain_id,
            link=lambda row, page: page["draft"].format(page["year"], page["month"], row.domain_id),
        ),
        Column(_("State"), value=_draft_state),
        Column(_("Subtotal"), numeric=True, value=lambda row, page: yen(row.subtotal)),
        Column(_("Consumption tax"), numeric=True, value=lambda row, page: yen(row.tax)),
        Column(_("Total"), numeric=True, value=lambda row, page: yen(row.total)),
        Column(_("Last month"), numeric=True, value=lambda row, page: _dash_or_yen(row.previous_total)),
        Column(_("Difference"), numeric=True, value=lambda row, page: _dash_or_yen(row.difference)),
        Column("", value=_draft_action),
    ),
    page=_urls,
    template="invoicing/drafts.html",
    row_attrs=(("data-domain", "domain_id"),),
    page_sizes=(50, 100, 200),
)
"""The month's drafts (Finance and Admins), a page at a time and by state (ready, blocked, issued), on the list
machinery; the month's totals above them count every draft."""


def sending_state(row):
    """Whether an issued invoice went out by e-mail (a row of `selectors.month_issued_page`'s), as parts of a cell:
    the month's issued list and the invoice's page say it so (`{{ row|sending_state }}`)."""
    if not row.email:
        return Badge(gettext("No e-mail address"), "warn", testid="no-email")
    failure = Items((row.last_sending.failure_sentence(),), testid="send-failure") if row.failed else None
    if row.sent:
        when = business_dt(row.last_sent.attempted_at)
        if row.times_sent > 1:
            times = ngettext("sent %(n)s time", "sent %(n)s times", row.times_sent) % {"n": row.times_sent}
            when = f"{when} · {times}"
        parts: tuple = (Badge(gettext("Sent"), "ok"), Muted(when, testid="last-sent"))
        if row.sending:
            return (*parts, Badge(gettext("Sending again"), "info"))
        if row.failed:
            return (*parts, Badge(gettext("Sending again failed"), "danger"), failure)
        return parts
    if row.sending:
        return Badge(gettext("Sending"), "info")
    if row.failed:
        return Badge(gettext("Sending failed"), "danger"), failure
    return Badge(gettext("Not sent yet"))


def payment_state(row):
    """Whether an issued invoice is paid, as parts of a cell (`{{ row|payment_state }}` on the invoice's page)."""
    state = row.payment_state
    if state == "credit_note":
        return Muted(gettext("Credit note"))
    if state == "credited":
        return Badge(gettext("Credited"), "info")
    if state == "paid":
        return Badge(gettext("Paid"), "ok")
    if row.overdue:
        return Badge(gettext("Overdue"), "danger")
    if state == "partly":
        return Badge(gettext("Partly paid"), "warn")
    return Badge(gettext("Unpaid"))


def _send_action(row, page):
    invoice = row.invoice
    if not page.get("can_change"):
        return None
    if row.email and not row.sent and not row.sending and invoice.pdf_ready:
        return Button(
            gettext("Try again") if row.failed else gettext("Send"),
            page["send"].format(invoice.number),
            fields=(("back", "month"),),
            testid=f"send-{invoice.number}",
        )
    if not row.email:
        return Link(gettext("Billing details"), _next(page["customer"].format(invoice.domain_id), page))
    return None


MONTH_ISSUED_LIST = ListSpec(
    form=MonthIssuedFilterForm,
    sorts=MONTH_ISSUED_SORTS,
    columns=(
        Column(
            _("Invoice number"),
            sort="number",
            value=lambda row, page: gettext("No. %(number)s") % {"number": row.invoice.number},
            link=lambda row, page: page["issued"].format(row.invoice.number),
        ),
        Column(_("Customer"), sort="customer", value="invoice.customer_name"),
        Column(_("Total"), numeric=True, value=lambda row, page: yen(row.invoice.total)),
        Column(_("Due date"), value=lambda row, page: _day(row.invoice.due_date)),
        Column(_("E-mail for invoices"), value=lambda row, page: row.email or Muted("—")),
        Column(_("By e-mail"), value=lambda row, page: sending_state(row)),
        Column(_("Payment"), value=lambda row, page: payment_state(row)),
        Column("", value=_send_action),
    ),
    page=_urls,
    template="invoicing/issued_month.html",
    row_attrs=(("data-number", "invoice.number"),),
    page_sizes=(50, 100, 200),
)
"""The month's issued invoices (Finance and Admins), a page at a time, by whether each went out and by
customer, on the list machinery; what is left to send is counted above them (`selectors.month_sending`)."""
