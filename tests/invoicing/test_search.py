"""The search of issued invoices (issue 33): by issue date range, total range and customer (the three keys the
law names), and kind, on the list machinery; its CSV is exactly the filtered list; rows link each document's PDF
and the invoice it corrects."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import services
from invoicing.models import CustomerBilling
from portal.core.access import Role
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.downloads import csv_of
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.conftest import M

FIN = Role.FINANCE
URL = reverse("invoicing:search")


@pytest.fixture
def issued(month, monkeypatch):
    """No. 1 Alpha ¥7,621 and No. 2 Beta ¥3,300 issued on 2026-11-02; credit note No. 3 of No. 1 (-¥1,100)
    issued on 2026-11-20."""
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe", language="en"
    )
    finance = make_persona(FIN)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    pin_business_today(monkeypatch, dt.date(2026, 11, 20))
    services.credit_note_issue(
        user=finance, number=1, credits={0: 1_000}, return_date=None, reason="", key="a" * 32
    )
    return month


def _numbers(client, **query) -> list[int]:
    body = client.get(URL, query).content.decode()
    return [int(n) for n in re.findall(r'<tr data-number="(\d+)"', body)]


def test_finds_by_date_total_customer_and_kind(client_as, issued):
    client = client_as(FIN)
    assert _numbers(client) == [3, 2, 1]  # newest first
    assert _numbers(client, issued_from="2026-11-03") == [3]
    assert _numbers(client, issued_to="2026-11-02") == [2, 1]
    assert _numbers(client, total_min="5000") == [1]
    assert _numbers(client, total_max="0") == [3]  # a credit note's total is negative
    assert _numbers(client, total_min="-2000", total_max="4000") == [3, 2]
    assert _numbers(client, q="Alpha") == [1, 3]  # searched: by customer, then by date
    assert _numbers(client, q="Alpha", sort="-date") == [3, 1]
    assert _numbers(client, q=str(issued["beta"].domain_id)) == [2]
    assert _numbers(client, kind="credit_note") == [3]
    assert _numbers(client, sort="total") == [3, 2, 1]
    with CaptureQueriesContext(connection) as captured:
        body = client.get(URL).content.decode()
    # The invoice a credit note corrects is shown from the note's own row: no original read for each row.
    assert not [q for q in captured if 'JOIN "invoicing_issuedinvoice"' in q["sql"]]
    # Each row: number, kind, customer, date, total, its PDF and the invoice it corrects.
    assert "Credit note" in body and "-¥1,100" in body and "2026-11-20" in body
    assert reverse("invoicing:pdf", kwargs={"number": 3}) in body
    assert "No. 1 of 2026-11-02" in body and reverse("invoicing:issued", kwargs={"number": 1}) in body
    assert "3 documents" in body


def test_the_csv_is_the_filtered_list(client_as, issued):
    client = client_as(FIN)
    rows = csv_of(client.get(reverse("invoicing:search_export"), {"q": "Alpha"}))
    assert rows[0][:5] == [
        "Invoice number",
        "Kind",
        "Original invoice",
        "Original invoice date",
        "Date of issue",
    ]
    assert [(r[0], r[1], r[2], r[11]) for r in rows[1:]] == [
        ("3", "Credit note", "1", "-1100"),
        ("1", "Invoice", "", "7621"),
    ]
    ja = csv_of(
        client.get(reverse("invoicing:search_export"), {"kind": "invoice"}, HTTP_ACCEPT_LANGUAGE="ja")
    )
    assert len(ja) == 3


def test_the_page_reads_the_same_queries_for_more_invoices(client_as, issued):
    client = client_as(FIN)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "K.K."}).status_code == 200
        return len(captured)

    few = queries()
    other = make_persona(FIN, "finance2")
    for n in range(3):
        services.credit_note_issue(
            user=other, number=2, credits={0: 10}, return_date=None, reason="", key=f"{n}" * 32
        )
    assert queries() == few


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_filters_get_an_answer_not_an_error(client_as, issued, value):
    client = client_as(FIN)
    query = {
        name: value for name in ("q", "issued_from", "issued_to", "total_min", "total_max", "kind", "sort")
    }
    for url in (URL, reverse("invoicing:search_export")):
        assert client.get(url, query | {"page": value}).status_code in (200, 409), url


def test_the_page_counts_up_to_the_cap_apart_from_its_rows(client_as, issued, settings):
    """The pager counts the issued documents in a query of its own that stops one past the lists' cap, and reads
    the page's rows alone: no window count beside the rows, which made the database read and sort every issued
    invoice on every page, searched too (every invoice of every customer a common word finds). Past the cap the
    list says "more than N"."""
    settings.LIST_COUNT_CAP = 2
    client = client_as(FIN)
    for query in ({}, {"kind": "invoice", "sort": "total"}, {"page": "2"}, {"q": "K.K."}):
        with CaptureQueriesContext(connection) as captured:
            body = client.get(URL, query).content.decode()
        reads = [q["sql"] for q in captured if "invoicing_issuedinvoice" in q["sql"]]
        assert reads and not any(" OVER " in sql for sql in reads), query
        assert any("COUNT(*)" in sql and "LIMIT 3" in sql for sql in reads), query
    body = client.get(URL).content.decode()
    assert "More than 2 match" in body and _numbers(client) == [3, 2, 1]
    ja = client.get(URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "該当が2件を超えています" in ja


def test_a_search_opens_in_customer_order_paged_by_customer_and_pages_newest_first_when_asked(
    client_as, issued, settings
):
    """Searched, the list opens in customer order, as every searched list does (docs/lists.md, "Search"): the
    customers found in name order from the search table, each one's documents by date, only the page's
    customers read (`page_by_customer`), and the count stops one past the cap. Ordered by date, the page walks
    the issued documents newest first and keeps those of the customers found (read once, planned apart)."""
    settings.LIST_COUNT_CAP = 1
    client = client_as(FIN)
    assert _numbers(client, q="K.K.") == [1, 3, 2]
    assert _numbers(client, q="K.K.", sort="-customer") == [2, 3, 1]
    assert _numbers(client, q="K.K.", sort="-date") == [3, 2, 1]
    assert _numbers(client, q="Alpha", sort="-date") == [3, 1]
    body = client.get(URL, {"q": "Alpha"}).content.decode()
    assert "More than 1 match" in body and 'aria-sort="ascending"' in body
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, {"q": "K.K."})
    reads = [q["sql"] for q in captured if "invoicing_issuedinvoice" in q["sql"]]
    assert any("customers_customersearch" in sql and "sort_name" in sql for sql in reads), reads


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the gram table and the merge are PostgreSQL's")
def test_a_short_word_counts_by_probing_each_customer_s_documents_never_by_a_merge(
    client_as, issued, settings
):
    """A word of two or three characters finds its customers in the gram table; the issued documents of those
    customers are counted by probing each customer's documents (a year of them: the cap is reached after a few
    dozen customers), never by a merge along the whole customer index, which walks every customer's year of
    documents until the word's share passes the cap (`page_by_customer(dense=True)`)."""
    settings.LIST_COUNT_CAP = 1
    client = client_as(FIN)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(URL, {"q": "Be"}).content.decode()
    counts = [q["sql"] for q in captured if "COUNT(*)" in q["sql"] and "invoicing_issuedinvoice" in q["sql"]]
    assert counts and not any("_merged_key" in sql for sql in counts), counts
    assert any("customers_customersearchgram" in sql for sql in counts), counts
    assert _numbers(client, q="Be") == [2] and "Beta" in body
