"""A month's PDFs are rendered in chunks that every worker shares: the run numbers its invoices first, queues a
task per chunk, and renders the chunks no other worker claimed; each PDF is stored once, the run counts numbered
and rendered and is finished by whoever stores the last PDF; a chunk whose worker died is rendered by the retry."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from invoicing import services
from invoicing.models import CustomerBilling, IssuedInvoice, IssueRun
from invoicing.services import pdfs
from portal.core.access import Role
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M


@pytest.fixture
def two_billed(month, settings):
    settings.INVOICE_PDF_CHUNK = 1  # two invoices: two chunks
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta", bill_to_address="Kobe", language="en"
    )
    cache.clear()
    return month


def _queued(monkeypatch, then=None):
    """The chunks the run queues for other workers (`then` stands for one that takes each at once)."""
    queued = []

    def delay(**kwargs):
        queued.append(kwargs)
        if then is not None:
            then(**kwargs)

    monkeypatch.setattr(services.pdf_chunk_render_task, "delay", delay)
    return queued


def test_alone_the_issuing_worker_renders_every_chunk_and_finishes_the_run(two_billed, monkeypatch):
    queued = _queued(monkeypatch)
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    run = services.month_issue(run_id=run.pk)
    assert [q["numbers"] for q in queued] == [[2]], "the first chunk is the issuer's, the others are queued"
    assert (run.done, run.rendered, run.finished_at is not None) == (2, 2, True)
    assert all(i.pdf_ready for i in IssuedInvoice.objects.all())
    # The queued chunk, taken later by another worker, finds it claimed and renders nothing again.
    assert services.pdf_chunk_render(**queued[0]) == 0
    assert IssueRun.objects.get().rendered == 2


def test_a_chunk_another_worker_took_is_not_rendered_twice(two_billed, monkeypatch):
    taken = []
    _queued(monkeypatch, then=lambda **kwargs: taken.append(services.pdf_chunk_render(**kwargs)))
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    calls = []
    render = services.invoice_pdf_render
    monkeypatch.setattr(
        pdfs, "invoice_pdf_render", lambda invoice: calls.append(invoice.number) or render(invoice)
    )
    run = services.month_issue(run_id=run.pk)
    assert taken == [1] and sorted(calls) == [1, 2], "each invoice rendered once, by one worker"
    assert (run.done, run.rendered, run.finished_at is not None) == (2, 2, True)


def test_a_chunk_whose_worker_died_is_rendered_by_the_retry(two_billed, monkeypatch, client_as):
    # The worker that took the second chunk dies holding its claim: the run stays open, that PDF missing.
    def dies(*, run_id, batch, numbers):
        cache.add(f"invoicing:pdf-chunk:{batch}:{numbers[0]}", 1)

    _queued(monkeypatch, then=dies)
    finance = make_persona(Role.FINANCE)
    run = services.month_issue(run_id=services.month_issue_request(user=finance, **M).pk)
    assert (run.done, run.rendered, run.finished_at) == (2, 1, None)
    assert services.pdfs_missing(**M) == [2]
    body = client_as(Role.FINANCE).get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "1 PDF ready of 2 numbered" in body and 'data-testid="pdfs-render"' in body

    # The page's retry resumes the open run: its chunks are new, the dead worker's claim is not waited for.
    _queued(monkeypatch)
    resumed = services.month_issue_request(user=finance, **M)
    assert resumed.pk == run.pk
    run = services.month_issue(run_id=resumed.pk)
    assert (run.done, run.rendered, run.finished_at is not None) == (2, 2, True)
    assert services.pdfs_missing(**M) == []
    assert list(IssuedInvoice.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
