"""The month's drafts at a partner's size: one customer's draft is worked out from that customer's rows alone."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core.access import Role
from tests.invoicing.conftest import M


def test_one_customer_s_draft_reads_that_customer_s_rows_alone(client_as, month):
    """The draft's page (and its price form) reads the customer's own items, issued invoice and price edits,
    never the month's every customer's (it worked out every draft to show one)."""
    alpha, beta = month["alpha"], month["beta"]
    client = client_as(Role.FINANCE)
    for name in ("invoicing:draft", "invoicing:draft_prices"):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse(name, kwargs={**M, "domain_id": alpha.domain_id}))
        assert page.status_code == 200 and "Alpha K.K." in page.content.decode(), name
        reads = [
            q["sql"]
            for q in captured
            if any(
                table in q["sql"]
                for table in ("billing_invoiceitem", "invoicing_issuedinvoice", "invoicing_draftpriceedit")
            )
        ]
        assert reads and all(str(alpha.domain_id) in sql for sql in reads), name
    # Its figures are those of the month's page.
    draft = client.get(
        reverse("invoicing:draft", kwargs={**M, "domain_id": alpha.domain_id})
    ).content.decode()
    assert "¥7,621" in draft
    other = client.get(reverse("invoicing:draft", kwargs={**M, "domain_id": beta.domain_id}))
    assert other.status_code == 200 and "Beta K.K." in other.content.decode()
    assert client.get(reverse("invoicing:draft", kwargs={**M, "domain_id": 1})).status_code == 404
