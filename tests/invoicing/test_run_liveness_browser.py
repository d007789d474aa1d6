"""In headless Chromium at 1366 px, in Japanese: the month's page of a run whose worker was found gone says when it
stopped and that it goes on by itself, while it polls; once another worker has taken it up and finished, it says
when it went on."""

from __future__ import annotations

import pytest
from django.utils import timezone

from invoicing import services
from invoicing.models import IssuedInvoice, IssueRun
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_month_page_says_when_a_run_stopped_and_when_it_went_on(page, month, monkeypatch):
    finance = make_persona(Role.FINANCE)
    monkeypatch.setattr(
        services, "invoice_pdf_render", lambda invoice: False
    )  # its worker died before the PDF
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    monkeypatch.undo()
    # The reaper found its worker gone: stopped, queued again, not taken up yet.
    IssueRun.objects.filter(pk=run.pk).update(worker="", stopped_at=timezone.now(), finished_at=None)
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, finance, f"/invoicing/{M['year']}/{M['month']}/")
    with page.expect_navigation():
        in_japanese(page)
    stopped = page.locator('[data-testid="run-stopped"]')
    assert "自動で再開します" in stopped.inner_text()
    screenshot(page, "invoicing-run-stopped-ja")

    services.month_issue(run_id=run.pk)  # the next worker takes it up and finishes it
    assert IssuedInvoice.objects.get().pdf_ready
    # The page's poll finds the run finished and shows the month again, the run's line with it.
    page.wait_for_selector('[data-testid="run-stopped"]:has-text("自動で再開しました")')
    screenshot(page, "invoicing-run-went-on-ja")
