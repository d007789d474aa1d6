"""Fixtures of the options tests: the portal pointed at a sandbox of their own (real HTTP, no mocks), its
business date pinned to the sandbox's and the cache filled from it."""

from __future__ import annotations

import pytest

from portal.core.access import Role
from tests.fixtures.portal_api import pin_business_today, quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own

# 40 seeded customers give options of every kind (Trial and paid, with and without quantity, orders).
own_sandbox = sandbox_of_its_own(seed_customers=40, seed=21)


@pytest.fixture
def portal_on_sandbox(own_sandbox, portal_api, monkeypatch):
    quick_retries(monkeypatch)
    return portal_api(own_sandbox)


@pytest.fixture
def business_day(portal_on_sandbox, monkeypatch):
    """The portal's business date pinned to the sandbox's, faults and rate-limit counters cleared; the cache
    left empty."""
    day = portal_on_sandbox.today()
    pin_business_today(monkeypatch, day)
    portal_on_sandbox.clear_faults()
    portal_on_sandbox.configure(resetRateLimits=True)
    return day


@pytest.fixture
def today(business_day, cache_from_own_sandbox):
    """`business_day`, and the cache filled from the sandbox as a full resync would fill it
    (tests/fixtures/cache.py)."""
    cache_from_own_sandbox.fill()
    return business_day


@pytest.fixture
def manager(client_as):
    return client_as(Role.ACCOUNT_MANAGER)
