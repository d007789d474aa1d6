"""Cursor pagination: following nextCursor (percent-encoded), the largest page size, the page cap."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from partner_api import PaginationError
from tests.partner_api import contract
from tests.partner_api.conftest import BASE_URL

CUSTOMERS = BASE_URL + "/partners/customers"
DETAILS = BASE_URL + "/partners/invoice-details"


def customer(n: int) -> dict:
    (_, example), *_ = contract.response_examples("getCustomer")
    return {**example, "domainId": n, "domain": f"c{n}.example.com"}


def page(items, cursor=None, key="customers"):
    body = {key: items}
    if cursor is not None:
        body["responseMetaData"] = {"nextCursor": cursor}
    return body


def test_iter_customers_follows_cursors(client, rsps):
    rsps.add("GET", CUSTOMERS, json=page([customer(1), customer(2)], "bmV4dA+/=="))
    rsps.add("GET", CUSTOMERS, json=page([customer(3)], "c2Vjb25k"))
    rsps.add("GET", CUSTOMERS, json=page([customer(4)]))

    ids = [c.domain_id for c in client.iter_customers(order_by="name asc")]

    assert ids == [1, 2, 3, 4]
    urls = [c.request.url for c in rsps.calls]
    assert "cursor" not in urls[0]
    assert "cursor=bmV4dA%2B%2F%3D%3D" in urls[1]  # percent-encoded
    queries = [parse_qs(urlsplit(u).query) for u in urls]
    assert queries[1]["cursor"] == ["bmV4dA+/=="]
    assert all(q["count"] == ["30"] and q["orderBy"] == ["name asc"] for q in queries)
    for q in queries:
        contract.validate_query("listCustomers", q)


def test_empty_metadata_ends_the_listing(client, rsps):
    rsps.add("GET", CUSTOMERS, json={"customers": [customer(1)], "responseMetaData": {}})
    assert len(list(client.iter_customers())) == 1
    assert len(rsps.calls) == 1


def test_iter_invoice_details_uses_its_own_maximum(client, rsps):
    rsps.add("GET", DETAILS, json=page([{"domainId": 1}], "Mg==", key="invoiceDetails"))
    rsps.add("GET", DETAILS, json=page([{"domainId": 2}], key="invoiceDetails"))

    details = list(client.iter_invoice_details(year=2026, month=10))

    assert [d.domain_id for d in details] == [1, 2]
    for call in rsps.calls:
        query = parse_qs(urlsplit(call.request.url).query)
        assert query["count"] == ["20"] and query["year"] == ["2026"] and query["month"] == ["10"]
        contract.validate_query("listInvoiceDetails", query)


def test_page_cap(client, rsps):
    for n in range(5):
        rsps.add("GET", CUSTOMERS, json=page([customer(n)], f"cursor-{n}"))
    with pytest.raises(PaginationError, match="more than 3 pages"):
        list(client.iter_customers(max_pages=3))
    assert len(rsps.calls) == 3


def test_a_repeated_cursor_stops_the_listing(client, rsps):
    rsps.add("GET", CUSTOMERS, json=page([customer(1)], "same"))
    rsps.add("GET", CUSTOMERS, json=page([customer(2)], "same"))
    with pytest.raises(PaginationError, match="same cursor"):
        list(client.iter_customers())
    assert len(rsps.calls) == 2


def test_iteration_is_lazy(client, rsps):
    rsps.add("GET", CUSTOMERS, json=page([customer(1)], "more"))
    iterator = client.iter_customers()
    assert len(rsps.calls) == 0
    next(iterator)
    assert len(rsps.calls) == 1
