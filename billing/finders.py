"""What the search box finds of LINE WORKS' invoices to the partner (contributed as `finders` from
`BillingConfig.ready()`): a month's invoice by its month (2026-05, 2026/5, 2026年5月), one row by its unique
key (`selectors.invoice_get`)."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from billing.permissions import VIEW_BILLING
from billing.selectors import invoice_get
from portal.core.finders import Finder, Found, Result

#: A month as people type it: year and month, joined by "-", "/", "." or 年 (and an optional 月).
_MONTH = re.compile(r"^(\d{4})\s?(?:-|/|\.|年)\s?(\d{1,2})\s?月?$")


def invoices_find(q: str, *, user, limit: int) -> Found:
    """LINE WORKS' invoice of the month `q` names, if it has been read."""
    typed = _MONTH.match(q)
    if typed is None:
        return Found()
    year, month = int(typed.group(1)), int(typed.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return Found()
    found = invoice_get(user=user, year=year, month=month)
    if found is None:
        return Found()
    result = Result(
        label=f"{year}-{month:02d}",
        url=reverse("billing:details", kwargs={"year": year, "month": month}),
    )
    return Found(results=(result,))


FINDERS = [
    Finder(key="billing", label=_("LINE WORKS invoices"), perm=VIEW_BILLING, find=invoices_find, order=50),
]
