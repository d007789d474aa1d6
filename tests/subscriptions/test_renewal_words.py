"""A subscription's renewal said as a sentence in the reader's language: the day a subscription that is not
renewed ends, the day the next term starts (it read "Do not renew · from 2027-10-09", 「更新しない · 2027-10-09 から」:
the day after the end, joined by a dot, and in Japanese a bare から)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse

from portal.core.access import Role
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db


def _renewal(client, subscription, language: str) -> str:
    client.cookies["django_language"] = language
    page = client.get(reverse("subscriptions:detail", args=[subscription.pk])).content.decode()
    said = re.search(r'<p data-testid="renewal">(.*?)</p>', page, re.S).group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", said)).split())


@pytest.mark.parametrize(
    ("renewal", "language", "said"),
    [
        ({"renewal_type": "CANCEL"}, "en", "Do not renew Ends on 2027-10-08."),
        ({"renewal_type": "CANCEL"}, "ja", "更新しない 2027-10-08 で終了します。"),
        ({"renewal_type": "STAY"}, "en", "Renew unchanged The next term starts on 2027-10-09."),
        ({"renewal_type": "STAY"}, "ja", "そのまま更新 次の期間は 2027-10-09 に始まります。"),
        (
            {"renewal_type": "CHANGE", "renewal_product_id": "ADV", "renewal_plan": "MONTHLY"},
            "en",
            "Renew with changes The next term starts on 2027-10-09 as Advanced, Monthly.",
        ),
        (
            {"renewal_type": "CHANGE", "renewal_product_id": "ADV", "renewal_license_count": 30},
            "ja",
            "変更して更新 次の期間は 2027-10-09 にアドバンスト、30 ライセンスで始まります。",
        ),
    ],
)
def test_the_renewal_says_when_in_a_sentence(client_as, renewal, language, said):
    annual = make_subscription(plan="ANNUAL_LICENSE", plan_end_date=dt.date(2027, 10, 8), **renewal)
    shown = _renewal(client_as(Role.SUPPORT), annual, language)
    assert shown == said
    assert " · " not in shown and "から" not in shown and "from" not in shown
