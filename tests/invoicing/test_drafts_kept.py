"""The month's drafts as its pages read them: kept by the worker (`services.drafts_keep`, `portal.core.kept`),
never worked out in a reader's request. A page whose drafts are behind says so and shows what is kept; the
worker's task then brings the changed customer up to date; issuing still issues from drafts worked out at issue
time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import PriceEntry
from invoicing import selectors, services
from invoicing.models import CustomerBilling, DraftCopy, IssuedInvoice, IssuerDetails
from portal.core import kept
from portal.core.access import Role
from portal.core.copies import copies_changed_count, copies_changed_since
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

pytestmark = pytest.mark.kept_by_worker

#: The tables a draft is worked out from, customer by customer: a reader's request never reads them for the
#: month's page (it reads the price book's stamp and the partner's details, to know whether they moved).
WORKED_FROM = ("billing_invoiceitem", "invoicing_customerbilling", "invoicing_draftpriceedit")


@pytest.fixture
def queued(monkeypatch):
    """The months the pages queue for the worker (the task itself is run by the test, as the worker would)."""
    from django.core.cache import cache

    cache.clear()  # an earlier test's issue run queued its month (a mark kept QUEUE_EVERY)
    sent: list[dict] = []
    monkeypatch.setattr(kept.keep_task, "delay", lambda **k: sent.append(k))
    monkeypatch.setattr(kept, "QUEUE_EVERY", 0)
    return sent


def _page(client, django_capture_on_commit_callbacks, **query) -> tuple[str, list[str]]:
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as captured:
        body = client.get(reverse("invoicing:drafts", kwargs=M), query).content.decode()
    return body, [q["sql"] for q in captured]


def test_a_month_never_worked_out_says_so_and_the_worker_fills_it(
    client_as, month, queued, django_capture_on_commit_callbacks
):
    client = client_as(Role.FINANCE)
    body, reads = _page(client, django_capture_on_commit_callbacks)
    assert 'data-kept="never"' in body and "Being worked out" in body
    assert "No customer is billed in this month." not in body
    assert not [sql for sql in reads if any(table in sql for table in WORKED_FROM)]
    assert {"name": selectors.DRAFTS_KEPT, **M} in queued
    kept.keep_task(**queued[-1])  # the worker
    body, reads = _page(client, django_capture_on_commit_callbacks)
    assert 'data-testid="kept-state"' not in body
    assert "¥7,621" in body and "No billing details: add the name and address to bill." in body
    assert "Issue 1 invoice" in body
    assert not [sql for sql in reads if any(table in sql for table in WORKED_FROM)]
    with translation.override("ja"):
        ja = client.get(reverse("invoicing:drafts", kwargs=M), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "請求先の情報がありません" in ja


def test_a_customer_s_billing_details_saved_are_worked_out_by_the_worker_not_the_reader(
    client_as, month, queued, django_capture_on_commit_callbacks
):
    beta = month["beta"]
    finance = make_persona(Role.FINANCE)
    services.drafts_keep(**M)
    client = client_as(Role.FINANCE)
    before = timezone.now()
    services.customer_billing_set(
        actor=finance,
        domain_id=beta.domain_id,
        billed=True,
        bill_to_name="Beta K.K.",
        bill_to_address="札幌市中央区1-1",
        invoice_email="",
        language="en",
    )
    # The portal's own data of Beta moved, not its cache copy: the drafts are behind, the estimate (made from the
    # cache alone) is not.
    assert copies_changed_since(before, own=True) == {beta.domain_id}
    assert copies_changed_count(before) == 0
    queued.clear()
    body, reads = _page(client, django_capture_on_commit_callbacks)
    # Read as kept: Beta still blocked, said to be being worked out again; nothing worked out in the request.
    assert 'data-kept="behind"' in body and "1 customer is being worked out again" in body
    assert DraftCopy.objects.get(domain_id=beta.domain_id).state == "blocked"
    assert "Issue 1 invoice" in body
    assert not [sql for sql in reads if any(table in sql for table in WORKED_FROM)]
    assert {"name": selectors.DRAFTS_KEPT, **M} in queued
    # The worker brings Beta (alone) up to date.
    kept.keep_task(**queued[-1])
    assert DraftCopy.objects.get(domain_id=beta.domain_id).state == "ready"
    body, _reads = _page(client, django_capture_on_commit_callbacks)
    assert 'data-testid="kept-state"' not in body and "Issue 2 invoices" in body


def test_issuing_issues_the_drafts_as_they_are_at_issue_time_not_as_kept(
    month, queued, django_capture_on_commit_callbacks
):
    """A price changed after the drafts were kept: the page still shows the kept total (and says the month is
    being worked out again), but the invoice issued is worked out from the price book at issue time."""
    finance = make_persona(Role.FINANCE)
    services.drafts_keep(**M)
    alpha = month["alpha"]
    assert DraftCopy.objects.get(domain_id=alpha.domain_id).total == 7_621
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=450, price=700, effective_from=dt.date(2026, 10, 1)
    )
    assert selectors.drafts_state(**M).whole
    run = services.month_issue_request(user=finance, **M)
    with django_capture_on_commit_callbacks(execute=True):
        services.month_issue(run_id=run.pk)
    invoice = IssuedInvoice.objects.get(domain_id=alpha.domain_id)
    assert invoice.number == 1 and invoice.total > 7_621
    # The run queued the month: the worker then lists it issued, at its issued total.
    assert {"name": selectors.DRAFTS_KEPT, **M} in queued
    kept.keep_task(**queued[-1])
    copy = DraftCopy.objects.get(domain_id=alpha.domain_id)
    assert (copy.state, copy.issued_number, copy.total) == ("issued", 1, invoice.total)
    assert selectors.drafts_state(**M).current
    assert CustomerBilling.objects.count() == 1


def test_a_draft_blocked_by_the_partner_s_own_details_is_kept_with_that_reason_in_each_language(
    month, queued
):
    """The partner's details missing block every draft: each kept draft says so in the reader's language."""
    IssuerDetails.objects.all().delete()
    services.drafts_keep(**M)
    copies = DraftCopy.objects.filter(year=M["year"], month=M["month"])
    assert {copy.state for copy in copies} == {"blocked"}
    for copy in copies:
        with translation.override("en"):
            assert "The partner's own billing details (name, address, registration number) are missing." in (
                copy.blocked
            )
        with translation.override("ja"):
            assert "自社の請求情報（名称、住所、登録番号）が登録されていません。" in copy.blocked
