"""Price edits on drafts (issue 33, "edits what prices allow"): Finance changes a unit price that comes from the
price book (whole yen, not negative) on one customer's draft; the change is recorded, shown on the draft as
changed from the book, used when the draft is issued, and said to no longer apply once the book or the billed
items change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from billing.models import PriceEntry
from invoicing import services
from invoicing.models import DraftPriceEdit, IssuedInvoice
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.core.test_hostile_input import HOSTILE
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

FIN = Role.FINANCE


def _urls(month):
    one = {**M, "domain_id": month["alpha"].domain_id}
    return reverse("invoicing:draft_prices", kwargs=one), reverse("invoicing:draft", kwargs=one)


def _keys(client, url) -> str:
    import re

    body = client.get(url).content.decode()
    return re.search(r'name="keys" value="([^"]*)"', body).group(1).replace("&#x27;", "'")


def test_a_price_is_changed_shown_and_issued(client_as, month):
    client = client_as(FIN)
    url, draft = _urls(month)
    page = client.get(url).content.decode()
    assert "Price book: 600 yen a month." in page
    keys = _keys(client, url)
    for wrong, error in (("500.5", "Enter a whole number."), ("-1", "greater than or equal to 0")):
        answer = client.post(url, {"keys": keys, "price_0": wrong})
        assert answer.status_code == 200 and error in answer.content.decode()
    assert not DraftPriceEdit.objects.exists()
    assert client.post(url, {"keys": keys, "price_0": "500"})["Location"] == draft
    entry = AuditEntry.objects.get(operation_id="portal.setDraftPrice")
    assert entry.request_summary == {
        "month": "2026-10",
        "item": "STD",
        "plan": "ANNUAL_LICENSE",
        "book_price": 600,
        "before": None,
        "after": 500,
    }
    # 10 licences at ¥500 (¥5,000) and 3 from the 16th (¥774): ¥5,774, tax ¥577, ¥6,351.
    body = client.get(draft).content.decode()
    assert "Changed from ¥600 (price book)" in body and "¥6,351" in body
    month_page = client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    assert "Prices changed" in month_page and "¥6,351" in month_page
    # Saved again unchanged: nothing recorded.
    client.post(url, {"keys": keys, "price_0": "500"})
    assert AuditEntry.objects.filter(operation_id="portal.setDraftPrice").count() == 1
    run = services.month_issue_request(user=make_persona(FIN, "issuer"), **M)
    services.month_issue(run_id=run.pk)
    invoice = IssuedInvoice.objects.get()
    assert invoice.total == 6_351 and [line["unit_price"] for line in invoice.lines] == [500, 500]


def test_an_edit_says_when_it_no_longer_applies(client_as, month):
    client = client_as(FIN)
    url, draft = _urls(month)
    client.post(url, {"keys": _keys(client, url), "price_0": "500"})
    # The price book changes for October: the edit was made against ¥600, so it is not applied.
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=450, price=650, effective_from=dt.date(2026, 10, 1)
    )
    body = client.get(draft).content.decode()
    assert "no longer applies: the price book now says ¥650, not ¥600" in body
    assert "Changed from" not in body and "¥650" in body
    assert (
        "A price change no longer applies"
        in client.get(reverse("invoicing:drafts", kwargs=M)).content.decode()
    )
    # Changed again, it holds against the new book's price.
    client.post(url, {"keys": _keys(client, url), "price_0": "500"})
    assert DraftPriceEdit.objects.get().book_price == 650
    assert "no longer applies" not in client.get(draft).content.decode()
    # An item gone from the month's billed items: said, never applied to something else.
    DraftPriceEdit.objects.create(
        **M, domain_id=month["alpha"].domain_id, item_id="ADV", plan="", unit_price=1, book_price=2
    )
    assert "the month&#x27;s items have none of it" in client.get(draft).content.decode()
    # Emptied, the price goes back to the book's; recorded.
    client.post(url, {"keys": _keys(client, url), "price_0": ""})
    assert not DraftPriceEdit.objects.filter(item_id="STD").exists()
    assert AuditEntry.objects.filter(operation_id="portal.setDraftPrice").count() == 3


def test_a_draft_whose_items_changed_meanwhile_is_not_saved(client_as, month):
    client = client_as(FIN)
    url, _draft = _urls(month)
    answer = client.post(url, {"keys": "OTHER:", "price_0": "1"})
    assert "The draft&#x27;s items changed meanwhile" in answer.content.decode()
    assert not DraftPriceEdit.objects.exists()


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_get_an_answer_not_an_error(client_as, month, value):
    client = client_as(FIN)
    url, _draft = _urls(month)
    assert client.post(url, {"keys": value, "price_0": value}).status_code < 500
    assert client.post(url, {"keys": _keys(client, url), "price_0": value}).status_code < 500
    assert not DraftPriceEdit.objects.filter(unit_price__gt=10**9).exists()
