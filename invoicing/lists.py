"""The issued-invoice search, declared for `portal.core.lists` (issue 33: found by date, amount and customer)."""

from __future__ import annotations

from urllib.parse import quote

from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from billing.templatetags.billing import usage_month, yen
from invoicing.forms import DraftFilterForm, IssuedFilterForm, MonthIssuedFilterForm
from invoicing.models import DocumentKind
from invoicing.selectors import ISSUED_SORTS, MONTH_ISSUED_SORTS
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


def _issued_url(number) -> str:
    return reverse("invoicing:issued", args=[number])


def _issued_kind(row, page):
    if row.kind == "credit_note":
        return Badge(gettext("Credit note"), "warn")
    if row.kind == "corrected":
        return Badge(gettext("Corrected invoice"))
    return gettext("Invoice")


def _original(row, page):
    if not row.original_number:
        return None
    said = gettext("No. %(number)s of %(date)s") % {
        "number": row.original_number,
        "date": row.original_issue_date.strftime("%Y-%m-%d") if row.original_issue_date else "",
    }
    return Link(said, _issued_url(row.original_number))


ISSUED_LIST = ListSpec(
    form=IssuedFilterForm,
    sorts=ISSUED_SORTS,
    columns=(
        Column(
            _("Number"),
            sort="number",
            numeric=True,
            value="number",
            link=lambda row, page: _issued_url(row.number),
        ),
        Column(_("Kind"), value=_issued_kind),
        Column(_("Customer"), sort="customer", value="customer_name"),
        Column(
            _("Date of issue"),
            sort="date",
            value=lambda row, page: row.issue_date.strftime("%Y-%m-%d") if row.issue_date else "",
        ),
        Column(_("Transaction period"), value=lambda row, page: usage_month(row.year, row.month)),
        Column(_("Total"), sort="total", numeric=True, value=lambda row, page: yen(row.total)),
        Column(_("Original invoice"), value=_original),
        Column(
            "",
            value=lambda row, page: Link(
                gettext("PDF of No. %(number)s") % {"number": row.number},
                reverse("invoicing:pdf", args=[row.number]),
            ),
        ),
    ),
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
            else Link("PDF", reverse("invoicing:pdf", args=[row.issued_number])),
            Link(gettext("Issued document"), _issued_url(row.issued_number)),
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
    return Link(gettext("Billing details"), _next(reverse("invoicing:customer", args=[row.domain_id]), page))


DRAFTS_LIST = ListSpec(
    form=DraftFilterForm,
    # The drafts come in the month's items' order (by customer name); the list offers no other.
    sorts=Sorts({"customer": ()}, default="customer"),
    columns=(
        Column(
            _("Customer"),
            value=lambda row, page: row.customer_name or row.domain_id,
            link=lambda row, page: reverse(
                "invoicing:draft", args=[page["year"], page["month"], row.domain_id]
            ),
        ),
        Column(_("State"), value=_draft_state),
        Column(_("Subtotal"), numeric=True, value=lambda row, page: yen(row.subtotal)),
        Column(_("Consumption tax"), numeric=True, value=lambda row, page: yen(row.tax)),
        Column(_("Total"), numeric=True, value=lambda row, page: yen(row.total)),
        Column(_("Last month"), numeric=True, value=lambda row, page: _dash_or_yen(row.previous_total)),
        Column(_("Difference"), numeric=True, value=lambda row, page: _dash_or_yen(row.difference)),
        Column("", value=_draft_action),
    ),
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
            reverse("invoicing:send", args=[invoice.number]),
            fields=(("back", "month"),),
            testid=f"send-{invoice.number}",
        )
    if not row.email:
        return Link(
            gettext("Billing details"), _next(reverse("invoicing:customer", args=[invoice.domain_id]), page)
        )
    return None


MONTH_ISSUED_LIST = ListSpec(
    form=MonthIssuedFilterForm,
    sorts=MONTH_ISSUED_SORTS,
    columns=(
        Column(
            _("Invoice number"),
            sort="number",
            value=lambda row, page: gettext("No. %(number)s") % {"number": row.invoice.number},
            link=lambda row, page: _issued_url(row.invoice.number),
        ),
        Column(_("Customer"), sort="customer", value="invoice.customer_name"),
        Column(_("Total"), numeric=True, value=lambda row, page: yen(row.invoice.total)),
        Column(
            _("Due date"),
            value=lambda row, page: row.invoice.due_date.strftime("%Y-%m-%d") if row.invoice.due_date else "",
        ),
        Column(_("E-mail for invoices"), value=lambda row, page: row.email or Muted("—")),
        Column(_("By e-mail"), value=lambda row, page: sending_state(row)),
        Column(_("Payment"), value=lambda row, page: payment_state(row)),
        Column("", value=_send_action),
    ),
    template="invoicing/issued_month.html",
    row_attrs=(("data-number", "invoice.number"),),
    page_sizes=(50, 100, 200),
)
"""The month's issued invoices (Finance and Admins), a page at a time, by whether each went out and by
customer, on the list machinery; what is left to send is counted above them (`selectors.month_sending`)."""
