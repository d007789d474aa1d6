"""The month's drafts at a partner's size: a page at a time and by state, and one customer's draft worked out
from that customer's rows alone."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import services
from portal.core.access import Role
from tests.billing.factories import make_item
from tests.customers.factories import make_customer
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


def _domains(body: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-domain="(\d+)"', body)]


def test_the_month_s_drafts_are_filtered_by_state(client_as, month):
    """Ready, blocked or issued: the list shows those drafts; the month's totals above still count every one."""
    alpha, beta = month["alpha"], month["beta"]
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:drafts", kwargs=M)
    assert _domains(client.get(url).content.decode()) == [alpha.domain_id, beta.domain_id]
    ready = client.get(url, {"state": "ready"}).content.decode()
    assert _domains(ready) == [alpha.domain_id] and "1 draft" in ready
    assert 'data-testid="totals"' in ready and "<dd>1</dd>" in ready  # ready 1, blocked 1, issued 0
    assert _domains(client.get(url, {"state": "blocked"}).content.decode()) == [beta.domain_id]
    issued = client.get(url, {"state": "issued"}).content.decode()
    assert _domains(issued) == [] and "No draft is in this state." in issued
    # The filter answers in place: the results alone.
    swap = client.get(url, {"state": "blocked"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    fragment = swap.content.decode()
    assert _domains(fragment) == [beta.domain_id] and "<html" not in fragment and 'id="results"' in fragment
    ja = client.get(url, {"state": "issued"}, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "この状態の下書きはありません。" in ja
    assert client.get(url, {"state": "<script>", "page": "x"}).status_code == 200


def test_the_month_s_drafts_are_drawn_a_page_at_a_time(client_as, month):
    """The page draws one page of drafts (50 by default), never every customer's; the pager goes on to the
    rest and a page past the end is the last."""
    for n in range(55):
        customer = make_customer(company_name=f"Gamma {n:02d} K.K.")
        make_item(customer, **M, license_count=1, amount=450)
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:drafts", kwargs=M)
    first = client.get(url).content.decode()
    assert len(_domains(first)) == 50 and "57 drafts" in first and "Page 1 of 2" in first
    assert len(_domains(client.get(url, {"page": "2"}).content.decode())) == 7
    assert len(_domains(client.get(url, {"page": "99"}).content.decode())) == 7
    assert len(_domains(client.get(url, {"per_page": "100"}).content.decode())) == 57
    blocked = client.get(url, {"state": "blocked", "page": "2"}).content.decode()
    assert len(_domains(blocked)) == 6 and "56 drafts" in blocked


@pytest.mark.kept_by_worker
def test_the_month_s_pages_read_its_figures_from_the_month_not_every_draft(client_as, month):
    """The drafts' counts and totals by state are the worker's, kept on the month (`DraftMonth.totals`): the
    month's pages (drafts, start, issue) read its kept drafts a page at a time and never sum them all."""
    services.drafts_keep(**M)
    client = client_as(Role.FINANCE)
    for url in (
        reverse("invoicing:drafts", kwargs=M),
        reverse("invoicing:start"),
        reverse("invoicing:issue", kwargs=M),
    ):
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200, url
        reads = [q["sql"] for q in captured if '"invoicing_draftcopy"' in q["sql"]]
        assert all("LIMIT" in sql for sql in reads), (url, reads)
        assert not any("SUM(" in sql or "COUNT(" in sql for sql in reads), (url, reads)
    totals = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert 'data-testid="totals"' in totals and "¥7,621" in totals
