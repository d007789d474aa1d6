"""In headless Chromium at 1366 px, in Japanese: Finance gives the partner's billing details the invoice mail's
sender name and reply-to address and the invoice number's format; a format the portal cannot write is refused in
words beside its field."""

from __future__ import annotations

import pytest

from invoicing.models import IssuerDetails
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_partner_sets_how_its_invoices_present_it(page, issuer):
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.FINANCE), "/invoicing/details/")
    with page.expect_navigation():
        in_japanese(page)
    page.fill("input[name=number_format]", "INV-{year}-{numbr}")
    page.fill("input[name=sender_name]", "パートナー株式会社 請求窓口")
    page.fill("input[name=reply_to]", "billing@partner.example")
    page.click('[data-testid="issuer-save"]')
    error = page.locator("#id_number_format").get_attribute("aria-invalid")
    assert error == "true"
    assert "{numbr} は使えません" in page.inner_text("body")
    screenshot(page, "invoicing-issuer-identity-refused-ja")
    page.fill("input[name=number_format]", "INV-{year}-{number:6}")
    page.click('[data-testid="issuer-save"]')
    page.wait_for_url("**/invoicing/**")
    details = IssuerDetails.objects.get()
    assert (details.number_format, details.sender_name, details.reply_to) == (
        "INV-{year}-{number:6}",
        "パートナー株式会社 請求窓口",
        "billing@partner.example",
    )
