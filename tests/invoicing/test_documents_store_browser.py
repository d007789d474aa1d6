"""In headless Chromium: an invoice whose PDF was changed in the documents' store after it was issued. Opening
its PDF shows a page that says so (not the changed bytes), with its SHA-256 and, for an Admin, the technical
detail, in English and in Japanese."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from invoicing import storage
from invoicing.models import IssuedInvoice
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.test_sending_browser import issued_month

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_pdf_changed_in_the_store_is_said_not_shown(page):
    issued_month(with_beta=False)
    invoice = IssuedInvoice.objects.get()
    storage.documents.delete(invoice.pdf.name)
    storage.documents.save(invoice.pdf.name, ContentFile(b"%PDF-1.7 changed after it was issued"))

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.ADMIN), f"/invoicing/issued/{invoice.number}.pdf")
    panel = page.inner_text('[data-testid="pdf-unavailable"]')
    assert "is not the one issued" in panel and invoice.pdf_sha256 in panel
    assert invoice.pdf.name in page.inner_text('[data-testid="pdf-detail"]')
    screenshot(page, "invoicing-pdf-changed-en")
    page.goto(f"/invoicing/issued/{invoice.number}/")
    with page.expect_navigation():
        in_japanese(page)
    page.goto(f"/invoicing/issued/{invoice.number}.pdf")
    assert "発行したものではありません" in page.inner_text('[data-testid="pdf-unavailable"]')
    screenshot(page, "invoicing-pdf-changed-ja")
