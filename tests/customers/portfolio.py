"""The role x URL matrices with `PORTFOLIO_ONLY` on: an Account manager opens the pages of a customer they own as
before, and every page of another's customer, reading or changing, answers 404 (not a hint that it exists),
sending nothing. Each app's `test_access.py` lists its pages of one customer in `PORTFOLIO` and calls
`check_portfolio`; `tests/core/test_url_coverage.py` checks that every such page of every app is listed."""

from __future__ import annotations

from django.test import Client

from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.customers.factories import hand_every_customer_to
from tests.fixtures.personas import make_persona


def check_portfolio(settings, url: str, method: str) -> None:
    settings.PORTFOLIO_ONLY = True
    me = make_persona(Role.ACCOUNT_MANAGER, username="portfolio-me")
    other = make_persona(Role.ACCOUNT_MANAGER, username="portfolio-other")
    client = Client()
    client.force_login(me)
    audits, operations = AuditEntry.objects.count(), Operation.objects.count()

    hand_every_customer_to(other)
    data = {"confirmed": "1", "idempotency_key": "p" * 32}
    response = client.get(url) if method == "get" else client.post(url, data)
    assert response.status_code == 404, (url, method)
    assert (AuditEntry.objects.count(), Operation.objects.count()) == (audits, operations)

    if method == "get":  # their own customer's page opens as before (their own writes are sent elsewhere)
        hand_every_customer_to(me)
        assert client.get(url).status_code == 200, url
