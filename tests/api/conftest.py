"""Fixtures of the API's tests: a person's token with the levels asked, and a test client that calls with it."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.core.access import Role
from portal.core.api.areas import Level, caps_of
from portal.core.api.tokens import token_make
from tests.fixtures.personas import make_persona


class ApiClient:
    """A test client calling the API with one token (`Authorization: Bearer`), JSON in and out."""

    def __init__(self, secret: str, token=None, user=None) -> None:
        self.client = Client()
        self.secret = secret
        self.token = token
        self.user = user

    def _headers(self, headers: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.secret}", **(headers or {})}

    def get(self, url: str, params: dict | None = None, **headers):
        return self.client.get(url, params or {}, headers=self._headers(headers))

    def post(self, url: str, body=None, *, raw: str | bytes | None = None, **headers):
        import json

        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(url, data, content_type="application/json", headers=self._headers(headers))


def make_token(user, levels: dict[str, str] | None = None, *, days: int = 30):
    """A token of `user`: `levels` as given, or everything their role allows."""
    if levels is None:
        levels = {key: level.value for key, level in caps_of(user).items()}
    return token_make(user=user, description="test", days=days, levels=levels)


@pytest.fixture
def api_as(db):
    """`api_as(role, levels=None, user=None)`: an `ApiClient` with a new token of a persona of `role` (or of
    `user`), with `levels` or everything the role allows."""
    made: dict = {}

    def make(role: Role | None = None, levels: dict[str, str] | None = None, user=None) -> ApiClient:
        if user is None:
            if role not in made:
                made[role] = make_persona(role)
            user = made[role]
        token, secret = make_token(user, levels)
        return ApiClient(secret, token, user)

    return make


WRITE, READ, NONE = Level.WRITE.value, Level.READ.value, Level.NONE.value


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    """The API's tests make many calls a second with one token: the rate limit's own test sets it low."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    settings.API_RATE_BURST = 10_000
    settings.API_ENABLED = True


def token_of_levels(user, levels: dict[str, str], *, days: int = 30):
    """A token of `user` with exactly `levels`, whatever their role holds now (as a token made before their role
    changed): what the checks at each call cap."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from portal.core.api.tokens import PREFIX_LENGTH, SCHEME, token_digest
    from portal.core.models import ApiToken

    secret = SCHEME + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        description="made as if before a role change",
        prefix=secret[:PREFIX_LENGTH],
        digest=token_digest(secret),
        levels=levels,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return ApiClient(secret, token, user)
