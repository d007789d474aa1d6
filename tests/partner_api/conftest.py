"""Fixtures for testing the client at the wire (HTTP mocked with `responses`, no real server)."""

from __future__ import annotations

import pytest
import responses

from partner_api import NoRateLimiter, PartnerClient
from partner_api.transport import Transport

BASE_URL = "https://partner.test/v1.0"
TOKEN_URL = "https://auth.test/oauth2/v2.0/token"
AUTHORIZE_URL = "https://auth.test/oauth2/v2.0/authorize"


class StaticAuth:
    """A token provider that hands out numbered tokens and records invalidations."""

    def __init__(self) -> None:
        self.issued = 0
        self.invalidated: list[str] = []
        self.current = self._next()

    def _next(self) -> str:
        self.issued += 1
        return f"access-token-{self.issued}"

    def access_token(self) -> str:
        return self.current

    def invalidate(self, access_token: str) -> None:
        self.invalidated.append(access_token)
        if access_token == self.current:
            self.current = self._next()


class Sleeps(list):
    """A stand-in for time.sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def auth() -> StaticAuth:
    return StaticAuth()


@pytest.fixture
def client(auth, sleeps) -> PartnerClient:
    transport = Transport(
        base_url=BASE_URL,
        auth=auth,
        limiter=NoRateLimiter(),
        max_retries=3,
        sleep=sleeps,
        jitter=lambda low, high: high,
    )
    return PartnerClient(base_url=BASE_URL, auth=auth, transport=transport)
