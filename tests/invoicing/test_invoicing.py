"""The invoicing pages as Finance uses them: billing details (validated first, audited), the worklist of
customers without them, the month's drafts and a draft's preview, and issuing: gap-free numbers, once, final."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from billing.models import PriceEntry
from invoicing import selectors, services
from invoicing.models import (
    CustomerBilling,
    InvoiceCounter,
    IssuedInvoice,
    IssuedIsFinal,
    IssuerDetails,
    IssueRun,
)
from portal.core import clock
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

FIN, ADM = Role.FINANCE, Role.ADMIN
ISSUER = {
    "registered_name": "Partner K.K.",
    "address": "Tokyo",
    "corporation": "on",
    "registration_number": "T1180301018771",
    "bank_account": "Bank",
    "payment_terms": "days_30",
    "billing_basis": "after_invoice",
}


def test_the_partner_s_details_are_validated_first_then_saved_and_audited(client_as, month):
    client = client_as(FIN)
    url = reverse("invoicing:issuer")
    response = client.post(url, ISSUER | {"registration_number": "T1180301018772"})
    assert response.status_code == 200
    assert "not a corporate number" in response.content.decode()
    assert IssuerDetails.objects.get().registration_number == "T7000012050002"
    assert not AuditEntry.objects.exists()

    # Full-width digits and a lower-case t, as people paste them, are stored as T and ASCII digits.
    response = client.post(url, ISSUER | {"registration_number": "ｔ１１８０３０１０１８７７１"})
    assert response.status_code == 302
    assert IssuerDetails.objects.get().registration_number == "T1180301018771"
    entry = AuditEntry.objects.get()
    assert entry.operation_id == "portal.setIssuerDetails"
    assert entry.request_summary["changed"]["registration_number"] == {
        "before": "T7000012050002",
        "after": "T1180301018771",
    }
    client.post(url, ISSUER)
    assert AuditEntry.objects.count() == 1, "a change that changes nothing records nothing"


def test_a_customer_s_details_are_saved_audited_and_a_billed_one_needs_its_address(client_as, month):
    client = client_as(FIN)
    beta = month["beta"].domain_id
    url = reverse("invoicing:customer", kwargs={"domain_id": beta})
    page = client.get(url).content.decode()
    assert "Beta K.K." in page  # the name to bill starts as the company's
    response = client.post(
        url, {"billed": "on", "bill_to_name": "Beta", "bill_to_address": "", "language": "en"}
    )
    assert (
        response.status_code == 200
        and "A billed customer needs this on its invoice." in response.content.decode()
    )
    response = client.post(
        url,
        {
            "billed": "on",
            "bill_to_name": "Beta",
            "bill_to_address": "Kobe",
            "language": "en",
            "next": "/invoicing/2026/10/",
        },
    )
    assert response["Location"] == "/invoicing/2026/10/"
    assert CustomerBilling.objects.get(domain_id=beta).language == "en"
    entry = AuditEntry.objects.get()
    assert (entry.operation_id, entry.domain_id) == ("portal.setCustomerBilling", beta)
    # Another site in `next` is not followed.
    response = client.post(
        url, {"bill_to_name": "Beta", "bill_to_address": "Kobe", "language": "en", "next": "//evil.example/"}
    )
    assert response["Location"] == reverse("invoicing:start")
    assert CustomerBilling.objects.get(domain_id=beta).billed is False


def test_customers_without_billing_details_are_finance_s_worklist_item(client_as, month):
    body = client_as(FIN).get(reverse("home")).content.decode()
    assert "Customers without billing details" in body
    assert reverse("invoicing:customer", kwargs={"domain_id": month["beta"].domain_id}) in body
    assert reverse("invoicing:customer", kwargs={"domain_id": month["alpha"].domain_id}) not in body
    assert (
        "Customers without billing details"
        not in client_as(Role.SUPPORT).get(reverse("home")).content.decode()
    )


def test_the_drafts_page_lists_ready_and_blocked_drafts_with_totals(client_as, month):
    client = client_as(FIN)
    # The room opens on the month that closed last, as its own address shows it.
    start = client.get(reverse("invoicing:start")).content.decode()
    assert "Customer invoices 2026-10" in start
    assert reverse("invoicing:draft", kwargs={**M, "domain_id": month["alpha"].domain_id}) in start
    body = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    # Alpha: 10 licences at ¥600 for the month, 3 from the 16th (16 of 31 days: ¥929); tax once: 10% of ¥6,929.
    assert "¥6,929" in body and "¥692" in body and "¥7,621" in body
    assert "No billing details: add the name and address to bill." in body
    assert 'data-testid="issue-month"' in body and "Issue 1 invoice" in body
    with translation.override("ja"):
        body = client.get(reverse("invoicing:drafts", kwargs=M), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "顧客への請求書" in body and "請求先の情報がありません" in body


def test_an_option_plus_app_the_invoice_does_not_name_is_billed_as_charged_and_a_named_one_needs_a_price(
    client_as, month
):
    """The price book holds prices by product or option: an Option Plus app's usage-based charge with no item id
    (as the sandbox's are) has nothing to price it by, so it is passed on at what LINE WORKS charged and the
    draft goes; an item that names an option the book has no price for blocks its customer's draft."""
    from tests.billing.factories import make_item

    make_item(month["alpha"], **M, item_type="OPTION_PLUS", item_id="", plan="MONTHLY", amount=3_000)
    finance = make_persona(FIN)

    def alpha():
        found = selectors.month_drafts(user=finance, **M).drafts
        return next(d for d in found if d.domain_id == month["alpha"].domain_id)

    assert alpha().blocked == []
    assert [line.amount for line in alpha().lines if line.item_type == "OPTION_PLUS"] == [3_000]
    make_item(month["alpha"], **M, item_type="OPTION_PRODUCT", item_id="DRV", plan="MONTHLY", amount=500)
    assert len(alpha().blocked) == 1 and "no price" in alpha().blocked[0]


def test_a_free_or_trial_item_billed_at_nothing_is_nothing_on_the_draft_unless_the_book_prices_it(month):
    """A Free plan or a trial LINE WORKS billed nothing for needs no price: the draft goes with it at ¥0 (the
    sandbox's month has such items for a few customers, which blocked their drafts). A trial LINE WORKS did bill
    for still needs a price, and a price the book has for it is used."""
    from tests.billing.factories import make_item

    finance = make_persona(FIN)

    def alpha():
        found = selectors.month_drafts(user=finance, **M).drafts
        return next(d for d in found if d.domain_id == month["alpha"].domain_id)

    make_item(month["alpha"], **M, item_id="FR", plan="FREE", amount=0)
    make_item(month["alpha"], **M, item_id="ADV_T", plan="TRIAL", amount=0)
    assert alpha().blocked == []
    assert [line.amount for line in alpha().lines if line.plan in ("FREE", "TRIAL")] == [0, 0]
    PriceEntry.objects.create(
        item_id="ADV_T", plan="TRIAL", cost=0, price=100, effective_from=dt.date(2026, 1, 1)
    )
    assert sorted(line.amount for line in alpha().lines if line.plan in ("FREE", "TRIAL")) == [
        0,
        800,
    ]  # 8 members
    make_item(month["alpha"], **M, item_id="STD_T", plan="TRIAL", amount=300)
    assert len(alpha().blocked) == 1 and "no price" in alpha().blocked[0]


def test_issuing_asks_for_a_confirmation_first(client_as, month, django_capture_on_commit_callbacks):
    client = client_as(FIN)
    url = reverse("invoicing:issue", kwargs=M)
    for answer in (
        client.get(url),
        client.post(url),
    ):  # the button's page, or a post without the confirmation
        body = answer.content.decode()
        assert answer.status_code == 200 and 'data-testid="confirm-issue"' in body
        assert "1 invoice, ¥7,621 in all (tax included)" in body and "cannot be changed or deleted" in body
    assert not IssueRun.objects.exists()
    with django_capture_on_commit_callbacks():
        confirmed = client.post(url, {"confirmed": "1"})
    assert confirmed.status_code == 302 and IssueRun.objects.get().total == 1


def test_a_draft_s_preview_shows_what_the_invoice_will_say(client_as, month):
    url = reverse("invoicing:draft", kwargs={**M, "domain_id": month["alpha"].domain_id})
    body = client_as(FIN).get(url).content.decode()
    for text in (
        "パートナー株式会社",
        "T7000012050002",
        "Alpha K.K. 経理部",
        "大阪市北区1-2",
        "2026-12-31",
        "¥7,621",
    ):
        assert text in body, text
    missing = reverse("invoicing:draft", kwargs={**M, "domain_id": 1})
    assert client_as(FIN).get(missing).status_code == 404


def _issue(user):
    run = services.month_issue_request(user=user, **M)
    return services.month_issue(run_id=run.pk)


def test_issuing_gives_gap_free_numbers_once_and_skips_the_blocked(client_as, month):
    finance = make_persona(FIN)
    run = _issue(finance)
    assert (run.total, run.done, run.finished_at is not None) == (1, 1, True)
    invoice = IssuedInvoice.objects.get()
    assert (invoice.number, invoice.domain_id, invoice.total, invoice.tax) == (
        1,
        month["alpha"].domain_id,
        7_621,
        692,
    )
    assert invoice.issuer["registration_number"] == "T7000012050002"
    # Written in the customer's language (Japanese), whatever the issuer reads the portal in.
    assert invoice.lines[0]["description"] == "スタンダード／年額（ライセンス）"
    # Again (a double click after it finished, a retried task): nothing more is issued.
    with pytest.raises(services.IssueRefused):
        services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    assert IssuedInvoice.objects.count() == 1
    # Beta gets its details: the next number, no gap.
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe"
    )
    _issue(finance)
    assert list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
    assert InvoiceCounter.objects.get().next_number == 3
    assert AuditEntry.objects.filter(operation_id="portal.issueCustomerInvoice").count() == 2
    body = client_as(FIN).get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "Issued No. 1" in body and "Issued No. 2" in body and 'data-testid="issue-month"' not in body


def test_a_run_interrupted_resumes_without_a_gap_or_a_duplicate(month):
    finance = make_persona(FIN)
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe"
    )
    run = services.month_issue_request(user=finance, **M)
    # The worker died after the first invoice: issue one by hand, the run still open.
    first = selectors.ready_drafts(user=finance, issue_date=clock.today(), **M)[0]
    services.invoice_issue(draft=first, user=finance, run=run, **M)
    again = services.month_issue_request(user=finance, **M)
    assert again.pk == run.pk, "the open run is resumed, not doubled"
    services.month_issue(run_id=run.pk)
    assert sorted(IssuedInvoice.objects.values_list("number", flat=True)) == [1, 2]
    assert IssueRun.objects.get().done == 2


def test_an_issued_invoice_is_never_edited_or_deleted(month):
    _issue(make_persona(FIN))
    invoice = IssuedInvoice.objects.get()
    invoice.total = 1
    for attempt in (invoice.save, invoice.delete, IssuedInvoice.objects.all().delete):
        with pytest.raises(IssuedIsFinal):
            attempt()
    with pytest.raises(IssuedIsFinal):
        IssuedInvoice.objects.filter(pk=invoice.pk).update(total=1)
    assert IssuedInvoice.objects.get().total == 7_621
    admin = site._registry[IssuedInvoice]
    request = RequestFactory().get("/")
    request.user = make_persona(ADM)
    assert not admin.has_change_permission(request, invoice) and not admin.has_delete_permission(
        request, invoice
    )


@pytest.mark.django_db(transaction=True)
def test_two_issuers_at_once_issue_each_invoice_once(month):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections: PostgreSQL (SQLite serialises every write anyway)")
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe"
    )
    finance = make_persona(FIN)
    ready = selectors.ready_drafts(user=finance, issue_date=clock.today(), **M)
    barrier = threading.Barrier(4)

    def issue_all():
        barrier.wait()
        try:
            for draft in ready:
                services.invoice_issue(draft=draft, user=finance, **M)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(IssuedInvoice.objects.values_list("number", flat=True)) == [1, 2]
    assert InvoiceCounter.objects.get().next_number == 3


def _queries(client, url) -> int:
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(conn) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.kept_by_worker
def test_the_drafts_page_reads_the_same_queries_for_more_customers(client_as, month):
    from tests.billing.factories import make_item
    from tests.customers.factories import make_customer

    client = client_as(FIN)
    url = reverse("invoicing:drafts", kwargs=M)
    services.drafts_keep(**M)  # the worker
    few = _queries(client, url)
    for n in range(12):
        customer = make_customer(company_name=f"More {n}")
        make_item(customer, **M)
        CustomerBilling.objects.create(domain_id=customer.domain_id, bill_to_name="X", bill_to_address="Y")
    services.drafts_keep(**M, whole=True)
    assert _queries(client, url) == few


def test_the_page_polls_a_run_under_way_and_reloads_when_it_is_done(client_as, month):
    finance = make_persona(FIN)
    client = Client()
    client.force_login(finance)
    url = reverse("invoicing:drafts", kwargs=M)
    run = services.month_issue_request(user=finance, **M)
    body = client.get(url).content.decode()
    assert 'data-hx-trigger="every 2s"' in body and "0 invoices issued of 1" in body
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "issue-run"}
    assert "0 invoices issued of 1" in client.get(url, **poll).content.decode()
    services.month_issue(run_id=run.pk)
    assert client.get(url, **poll)["HX-Refresh"] == "true"


def test_a_run_that_numbered_nothing_yet_shows_valid_progress_bars(client_as, month, tmp_path):
    """As a run starts nothing is numbered, so the PDFs have no total yet: that bar waits (no maximum) rather
    than claiming a maximum of 0, which no browser can draw and HTML does not allow."""
    from tests.core.test_valid_html import vnu_errors

    finance = make_persona(FIN)
    client = Client()
    client.force_login(finance)
    services.month_issue_request(user=finance, **M)
    body = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    bars = re.findall(r"<progress[^>]*>", body)
    assert len(bars) == 2 and not any('max="0"' in bar for bar in bars), bars
    assert vnu_errors({"drafts": body}, tmp_path) == []
