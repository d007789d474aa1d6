"""The issued-invoice search, declared for `portal.core.lists` (issue 33: found by date, amount and customer)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from invoicing.forms import DraftFilterForm, IssuedFilterForm
from invoicing.models import DocumentKind
from invoicing.selectors import ISSUED_SORTS
from portal.core.lists import Column, ListSpec, Sorts

CSV_COLUMNS = (
    ("number", _("Invoice number")),
    ("kind", _("Kind"), (DocumentKind,)),
    ("original__number", _("Original invoice")),
    ("original__issue_date", _("Original invoice date")),
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

ISSUED_LIST = ListSpec(
    form=IssuedFilterForm,
    sorts=ISSUED_SORTS,
    columns=(
        Column(_("Number"), sort="number", numeric=True),
        Column(_("Kind")),
        Column(_("Customer")),
        Column(_("Date of issue"), sort="date"),
        Column(_("Transaction period")),
        Column(_("Total"), sort="total", numeric=True),
        Column(_("Original invoice")),
        Column(""),
    ),
    template="invoicing/issued_list.html",
    row_template="invoicing/_issued_row.html",
    csv_columns=CSV_COLUMNS,
    page_sizes=(50, 100, 200),
)

DRAFTS_LIST = ListSpec(
    form=DraftFilterForm,
    # The drafts come in the month's items' order (by customer name); the list offers no other.
    sorts=Sorts({"customer": ()}, default="customer"),
    columns=(
        Column(_("Customer")),
        Column(_("State")),
        Column(_("Subtotal"), numeric=True),
        Column(_("Consumption tax"), numeric=True),
        Column(_("Total"), numeric=True),
        Column(_("Last month"), numeric=True),
        Column(_("Difference"), numeric=True),
        Column(""),
    ),
    template="invoicing/drafts.html",
    row_template="invoicing/_draft_row.html",
    page_sizes=(50, 100, 200),
)
"""The month's drafts (Finance and Admins), a page at a time and by state (ready, blocked, issued), on the list
machinery; the month's totals above them count every draft."""
