"""Fixtures of the subscriptions tests: the portal pointed at a sandbox of their own (real HTTP, no mocks)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.fixtures.portal_api import quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own


@pytest.fixture
def portal_on_sandbox(own_sandbox, portal_api, monkeypatch):
    """The portal pointed at this module's sandbox (`portal_api`), with short resync retry back-offs."""
    quick_retries(monkeypatch)
    return portal_api(own_sandbox)


def schedule_examples(server) -> None:
    """The small seed schedules nothing: add a pre-order (a Free customer) and reservations (paid ones)."""
    api = server.client("partner")
    today = dt.date.fromisoformat(server.clock()["today"])
    day = lambda n: (today + dt.timedelta(days=n)).isoformat()  # noqa: E731
    subs = {}
    for domain_id in range(10000001, 10000017):
        for s in api.get(f"/partners/customers/{domain_id}/subscriptions").json()["subscriptions"]:
            subs.setdefault(s["plan"], []).append((domain_id, s["subscriptionId"]))
    free = subs["FREE"][0][0]
    answer = api.post(
        f"/partners/customers/{free}/subscriptions/pre-orders",
        json={"applyDate": day(3), "productId": "STD", "plan": "MONTHLY"},
    )
    assert answer.status_code == 201, answer.text
    for (domain_id, sub_id), body in zip(
        subs["ANNUAL_LICENSE"][:2],
        (
            {"type": "ADD_LICENSE", "applyDate": day(5), "licenseCount": 5},
            {"type": "CANCEL", "applyDate": day(9)},
        ),
        strict=True,
    ):
        answer = api.post(f"/partners/customers/{domain_id}/subscriptions/{sub_id}/reservation", json=body)
        assert answer.status_code in (200, 201), answer.text


# A sandbox these tests may change (pre-orders, reservations are added and deleted here).
own_sandbox = sandbox_of_its_own(seed_customers=16, seed=21, then=schedule_examples)
