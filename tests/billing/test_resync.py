"""Invoices and invoice details are fetched from the sandbox (real HTTP through partner_api): a month fetched,
fetched again, and fetched during an injected fault (what was stored stays whole)."""

from __future__ import annotations

import pytest

from billing.models import Finding, Invoice, InvoiceItem, UsageSnapshot
from billing.rules import INVOICE_DETAILS, INVOICES
from portal.core import sync
from portal.core.models import SyncRun
from portal.core.sync.declarations import partner_wide
from sandbox.testing import iter_pages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _remote_items(sandbox, month) -> list[tuple]:
    client = sandbox.client("partner.read", validate=False)
    out = []
    for detail in iter_pages(client, "/partners/invoice-details", "invoiceDetails", count=20, **month):
        for item in detail["settlementItems"]:
            out.append(
                (
                    detail["domainId"],
                    item["itemType"],
                    item.get("itemId") or "",
                    item["startDate"],
                    item.get("amount"),
                )
            )
    return sorted(out, key=lambda t: (t[0], t[1], t[2], t[3], t[4] or 0))


def _cached_items(month) -> list[tuple]:
    rows = InvoiceItem.objects.filter(**month).values_list(
        "domain_id", "item_type", "item_id", "start_date", "amount"
    )
    return sorted(
        ((d, t, i, s.isoformat(), a) for d, t, i, s, a in rows),
        key=lambda t: (t[0], t[1], t[2], t[3], t[4] or 0),
    )


def test_a_month_is_fetched_whole_with_one_call_per_page(billing_sandbox, closed_month):
    remote = _remote_items(billing_sandbox, closed_month)
    customers = len({r[0] for r in remote})
    assert customers > 20, "the seed bills more customers than one page holds"
    billing_sandbox.clear_requests()

    run = sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month)

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert _cached_items(closed_month) == remote
    pages = -(-customers // 20)
    sent = [r for r in billing_sandbox.requests(limit=10_000) if r.get("operationId") == "listInvoiceDetails"]
    assert run.calls == {"listInvoiceDetails": pages} == {"listInvoiceDetails": len(sent)}


def test_the_year_of_invoices_is_fetched_and_each_adds_up(billing_sandbox, closed_month):
    run = sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]})
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    invoice = Invoice.objects.get(**closed_month)
    assert invoice.total_amount > 0 and invoice.total_difference == 0
    assert invoice.issued_time is not None


def test_fetching_a_month_again_replaces_it_and_keeps_explanations(billing_sandbox, closed_month, finance):
    sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month)
    first = _cached_items(closed_month)
    first_ids = set(InvoiceItem.objects.filter(**closed_month).values_list("pk", flat=True))
    finding = Finding.objects.filter(**closed_month).first()
    assert finding is not None, "the seed's anomalies give the check something to find"
    from billing import services

    services.finding_explain(user=finance, finding_id=finding.pk, note="Credit note 42 agreed")

    run = sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert _cached_items(closed_month) == first  # the same month, not twice
    assert not first_ids & set(InvoiceItem.objects.filter(**closed_month).values_list("pk", flat=True))
    finding.refresh_from_db()
    assert finding.explained and finding.note == "Credit note 42 agreed"


def test_a_fault_in_the_middle_of_a_walk_leaves_the_stored_months_intact(
    billing_sandbox, closed_month, monkeypatch
):
    previous = {
        "year": closed_month["year"] - (closed_month["month"] == 1),
        "month": (closed_month["month"] - 2) % 12 + 1,
    }
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=previous).status == SyncRun.Status.SUCCEEDED
    assert (
        sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == SyncRun.Status.SUCCEEDED
    )
    before_previous, before_month = _cached_items(previous), _cached_items(closed_month)
    assert before_previous and before_month

    # After the first page has been read, the sandbox fails every further page (a real 503 over HTTP).
    declaration = partner_wide(INVOICE_DETAILS)
    pages = []

    def items_then_fault(page):
        pages.append(page)
        if len(pages) == 1:
            billing_sandbox.set_fault("listInvoiceDetails", errorRate=1, errorStatus=503, remaining=100)
        return page.invoice_details

    object.__setattr__(declaration, "items_of", items_then_fault)
    try:
        run = sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month)
    finally:
        billing_sandbox.clear_faults()
        object.__setattr__(declaration, "items_of", lambda page: page.invoice_details)

    assert len(pages) == 1 and run.status == SyncRun.Status.FAILED
    assert _cached_items(closed_month) == before_month
    assert _cached_items(previous) == before_previous


def test_a_full_resync_reads_each_customers_usage_of_the_month(billing_sandbox):
    run = sync.resync_full()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert run.calls["listCustomerUsages"] == run.total
    assert UsageSnapshot.objects.values("domain_id").distinct().count() > 0


def test_the_seeds_anomalies_are_found_by_the_check(billing_sandbox, closed_month, read_month_usage):
    """The sandbox bills a cancelled customer and a licence count it did not sell, in the last closed month.
    The licences sold are the month's own usage snapshots (a full resync reads the running month's)."""
    assert sync.resync_full().status == SyncRun.Status.SUCCEEDED
    assert (
        sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == SyncRun.Status.SUCCEEDED
    )
    read_month_usage()

    kinds = set(Finding.objects.filter(**closed_month).values_list("kind", flat=True))
    assert {Finding.Kind.BILLED_NOT_ACTIVE, Finding.Kind.LICENCES} <= kinds
    licences = Finding.objects.get(kind=Finding.Kind.LICENCES, **closed_month)
    assert int(licences.billed) == int(licences.expected) + 3
    assert InvoiceItem.objects.filter(flagged=True, domain_id=licences.domain_id, **closed_month).exists()


def test_a_customer_s_subtotal_stands_under_the_items_it_sums_and_option_plus_is_named(
    billing_sandbox, closed_month, client_as
):
    """The contract's subtotal (SUMMARY) sums a customer's plans, options and adjustments; Option Plus and penalties
    are billed beside it. The details page listed it after Option Plus, smaller than the lines above it
    (株式会社大和建設: Plan ¥1,620 + Option Plus ¥3,000, subtotal ¥1,620), and the Option Plus row, which has no
    item id, named nothing."""
    import re

    from django.urls import reverse

    from portal.core.access import Role

    assert sync.resync_full().status == SyncRun.Status.SUCCEEDED  # the customers the page's search finds
    assert (
        sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == SyncRun.Status.SUCCEEDED
    )
    plus = InvoiceItem.objects.filter(**closed_month, item_type="OPTION_PLUS").values_list(
        "domain_id", flat=True
    )
    assert plus, "the seed bills Option Plus"
    domain_id = plus[0]
    url = reverse("billing:details", kwargs=closed_month)
    page = client_as(Role.FINANCE).get(url, {"q": str(domain_id)}).content.decode()
    rows = re.findall(
        r'<tr data-item="\d+" class="[^"]*"><td>.*?</td><td>([^<]*)(?:<a [^>]*>[^<]*</a>)?</td><td>([^<]*)</td>'
        r'.*?<td class="num nowrap">(?:<strong>)?([^<]*)',
        page,
        re.S,
    )
    kinds = [kind.strip() for kind, _item, _amount in rows]
    assert "Subtotal" in kinds and "Option Plus" in kinds, rows
    summed = kinds[: kinds.index("Subtotal")]
    assert set(summed) <= {"Plan", "Option", "Adjustment"} and summed, rows
    yen = [int(amount.replace("¥", "").replace(",", "") or 0) for _kind, _item, amount in rows]
    assert yen[kinds.index("Subtotal")] == sum(yen[: kinds.index("Subtotal")]), rows
    assert kinds.index("Option Plus") > kinds.index("Subtotal")
    assert [item for kind, item, _amount in rows if kind == "Option Plus"] == ["Option Plus"], rows
