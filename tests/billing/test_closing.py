"""A closed month stays closed (issue 32, item 5): Finance closes a month that has ended; its findings,
explanations and the prices in force in it are then read-only (the forms refuse in words, the buttons are not
offered) until an Admin reopens it with a reason, which the audit trail and the month's page keep."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing import services
from billing.models import Finding, MonthClosing, PriceEntry
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item

pytestmark = pytest.mark.django_db
OCT = {"year": 2026, "month": 10}
TODAY = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _november():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def finding(db):
    make_invoice(**OCT)
    return Finding.objects.create(
        **OCT, domain_id=10000001, kind="licences", subject="1", checked_at=timezone.now()
    )


def _close(client, month=OCT):
    return client.post(reverse("billing:close", kwargs=month))


def test_finance_closes_an_ended_month_and_its_buttons_go(client_as, finding):
    finance = client_as(Role.FINANCE)
    page = finance.get(reverse("billing:findings", kwargs=OCT)).content.decode()
    assert 'data-testid="close-month"' in page and 'data-testid="explain"' in page

    response = _close(finance)
    assert response.status_code == 302
    page = finance.get(reverse("billing:findings", kwargs=OCT)).content.decode()
    assert 'data-testid="month-closed"' in page
    for gone in ('data-testid="close-month"', 'data-testid="explain"', 'data-testid="run-check"'):
        assert gone not in page
    # Finance does not reopen: only an Admin is offered it.
    assert 'data-testid="reopen-month"' not in page
    assert AuditEntry.objects.filter(operation_id="portal.closeBillingMonth").count() == 1


def test_the_running_month_cannot_be_closed(client_as, db):
    response = _close(client_as(Role.FINANCE), {"year": 2026, "month": 11})
    assert response.status_code == 302
    assert not MonthClosing.objects.exists()


def test_a_closed_month_refuses_an_explanation_and_a_new_check(client_as, finding):
    finance = client_as(Role.FINANCE)
    _close(finance)
    url = reverse("billing:explain", kwargs={"pk": finding.pk})
    page = finance.get(url).content.decode()
    assert 'data-testid="refusal"' in page and "explain-submit" not in page

    response = finance.post(url, {"note": "Agreed with the vendor"})
    assert response.status_code == 409
    assert "is closed" in response.content.decode()
    finding.refresh_from_db()
    assert not finding.explained

    response = finance.post(reverse("billing:check", kwargs=OCT), follow=True)
    assert "is closed" in response.content.decode()
    assert Finding.objects.filter(pk=finding.pk).exists()


def test_a_closed_month_keeps_its_details_when_fetched_again(finding):
    item = make_item(**OCT)
    services.month_close(user=None, **OCT, today=dt.date(2026, 11, 24))
    assert services.invoice_month_store(**OCT, remote=[], synced_at=timezone.now()) == 0
    assert type(item).objects.filter(pk=item.pk).exists()
    runs = services.month_fetch_request(**OCT)
    assert [r.scope for r in runs] == ["billing.invoices:year=2026", "billing.invoices:year=2025"]


PRICE = {"item_id": "STD", "plan": "", "cost": "450", "price": "600"}


@pytest.mark.parametrize(
    ("day", "refused"),
    [
        ("2026-10-15", True),  # in force in October
        ("2026-09-01", True),  # from before October, so in force in it too
        ("2026-11-01", False),  # after it
    ],
)
def test_a_price_in_force_in_a_closed_month_is_refused(client_as, finding, day, refused):
    finance = client_as(Role.FINANCE)
    _close(finance)
    response = finance.post(reverse("billing:price_add"), {**PRICE, "effective_from": day})
    if refused:
        assert response.status_code == 200
        assert "which Finance has closed" in response.content.decode()
        assert not PriceEntry.objects.exists()
    else:
        assert response.status_code == 302
        assert PriceEntry.objects.count() == 1


def test_a_price_before_a_closed_month_that_a_later_price_replaces_is_accepted(client_as, finding):
    finance = client_as(Role.FINANCE)
    finance.post(reverse("billing:price_add"), {**PRICE, "effective_from": "2026-09-01"})
    _close(finance)
    # August's price ends when September's starts, before October: October keeps its prices.
    response = finance.post(reverse("billing:price_add"), {**PRICE, "effective_from": "2026-08-01"})
    assert response.status_code == 302
    assert PriceEntry.objects.count() == 2


def test_an_admin_reopens_with_a_reason_after_a_confirmation(client_as, finding):
    _close(client_as(Role.FINANCE))
    admin = client_as(Role.ADMIN)
    page = admin.get(reverse("billing:findings", kwargs=OCT)).content.decode()
    assert reverse("billing:reopen", kwargs=OCT) in page

    url = reverse("billing:reopen", kwargs=OCT)
    confirmation = admin.get(url).content.decode()
    assert 'data-testid="consequences"' in confirmation
    empty = admin.post(url, {"reason": "  "})
    assert empty.status_code == 200 and 'aria-invalid="true"' in empty.content.decode()
    assert MonthClosing.objects.get().reopened_at is None

    response = admin.post(url, {"reason": "Credit note 4711 from the vendor"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(operation_id="portal.reopenBillingMonth")
    assert entry.reason == "Credit note 4711 from the vendor"
    assert entry.request_summary["month"] == "2026-10"

    page = admin.get(reverse("billing:findings", kwargs=OCT)).content.decode()
    assert 'data-testid="month-closed"' not in page
    assert 'data-testid="reopened"' in page and "Credit note 4711 from the vendor" in page
    # Open again: Finance explains the finding.
    response = client_as(Role.FINANCE).post(
        reverse("billing:explain", kwargs={"pk": finding.pk}), {"note": "Agreed"}
    )
    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.explained


def test_reopening_a_month_that_is_not_closed_changes_nothing(client_as, finding):
    response = client_as(Role.ADMIN).post(reverse("billing:reopen", kwargs=OCT), {"reason": "why"})
    assert response.status_code == 302
    assert not AuditEntry.objects.exists()


def test_the_activity_log_names_closing_and_reopening(client_as, finding):
    _close(client_as(Role.FINANCE))
    client_as(Role.ADMIN).post(reverse("billing:reopen", kwargs=OCT), {"reason": "Credit note"})
    page = client_as(Role.ADMIN).get(reverse("core:activity")).content.decode()
    assert "Close a billing month" in page and "Reopen a billing month" in page


def test_findings_of_a_closed_month_leave_the_home_pages_worklist(client_as, finding):
    finance = client_as(Role.FINANCE)
    explain = reverse("billing:explain", kwargs={"pk": finding.pk})
    assert explain in finance.get("/").content.decode()
    _close(finance)
    assert explain not in finance.get("/").content.decode()


def test_fetching_a_closed_month_says_its_details_stay(client_as, finding):
    finance = client_as(Role.FINANCE)
    _close(finance)
    response = finance.post(reverse("billing:fetch"), OCT, follow=True)
    assert "its details stay as they were checked" in response.content.decode()


def test_the_price_book_is_paged_and_an_entry_knows_its_successor_on_another_page(db):
    """The price book pages (it grows with the customers given a price of their own); an entry whose successor
    is on another page is still known to end there: a price that ended before the closed month is not marked
    as in it."""
    from billing.selectors import price_entry_page
    from tests.fixtures.personas import make_persona

    finance = make_persona(Role.FINANCE)
    services.month_close(user=None, **OCT, today=dt.date(2026, 11, 24))
    old = PriceEntry.objects.create(item_id="STD", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    new = PriceEntry.objects.create(item_id="STD", cost=500, price=650, effective_from=dt.date(2026, 6, 1))
    pages = [price_entry_page(user=finance, page=n, per_page=1) for n in (1, 2)]
    assert [p.paginator.count for p in pages] == [2, 2]
    assert [(e.pk, e.fixed) for p in pages for e in p.object_list] == [(new.pk, True), (old.pk, False)]


def test_the_worklist_keeps_the_findings_of_every_open_month_around_the_closed_ones(client_as, db):
    """The section names the open months one by one (from the findings' first month to their last): a month
    before a closed one, one reopened between two closed ones, and one after the last, across a new year, all
    stay; only the closed months' findings leave, counted and listed alike."""
    months = [(2025, 11), (2025, 12), (2026, 1), (2026, 2), (2026, 3)]
    for year, month in months:
        Finding.objects.create(
            year=year,
            month=month,
            domain_id=month,
            customer_name=f"Customer of {year}-{month:02d}",
            kind="licences",
            checked_at=timezone.now(),
        )
    for year, month in [(2025, 12), (2026, 1), (2026, 2)]:
        MonthClosing.objects.create(year=year, month=month, closed_at=timezone.now())
    MonthClosing.objects.filter(year=2026, month=1).update(reopened_at=timezone.now())
    page = client_as(Role.FINANCE).get(reverse("work_list", args=["findings"])).content.decode()
    shown = {m for m in months if f"Customer of {m[0]}-{m[1]:02d}" in page}
    assert shown == {(2025, 11), (2026, 1), (2026, 3)}
    assert 'data-testid="result-count" data-live-summary>3 in all<' in page
