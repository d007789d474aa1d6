"""The month's findings as a list of the house's list machinery: a page at a time (those to explain as it opens,
by customer), filtered by whether explained, kind and customer, counted up to the cap, exported as shown; the
links from the invoice details, the estimate and the customer page land on the customer's findings; explaining
one still works; a filter value the page cannot read is said, not a 500. The page reads one page of rows from an
index of the month (billing migration 0018) on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import selectors
from billing.models import Finding
from billing.selectors.findings import PAGE_FIELDS
from portal.core.access import Role
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.downloads import csv_of
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
URL = reverse("billing:findings", kwargs=OCT)


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def _finding(customer=None, *, kind="licences", subject="1", **fields) -> Finding:
    return Finding.objects.create(
        **OCT,
        domain_id=customer.domain_id if customer else 0,
        customer_name=customer.company_name if customer else "",
        kind=kind,
        subject=subject,
        expected="12",
        billed="10",
        checked_at=timezone.now(),
        **fields,
    )


def _rows(body: str) -> list[tuple[int, str]]:
    """The findings a page lists, in its order: (pk, kind)."""
    return [(int(pk), kind) for pk, kind in re.findall(r'<tr data-finding="(\d+)" data-kind="(\w+)"', body)]


@pytest.fixture
def month(db):
    """Three customers' findings of the month, and the invoice's own: Alpha's to explain and explained, Beta's
    cost and its no longer found licences, Gamma's licences."""
    make_invoice(**OCT)
    alpha, beta, gamma = (make_customer(company_name=n) for n in ("Alpha K.K.", "Beta K.K.", "Gamma K.K."))
    found = {
        "alpha": _finding(alpha),
        "alpha_explained": _finding(
            alpha,
            kind="cost",
            subject="STD:2026-10-01",
            explained=True,
            note="Credit agreed",
            explained_by=make_persona(Role.FINANCE),
            explained_at=timezone.now(),
        ),
        "beta_cost": _finding(beta, kind="cost", subject="DRV:2026-10-01"),
        "beta_gone": _finding(beta, subject="2", still_found=False),
        "gamma": _finding(gamma),
        "invoice": _finding(kind="arithmetic", subject=""),
    }
    return {"customers": {"alpha": alpha, "beta": beta, "gamma": gamma}, **found}


def test_the_page_opens_on_the_findings_to_explain_by_customer_and_filters_them(client_as, month):
    client = client_as(Role.FINANCE)
    body = client.get(URL).content.decode()
    expected = ["alpha", "beta_cost", "gamma", "invoice"]  # by customer, the invoice's own (no name) last
    assert _rows(body) == [(month[k].pk, month[k].kind) for k in expected]
    assert "4 findings" in body
    explained = client.get(URL, {"status": "explained"}).content.decode()
    assert _rows(explained) == [(month["alpha_explained"].pk, "cost")]
    assert "Credit agreed" in explained and 'class="badge badge-ok">Explained<' in explained
    every = client.get(URL, {"status": "all"}).content.decode()
    order = ["alpha", "beta_cost", "beta_gone", "gamma", "invoice", "alpha_explained"]  # to explain first
    assert [pk for pk, _kind in _rows(every)] == [month[k].pk for k in order]
    assert "No longer found" in every
    costs = client.get(URL, {"kind": "cost", "status": "all"}).content.decode()
    assert {pk for pk, _kind in _rows(costs)} == {month["alpha_explained"].pk, month["beta_cost"].pk}
    searched = client.get(URL, {"q": "Gamma"}).content.decode()
    assert _rows(searched) == [(month["gamma"].pk, "licences")]
    by_kind = client.get(URL, {"sort": "kind"}).content.decode()
    assert [kind for _pk, kind in _rows(by_kind)] == ["arithmetic", "cost", "licences", "licences"]
    none = client.get(URL, {"q": "Nobody"}).content.decode()
    assert _rows(none) == [] and "No finding matches these filters." in none


def test_the_page_pages_its_findings(client_as, db, settings):
    """A month of many findings is read a page at a time: page 2 holds the next findings in the list's order."""
    make_invoice(**OCT)
    customers = [make_customer(company_name=f"Customer {n:03d} K.K.") for n in range(60)]
    for customer in reversed(customers):
        _finding(customer)
    client = client_as(Role.FINANCE)
    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": "2"}).content.decode()
    names = [html.unescape(n) for n in re.findall(r'#section-billing">([^<]+)</a>', first + second)]
    assert names == [c.company_name for c in customers]
    assert len(_rows(first)) == 50 and len(_rows(second)) == 10
    assert "60 findings" in second and 'href="?page=2"' in first
    small = client.get(URL, {"per_page": "25", "page": "3"}).content.decode()
    assert len(_rows(small)) == 10 and "Customer 050 K.K." in small


def test_past_the_cap_the_count_says_more_than_and_reads_no_more(client_as, month, settings):
    """As the page opens, the count stops one past the lists' cap, in a query of its own (no window count over the
    month's findings); past it the list says "more than N", in both languages."""
    settings.LIST_COUNT_CAP = 2
    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(URL).content.decode()
    reads = [q["sql"] for q in captured if "billing_finding" in q["sql"]]
    assert not any(" OVER " in sql for sql in reads)
    assert any("COUNT(*)" in sql and "LIMIT 3" in sql for sql in reads)
    assert "More than 2 match" in body
    ja = client.get(URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "該当が2件を超えています" in ja
    assert len(_rows(body)) == 4  # the page itself is read as it is
    # Searched, the rows carry their count (the month's findings are read beside the customers found anyway):
    # past the cap all the same.
    searched = client.get(URL, {"q": "K.K."}).content.decode()
    assert "More than 2 match" in searched and len(_rows(searched)) == 3


def test_a_search_counts_to_the_smaller_search_cap(client_as, month, settings):
    """Searched, the findings count to the search cap (LIST_SEARCH_COUNT_CAP, docs/lists.md) as every searched
    list does, with the hint to narrow the search; unsearched, the same findings are counted to the lists' cap."""
    settings.LIST_COUNT_CAP, settings.LIST_SEARCH_COUNT_CAP = 20, 2
    client = client_as(Role.FINANCE)
    searched = client.get(URL, {"q": "K.K."}).content.decode()
    assert "More than 2 match" in searched and len(_rows(searched)) == 3
    assert 'data-testid="narrow-search"' in searched
    unsearched = client.get(URL).content.decode()
    assert "More than" not in unsearched and "4 findings" in unsearched


def test_the_page_and_its_partial_read_the_same_few_queries_however_many_findings(
    client_as, month, django_assert_num_queries
):
    client = client_as(Role.FINANCE)
    partial = {"HX-Request": "true", "HX-Target": "results"}
    client.get(URL)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(URL, headers=partial)
    with CaptureQueriesContext(connection) as whole:
        client.get(URL)
    for n in range(40):
        _finding(month["customers"]["gamma"], subject=f"extra-{n}")
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get(URL, headers=partial).content.decode()
    assert body.lstrip().startswith('<div id="results"') and "<html" not in body
    with django_assert_num_queries(len(whole.captured_queries)):
        client.get(URL)


def test_the_links_to_a_customers_findings_land_on_the_list_filtered_to_it(client_as, month):
    """The customer page's Billing section, the invoice details' flag and the estimate beside the invoice link to
    the month's findings filtered to the customer (a query, not an anchor in a page of every finding): its
    findings, explained or not, those to explain first, and no other customer's."""
    beta = month["customers"]["beta"]
    client = client_as(Role.FINANCE)
    make_item(beta, flagged=True)
    section = client.get(reverse("customers:detail", args=[beta.domain_id])).content.decode()
    details = client.get(reverse("billing:details", kwargs=OCT), {"flagged": "on"}).content.decode()
    target = f"{URL}?domain_id={beta.domain_id}&amp;status=all"
    assert target in section and target in details
    body = client.get(html.unescape(target)).content.decode()
    assert _rows(body) == [(month["beta_cost"].pk, "cost"), (month["beta_gone"].pk, "licences")]
    assert f'name="domain_id" value="{beta.domain_id}"' in body  # the filter shows which customer
    # A customer the portal does not know (billed but not active) is found by its domainId all the same.
    unknown = Finding.objects.create(
        **OCT, domain_id=77_000_001, kind="billed_not_active", checked_at=timezone.now()
    )
    body = client.get(URL, {"domain_id": unknown.domain_id, "status": "all"}).content.decode()
    assert _rows(body) == [(unknown.pk, "billed_not_active")]


def test_explaining_a_finding_from_the_list(client_as, month):
    client = client_as(Role.FINANCE)
    body = client.get(URL, {"domain_id": month["gamma"].domain_id}).content.decode()
    explain = re.search(r'href="([^"]+)" data-testid="explain"', body).group(1)
    assert explain == reverse("billing:explain", kwargs={"pk": month["gamma"].pk})
    response = client.post(explain, {"note": "Added by the vendor in error; ticket 812"})
    assert response.status_code == 302 and response["Location"] == URL
    back = client.get(URL).content.decode()
    assert month["gamma"].pk not in [pk for pk, _kind in _rows(back)]  # no longer to explain
    explained = client.get(URL, {"status": "explained", "q": "Gamma"}).content.decode()
    assert _rows(explained) == [(month["gamma"].pk, "licences")] and "ticket 812" in explained
    # An Account manager reads the findings and is offered no explanation.
    body = client_as(Role.ACCOUNT_MANAGER).get(URL).content.decode()
    assert len(_rows(body)) == 3 and 'data-testid="explain"' not in body


def test_a_filter_value_the_page_cannot_read_is_said_not_a_500(client_as, month):
    client = client_as(Role.FINANCE)
    bad = {"status": "open'--", "kind": "<b>x</b>", "domain_id": "abc", "sort": "nope", "page": "-3"}
    response = client.get(URL, bad)
    assert response.status_code == 200
    body = response.content.decode()
    refused = re.search(r'data-testid="refused-filters">([^<]+)<', body).group(1)
    for label in ("Findings", "Kind", "Domain ID"):
        assert label in refused
    assert "<b>x</b>" not in body
    assert len(_rows(body)) == 4  # shown without them
    assert client.get(URL, bad, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results").status_code == 200
    assert client.get(reverse("billing:findings_export", kwargs=OCT), bad).status_code == 200


def test_the_export_is_exactly_the_filtered_list(client_as, month):
    client = client_as(Role.FINANCE)
    url = reverse("billing:findings_export", kwargs=OCT)
    rows = csv_of(client.get(url, {"status": "all", "kind": "licences"}))
    header, *lines = rows
    assert header[:6] == ["Year", "Month", "Domain ID", "Company", "Kind", "Kind (code)"]
    listed = [(line[3], line[5]) for line in lines]
    assert listed == [("Alpha K.K.", "licences"), ("Beta K.K.", "licences"), ("Gamma K.K.", "licences")]
    assert [line[4] for line in lines] == ["Licence count differs"] * 3
    page = client.get(URL, {"status": "all", "kind": "licences"}).content.decode()
    assert len(_rows(page)) == len(lines)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans of PostgreSQL")
def test_a_page_of_findings_is_read_from_the_months_index_alone_and_stops(db):
    """Billing migrations 0018-0019: a page of those to explain, those explained and every finding walks the
    month's index in the list's order and stops after the page, reading its columns from the index alone; one
    searched by a word many customers share never looks the month's findings up by an array of every customer
    found (a search that finds a few names them: `lists.among_found`)."""
    make_invoice(**OCT)
    customers = [make_customer(company_name=f"Customer {n:03d} K.K.") for n in range(200)]
    Finding.objects.bulk_create(
        Finding(
            **OCT,
            domain_id=customers[n % 200].domain_id,
            customer_name=f"Customer {n % 200:03d} K.K.",
            kind="licences",
            subject=str(n),
            explained=n % 5 == 0,
            checked_at=timezone.now(),
        )
        for n in range(3000)
    )
    finance = make_persona(Role.FINANCE)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE billing_finding")
        for status, q in (("", ""), ("explained", ""), ("all", ""), ("", "Customer")):
            filters = selectors.FindingFilters(status=status, q=q)
            qs = selectors.finding_list(user=finance, **OCT, filters=filters)
            sql, params = qs.values(*PAGE_FIELDS)[:50].query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # Searched by a word all 200 share: the customers found hashed, never an array of them.
            assert "ANY (" not in plan, (status, q, plan)
            if not q:
                assert "Index Only Scan using billing_finding_list" in plan, (status, plan)
                assert "Sort" not in plan, (status, plan)


def test_a_search_that_finds_few_customers_reads_their_findings_by_customer(client_as, month, monkeypatch):
    """A search for a customer (its name, code or domain) names the few customers it finds in the query, so the
    database reads their findings by the month's index of its customers, not every finding of the month to keep
    theirs; one that finds more (a word many companies share) keeps them in a hash beside the month's findings.
    Either way the page lists the same findings."""
    from portal.core.lists import shapes

    client = client_as(Role.FINANCE)

    def searched(q: str) -> tuple[list[tuple[int, str]], list[str]]:
        with CaptureQueriesContext(connection) as captured:
            body = client.get(URL, {"q": q}).content.decode()
        return _rows(body), [c["sql"] for c in captured if 'FROM "billing_finding"' in c["sql"]]

    rows, reads = searched("Gamma")
    assert rows == [(month["gamma"].pk, "licences")]
    gamma = month["customers"]["gamma"].domain_id
    assert reads and all(f'"domain_id" IN ({gamma})' in sql and "customersearch" not in sql for sql in reads)
    monkeypatch.setattr(shapes, "FEW_FOUND", 1)  # "K.K." finds three customers: more than a few
    rows, reads = searched("K.K.")
    assert rows == [(month[k].pk, month[k].kind) for k in ("alpha", "beta_cost", "gamma")]
    assert reads and all("customersearch" in sql for sql in reads)
