"""The issued-invoice search, declared for `portal.core.lists` (issue 33: found by date, amount and customer)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from invoicing.forms import IssuedFilterForm
from invoicing.models import DocumentKind
from invoicing.selectors import ISSUED_SORTS
from portal.core.lists import Column, ListSpec

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
