"""No input makes a 500 on the billing pages: hostile values in every field of its forms and in every filter."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Finding
from portal.core.access import Role
from tests.core.test_hostile_input import HOSTILE

pytestmark = pytest.mark.django_db
FORM_FIELDS = [
    "year",
    "month",
    "note",
    "reason",
    "customer",
    "item_id",
    "plan",
    "domain_id",
    "cost",
    "price",
    "effective_from",
    "sub_item_id",
    "keys",
    "choice",
    "confirmed",
]
FILTERS = [
    "q",
    "item_type",
    "item_id",
    "amount_min",
    "amount_max",
    "flagged",
    "status",
    "kind",
    "domain_id",
    "sort",
    "per_page",
    "page",
    "encoding",
]


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_values_get_an_answer_not_an_error(client_as, value):
    finding = Finding.objects.create(
        year=2026, month=10, domain_id=1, kind="licences", checked_at=timezone.now()
    )
    client = client_as(Role.FINANCE)
    posts = [
        reverse("billing:fetch"),
        reverse("billing:price_add"),
        reverse("billing:explain", kwargs={"pk": finding.pk}),
        reverse("billing:check", kwargs={"year": 2026, "month": 10}),
        reverse("billing:costs_accept", kwargs={"year": 2026, "month": 10}),
    ]
    for url in posts:
        assert client.post(url, {name: value for name in FORM_FIELDS}).status_code < 500, url
    gets = [
        "billing:details",
        "billing:details_export",
        "billing:statement_export",
        "billing:findings",
        "billing:findings_export",
        "billing:costs",
    ]
    for name in gets:
        url = reverse(name, kwargs={"year": 2026, "month": 10})
        response = client.get(url, {key: value for key in FILTERS})
        assert response.status_code < 500, name
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    # A month that is none matches no address: the portal's own 404, not a 500.
    details = reverse("billing:details", kwargs={"year": 2026, "month": 10})
    for month in ("1999/13", "2026/0", "2101/1", "9999999999999999999/1"):
        assert client.get(details.replace("2026/10", month)).status_code == 404, month
    assert client.get(reverse("billing:price_customers"), {"customer": value}).status_code == 200
    # The Admin's reopening of a closed month (Finance closes it first).
    assert client.post(reverse("billing:close", kwargs={"year": 2026, "month": 9})).status_code == 302
    admin = client_as(Role.ADMIN)
    reopen = reverse("billing:reopen", kwargs={"year": 2026, "month": 9})
    assert admin.post(reopen, {name: value for name in FORM_FIELDS}).status_code < 500
