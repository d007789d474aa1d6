"""Number first, render after: the counter's lock is held only to number an invoice and store its facts; the PDF
is rendered after the commit from those facts and stored once with its SHA-256. An invoice whose worker died in
between is "being prepared" on the pages, and the resumed run or a retry renders it, with no gap or duplicate."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.urls import reverse

from invoicing import document, services
from invoicing.models import CustomerBilling, IssuedInvoice, IssueRun
from invoicing.services import pdfs
from portal.core.access import Role
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M


class WorkerKilled(BaseException):
    """Stands for the worker's process dying (not an error the run could record)."""


@pytest.fixture
def beta_billed(month):
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe", language="en"
    )
    return month


@pytest.mark.django_db(transaction=True)
def test_the_pdf_is_rendered_after_the_number_is_committed(beta_billed, monkeypatch):
    seen = []
    render = document.invoice_pdf

    def watching(invoice):
        # Outside any transaction (the counter's lock released), the invoice already stored with its number.
        seen.append(
            (connection.in_atomic_block, IssuedInvoice.objects.filter(number=invoice.number).exists())
        )
        return render(invoice)

    monkeypatch.setattr(document, "invoice_pdf", watching)
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    assert seen == [(False, True), (False, True)]
    for invoice in IssuedInvoice.objects.all():
        assert invoice.pdf_ready and hashlib.sha256(invoice.pdf_bytes()).hexdigest() == invoice.pdf_sha256


def test_a_worker_killed_before_the_pdf_leaves_it_being_prepared_then_a_retry_renders_it(
    beta_billed, client_as, monkeypatch, django_capture_on_commit_callbacks
):
    finance = make_persona(Role.FINANCE)
    render = document.invoice_pdf

    def dies(invoice):
        raise WorkerKilled

    monkeypatch.setattr(document, "invoice_pdf", dies)
    run = services.month_issue_request(user=finance, **M)
    with pytest.raises(WorkerKilled):
        services.month_issue(run_id=run.pk)
    # The run numbers all its invoices first, then renders: the worker died rendering, both are numbered.
    numbered = [(i.number, i.pdf_ready) for i in IssuedInvoice.objects.order_by("number")]
    assert numbered == [(1, False), (2, False)]

    client = client_as(Role.FINANCE)
    body = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "Issued No. 1" in body and "PDF being prepared" in body and 'data-testid="pdfs-render"' in body
    assert reverse("invoicing:pdf", kwargs={"number": 1}) not in body
    response = client.get(reverse("invoicing:pdf", kwargs={"number": 1}))
    assert response.status_code == 409 and "its PDF is being prepared" in response.content.decode()

    # The worker is back: the retry (the page's button) resumes the open run and renders the PDFs.
    monkeypatch.setattr(document, "invoice_pdf", render)
    with django_capture_on_commit_callbacks():
        assert client.post(reverse("invoicing:issue", kwargs=M), {"confirmed": "1"}).status_code == 302
    resumed = IssueRun.objects.get(finished_at=None)
    assert resumed.pk == run.pk, "the open run is resumed"
    services.month_issue(run_id=resumed.pk)  # what the queued task does
    numbers = list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [1, 2]
    for invoice in IssuedInvoice.objects.all():
        assert invoice.pdf_ready and hashlib.sha256(invoice.pdf_bytes()).hexdigest() == invoice.pdf_sha256
    body = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "PDF being prepared" not in body and 'data-testid="pdfs-render"' not in body
    assert client.get(reverse("invoicing:pdf", kwargs={"number": 1}))["Content-Type"] == "application/pdf"


def test_the_pdf_is_stored_once_and_is_the_rendering_of_the_stored_facts(month, monkeypatch):
    monkeypatch.setattr(pdfs, "invoice_pdf_render", lambda invoice: False)  # numbered, not rendered
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    monkeypatch.undo()
    invoice = IssuedInvoice.objects.get()
    assert not invoice.pdf_ready
    assert services.invoice_pdf_render(invoice) is True
    stored = IssuedInvoice.objects.get()
    # A second renderer (a run resumed while the first was alive) writes nothing: stored once.
    assert services.invoice_pdf_render(IssuedInvoice.objects.defer("pdf").get()) is False
    assert IssuedInvoice.objects.filter(pk=invoice.pk).pdf_store_once(name="other.pdf", sha256="0" * 64) == 0
    again = IssuedInvoice.objects.get()
    assert again.pdf_sha256 == stored.pdf_sha256 and again.pdf_bytes() == stored.pdf_bytes()
    # Deterministic: the stored facts render to the very bytes stored.
    assert document.sha256(document.invoice_pdf(again)) == again.pdf_sha256
