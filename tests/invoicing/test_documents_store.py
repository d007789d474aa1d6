"""The issued documents' PDFs live in the documents' store, not in the database: here a real S3-compatible server
(moto's server mode, tests/fixtures/s3.py) as DOCUMENTS_STORAGE=s3 configures it. Invoices and credit notes are
written there when issued and read back from it (the PDF page, the e-mail's attachment), each read checked
against the SHA-256 stored at issue: a file changed, gone or a store not answering is said, never served or
mailed. The upgrade moves the PDFs kept in the rows into the store with their SHA-256."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import translation

from invoicing import services, storage
from invoicing.models import CustomerBilling, InvoiceSending, IssuedInvoice
from portal.core.access import Role
from tests.fixtures.personas import make_persona
from tests.fixtures.s3 import KEYS
from tests.fixtures.services import REPO
from tests.invoicing.conftest import TODAY, M


@pytest.fixture
def issued(month):
    """Alpha's October invoice (with an e-mail for invoices) and Beta's, issued, and a credit note of Alpha's."""
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta Clinic", bill_to_address="Kobe", language="en"
    )
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    alpha = IssuedInvoice.objects.get(domain_id=month["alpha"].domain_id, kind="invoice")
    services.credit_note_issue(
        user=finance, number=alpha.number, credits={0: 500}, return_date=TODAY, reason="test", key="c" * 32
    )
    return {i.number: i for i in IssuedInvoice.objects.order_by("number")}


def _objects(s3) -> dict[str, bytes]:
    listed = s3["client"].list_objects_v2(Bucket=s3["bucket"]).get("Contents", [])
    return {
        o["Key"]: s3["client"].get_object(Bucket=s3["bucket"], Key=o["Key"])["Body"].read() for o in listed
    }


def test_invoices_and_credit_notes_are_kept_in_the_s3_store_and_read_back_from_it(
    s3_documents, issued, month, client_as
):
    stored = _objects(s3_documents)
    assert len(issued) == 3 and len(stored) == 3
    for number, document in issued.items():
        key = f"portal/invoices/2026/10/{number}-{document.pdf_sha256}.pdf"
        assert key in stored, (key, sorted(stored))
        assert stored[key].startswith(b"%PDF-")
        assert hashlib.sha256(stored[key]).hexdigest() == document.pdf_sha256
    assert {d.kind for d in issued.values()} == {"invoice", "credit_note"}
    # The PDF page serves the bytes the bucket holds, with their SHA-256.
    client = client_as(Role.FINANCE)
    for number, document in issued.items():
        answer = client.get(reverse("invoicing:pdf", kwargs={"number": number}))
        assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
        assert answer.content == stored[f"portal/invoices/2026/10/{number}-{document.pdf_sha256}.pdf"]
        digest = base64.b64encode(bytes.fromhex(document.pdf_sha256)).decode()
        assert answer["Repr-Digest"] == f"sha-256=:{digest}:"
    # The e-mail attaches them too.
    alpha = next(
        d for d in issued.values() if d.kind == "invoice" and d.domain_id == month["alpha"].domain_id
    )
    attempt = services.invoice_send(user=make_persona(Role.FINANCE), number=alpha.number)
    assert attempt.outcome == "sent"
    [(_, content, _)] = mail.outbox[0].attachments
    assert hashlib.sha256(content).hexdigest() == alpha.pdf_sha256


def test_a_pdf_changed_or_gone_in_the_store_is_never_served_nor_mailed(
    s3_documents, issued, month, client_as
):
    alpha = next(
        d for d in issued.values() if d.kind == "invoice" and d.domain_id == month["alpha"].domain_id
    )
    key = f"portal/invoices/2026/10/{alpha.number}-{alpha.pdf_sha256}.pdf"
    s3_documents["client"].put_object(Bucket=s3_documents["bucket"], Key=key, Body=b"%PDF-1.7 not as issued")
    url = reverse("invoicing:pdf", kwargs={"number": alpha.number})
    answer = client_as(Role.FINANCE).get(url)
    page = answer.content.decode()
    assert answer.status_code == 503 and "not as issued" not in page
    assert 'data-reason="damaged"' in page and "is not the one issued" in page
    assert alpha.pdf_sha256 in page and 'data-testid="pdf-detail"' not in page  # the detail is an Admin's
    assert 'data-testid="pdf-detail"' in client_as(Role.ADMIN).get(url).content.decode()
    japanese = client_as(Role.FINANCE).get(url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "発行したものではありません" in japanese
    # Sending it is a failed attempt that says why, and nothing goes out.
    attempt = services.invoice_send(user=make_persona(Role.FINANCE), number=alpha.number)
    assert (attempt.outcome, attempt.failure) == ("failed", "document") and not mail.outbox
    with translation.override("en"):
        assert "could not be read as it was issued" in attempt.failure_sentence()
    # Gone from the bucket: said as such.
    s3_documents["client"].delete_object(Bucket=s3_documents["bucket"], Key=key)
    gone = client_as(Role.FINANCE).get(url)
    assert gone.status_code == 503 and 'data-reason="missing"' in gone.content.decode()
    assert InvoiceSending.objects.filter(outcome="sent").count() == 0


def test_a_store_that_does_not_answer_is_said_and_nothing_is_served(
    s3_documents, issued, client_as, settings
):
    from botocore.config import Config

    from sandbox.testing import free_port

    documents = settings.STORAGES["documents"]
    options = {
        **documents["OPTIONS"],
        "endpoint_url": f"http://127.0.0.1:{free_port()}",
        "client_config": Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}),
    }
    settings.STORAGES = {**settings.STORAGES, "documents": {**documents, "OPTIONS": options}}
    number = next(iter(issued))
    answer = client_as(Role.FINANCE).get(reverse("invoicing:pdf", kwargs={"number": number}))
    assert answer.status_code == 503 and 'data-reason="unreachable"' in answer.content.decode()
    assert "did not answer" in answer.content.decode()


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_moves_each_pdf_from_its_row_into_the_store_with_its_sha256(
    s3_documents, issued, client_as
):
    before = [("invoicing", "0013_open_invoices")]
    digests = {number: document.pdf_sha256 for number, document in issued.items()}
    triggers = _triggers()
    assert triggers, "the open invoices' triggers (0013)"
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)  # the way down puts each PDF back into its row
        old = executor.loader.project_state(before).apps.get_model("invoicing", "IssuedInvoice")
        rows = {r.number: bytes(r.pdf) for r in old.objects.all()}
        assert {n: hashlib.sha256(b).hexdigest() for n, b in rows.items()} == digests
        for key in _objects(s3_documents):  # an empty bucket, as before the upgrade
            s3_documents["client"].delete_object(Bucket=s3_documents["bucket"], Key=key)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        stored = _objects(s3_documents)
        for number, digest in digests.items():
            key = f"portal/invoices/2026/10/{number}-{digest}.pdf"
            assert stored[key] == rows[number]
            document = IssuedInvoice.objects.get(number=number)
            assert (document.pdf.name, document.pdf_sha256) == (key.removeprefix("portal/"), digest)
            answer = client_as(Role.FINANCE).get(reverse("invoicing:pdf", kwargs={"number": number}))
            assert answer.content == rows[number]
        # The table was altered in place: SQLite's rebuild of a table drops the triggers on it.
        assert _triggers() == triggers
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_stops_at_a_pdf_that_is_not_its_sha256_and_names_it(s3_documents, issued):
    before = [("invoicing", "0013_open_invoices")]
    first = min(issued)
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("invoicing", "IssuedInvoice")
        good = bytes(old.objects.get(number=first).pdf)
        old.objects.filter(number=first).update(pdf=good + b"changed")
        for key in _objects(s3_documents):
            s3_documents["client"].delete_object(Bucket=s3_documents["bucket"], Key=key)
        executor = MigrationExecutor(connection)
        with pytest.raises(RuntimeError, match=rf"do not match their SHA-256.*: {first}\."):
            executor.migrate(executor.loader.graph.leaf_nodes())
        assert _objects(s3_documents) == {}, "nothing of the batch moved"
        old.objects.filter(number=first).update(pdf=good)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert IssuedInvoice.objects.get(number=first).pdf_bytes() == good


def _host(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    """Another host of the portal (a worker, a second web server): a process of its own, configured from the
    environment as a deployment is."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DOCUMENTS_") and k != "DJANGO_SETTINGS_MODULE"
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="portal.settings")
    command = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    return subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=120)


def test_a_pdf_another_host_writes_through_the_s3_settings_is_read_here(s3_documents, s3_server):
    pdf = b"%PDF-1.7 written by a worker host"
    digest = storage.sha256(pdf)
    name = storage.name_for(year=2026, month=10, number=7, digest=digest)
    written = _host(
        {
            "DOCUMENTS_STORAGE": "s3",
            "DOCUMENTS_S3_BUCKET": s3_documents["bucket"],
            "DOCUMENTS_S3_ENDPOINT_URL": s3_server,
            "DOCUMENTS_S3_REGION": KEYS["region_name"],
            "DOCUMENTS_S3_PREFIX": "portal",
            "DOCUMENTS_S3_ADDRESSING_STYLE": "path",
            "DOCUMENTS_S3_ACCESS_KEY_ID": KEYS["access_key"],
            "DOCUMENTS_S3_SECRET_ACCESS_KEY": KEYS["secret_key"],
        },
        f"from invoicing import storage; storage.put({name!r}, {pdf!r})",
    )
    assert written.returncode == 0, written.stderr[-2000:]
    assert _objects(s3_documents) == {f"portal/{name}": pdf}
    assert storage.read(name, digest) == pdf


def test_s3_without_a_bucket_stops_start_up_and_says_so():
    result = _host({"DOCUMENTS_STORAGE": "s3"}, "from django.conf import settings; settings.STORAGES")
    assert result.returncode != 0 and "DOCUMENTS_S3_BUCKET" in result.stderr
    result = _host({"DOCUMENTS_STORAGE": "ftp"}, "from django.conf import settings; settings.STORAGES")
    assert result.returncode != 0 and "DOCUMENTS_STORAGE must be filesystem or s3" in result.stderr
