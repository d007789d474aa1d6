"""In headless Chromium, in English and Japanese: a search for a word most customers share says "More than N
match" (the lists' count cap) and pages through its matches in name order; the Invoices page says "more than N"
of a month whose findings to explain pass the cap (docs/lists.md)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from billing.models import Finding
from portal.core.access import Role
from tests.billing.factories import make_invoice
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _language(page, language: str) -> None:
    origin = page.evaluate("location.origin") + "/"
    page.context.add_cookies([{"name": "django_language", "value": language, "url": origin}])


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(dt.datetime(2026, 11, 15, 3, 0, tzinfo=dt.UTC)):
        yield


def test_a_common_word_and_a_busy_month_say_more_than_the_cap(page, settings):
    settings.LIST_COUNT_CAP = 30
    page.set_viewport_size({"width": 1366, "height": 900})
    for i in reversed(range(60)):
        make_customer(company_name=f"{'株式会社' if i % 2 else ''}サクラ商事{i:02}")
    make_customer(company_name="Aoba Foods")
    make_invoice(year=2026, month=10)
    now = dt.datetime.now(dt.UTC)
    for subject in range(31):
        Finding.objects.create(year=2026, month=10, kind="cost", subject=str(subject), checked_at=now)

    login(page, make_persona(Role.ADMIN))
    words = {
        "en": (
            "More than 30 match Add a word to narrow the search, or download every row found.",
            "Explain the findings of 2026-10 (more than 30)",
            "More than 30",
        ),
        "ja": (
            "該当が30件を超えています 検索語を加えて絞り込むか、該当する全件をダウンロードしてください。",
            "2026年10月分の差異（30件超）に確認メモを記入",
            "30件超",
        ),
    }
    for language, (match, explain, badge) in words.items():
        _language(page, language)
        page.goto("/customers/?q=サクラ")
        assert " ".join(page.inner_text('[data-testid="result-count"]').split()) == match
        first = page.locator("#results tbody tr td a").first.inner_text()
        assert first.removeprefix("株式会社") == "サクラ商事00"
        screenshot(page, f"search-common-word-{language}")
        page.locator('#results [data-focus-id="page-next"]').first.click()
        page.wait_for_url("**page=2**")
        assert (
            page.locator("#results tbody tr td a").first.inner_text().removeprefix("株式会社")
            == "サクラ商事25"
        )

        page.goto("/billing/")
        assert page.inner_text('[data-testid="next-step"]').strip() == explain
        assert badge in page.inner_text('tr[data-month="2026-10"]')
        screenshot(page, f"invoices-capped-{language}")
