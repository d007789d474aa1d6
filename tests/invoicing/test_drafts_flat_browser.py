"""In headless Chromium: the month's drafts filtered by state in place (the results swapped, the address kept),
in English and Japanese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_drafts_are_filtered_by_state_in_place(page, month):
    alpha, beta = month["alpha"], month["beta"]
    url = reverse("invoicing:drafts", kwargs=M)
    login(page, make_persona(Role.FINANCE), url)
    page.wait_for_selector('[data-testid="drafts"]')
    assert page.locator("tr[data-domain]").count() == 2
    page.select_option("select[name=state]", "blocked")
    page.locator(f'tr[data-domain="{alpha.domain_id}"]').wait_for(state="detached")
    assert page.locator(f'tr[data-domain="{beta.domain_id}"]').count() == 1
    assert "state=blocked" in page.url and "1 draft" in page.inner_text('[data-testid="drafts"]')
    screenshot(page, "invoicing-drafts-blocked-en")
    page.select_option("select[name=state]", "ready")
    page.wait_for_selector(f'tr[data-domain="{alpha.domain_id}"]')
    with page.expect_navigation():
        in_japanese(page)
    page.wait_for_selector('[data-testid="drafts"]')
    # The switch keeps the state chosen in place: the ready draft alone, in Japanese.
    assert "state=ready" in page.url and "下書き 1 件" in page.inner_text('[data-testid="drafts"]')
    assert page.locator(f'tr[data-domain="{beta.domain_id}"]').count() == 0
    screenshot(page, "invoicing-drafts-ready-ja")


@pytest.mark.kept_by_worker
def test_drafts_behind_say_so_and_still_show_what_is_kept(page, month, monkeypatch):
    """A customer's billing details saved since the drafts were kept: the page says one customer is being worked
    out again (in English and Japanese) and lists the drafts as kept meanwhile."""
    from invoicing import services
    from portal.core import kept

    monkeypatch.setattr(kept.keep_task, "delay", lambda **k: None)  # the worker comes later
    services.drafts_keep(**M)
    finance = make_persona(Role.FINANCE)
    services.customer_billing_set(
        actor=finance,
        domain_id=month["beta"].domain_id,
        billed=True,
        bill_to_name="Beta K.K.",
        bill_to_address="札幌市中央区1-1",
        invoice_email="",
        language="en",
    )
    login(page, finance, reverse("invoicing:drafts", kwargs=M))
    note = page.locator('[data-testid="kept-state"]')
    assert note.get_attribute("role") == "status"
    assert "1 customer is being worked out again" in note.inner_text()
    assert page.locator("tr[data-domain]").count() == 2
    screenshot(page, "invoicing-drafts-behind-en")
    with page.expect_navigation():
        in_japanese(page)
    assert "1 件の顧客を計算し直しています" in page.inner_text('[data-testid="kept-state"]')
